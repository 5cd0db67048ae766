from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "liaison.core"
    label = "core"
    verbose_name = "Core"

    def ready(self):
        # The role table lives in an app above core (liaison/accounts/access.py); importing it hands it to
        # core.permissions, the way the admin finds each app's admin.py.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("access")
