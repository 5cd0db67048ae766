from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group

from liaison.accounts import lockout, services
from liaison.accounts.models import User
from liaison.accounts.services import sign_in_unlock, user_mfa_reset


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "is_active", "sign_in_locked")
    list_filter = ("role", "is_active")
    fieldsets = BaseUserAdmin.fieldsets + (("Liaison", {"fields": ("role", "referrer", "practice", "lead")}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + (("Liaison", {"fields": ("role", "referrer", "practice")}),)
    autocomplete_fields = ("referrer", "practice", "lead")
    actions = ("reset_mfa", "unlock_sign_in")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(sign_in_failures=lockout.failures_of("username"))

    def has_delete_permission(self, request, obj=None):
        """Nobody is deleted: the trail names them. Someone who leaves is made inactive (user_deactivate, audited)."""
        return False

    @admin.display(boolean=True, description="Sign-in locked")
    def sign_in_locked(self, user) -> bool:
        return lockout.locked_account(user.sign_in_failures)

    def save_model(self, request, obj, form, change):
        """Role and flags go through the audited services; the rest of the form is saved as usual."""
        if not change:
            services.user_create(user=obj, by=request.user)
            return
        services.user_role_change(user=obj, role=obj.role, by=request.user)
        services.user_flags_change(user=obj, by=request.user, **{flag: getattr(obj, flag) for flag in services.FLAGS})
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        """Groups and permissions through the audited services, not the form's own many-to-many save."""
        groups = form.cleaned_data.pop("groups", None)
        permissions = form.cleaned_data.pop("user_permissions", None)
        super().save_related(request, form, formsets, change)
        if groups is not None:
            services.user_groups_change(user=form.instance, groups=groups, by=request.user)
        if permissions is not None:
            services.user_permissions_change(user=form.instance, permissions=permissions, by=request.user)

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


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin):
    """A group's permissions are its members' permissions: they change through an audited service."""

    def save_related(self, request, form, formsets, change):
        permissions = form.cleaned_data.pop("permissions", None)
        super().save_related(request, form, formsets, change)
        if permissions is not None:
            services.group_permissions_change(group=form.instance, permissions=permissions, by=request.user)


def _names(users) -> str:
    return ", ".join(user.get_username() for user in users)


@admin.register(AccessAttempt)
class FailedSignInAdmin(admin.ModelAdmin):
    """Failed sign-ins that still count towards a lockout (axes keeps them; a cool-off or an unlock clears them).
    Read-only: lifting a lock goes through `sign_in_unlock`, which is audited."""

    list_display = (
        "username",
        "ip_address",
        "failures_since_start",
        "attempt_time",
        "account_locked",
        "address_locked",
    )
    search_fields = ("username", "ip_address")
    fields = ("username", "ip_address", "user_agent", "path_info", "failures_since_start", "attempt_time")
    readonly_fields = fields
    actions = ("unlock",)

    def get_queryset(self, request):
        """Each row with its account's and its address's counting failures (liaison.accounts.lockout)."""
        return (
            super()
            .get_queryset(request)
            .annotate(
                account_failures=lockout.failures_of("username"), address_failures=lockout.failures_of("ip_address")
            )
        )

    @admin.display(boolean=True, description="Account locked")
    def account_locked(self, attempt) -> bool:
        return bool(attempt.username) and lockout.locked_account(attempt.account_failures)

    @admin.display(boolean=True, description="Address locked")
    def address_locked(self, attempt) -> bool:
        return lockout.locked_address(attempt.address_failures)

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
