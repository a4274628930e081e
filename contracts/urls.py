from django.urls import path
from django.views.generic import RedirectView

from contracts import exports, views

urlpatterns = [
    path("contracts/", views.contract_list, name="contract_list"),
    path("contracts/export/", exports.contract_export, name="contract_export"),
    path("contracts/new/", views.contract_create, name="contract_create"),
    # The win-back page moved to onboarding (it shows the win-back meetings, SPEC C6).
    path(
        "contracts/win-back/",
        RedirectView.as_view(pattern_name="win_back", permanent=True),
        name="win_back_old",
    ),
    path("contracts/<int:contract_id>/", views.contract_detail, name="contract_detail"),
    path(
        "contracts/<int:contract_id>/ledger/export/",
        exports.ledger_export,
        name="ledger_export",
    ),
    path(
        "contracts/<int:contract_id>/activate/", views.contract_activate, name="contract_activate"
    ),
    path("contracts/<int:contract_id>/renew/", views.contract_renew, name="contract_renew"),
    path(
        "contracts/<int:contract_id>/cancel/", views.cancellation_record, name="cancellation_record"
    ),
    path("licence-years/<int:licence_year_id>/packs/new/", views.pack_add, name="pack_add"),
    path("ledger/<int:entry_id>/reverse/", views.ledger_reverse, name="ledger_reverse"),
    path("hours/", views.hours, name="hours"),
    path("organisations/<int:organisation_id>/hours/", views.hours, name="organisation_hours"),
    path("terms/", views.terms, name="terms"),
    path("terms/documents/", views.terms_documents, name="terms_documents"),
    path(
        "terms/documents/<int:document_id>/",
        views.terms_document_download,
        name="terms_document_download",
    ),
]
