from django.urls import path

from liaison.notify import views

app_name = "notify"

urlpatterns = [
    path("", views.preferences, name="preferences"),
]
