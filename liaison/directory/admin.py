from django.contrib import admin

from liaison.core.admin_delete import CountsOnlyOnDelete
from liaison.core.forms import PlainTextAdmin
from liaison.directory.models import Practice, Referrer, Taxonomy


@admin.register(Taxonomy)
class TaxonomyAdmin(PlainTextAdmin):
    list_display = ("code", "display_name", "classification", "specialization")
    search_fields = ("code", "display_name", "classification", "specialization")


@admin.register(Practice)
class PracticeAdmin(CountsOnlyOnDelete, PlainTextAdmin):
    list_display = ("name", "practice_type", "clinician_count", "city", "zip_code")
    list_filter = ("practice_type",)
    search_fields = ("name", "npi", "city", "zip_code")
    # Set on the CRM practice page (directory.services.practice_shared_care_set), which records each change.
    readonly_fields = ("shared_care_model",)


@admin.register(Referrer)
class ReferrerAdmin(CountsOnlyOnDelete, PlainTextAdmin):
    list_display = ("last_name", "first_name", "credential", "npi", "source_type", "practice", "preferred_channel")
    list_filter = ("source_type", "preferred_channel", "shared_care_model")
    search_fields = ("last_name", "first_name", "npi")
    autocomplete_fields = ("taxonomy", "practice")
    # Set on the CRM relationship page (directory.services), which records each change so that the protocol
    # applies it from then on: an edit here would apply it to the past too.
    readonly_fields = ("shared_care_model", "shared_care_own", "shared_care_changed_at")
