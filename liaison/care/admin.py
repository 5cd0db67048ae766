from django.contrib import admin

from liaison.care.models import CareSettings
from liaison.core.forms import PlainTextAdmin


@admin.register(CareSettings)
class CareSettingsAdmin(PlainTextAdmin):
    list_display = ("__str__", "acute_sessions_planned", "questionnaire_link_hours")

    def has_add_permission(self, request):
        return not CareSettings.objects.exists()
