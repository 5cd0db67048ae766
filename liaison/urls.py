from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Liaison administration"
admin.site.site_title = "Liaison"

urlpatterns = [
    path("", include("liaison.core.urls")),
    path("accounts/", include("liaison.accounts.urls")),
    path("referrals/", include("liaison.referrals.urls")),
    path("directory/", include("liaison.directory.urls")),
    path("crm/", include("liaison.crm.urls")),
    path("care/", include("liaison.care.urls")),
    path("", include("liaison.referrals.intake_urls")),
    path("api/v1/", include("liaison.api.urls")),
    path("comms/", include("liaison.comms.urls")),
    path("admin/", admin.site.urls),
]
