from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from liaison.accounts.models import User
from liaison.accounts.services import sign_in_unlock, user_mfa_reset


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "is_active")
    list_filter = ("role", "is_active")
    fieldsets = BaseUserAdmin.fieldsets + (("Liaison", {"fields": ("role", "referrer", "practice", "lead")}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + (("Liaison", {"fields": ("role", "referrer", "practice")}),)
    autocomplete_fields = ("referrer", "practice", "lead")
    actions = ("reset_mfa", "unlock_sign_in")

    @admin.action(description="Reset the second sign-in step (they set it up again at next sign-in)")
    def reset_mfa(self, request, queryset):
        for user in queryset:
            user_mfa_reset(user=user, by=request.user)
        self.message_user(request, f"Second step reset for {_names(queryset)}.", messages.SUCCESS)

    @admin.action(description="Unlock sign-in after too many wrong passwords")
    def unlock_sign_in(self, request, queryset):
        for user in queryset:
            sign_in_unlock(username=user.get_username(), by=request.user)
        self.message_user(request, f"Sign-in unlocked for {_names(queryset)}.", messages.SUCCESS)


def _names(users) -> str:
    return ", ".join(user.get_username() for user in users)


@admin.register(AccessAttempt)
class FailedSignInAdmin(admin.ModelAdmin):
    """Failed sign-ins that still count towards a lockout (axes keeps them; a cool-off or an unlock clears them).
    Read-only: lifting a lock goes through `sign_in_unlock`, which is audited."""

    list_display = ("username", "ip_address", "failures_since_start", "attempt_time", "locked")
    search_fields = ("username", "ip_address")
    fields = ("username", "ip_address", "user_agent", "path_info", "failures_since_start", "attempt_time")
    readonly_fields = fields
    actions = ("unlock",)

    @admin.display(boolean=True, description="Counts to a lock")
    def locked(self, attempt) -> bool:
        return attempt.failures_since_start >= settings.AXES_FAILURE_LIMIT

    @admin.action(description="Unlock these accounts and addresses")
    def unlock(self, request, queryset):
        pairs = set(queryset.values_list("username", "ip_address"))
        for username, ip_address in pairs:
            sign_in_unlock(username=username or "", ip_address=ip_address or "", by=request.user)
        self.message_user(request, f"Unlocked {len(pairs)} account/address pairs.", messages.SUCCESS)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
