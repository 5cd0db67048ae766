from django.contrib import admin

from liaison.core.forms import PlainTextAdmin
from liaison.directory.models import Practice, Referrer, Taxonomy


@admin.register(Taxonomy)
class TaxonomyAdmin(PlainTextAdmin):
    list_display = ("code", "display_name", "classification", "specialization")
    search_fields = ("code", "display_name", "classification", "specialization")


@admin.register(Practice)
class PracticeAdmin(PlainTextAdmin):
    list_display = ("name", "practice_type", "clinician_count", "city", "zip_code")
    list_filter = ("practice_type",)
    search_fields = ("name", "npi", "city", "zip_code")


@admin.register(Referrer)
class ReferrerAdmin(PlainTextAdmin):
    list_display = ("last_name", "first_name", "credential", "npi", "source_type", "practice", "preferred_channel")
    list_filter = ("source_type", "preferred_channel", "shared_care_model")
    search_fields = ("last_name", "first_name", "npi")
    autocomplete_fields = ("taxonomy", "practice")
