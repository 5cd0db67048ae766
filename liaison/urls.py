from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from liaison.accounts.views import AdminSignInView

# allauth's own admin pages would change someone's second step or email records with no trace on the audit trail:
# a second step is reset through the Users page's audited action, and Liaison keeps no email records of allauth's.
for model in (Authenticator, EmailAddress):
    if admin.site.is_registered(model):
        admin.site.unregister(model)

admin.site.site_header = "Liaison administration"
admin.site.site_title = "Liaison"

urlpatterns = [
    path("", include("liaison.core.urls")),
    path("accounts/me/notifications/", include("liaison.notify.urls")),
    path("accounts/", include("liaison.accounts.urls")),
    path("accounts/", include("liaison.accounts.allauth_urls")),
    path("referrals/", include("liaison.referrals.urls")),
    path("directory/", include("liaison.crm.referrer_list_urls")),
    path("crm/", include("liaison.crm.urls")),
    path("care/", include("liaison.care.urls")),
    path("", include("liaison.referrals.intake_urls")),
    path("api/v1/", include("liaison.api.urls")),
    path("comms/", include("liaison.comms.urls")),
    path("search/", include("liaison.search.urls")),
    # The admin's sign-in is ours, so that its second step and lockout apply there too.
    path("admin/login/", AdminSignInView.as_view(), name="admin_login"),
    path("admin/", admin.site.urls),
]

# The demo's Sent mail page (what its mail catcher received) exists in demo mode only.
if settings.MODE == "demo":
    urlpatterns.append(path("demo/", include("liaison.demo.urls")))

# A refused request is recorded on the audit trail; 404.html and 500.html are Django's own handlers' templates.
handler403 = "liaison.core.errors.forbidden"
