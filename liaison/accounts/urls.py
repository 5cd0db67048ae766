"""Sign-in and sign-out, your account and its password. Sign-in is allauth's (liaison.accounts.views.SignInView),
with its second step; `accounts:login` and `accounts:logout` are the names the rest of Liaison uses."""

from django.urls import path

from liaison.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    path("me/", views.account, name="account"),
    path("me/password/", views.PasswordChangeView.as_view(), name="password_change"),
]
