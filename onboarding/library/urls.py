from django.urls import path

from onboarding.library import views

urlpatterns = [
    path("meetings/", views.meeting_list, name="meeting_list"),
    path("meetings/new/", views.meeting_create, name="meeting_create"),
    path("meetings/<int:meeting_id>/", views.meeting_detail, name="meeting_detail"),
    path("meetings/<int:meeting_id>/edit/", views.meeting_edit, name="meeting_edit"),
    path("meetings/<int:meeting_id>/minutes/", views.meeting_minutes, name="meeting_minutes"),
    path("library/", views.deliverable_list, name="deliverable_list"),
    path("library/upload/", views.deliverable_upload, name="deliverable_upload"),
    path("library/<int:deliverable_id>/", views.deliverable_detail, name="deliverable_detail"),
    path(
        "library/<int:deliverable_id>/download/",
        views.deliverable_download,
        name="deliverable_download",
    ),
    path(
        "library/provider/upload/",
        views.provider_document_upload,
        name="provider_document_upload",
    ),
    path(
        "library/provider/<int:provider_document_id>/",
        views.provider_document_detail,
        name="provider_document_detail",
    ),
    path(
        "library/provider/<int:provider_document_id>/download/",
        views.provider_document_download,
        name="provider_document_download",
    ),
]
