"""CSV / Excel export of the tickets list (issue 14), with the page's filters and the tenant
scope (SPEC T1–T3; an end user their own tickets): ``csm_portal.exports`` does the rest."""

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext_lazy as _

from accounts.roles import PROVIDER_ROLES, Role
from csm_portal import request_scope
from csm_portal.exports import DATETIME, Column, export
from csm_portal.web import role_required
from tickets import portal, selectors

EVERYONE = (*PROVIDER_ROLES, Role.REFERENT, Role.END_USER)

TICKET_COLUMNS = (
    Column(_("Number"), lambda t: t.number),
    Column(_("Subject"), lambda t: t.subject),
    Column(_("Customer"), lambda t: t.organisation.name),
    Column(_("Requester"), lambda t: t.requester_email),
    Column(_("Type"), lambda t: t.get_type_display()),
    Column(_("Category"), lambda t: t.get_category_display()),
    Column(_("Priority"), lambda t: t.get_priority_display()),
    Column(_("Level"), lambda t: t.level),
    Column(_("Status"), lambda t: t.get_status_display()),
    Column(_("Owner"), lambda t: t.owner.display_name if t.owner else ""),
    Column(_("Opened"), lambda t: t.created_at, DATETIME),
    Column(_("First response due"), lambda t: t.first_response_due, DATETIME),
    Column(_("First response"), lambda t: t.first_response_at, DATETIME),
    Column(_("Resolution due"), lambda t: t.resolution_due, DATETIME),
    Column(_("Resolved"), lambda t: t.resolved_at, DATETIME),
)


@role_required(*EVERYONE)
def ticket_export(request: HttpRequest) -> HttpResponseBase:
    """The tickets with the page's filters (``q``, ``status``, ``level``, ``mine``, the
    referent's ``scope``)."""
    tickets = selectors.ticket_list(
        tenancy=request.tenancy,
        user=request.user,
        search=request.GET.get("q", "").strip(),
        status=request.GET.get("status", selectors.ACTIVE),
        level=request.GET.get("level", ""),
        mine=request.GET.get("mine") == "1",
    )
    scope = request_scope.chosen(request)  # issue 14: the referent's mine / organisation's
    tickets = portal.requests_in_scope(tickets, user=request.user, scope=scope)
    return export(request, rows=tickets, columns=TICKET_COLUMNS, name="tickets")
