from django.urls import path

from liaison.referrals import intake_views, message_views, portal_views, review_views

app_name = "intake"

urlpatterns = [
    path("refer/", intake_views.refer, name="refer"),
    path("refer/self/", intake_views.self_refer, name="self_refer"),
    path("refer/sent/<str:token>/", intake_views.sent, name="sent"),
    path("refer/icd10/", intake_views.icd10_options, name="icd10"),
    path("portal/", intake_views.portal, name="portal"),
    path("portal/<int:pk>/", portal_views.portal_detail, name="portal_detail"),
    path("referrals/<int:pk>/attachments/<int:attachment_id>/", intake_views.attachment, name="attachment"),
    path("referrals/<int:pk>/duplicates/<int:flag_id>/", intake_views.duplicate_decide, name="duplicate"),
    path("referrals/<int:pk>/safety-review/", review_views.safety_review, name="safety_review"),
    path("referrals/<int:pk>/messages/", message_views.message_send, name="message"),
    path("referrals/<int:pk>/messages/read/", message_views.replies_read, name="replies_read"),
]
