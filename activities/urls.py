from django.urls import path

from activities import exports, views

urlpatterns = [
    path("activities/catalogue/", views.catalogue, name="catalogue"),
    path("activities/catalogue/new/", views.activity_edit, name="activity_create"),
    path("activities/catalogue/<int:activity_id>/edit/", views.activity_edit, name="activity_edit"),
    path("activities/", views.request_list, name="activity_request_list"),
    path("activities/export/", exports.request_export, name="activity_request_export"),
    path("statements/export/", exports.statement_export, name="statement_export"),
    path("activities/new/", views.request_create, name="activity_request_create"),
    path("activities/<int:request_id>/", views.request_detail, name="activity_request_detail"),
    path(
        "activities/<int:request_id>/do/<slug:transition>/",
        views.request_transition,
        name="activity_request_transition",
    ),
    path(
        "activities/<int:request_id>/schedule/",
        views.request_schedule,
        name="activity_request_schedule",
    ),
    path("activities/<int:request_id>/estimate/", views.estimate_record, name="estimate_record"),
    path(
        "activities/<int:request_id>/overdraft/",
        views.overdraft_approve,
        name="overdraft_approve",
    ),
    path("activities/<int:request_id>/log/", views.work_log, name="work_log"),
    path("activities/<int:request_id>/log/preview/", views.work_preview, name="work_preview"),
    path(
        "statements/<int:statement_id>/pdf/",
        views.statement_download,
        name="statement_download",
    ),
]
