from django.urls import path

from onboarding.siem.charter import views

urlpatterns = [
    path("siem/workshops/<int:workshop_id>/retention/", views.retention, name="siem_retention"),
    path("siem/decisions/<int:decision_id>/", views.decision_detail, name="siem_decision_detail"),
    path("siem/workshops/<int:workshop_id>/purpose/", views.purpose, name="siem_purpose"),
    path("siem/workshops/<int:workshop_id>/charter/", views.charter, name="siem_charter"),
    path(
        "siem/workshops/<int:workshop_id>/publish/sizing-sheet/",
        views.publish_sizing_sheet,
        name="siem_publish_sizing_sheet",
    ),
    path(
        "siem/workshops/<int:workshop_id>/publish/charter/",
        views.publish_charter,
        name="siem_publish_charter",
    ),
]
