"""What activities adds to the home pages (issue 14, SPEC H6–H8): requests waiting to be
scheduled or formalised and estimates awaiting the customer (CSTM alerts), the last work session
(a contact, for the health), and the referent's requests in progress with what each waits for,
and the latest statements."""

from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Max, Min
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from activities import selectors
from activities.models import ActivityRequest, WorkSession
from contracts.templatetags.hours import hours as hours_text
from contracts.templatetags.links import id_url
from csm_portal import cockpit

Status = ActivityRequest.Status
_FEASIBILITY = (Status.TO_BE_FORMALISED, Status.REQUESTED, Status.SCHEDULED)

# What a waiting request needs, for the CSTM: (severity, code, sentence with its count).
_WAITING = {
    Status.REQUESTED: (
        cockpit.WARNING,
        "to_schedule",
        lambda n: ngettext(
            "%(n)s request waits to be scheduled.", "%(n)s requests wait to be scheduled.", n
        ),
    ),
    Status.TO_BE_FORMALISED: (
        cockpit.WARNING,
        "to_formalise",
        lambda n: ngettext(
            "%(n)s request agreed by phone or video waits for the referent's confirmation in "
            "writing.",
            "%(n)s requests agreed by phone or video wait for the referent's confirmation in "
            "writing.",
            n,
        ),
    ),
    Status.ESTIMATE_SENT: (
        cockpit.INFO,
        "estimate_awaiting",
        lambda n: ngettext(
            "%(n)s estimate awaits the customer's decision.",
            "%(n)s estimates await the customer's decision.",
            n,
        ),
    ),
}


def _counted(sentence: Any) -> cockpit.Phrase:
    return lambda params: sentence(params["n"]) % {"n": params["n"]}


PHRASES = {
    f"activities.{code}": _counted(sentence) for _severity, code, sentence in _WAITING.values()
}


def waiting_alerts(organisation_ids: list[int], today: date) -> list[cockpit.Alert]:
    """One alert per customer and kind of wait (one query): a single request links to itself,
    several to the request list filtered on that status and customer."""
    rows = (
        ActivityRequest.objects.filter(
            organisation_id__any=organisation_ids, status__in=list(_WAITING)
        )
        .values("organisation_id", "organisation__name", "status")
        .annotate(n=Count("pk"), first=Min("pk"))
        .order_by()
    )
    alerts = []
    for row in rows:
        severity, code, _ = _WAITING[row["status"]]
        if row["n"] == 1:
            url = reverse("activity_request_detail", args=[row["first"]])
        else:
            query = urlencode({"status": row["status"], "q": row["organisation__name"]})
            url = f"{reverse('activity_request_list')}?{query}"
        alerts.append(
            cockpit.alert(
                organisation_id=row["organisation_id"],
                severity=severity,
                phrase=f"activities.{code}",
                params={"n": row["n"]},
                url=url,
                code=code,
            )
        )
    return alerts


def contact_facts(organisation_ids: list[int], today: date) -> dict[int, dict[str, Any]]:
    """The last day a CSTM worked for the customer (one query)."""
    rows = (
        WorkSession.objects.filter(organisation_id__any=organisation_ids, worked_on__lte=today)
        .values("organisation_id")
        .annotate(last=Max("worked_on"))
        .order_by()
    )
    return {row["organisation_id"]: {"last_contact_on": row["last"]} for row in rows}


def waits_for(request: Any) -> str:
    """What a request waits for, in a plain sentence for the customer (no rule code). Takes a
    request or a row with its ``status``, ``in_feasibility``, ``scheduled_on`` and
    ``estimate_hours``."""
    if isinstance(request, dict):
        status, in_feasibility = request["status"], request["in_feasibility"]
        scheduled_on, estimate_hours = request["scheduled_on"], request["estimate_hours"]
    else:
        status, in_feasibility = request.status, request.in_feasibility
        scheduled_on, estimate_hours = request.scheduled_on, request.estimate_hours
    if status == Status.TO_BE_FORMALISED:
        return _("Waiting for you to confirm it in writing, here or by replying to our e-mail.")
    if status == Status.REQUESTED:
        if in_feasibility:
            return _("Waiting for your CSTM to schedule the feasibility analysis.")
        return _("Waiting for your CSTM to schedule it.")
    if status == Status.SCHEDULED:
        day = formats.date_format(scheduled_on) if scheduled_on else "—"
        if in_feasibility:
            return _("Feasibility analysis scheduled for %(date)s.") % {"date": day}
        return _("Scheduled for %(date)s.") % {"date": day}
    if status == Status.ESTIMATE_SENT:
        hours = hours_text(estimate_hours)
        return _("Waiting for your decision on the estimate of %(hours)s h.") % {"hours": hours}
    if status == Status.IN_PROGRESS:
        return _("Your CSTM is working on it.")
    return str(Status(status).label)


def requests_panel(request: Any, today: date) -> cockpit.Panel | None:
    """The referent's requests in progress, each with what it waits for, and the latest
    statements (SPEC H7). Plain rows (issue 15): the columns shown, the activity's name in the
    reader's language, links built from one reversed prefix."""
    organisation_id = request.tenancy.home_organisation_id
    name = f"activity__name_{selectors._language()}"
    rows = list(
        ActivityRequest.objects.filter(
            organisation_id=organisation_id, status__in=ActivityRequest.OPEN_STATUSES
        )
        .order_by("-created_at", "-pk")
        .values(
            "pk",
            "status",
            "estimate_first",
            "scheduled_on",
            "estimate_hours",
            "activity__name_it",
            name,
        )[:8]
    )
    detail = id_url("activity_request_detail")
    for row in rows:  # ActivityRequest.in_feasibility, on the row
        row["in_feasibility"] = row["estimate_first"] and row["status"] in _FEASIBILITY
    open_requests = [
        {
            "url": detail(row["pk"]),
            "activity_name": row[name] or row["activity__name_it"],
            "status_label": Status(row["status"]).label,
            "waits": waits_for(row),
        }
        for row in rows
    ]
    context = {
        "open_requests": open_requests,
        "statements": selectors.statement_rows(organisation_id=organisation_id, limit=5),
        "can_request": not request.tenancy.is_read_only,
    }
    return cockpit.Panel("accounts/home/requests.html", context)


def register() -> None:
    # Issue 15: saving these moves a customer's health or alerts on the stored cockpit.
    cockpit.watch(ActivityRequest)
    cockpit.watch(WorkSession)
    cockpit.register_phrases(PHRASES)
    cockpit.register_alerts("activities.waiting", waiting_alerts)
    cockpit.register_facts("activities.contact", contact_facts)
    cockpit.register_panel(
        "activities.requests", audiences=(cockpit.REFERENT,), provider=requests_panel, order=30
    )
