from django.contrib import admin

from liaison.crm import services
from liaison.crm.models import ClinicLocation, OutreachTemplate


@admin.register(ClinicLocation)
class ClinicLocationAdmin(admin.ModelAdmin):
    list_display = ["name", "zip_code", "is_active"]

    def save_model(self, request, obj, form, change):
        services.clinic_location_save(location=obj, by=request.user)

    def delete_model(self, request, obj):
        from liaison.crm import geo

        super().delete_model(request, obj)
        geo.distances_rebuild()


@admin.register(OutreachTemplate)
class OutreachTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "strategy", "is_active"]
    list_filter = ["strategy", "is_active"]
