from django.urls import path

from onboarding.siem import views

urlpatterns = [
    path("siem/", views.workshop_list, name="siem_workshop_list"),
    path("siem/new/", views.workshop_create, name="siem_workshop_create"),
    path("siem/catalogue/", views.catalogue, name="siem_catalogue"),
    path("siem/catalogue/new/", views.log_source_type_edit, name="siem_log_source_type_create"),
    path(
        "siem/catalogue/<int:log_source_type_id>/",
        views.log_source_type_edit,
        name="siem_log_source_type_edit",
    ),
    path("siem/pricing/", views.pricing_edit, name="siem_pricing"),
    path("siem/<int:workshop_id>/", views.workshop_hub, name="siem_workshop_hub"),
    path("siem/<int:workshop_id>/sizing/", views.workshop_sizing, name="siem_workshop_sizing"),
    path(
        "siem/<int:workshop_id>/sizing/calculate/",
        views.workshop_calculate,
        name="siem_workshop_calculate",
    ),
    path(
        "siem/<int:workshop_id>/meetings/new/",
        views.workshop_meeting_create,
        name="siem_workshop_meeting_create",
    ),
]
