from django.urls import path

from liaison.crm import contact_views, target_views, task_views, views

app_name = "crm"

urlpatterns = [
    path("", task_views.tasks, name="tasks"),
    path("tasks/bulk/", task_views.tasks_bulk, name="tasks_bulk"),
    path("targets/", target_views.targets, name="targets"),
    path("targets/save/", target_views.targets_save, name="targets_save"),
    path("targets/export.csv", target_views.targets_export, name="targets_export"),
    path("targets/import/", target_views.targets_import, name="targets_import"),
    path("lists/<int:pk>/", target_views.saved_list, name="saved_list"),
    path("referrers/<int:pk>/", views.referrer, name="referrer"),
    path("referrers/<int:pk>/draft/", views.draft, name="draft"),
    path("referrers/<int:pk>/contact/", contact_views.referrer_contact, name="referrer_contact"),
    path("practices/<int:pk>/", views.practice, name="practice"),
    path("meetings/<int:pk>/", views.meeting, name="meeting"),
    path("meetings/<int:pk>/invite.ics", views.meeting_invite, name="meeting_invite"),
    path("tasks/<int:pk>/done/", views.task_done, name="task_done"),
    path("network/", views.network, name="network"),
]
