from allauth.account import views as allauth_views
from allauth.mfa.base import views as mfa_views
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse_lazy

from liaison.accounts.choices import Role
from liaison.accounts.mfa import demo_exempt, second_steps
from liaison.core.audit import audit_log

# What each role is for and what it may see, in the words the account page uses.
ROLE_SCOPE = {
    Role.COORDINATOR: "You receive referrals, keep them moving and make sure every referrer hears back on time. "
    "You see every referral of the practice.",
    Role.CLINICIAN: "You evaluate and treat referred patients and record their sessions and scores. "
    "You see every referral of the practice.",
    Role.LIAISON: "You look after the practice's relationships with referring clinicians. You see referrers, "
    "outreach and counts of referrals, never a patient's record.",
    Role.DIRECTOR: "You oversee the service: every referral, the outcomes and the network.",
    Role.ADMIN: "You set the practice up and keep it safe: people, reference data and the audit trail.",
    Role.REFERRER: "You send referrals to the practice and follow the ones you sent.",
    Role.REFERRER_ADMIN: "You send referrals on behalf of your practice's clinicians and follow the ones "
    "your practice sent.",
}


class SignInView(allauth_views.LoginView):
    """Username and password through allauth, which then asks for the second step (an authenticator app's code
    or a passkey) where the account has one. axes refuses locked-out accounts and addresses (AxesMiddleware shows
    `locked_out`). The sign-in is audited once it is complete (liaison.accounts.signals)."""

    template_name = "accounts/login.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["demo_mode"] = settings.MODE == "demo"
        context["mfa_required"] = settings.LIAISON_MFA_REQUIRED
        return context


class AdminSignInView(SignInView):
    """The admin's sign-in page (/admin/login/) is the same sign-in. Someone signed in whom the admin refuses is
    told so, rather than sent back and forth between the two."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.is_staff:
            raise PermissionDenied("The administration pages are for the practice's administrator.")
        return super().dispatch(request, *args, **kwargs)


class SecondStepView(mfa_views.AuthenticateView):
    """allauth's second step of signing in, under the same lockout as the password: a wrong code counts as a
    failed sign-in for the account and the address, and while either is locked even a right code is refused."""

    def post(self, request, *args, **kwargs):
        if not AxesProxyHandler.is_allowed(request, self._credentials()):
            user = self.stage.login.user
            detail = {**self._credentials(), "locked_out": True}
            audit_log(actor=None, action="sign_in_failed", obj=user, detail=detail)
            return locked_out(request)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        AxesProxyHandler.user_login_failed(sender=type(self), credentials=self._credentials(), request=self.request)
        return super().form_invalid(form)

    def _credentials(self) -> dict:
        return {"username": self.stage.login.user.get_username()}


class SignOutView(auth_views.LogoutView):
    """Django's sign-out (POST only), then the sign-in page says it is done."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.success(request, "You are signed out.", fail_silently=True)
        return response


def locked_out(request, original_response=None, credentials=None):
    """What axes shows when an account or an address is locked (AXES_LOCKOUT_CALLABLE)."""
    context = {"cooloff_minutes": settings.AXES_COOLOFF_MINUTES}
    return render(request, "accounts/locked_out.html", context, status=429)


# Sections apps above accounts add to the account page (notify's notification choices), from their apps.py: each is
# called with the request and returns its template's name ("template") and context, or None to show nothing.
ACCOUNT_PANELS: list = []


@login_required
def account(request):
    """Who you are signed in as, what your role may see, and the way to change your password."""
    user = request.user
    context = {
        "scope": ROLE_SCOPE.get(user.role, ""),
        "idle_minutes": settings.SESSION_IDLE_MINUTES,
        "second_steps": list(second_steps(user).order_by("created_at")),
        "demo_exempt": demo_exempt(user),
        "panels": [found for panel in ACCOUNT_PANELS if (found := panel(request))],
    }
    return render(request, "accounts/account.html", context)


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's form and its checks (settings.AUTH_PASSWORD_VALIDATORS), with our labels and help."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Your current password"
        rules = (
            "At least 12 characters, not only digits, not a commonly used password, not a keyboard pattern or "
            "a repeat, and not your own name."
        )
        self.fields["new_password1"].help_text = rules
        self.fields["new_password2"].label = "The new password again"
        self.fields["new_password2"].help_text = ""


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's own password change (old password, new one twice, the password rules), recorded in the trail."""

    template_name = "accounts/password_change.html"
    form_class = PasswordChangeForm
    success_url = reverse_lazy("accounts:account")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit_log(actor=self.request.user, action="password_change", obj=self.request.user)
        messages.success(self.request, "Your password is changed. Other places you were signed in are signed out.")
        return response
