from django.apps import AppConfig


class CommsConfig(AppConfig):
    name = "liaison.comms"
    label = "comms"
    verbose_name = "Communications"
