from django.urls import path

from onboarding.siem.projects import views

urlpatterns = [
    path(
        "siem/workshops/<int:workshop_id>/projects/",
        views.project_list,
        name="siem_project_list",
    ),
    path(
        "siem/workshops/<int:workshop_id>/projects/new/",
        views.project_create,
        name="siem_project_create",
    ),
    path("siem/projects/<int:project_id>/", views.project_detail, name="siem_project_detail"),
    path(
        "siem/projects/<int:project_id>/deficiencies/",
        views.deficiency_add,
        name="siem_deficiency_add",
    ),
    path("siem/projects/<int:project_id>/close/", views.project_close, name="siem_project_close"),
    path(
        "siem/deficiencies/<int:deficiency_id>/status/",
        views.deficiency_status,
        name="siem_deficiency_status",
    ),
    path(
        "siem/workshops/<int:workshop_id>/operations/",
        views.operations,
        name="siem_operations",
    ),
    path(
        "siem/workshops/<int:workshop_id>/operations/propose/",
        views.operations_propose,
        name="siem_operations_propose",
    ),
    path(
        "siem/workshops/<int:workshop_id>/operations/new/",
        views.duty_add,
        name="siem_duty_add",
    ),
    path("siem/operations/<int:duty_id>/edit/", views.duty_edit, name="siem_duty_edit"),
    path("siem/operations/<int:duty_id>/step-in/", views.duty_step_in, name="siem_duty_step_in"),
    path("siem/operations/<int:duty_id>/step-out/", views.duty_step_out, name="siem_duty_step_out"),
    path(
        "siem/workshops/<int:workshop_id>/dashboards/",
        views.dashboards,
        name="siem_dashboards",
    ),
]
