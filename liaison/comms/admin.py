from django import forms
from django.contrib import admin

from liaison.comms.models import SAFETY_RULE_LOCKED, CommsSettings, Holiday, ProtocolRule
from liaison.core.forms import PlainTextAdmin


class _RuleRowForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.is_safety:
            for name in SAFETY_RULE_LOCKED:
                if name in self.fields:
                    self.fields[name].disabled = True


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

    # The safety letter cannot be turned off, changed in effect or deleted (decisions 0018, 0021): only its wording
    # (the recipient line) can change.
    def get_changelist_form(self, request, **kwargs):
        return super().get_changelist_form(request, form=_RuleRowForm, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, *SAFETY_RULE_LOCKED] if obj is not None and obj.is_safety else fields

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.is_safety

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset.exclude(trigger="safety"))

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
