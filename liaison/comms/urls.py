from django.urls import path

from liaison.comms import outbox_views, queue_bulk, views

app_name = "comms"

urlpatterns = [
    path("", views.work_queue, name="queue"),
    path("draft-selected/", queue_bulk.draft_selected, name="draft_selected"),
    path("sla/", views.sla, name="sla"),
    path("referrals/<int:pk>/owed/", views.owed, name="owed"),
    path("due/<int:pk>/letter/", views.due_letter, name="due_letter"),
    path("letters/<int:pk>/", views.letter_detail, name="letter"),
    path("letters/<int:pk>/preview/", views.letter_preview, name="letter_preview"),
    path("letters/<int:pk>/pdf/", views.letter_pdf, name="letter_pdf"),
    path("letters/<int:pk>/approve/", views.letter_approve, name="letter_approve"),
    path("outbox/", outbox_views.outbox, name="outbox"),
    path("outbox/send-again/", outbox_views.outbox_send_again, name="outbox_send_again"),
    path("outbox/<int:pk>/retry/", views.outbox_retry, name="outbox_retry"),
]
