"""Reference data for intake, in the admin: the practice's screening rules and adequate doses, and
API tokens (revoke with the list's action; new tokens come from `liaison api_token`)."""

from django.contrib import admin

from liaison.accounts.models import ApiToken
from liaison.accounts.tokens import api_token_revoke
from liaison.core.forms import PlainTextAdmin
from liaison.referrals.intake_models import AdequateDose, ScreeningRule


@admin.register(ScreeningRule)
class ScreeningRuleAdmin(PlainTextAdmin):
    list_display = ["title", "key", "category", "effect", "number", "enabled"]
    list_filter = ["category", "effect", "enabled"]
    list_editable = ["number", "enabled"]
    readonly_fields = ["key", "category", "effect"]
    ordering = ["category", "order"]


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
