"""The sign-in form: allauth's, with the username field named `username` as Django's own sign-in names it
(bookmarked scripts, the benchmark and password managers keep working), and our labels."""

from allauth.account.forms import LoginForm


class SignInForm(LoginForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields.pop("login")
        username.label = "Username"
        username.widget.attrs.pop("placeholder", None)
        username.widget.attrs["autofocus"] = True
        self.fields["password"].label = "Password"
        self.fields["password"].help_text = ""
        self.fields["password"].widget.attrs.pop("placeholder", None)
        self.fields = {"username": username, **self.fields}

    def clean(self):
        if "username" in self.cleaned_data:
            self.cleaned_data["login"] = self.cleaned_data["username"].strip()
        return super().clean()
