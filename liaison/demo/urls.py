"""The demo's own pages, routed in demo mode only (liaison/urls.py)."""

from django.urls import path

from liaison.demo import views

app_name = "demo"

urlpatterns = [
    path("mail/", views.mail_list, name="mail"),
    path("mail/<int:pk>/", views.mail_detail, name="mail_message"),
    path("mail/<int:pk>/html/", views.mail_html, name="mail_html"),
    path("mail/<int:pk>/parts/<int:number>/", views.mail_part, name="mail_part"),
]
