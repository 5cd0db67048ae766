from django.contrib import admin

from liaison.comms.models import CommsSettings, Holiday, ProtocolRule
from liaison.core.forms import PlainTextAdmin


@admin.register(ProtocolRule)
class ProtocolRuleAdmin(PlainTextAdmin):
    """The communication protocol, editable by an administrator (Reference data → Communications)."""

    list_display = (
        "shared_care_model",
        "trigger",
        "letter_type",
        "owner_role",
        "deadline_kind",
        "deadline_hours",
        "every_n_sessions",
        "business_hours",
        "active",
    )
    list_filter = ("shared_care_model", "active")
    list_editable = ("deadline_hours", "every_n_sessions", "business_hours", "active")

    def save_model(self, request, obj, form, change):
        from liaison.comms.services import protocol_rule_save

        protocol_rule_save(rule=obj, by=request.user)


@admin.register(CommsSettings)
class CommsSettingsAdmin(PlainTextAdmin):
    """One row: CommsSettings.current() reads the first, so a second would be silently ignored."""

    list_display = ("__str__", "fax_gateway_domain", "from_email", "escalate_after_hours")

    def has_add_permission(self, request):
        return not CommsSettings.objects.exists()


@admin.register(Holiday)
class HolidayAdmin(PlainTextAdmin):
    list_display = ("date", "name")
