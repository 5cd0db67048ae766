"""The directory's page, under its own address and URL namespace (`directory:referrers`); the view is the CRM's
because it shows referral counts (liaison/crm/referrer_list.py)."""

from django.urls import path

from liaison.crm import referrer_list

app_name = "directory"

urlpatterns = [
    path("referrers/", referrer_list.referrers, name="referrers"),
]
