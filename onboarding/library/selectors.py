"""Reads of meetings and the deliverables library, through the scoped managers (SPEC T1): a
customer reaches its own organisation's rows only, a CSTM those of its assignments."""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Membership, Organisation, User
from accounts.roles import Role
from activities.models import ActivityRequest
from onboarding.models import Deliverable, Meeting, ProviderDocument
from onboarding.siem.series import SIEM_ACTIVITY_CODES


def meeting_list(
    *, organisation: Organisation | None = None, when: str = "", search: str = ""
) -> QuerySet[Meeting]:
    meetings = Meeting.objects.select_related("organisation", "activity_request__activity")
    if organisation is not None:
        meetings = meetings.filter(organisation=organisation)
    now = timezone.now()
    if when == "upcoming":
        meetings = meetings.filter(scheduled_at__gte=now, status=Meeting.Status.PLANNED)
    elif when == "past":
        meetings = meetings.filter(Q(scheduled_at__lt=now) | ~Q(status=Meeting.Status.PLANNED))
    if search:
        meetings = meetings.filter(
            Q(title__icontains=search) | Q(organisation__name__icontains=search)
        )
    return meetings.order_by("-scheduled_at", "-pk")


def meeting_get(*, meeting_id: int) -> Meeting:
    return get_object_or_404(
        Meeting.objects.select_related(
            "organisation",
            "activity_request__activity",
            "named_referent",
            "minutes_recorded_by",
            "created_by",
            "workshop",
        ),
        pk=meeting_id,
    )


def minutes_of(meeting: Meeting) -> Deliverable | None:
    return meeting.deliverables.order_by("-version", "-pk").first()


def requests_for_meetings() -> QuerySet[ActivityRequest]:
    """Open activity requests a meeting can be charged on."""
    return ActivityRequest.objects.filter(
        status__in=ActivityRequest.OPEN_STATUSES,
        activity__code__in=(
            "kickoff",
            "pre-go-live",
            "sal-review",
            "platform-support",
            *SIEM_ACTIVITY_CODES,
        ),
    ).select_related("activity", "organisation")


def referents_of(organisation: Organisation) -> QuerySet[User]:
    ids = Membership.objects.with_scopes_disabled().filter(
        organisation=organisation, role=Role.REFERENT, user__is_active=True
    )
    return User.objects.filter(pk__in=ids.values("user_id")).order_by("first_name", "last_name")


def _latest(queryset: QuerySet, same: dict) -> QuerySet:
    newer = queryset.model._base_manager.filter(
        kind=OuterRef("kind"), title=OuterRef("title"), version__gt=OuterRef("version"), **same
    )
    return queryset.exclude(Exists(newer))


def deliverable_list(
    *, organisation: Organisation | None = None, search: str = "", kind: str = ""
) -> QuerySet[Deliverable]:
    """The latest version of each document of the organisations in scope."""
    rows = Deliverable.objects.select_related("organisation", "published_by")
    if organisation is not None:
        rows = rows.filter(organisation=organisation)
    if kind:
        rows = rows.filter(kind=kind)
    if search:
        rows = rows.filter(title__icontains=search)
    return _latest(rows, {"organisation": OuterRef("organisation")}).order_by(
        "-published_at", "-pk"
    )


def deliverable_get(*, deliverable_id: int) -> Deliverable:
    return get_object_or_404(
        Deliverable.objects.select_related("organisation", "published_by", "meeting"),
        pk=deliverable_id,
    )


def deliverable_versions(deliverable: Deliverable) -> QuerySet[Deliverable]:
    return (
        Deliverable.objects.filter(
            organisation=deliverable.organisation_id, kind=deliverable.kind, title=deliverable.title
        )
        .select_related("published_by")
        .order_by("-version")
    )


def provider_document_list(*, search: str = "", kind: str = "") -> QuerySet[ProviderDocument]:
    rows = ProviderDocument.objects.select_related("published_by")
    if kind:
        rows = rows.filter(kind=kind)
    if search:
        rows = rows.filter(title__icontains=search)
    return _latest(rows, {}).order_by("-published_at", "-pk")


def provider_document_get(*, document_id: int) -> ProviderDocument:
    return get_object_or_404(
        ProviderDocument.objects.select_related("published_by"), pk=document_id
    )


def provider_document_versions(document: ProviderDocument) -> QuerySet[ProviderDocument]:
    return ProviderDocument.objects.filter(kind=document.kind, title=document.title).order_by(
        "-version"
    )
