from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from liaison.accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "is_active")
    list_filter = ("role", "is_active")
    fieldsets = BaseUserAdmin.fieldsets + (("Liaison", {"fields": ("role", "referrer", "practice", "lead")}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + (("Liaison", {"fields": ("role", "referrer", "practice")}),)
    autocomplete_fields = ("referrer", "practice", "lead")
