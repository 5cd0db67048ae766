"""Reference data for intake, in the admin: the practice's screening rules and adequate doses, and
API tokens (revoke by setting "revoked at"; new tokens come from `liaison api_token`)."""

from django.contrib import admin

from liaison.accounts.models import ApiToken
from liaison.referrals.intake_models import AdequateDose, ScreeningRule


@admin.register(ScreeningRule)
class ScreeningRuleAdmin(admin.ModelAdmin):
    list_display = ["title", "key", "category", "effect", "number", "enabled"]
    list_filter = ["category", "effect", "enabled"]
    list_editable = ["number", "enabled"]
    readonly_fields = ["key", "category", "effect"]
    ordering = ["category", "order"]


@admin.register(AdequateDose)
class AdequateDoseAdmin(admin.ModelAdmin):
    list_display = ["drug", "min_daily_mg", "also_known_as"]
    search_fields = ["drug", "also_known_as"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "name", "prefix", "token_hash", "created_at", "last_used_at"]
    fields = [*readonly_fields, "revoked_at"]

    def has_add_permission(self, request):
        return False
