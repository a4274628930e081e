from django.urls import path

from tickets import exports, outages, views

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
        "tickets/<int:ticket_id>/canned/<int:canned_id>/",
        views.canned_insert,
        name="canned_insert",
    ),
    path("tickets/<int:ticket_id>/outages/", views.outage_add, name="outage_add"),
    path(
        "tickets/<int:ticket_id>/outages/<int:outage_id>/end/",
        views.outage_close,
        name="outage_close",
    ),
    path(
        "tickets/<int:ticket_id>/outages/<int:outage_id>/edit/",
        outages.outage_edit,
        name="outage_edit",
    ),
    path(
        "tickets/<int:ticket_id>/outages/<int:outage_id>/delete/",
        outages.outage_remove,
        name="outage_delete",
    ),
    path("tickets/canned/", views.canned_list, name="canned_list"),
    path("tickets/canned/new/", views.canned_edit, name="canned_new"),
    path("tickets/canned/<int:canned_id>/", views.canned_edit, name="canned_edit"),
    path("tickets/sla-policies/", views.sla_policy_list, name="sla_policy_list"),
    path("tickets/sla-policies/new/", views.sla_policy_edit, name="sla_policy_new"),
    path("tickets/sla-policies/<int:policy_id>/", views.sla_policy_edit, name="sla_policy_edit"),
    path(
        "tickets/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment_download",
    ),
]
