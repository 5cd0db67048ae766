from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "liaison.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from liaison.accounts import checks, signals  # noqa: F401 (checks registers itself)

        signals.connect()
