from django.contrib.auth import views as auth_views

from liaison.core.audit import audit_log


class SignInView(auth_views.LoginView):
    """Username and password. MFA (a later step) plugs in here, in front of `form_valid`."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        audit_log(actor=form.get_user(), action="sign_in", object_type="accounts.user", object_id=form.get_user().pk)
        return response
