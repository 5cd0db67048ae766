"""Enrolment at first sign-in: a signed-in account that must have a second step and has none is sent to set
one up before it reaches any other page."""

from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse

from liaison.accounts.mfa import mfa_required_for, second_steps

# The pages a person without a second step may still open: setting one up, and signing out.
ENROLMENT_PAGES = frozenset(
    {
        "mfa_index",
        "mfa_activate_totp",
        "mfa_add_webauthn",
        "mfa_list_webauthn",
        "mfa_view_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_download_recovery_codes",
        "account_reauthenticate",
        "account_logout",
        "accounts:logout",
    }
)
NOTICE = "Before you go on, set up a second sign-in step: an authenticator app on your phone, or a passkey."


class MFARequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        """Other pages send the person to enrolment; the enrolment pages show the notice once, at the top (base.html
        reads `request.second_step_notice`), however many pages sent them there."""
        user = request.user
        if mfa_required_for(user) and not second_steps(user).exists():
            if _enrolment_page(request.path_info):
                request.second_step_notice = NOTICE
            elif getattr(request, "htmx", False):  # a fragment request: send the whole page there
                return HttpResponse(status=204, headers={"HX-Redirect": reverse("mfa_index")})
            else:
                return redirect("mfa_index")
        return self.get_response(request)


def _enrolment_page(path: str) -> bool:
    try:
        return resolve(path).view_name in ENROLMENT_PAGES
    except Resolver404:
        return False
