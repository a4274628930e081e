"""Reads of the workshop's purpose, charter and retention decisions through the scoped managers
(SPEC T1): a customer reaches its own organisation's workshops only, a CSTM those of its
assignments; anything else is the same 404 as a missing row."""

from decimal import Decimal

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Membership, User
from accounts.roles import Role
from onboarding.models import Deliverable, Meeting, RetentionDecision, SiemPricing, SiemWorkshop
from onboarding.models.documents import DocumentKind
from onboarding.siem import sizing
from onboarding.siem.inputs import constants_of, sources_of


def workshop_get(*, workshop_id: int) -> SiemWorkshop:
    return get_object_or_404(SiemWorkshop.objects.select_related("organisation"), pk=workshop_id)


def decision_list(*, workshop: SiemWorkshop | None = None) -> QuerySet[RetentionDecision]:
    decisions = RetentionDecision.objects.select_related(
        "workshop", "organisation", "meeting", "recorded_by"
    )
    if workshop is not None:
        decisions = decisions.filter(workshop=workshop)
    return decisions.order_by("-recorded_at", "-pk")


def decision_get(*, decision_id: int) -> RetentionDecision:
    return get_object_or_404(decision_list(), pk=decision_id)


def decision_in_force(workshop: SiemWorkshop) -> RetentionDecision | None:
    """The latest decision of the workshop is the one in force (SPEC W5)."""
    return decision_list(workshop=workshop).first()


def meetings_of(workshop: SiemWorkshop) -> QuerySet[Meeting]:
    return Meeting.objects.filter(workshop=workshop).order_by("-scheduled_at", "-pk")


def live_curve(workshop: SiemWorkshop) -> tuple[list[sizing.RetentionPoint], SiemPricing]:
    """The curve at today's sources, constants and prices: what the CSTM discusses before the
    customer decides. Empty without sources."""
    pricing = SiemPricing.current()
    sources = sources_of(workshop)
    if not sources:
        return [], pricing
    points = sizing.retention_curve(
        sources,
        hot_days=workshop.hot_days,
        warm_days=workshop.warm_days,
        price_per_gb_month=pricing.prices(),
        constants=constants_of(workshop),
    )
    return points, pricing


def sizing_now(workshop: SiemWorkshop, months: int) -> sizing.Sizing | None:
    sources = sources_of(workshop)
    if not sources:
        return None
    return sizing.size(
        sources,
        retention_days=Decimal(months) * sizing.DAYS_PER_MONTH,
        hot_days=workshop.hot_days,
        warm_days=workshop.warm_days,
        constants=constants_of(workshop),
    )


def referent_language(workshop: SiemWorkshop) -> str:
    """The language of the organisation's service referent (the oldest active one), else the
    organisation's own."""
    membership = (
        Membership.objects.with_scopes_disabled()
        .filter(organisation_id=workshop.organisation_id, role=Role.REFERENT, user__is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    user: User | None = membership.user if membership else None
    return (user.language if user and user.language else "") or workshop.organisation.language


def published_documents(workshop: SiemWorkshop) -> dict[str, Deliverable | None]:
    """The latest sizing sheet and charter published for the workshop's organisation."""
    rows = Deliverable.objects.filter(organisation=workshop.organisation_id)
    return {
        "sizing_sheet": rows.filter(kind=DocumentKind.SIZING_SHEET)
        .order_by("-published_at", "-pk")
        .first(),
        "charter": rows.filter(kind=DocumentKind.ALIGNMENT_CHARTER)
        .order_by("-published_at", "-pk")
        .first(),
    }
