"""CSV / Excel exports of the contracts list and of a contract's hours ledger (issue 14), with the
page's filters and the tenant scope (SPEC T1–T3): ``csm_portal.exports`` does the rest."""

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import PROVIDER_ROLES, Role
from contracts import selectors
from contracts.models import LedgerEntry
from csm_portal.exports import DATE, DATETIME, HOURS, Column, export
from csm_portal.web import role_required


def _current(contract, attribute: str):
    year = contract.current_years[0] if contract.current_years else None
    if year is None:
        return None
    return getattr(selectors.balance_of(year), attribute)


CONTRACT_COLUMNS = (
    Column(_("Contract"), lambda c: c.number),
    Column(_("Customer"), lambda c: c.organisation.name),
    Column(_("Status"), lambda c: c.get_status_display()),
    Column(_("Sales channel"), lambda c: c.get_sales_channel_display()),
    Column(_("Purchase order"), lambda c: c.purchase_order),
    Column(_("Signed on"), lambda c: c.signed_on, DATE),
    Column(_("Activation date"), lambda c: c.starts_on, DATE),
    Column(_("Expiry date"), lambda c: c.expires_on, DATE),
    Column(_("CSM hours per licence year"), lambda c: c.hours_per_year, HOURS),
    Column(_("Hours charged this year"), lambda c: _current(c, "charged"), HOURS),
    Column(_("Remaining this year"), lambda c: _current(c, "remaining"), HOURS),
    Column(_("Assigned CSTM"), lambda c: c.cstm.display_name if c.cstm else ""),
)

LEDGER_COLUMNS = (
    Column(_("Date"), lambda e: e.occurred_on, DATE),
    Column(_("Licence year"), lambda e: e.licence_year.index),
    Column(_("Kind"), lambda e: e.get_kind_display()),
    Column(_("Activity"), lambda e: e.description),
    Column(_("How it was computed"), lambda e: e.explanation),
    Column(_("Hours"), lambda e: e.hours, HOURS),
    Column(_("Recorded"), lambda e: e.created_at, DATETIME),
    Column(_("Recorded by"), lambda e: e.created_by.display_name if e.created_by else ""),
)


@role_required(*PROVIDER_ROLES)
def contract_export(request: HttpRequest) -> HttpResponseBase:
    """The contracts list with the page's filters (``q``, ``status``)."""
    contracts = selectors.contract_list(
        search=request.GET.get("q", "").strip(),
        status=request.GET.get("status", ""),
        today=timezone.localdate(),
    )
    return export(request, rows=contracts, columns=CONTRACT_COLUMNS, name="contracts")


@role_required(*PROVIDER_ROLES, Role.REFERENT)
def ledger_export(request: HttpRequest, contract_id: int) -> HttpResponseBase:
    """A contract's hours ledger (SPEC H9, H10), every licence year or the one of ``?year=``
    (its index). Another organisation's contract is a 404, as on the pages."""
    contract = selectors.contract_get(contract_id=contract_id)
    entries = (
        LedgerEntry.objects.filter(licence_year__contract=contract)
        .select_related("licence_year", "created_by")
        .order_by("-occurred_on", "-pk")
    )
    year = request.GET.get("year", "")
    if year.isdigit():
        entries = entries.filter(licence_year__index=int(year))
    return export(request, rows=entries, columns=LEDGER_COLUMNS, name=f"ledger-{contract.number}")
