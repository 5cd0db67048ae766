"""The pages of allauth that Liaison uses, under the names allauth itself looks up: the sign-in and sign-out
(the same views as accounts:login and accounts:logout), asking for the password again before a sensitive change,
and the second step (/accounts/2fa/: authenticator app, recovery codes, passkeys). No sign-up, no email pages:
accounts are made by the practice's administrator."""

from allauth.account import views as allauth_views
from django.contrib.auth import views as auth_views
from django.urls import include, path

from liaison.accounts import views

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="account_login"),
    path("logout/", auth_views.LogoutView.as_view(), name="account_logout"),
    path("reauthenticate/", allauth_views.reauthenticate, name="account_reauthenticate"),
    path("2fa/authenticate/", views.SecondStepView.as_view(), name="mfa_authenticate"),  # with the lockout
    path("2fa/", include("allauth.mfa.urls")),
]
