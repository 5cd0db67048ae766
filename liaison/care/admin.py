from django.contrib import admin

from liaison.care.models import CareSettings


@admin.register(CareSettings)
class CareSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "acute_sessions_planned", "questionnaire_link_hours")

    def has_add_permission(self, request):
        return not CareSettings.objects.exists()
