from django.contrib import admin

from liaison.core.forms import PlainTextAdmin
from liaison.core.models import Clinic


@admin.register(Clinic)
class ClinicAdmin(PlainTextAdmin):
    list_display = ("name", "phone", "email")

    def has_add_permission(self, request):
        return not Clinic.objects.exists()
