from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "liaison.crm"
    label = "crm"
    verbose_name = "Referrer relationships"

    def ready(self):
        from liaison.crm import signals  # noqa: F401  (connects the distance upkeep)
