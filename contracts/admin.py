from typing import Any

from django.contrib import admin

from contracts.models import (
    Acceptance,
    CancellationNotice,
    Contract,
    ContractService,
    DeletionRecord,
    HourPack,
    LedgerEntry,
    LicenceYear,
    TermsDocument,
)


class ServiceInline(admin.TabularInline):
    model = ContractService
    extra = 0
    exclude = ("organisation",)


class LicenceYearInline(admin.TabularInline):
    model = LicenceYear
    extra = 0
    exclude = ("organisation",)
    readonly_fields = ("index", "starts_on", "ends_on", "allocation", "lapsed_at")
    can_delete = False


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "organisation",
        "sales_channel",
        "status",
        "starts_on",
        "expires_on",
        "hours_per_year",
    )
    list_filter = ("status", "sales_channel", "platform_version")
    search_fields = ("number", "organisation__name", "purchase_order")
    inlines = [ServiceInline, LicenceYearInline]
    readonly_fields = ("status", "activated_at")


@admin.register(HourPack)
class HourPackAdmin(admin.ModelAdmin):
    list_display = ("licence_year", "hours", "purchase_order", "created_at")
    readonly_fields = ("licence_year", "organisation", "hours", "added_by", "created_at")


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    """Read-only: the ledger changes only through reversing entries (SPEC H9)."""

    list_display = ("occurred_on", "licence_year", "kind", "hours", "description")
    list_filter = ("kind",)
    search_fields = ("description",)

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(TermsDocument)
class TermsDocumentAdmin(admin.ModelAdmin):
    """The file is checked by the model field's validator (a real PDF, SPEC C4)."""

    list_display = ("kind", "version", "published_at")
    readonly_fields = ("uploaded_by",)

    def save_model(self, request: Any, obj: TermsDocument, form: Any, change: bool) -> None:
        if not change:
            obj.uploaded_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Acceptance)
class AcceptanceAdmin(admin.ModelAdmin):
    list_display = ("organisation", "document", "accepted_by", "accepted_at", "ip_address")
    readonly_fields = (
        "organisation",
        "document",
        "accepted_by",
        "accepted_at",
        "ip_address",
        "user_agent",
    )


@admin.register(CancellationNotice)
class CancellationNoticeAdmin(admin.ModelAdmin):
    list_display = ("contract", "notice_on", "outcome", "won_back_on")
    list_filter = ("outcome",)
    readonly_fields = ("outcome_recorded_by", "outcome_recorded_at")


@admin.register(DeletionRecord)
class DeletionRecordAdmin(admin.ModelAdmin):
    list_display = ("organisation_ref", "started_at", "finished_at", "job")
    readonly_fields = (
        "organisation_ref",
        "contract_numbers",
        "counts",
        "started_at",
        "finished_at",
        "job",
    )
