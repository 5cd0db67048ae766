from django.urls import path

from liaison.referrals import staff_views, views

app_name = "referrals"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("assign/", views.bulk_assign, name="bulk_assign"),
    path("new/", views.new, name="new"),
    path("new/referrers/", staff_views.referrer_lookup, name="referrer_lookup"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/transition/", views.transition, name="transition"),
    path("<int:pk>/assign/", views.assign, name="assign"),
    path("<int:pk>/note/", views.add_note, name="note"),
]
