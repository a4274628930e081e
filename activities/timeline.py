"""What activities tells the customer-360 (issue 14): recent activity requests and statements,
and the touchpoints — requests made, statements e-mailed (SPEC H7), usage warnings (H10)."""

from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _

from activities import selectors
from activities.models import ActivityRequest, RequestCharge, Statement, UsageWarning
from csm_portal.timeline import (
    ACTIVITIES,
    REQUESTS,
    STATEMENTS,
    WARNINGS,
    Touchpoint,
    register_panel,
    register_source,
)

RECENT = 8


HOURS = DecimalField(max_digits=10, decimal_places=2)
ZERO = Value(Decimal("0"), output_field=HOURS)


def _charged() -> Coalesce:
    """Hours charged to a request net of reversals, read through the request's charges (index
    on the charge's request) and each charge's reversal (unique index on ``reverses``): a few
    rows per request, whatever the customer's ledger holds. The same figure as
    ``selectors.with_charged`` (tested): a request's charges are positive entries (SPEC H9),
    each cancelled by at most one reversal, so "its entries and the entries reversing them" is
    each charge plus its reversal."""
    net = (
        RequestCharge.objects.filter(request=OuterRef("pk"))
        .order_by()
        .values("request")
        .annotate(
            total=Coalesce(Sum("entry__hours"), ZERO)
            + Coalesce(Sum("entry__reversed_by__hours"), ZERO)
        )
        .values("total")
    )
    return Coalesce(Subquery(net, output_field=HOURS), ZERO)


def _activities_panel(*, organisation, today: date) -> dict:
    # 1 query: the latest requests with their charge; 1: the latest statements.
    # Only what the panel shows: the activity's name, no organisation, contract or requester.
    requests = list(
        ActivityRequest.objects.filter(organisation=organisation)
        .select_related("activity")
        .annotate(charged_total=_charged())
        .order_by("-created_at", "-pk")[:RECENT]
    )
    statements = selectors.statements_of(organisation=organisation).order_by("-issued_at")
    statements = list(statements[:RECENT])
    return {"recent_requests": requests, "recent_statements": statements}


def _request(request: ActivityRequest) -> Touchpoint:
    who = request.requested_by.display_name if request.requested_by else ""
    return Touchpoint(
        title=_("Activity requested: %(activity)s") % {"activity": request.activity.name},
        detail=" · ".join(part for part in (who, request.get_status_display()) if part),
        url=request.get_absolute_url(),
    )


def _statement(statement: Statement) -> Touchpoint:
    detail = (
        _("E-mailed to %(email)s") % {"email": statement.emailed_to} if statement.emailed_to else ""
    )
    return Touchpoint(
        title=_("Statement %(number)s: %(activity)s")
        % {"number": statement.number, "activity": statement.request.activity.name},
        detail=detail,
        url=reverse("statement_download", args=[statement.pk]),
    )


def _usage_warning(warning: UsageWarning) -> Touchpoint:
    return Touchpoint(
        title=_("Usage warning e-mailed: %(percent)s %% of the hours used")
        % {"percent": warning.percent},
        detail=str(warning.licence_year),
    )


def register_timeline() -> None:
    register_panel(
        slot=ACTIVITIES,
        template="accounts/customer360/panel_activities.html",
        context=_activities_panel,
    )
    register_source(
        name="activities.request",
        kind=REQUESTS,
        rows=lambda organisation_id: ActivityRequest.objects.filter(
            organisation_id=organisation_id
        ).select_related("activity", "requested_by"),
        at="created_at",
        touchpoint=_request,
    )
    register_source(
        name="activities.statement",
        kind=STATEMENTS,
        rows=lambda organisation_id: Statement.objects.filter(
            organisation_id=organisation_id
        ).select_related("request__activity"),
        at="issued_at",
        touchpoint=_statement,
    )
    register_source(
        name="activities.usage_warning",
        kind=WARNINGS,
        rows=lambda organisation_id: UsageWarning.objects.filter(
            organisation_id=organisation_id
        ).select_related("licence_year__contract"),
        at="sent_at",
        touchpoint=_usage_warning,
    )
