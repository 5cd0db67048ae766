from django.urls import path

from liaison.care import link_views, views

app_name = "care"

urlpatterns = [
    path("referrals/<int:pk>/sessions/new/", views.session_new, name="session_new"),
    path("referrals/<int:pk>/scores/new/", views.score_new, name="score_new"),
    path("referrals/<int:pk>/questionnaire-link/", views.link_create, name="link_create"),
    path("referrals/<int:pk>/questionnaire-link/send/", link_views.link_send, name="link_send"),
    path("alerts/", views.alerts_page, name="alerts"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("referrals/<int:pk>/item9/", views.item9_record, name="item9_record"),
    path("outcomes/", views.outcomes_page, name="outcomes"),
    path("q/<str:token>/", views.questionnaire, name="questionnaire"),
]
