from django import forms
from django.contrib import admin

from liaison.core.forms import ModelForm, PlainTextAdmin
from liaison.crm import geo, services
from liaison.crm.models import ClinicLocation, OutreachTemplate


class ClinicLocationForm(ModelForm):
    class Meta:
        model = ClinicLocation
        fields = ["name", "zip_code", "is_active"]

    def clean_zip_code(self):
        zip_code = self.cleaned_data["zip_code"]
        if not geo.is_known_zip(zip_code):
            raise forms.ValidationError(f"{zip_code} is not a US ZIP code we know.")
        return zip_code


@admin.register(ClinicLocation)
class ClinicLocationAdmin(PlainTextAdmin):
    """Saving or removing a site measures every distance again (services.clinic_location_save / _delete)."""

    form = ClinicLocationForm
    list_display = ["name", "zip_code", "is_active"]

    def save_model(self, request, obj, form, change):
        services.clinic_location_save(location=obj, by=request.user)

    def delete_model(self, request, obj):
        services.clinic_locations_delete(locations=[obj], by=request.user)

    def delete_queryset(self, request, queryset):
        services.clinic_locations_delete(locations=queryset, by=request.user)


@admin.register(OutreachTemplate)
class OutreachTemplateAdmin(PlainTextAdmin):
    list_display = ["name", "strategy", "is_active"]
    list_filter = ["strategy", "is_active"]
