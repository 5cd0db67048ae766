from django.urls import path

from liaison.directory import views

app_name = "directory"

urlpatterns = [
    path("referrers/", views.referrers, name="referrers"),
]
