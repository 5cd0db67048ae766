"""Reference data for intake, in the admin: the practice's screening rules and adequate doses, and
API tokens (revoke with the list's action; new tokens come from `liaison api_token`)."""

from django import forms
from django.contrib import admin

from liaison.accounts.models import ApiToken
from liaison.accounts.tokens import api_token_revoke
from liaison.core.forms import PlainTextAdmin
from liaison.referrals.intake_models import AdequateDose, ScreeningRule
from liaison.referrals.safety import SAFETY_CRITICAL


class _RuleRowForm(forms.ModelForm):
    """A row of the rules list: a safety-critical rule's "enabled" cannot be unticked nor its number set (both are
    shown, disabled)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("enabled", "number"):  # the number of a safety-critical rule stays empty (migration 0010)
            if self.instance.is_safety_critical and name in self.fields:
                self.fields[name].disabled = True
                self.fields[name].help_text = SAFETY_CRITICAL_HELP


SAFETY_CRITICAL_HELP = "A safety-critical rule: its words can be edited, but it cannot be turned off."


@admin.register(ScreeningRule)
class ScreeningRuleAdmin(PlainTextAdmin):
    """Item 9, current ideation and a recent attempt are safety-critical (referrals.safety): the practice edits
    their words only. The database refuses them off (a constraint) and screening ignores a row that says so."""

    list_display = ["title", "key", "category", "effect", "number", "enabled"]
    list_filter = ["category", "effect", "enabled"]
    list_editable = ["number", "enabled"]
    readonly_fields = ["key", "category", "effect"]
    ordering = ["category", "order"]

    def get_changelist_form(self, request, **kwargs):
        return super().get_changelist_form(request, form=_RuleRowForm, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "enabled", "number"] if obj is not None and obj.is_safety_critical else fields

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.is_safety_critical

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset.exclude(key__in=SAFETY_CRITICAL))


@admin.register(AdequateDose)
class AdequateDoseAdmin(PlainTextAdmin):
    list_display = ["drug", "min_daily_mg", "also_known_as"]
    search_fields = ["drug", "also_known_as"]


@admin.register(ApiToken)
class ApiTokenAdmin(PlainTextAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "name", "prefix", "token_hash", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke the selected tokens (they stop working at once)")
    def revoke(self, request, queryset):
        """Through the service, so that each revocation is in the audit trail."""
        live = list(queryset.filter(revoked_at__isnull=True))
        for token in live:
            api_token_revoke(token=token, by=request.user)
        self.message_user(request, f"Revoked {len(live)} token(s).")
