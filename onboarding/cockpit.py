"""What onboarding adds to the home pages (issue 14, SPEC O1, O3, O4, C6, L1): kick-off not done,
onboarding over a month, cancellation notices with no win-back meeting (CSTM alerts); the delay
and the last meeting (health); the referent's next meetings and latest deliverables."""

from datetime import date, datetime, time
from typing import Any
from urllib.parse import urlencode

from django.db.models import Exists, Max, Min, OuterRef, Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from contracts.models import CancellationNotice, Contract
from contracts.templatetags.links import id_url
from csm_portal import cockpit
from onboarding import steps
from onboarding.models import Deliverable, Meeting, OnboardingPlan, PlanStep, ProviderDocument


def _day(day: date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def _meeting_form(kind: str, organisation_id: int) -> str:
    query = urlencode({"kind": kind, "organisation": organisation_id})
    return f"{reverse('meeting_create')}?{query}"


def _date_of(params: dict[str, Any]) -> str:
    return _day(date.fromisoformat(params["date"]))


def _over_a_month_sentence(params: dict[str, Any]) -> str:
    n = params["n"]
    return ngettext(
        "Onboarding is taking over a month: the go-live was due on %(date)s, "
        "%(n)s day ago. Compress the release plan so training ends before expiry.",
        "Onboarding is taking over a month: the go-live was due on %(date)s, "
        "%(n)s days ago. Compress the release plan so training ends before expiry.",
        n,
    ) % {"date": _date_of(params), "n": n}


PHRASES = {
    "onboarding.kickoff_planned": lambda params: _(
        "The kick-off is planned: record its minutes once it is held to close the step."
    ),
    "onboarding.kickoff_overdue": lambda params: (
        _("The kick-off was due on %(date)s and is not scheduled yet.") % {"date": _date_of(params)}
    ),
    "onboarding.kickoff_due": lambda params: (
        _("The kick-off is not scheduled yet (due by %(date)s).") % {"date": _date_of(params)}
    ),
    "onboarding.over_a_month": _over_a_month_sentence,
    "onboarding.cancellation_notice": lambda params: (
        _(
            "Notice of cancellation of contract %(number)s received on %(date)s: plan a "
            "win-back meeting."
        )
        % {"number": params["number"], "date": _date_of(params)}
    ),
}


def kickoff_alerts(organisation_ids: list[int], today: date) -> list[cockpit.Alert]:
    """SPEC O1: the kick-off step of the plan is still open. With no kick-off meeting planned
    the link schedules one; with one planned it opens it (its minutes close the step)."""
    open_steps = PlanStep.objects.filter(
        organisation_id__any=organisation_ids, code=steps.KICKOFF, year=0
    ).exclude(state__in=(PlanStep.State.DONE, PlanStep.State.SKIPPED))
    planned = dict(
        Meeting.objects.filter(
            organisation_id__any=organisation_ids,
            kind=Meeting.Kind.KICKOFF,
            status=Meeting.Status.PLANNED,
        )
        .values("organisation_id")
        .annotate(first=Min("pk"))
        .order_by()
        .values_list("organisation_id", "first")
    )
    alerts = []
    for step in open_steps.only("organisation_id", "due_on"):
        meeting_id = planned.get(step.organisation_id)
        if meeting_id is not None:
            alerts.append(
                cockpit.alert(
                    organisation_id=step.organisation_id,
                    severity=cockpit.INFO,
                    phrase="onboarding.kickoff_planned",
                    params={},
                    url=reverse("meeting_detail", args=[meeting_id]),
                    code="kickoff_planned",
                )
            )
            continue
        overdue = step.due_on < today
        alerts.append(
            cockpit.alert(
                organisation_id=step.organisation_id,
                severity=cockpit.CRITICAL if overdue else cockpit.WARNING,
                phrase="onboarding.kickoff_overdue" if overdue else "onboarding.kickoff_due",
                params={"date": step.due_on.isoformat()},
                url=_meeting_form(Meeting.Kind.KICKOFF, step.organisation_id),
                code="kickoff_not_done",
            )
        )
    return alerts


def _late_plans(organisation_ids: list[int], today: date):
    return OnboardingPlan.objects.filter(
        organisation_id__any=organisation_ids, go_live_on__isnull=True, target_go_live_on__lt=today
    ).only("organisation_id", "target_go_live_on")


def onboarding_alerts(organisation_ids: list[int], today: date) -> list[cockpit.Alert]:
    """SPEC O3, L1: not live a month after the service started; resolved by the go-live."""
    alerts = []
    for plan in _late_plans(organisation_ids, today):
        late = (today - plan.target_go_live_on).days
        alerts.append(
            cockpit.alert(
                organisation_id=plan.organisation_id,
                severity=cockpit.CRITICAL,
                phrase="onboarding.over_a_month",
                params={"date": plan.target_go_live_on.isoformat(), "n": late},
                url=reverse("plan_detail", args=[plan.organisation_id]),
                code="onboarding_over_a_month",
            )
        )
    return alerts


def cancellation_alerts(organisation_ids: list[int], today: date) -> list[cockpit.Alert]:
    """SPEC C6: a cancellation notice (of a contract still running or read-only), not won back,
    with no win-back meeting since the notice; the link opens the win-back page."""
    win_back = Meeting.objects.filter(
        organisation_id=OuterRef("organisation_id"),
        kind=Meeting.Kind.WIN_BACK,
        scheduled_at__date__gte=OuterRef("notice_on"),
    ).exclude(status=Meeting.Status.CANCELLED)
    notices = (
        CancellationNotice.objects.filter(
            organisation_id__any=organisation_ids,
            outcome=CancellationNotice.Outcome.PENDING,
            contract__status__in=(
                Contract.Status.ACTIVE,
                Contract.Status.RENEWED,
                Contract.Status.EXPIRED,
            ),
        )
        .annotate(met=Exists(win_back))
        .filter(met=False)
        .select_related("contract")
    )
    return [
        cockpit.alert(
            organisation_id=notice.organisation_id,
            severity=cockpit.CRITICAL,
            phrase="onboarding.cancellation_notice",
            params={"number": notice.contract.number, "date": notice.notice_on.isoformat()},
            url=reverse("win_back"),
            code="cancellation_notice",
        )
        for notice in notices
    ]


def onboarding_facts(organisation_ids: list[int], today: date) -> dict[int, dict[str, Any]]:
    return {
        plan.organisation_id: {"onboarding_days_late": (today - plan.target_go_live_on).days}
        for plan in _late_plans(organisation_ids, today)
    }


def contact_facts(organisation_ids: list[int], today: date) -> dict[int, dict[str, Any]]:
    """The last meeting held (or started) with the customer (one query)."""
    end_of_today = timezone.make_aware(datetime.combine(today, time.max))
    rows = (
        Meeting.objects.filter(
            organisation_id__any=organisation_ids, scheduled_at__lte=end_of_today
        )
        .exclude(status=Meeting.Status.CANCELLED)
        .values("organisation_id")
        .annotate(last=Max("scheduled_at"))
        .order_by()
    )
    return {
        row["organisation_id"]: {"last_contact_on": timezone.localdate(row["last"])} for row in rows
    }


def meetings_panel(request: Any, today: date) -> cockpit.Panel | None:
    """SPEC O1, O4: the referent's next meetings and latest deliverables, as plain rows with
    their links built from one reversed prefix (issue 15)."""
    organisation_id = request.tenancy.home_organisation_id
    meetings = list(
        Meeting.objects.filter(
            Q(scheduled_at__gte=timezone.now()),
            organisation_id=organisation_id,
            status=Meeting.Status.PLANNED,
        )
        .order_by("scheduled_at")
        .values("pk", "title", "scheduled_at", "kind")[:4]
    )
    meeting_url = id_url("meeting_detail")
    for row in meetings:
        row["url"] = meeting_url(row["pk"])
        row["kind_label"] = Meeting.Kind(row["kind"]).label
    deliverables = list(
        Deliverable.objects.filter(organisation_id=organisation_id)
        .order_by("-published_at")
        .values("pk", "title", "version", "published_at")[:5]
    )
    deliverable_url = id_url("deliverable_detail")
    for row in deliverables:
        row["url"] = deliverable_url(row["pk"])
    return cockpit.Panel(
        "accounts/home/meetings.html", {"meetings": meetings, "deliverables": deliverables}
    )


def manuals_panel(request: Any, today: date) -> cockpit.Panel | None:
    """SPEC O4: a licensed end user's home lists the provider's manuals and FAQ (the
    organisation's own deliverables and meetings are the referent's business)."""
    documents = list(ProviderDocument.objects.order_by("-published_at")[:5])
    return cockpit.Panel("accounts/home/manuals.html", {"documents": documents})


def register() -> None:
    # Issue 15: saving these moves a customer's health or alerts on the stored cockpit.
    for model in (Meeting, OnboardingPlan, PlanStep):
        cockpit.watch(model)
    cockpit.register_phrases(PHRASES)
    cockpit.register_alerts("onboarding.kickoff", kickoff_alerts)
    cockpit.register_alerts("onboarding.over_a_month", onboarding_alerts)
    cockpit.register_alerts("onboarding.cancellation", cancellation_alerts)
    cockpit.register_facts("onboarding.delay", onboarding_facts)
    cockpit.register_facts("onboarding.contact", contact_facts)
    cockpit.register_panel(
        "onboarding.meetings", audiences=(cockpit.REFERENT,), provider=meetings_panel, order=40
    )
    cockpit.register_panel(
        "onboarding.manuals", audiences=(cockpit.END_USER,), provider=manuals_panel, order=40
    )
