from django.urls import path

from tickets import exports, views

urlpatterns = [
    path("tickets/", views.ticket_list, name="ticket_list"),
    path("tickets/export/", exports.ticket_export, name="ticket_export"),
    path("tickets/kpi/", views.kpi_page, name="ticket_kpi"),
    path("tickets/new/", views.ticket_new, name="ticket_new"),
    path("tickets/triage/", views.triage, name="triage"),
    path("tickets/triage/<int:inbound_id>/", views.triage_item, name="triage_item"),
    path("tickets/<int:ticket_id>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:ticket_id>/update/", views.ticket_update, name="ticket_update"),
    path(
        "tickets/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment_download",
    ),
]
