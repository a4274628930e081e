"""CSV / Excel exports of activity requests and statements (issue 14), with the page's filters
and the tenant scope (SPEC T1–T3): ``csm_portal.exports`` does the rest."""

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext_lazy as _

from accounts.roles import PROVIDER_ROLES, Role
from activities import selectors
from activities.models import Statement
from csm_portal import request_scope
from csm_portal.exports import DATE, DATETIME, HOURS, Column, export
from csm_portal.web import role_required

READERS = (*PROVIDER_ROLES, Role.REFERENT)

REQUEST_COLUMNS = (
    Column(_("Number"), lambda r: r.pk),
    Column(_("Activity"), lambda r: r.activity.name),
    Column(_("Customer"), lambda r: r.organisation.name),
    Column(_("Contract"), lambda r: r.contract.number),
    Column(_("Status"), lambda r: r.get_status_display()),
    Column(_("Channel"), lambda r: r.get_channel_display()),
    Column(_("Requested on"), lambda r: r.created_at, DATETIME),
    Column(_("Requested by"), lambda r: r.requested_by.display_name if r.requested_by else ""),
    Column(_("Preferred date"), lambda r: r.preferred_on, DATE),
    Column(_("Scheduled for"), lambda r: r.scheduled_on, DATE),
    Column(_("Minimum hours"), lambda r: r.minimum_hours, HOURS),
    Column(_("Estimated hours"), lambda r: r.estimate_hours, HOURS),
    Column(_("Charged"), lambda r: r.charged_total, HOURS),
    Column(_("Details"), lambda r: r.details),
)

STATEMENT_COLUMNS = (
    Column(_("Statement"), lambda s: s.number),
    Column(_("Customer"), lambda s: s.organisation.name),
    Column(_("Activity"), lambda s: s.request.activity.name),
    Column(_("Issued"), lambda s: s.issued_at, DATETIME),
    Column(_("Hours charged"), lambda s: s.hours_charged, HOURS),
    Column(_("Remaining balance"), lambda s: s.remaining_after, HOURS),
    Column(_("E-mailed to"), lambda s: s.emailed_to),
)


@role_required(*READERS)
def request_export(request: HttpRequest) -> HttpResponseBase:
    """The activity requests with the page's filters (``q``, ``status``, the referent's
    ``scope``)."""
    mine = request.user if request_scope.chosen(request) == request_scope.MINE else None
    requests = selectors.with_charged(
        selectors.request_list(
            search=request.GET.get("q", "").strip(),
            status=request.GET.get("status", ""),
            requested_by=mine,
        )
    )
    return export(request, rows=requests, columns=REQUEST_COLUMNS, name="activity-requests")


@role_required(*READERS)
def statement_export(request: HttpRequest) -> HttpResponseBase:
    """The statements in scope, newest first; ``?organisation=<id>`` keeps one customer's (the
    hours page's button)."""
    statements = Statement.objects.select_related("organisation", "request__activity").order_by(
        "-issued_at", "-pk"
    )
    organisation = request.GET.get("organisation", "")
    if organisation.isdigit():
        statements = statements.filter(organisation_id=int(organisation))
    return export(request, rows=statements, columns=STATEMENT_COLUMNS, name="statements")
