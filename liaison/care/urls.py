from django.urls import path

from liaison.care import booking_views, link_views, views

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
    path("referrals/<int:pk>/book/", booking_views.booking_new, name="booking_new"),
    path("bookings/<int:pk>/", booking_views.booking_detail, name="booking"),
    path("bookings/<int:pk>/reschedule/", booking_views.booking_reschedule, name="booking_reschedule"),
    path("bookings/<int:pk>/outcome/", booking_views.booking_outcome, name="booking_outcome"),
    path("bookings/<int:pk>/invitation.ics", booking_views.booking_invitation, name="booking_invitation"),
    path("schedule/", booking_views.schedule_page, name="schedule"),
]
