from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "liaison.crm"
    label = "crm"
    verbose_name = "Referrer relationships"
