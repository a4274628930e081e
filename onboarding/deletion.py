"""What the day-90 deletion removes of an organisation in onboarding (SPEC L3): its deliverables
(files included) and its meetings with their minutes and attendees. Registered in the registry of
``csm_portal.deletion`` from ``OnboardingConfig.ready()``."""

from collections.abc import Callable

from django.db import models
from django.db.models import QuerySet

from csm_portal.deletion import ONBOARDING, register
from onboarding.models import Deliverable, Meeting


def _of(model: type[models.Model]) -> Callable[[int], QuerySet]:
    def rows(organisation_id: int) -> QuerySet:
        return model._base_manager.filter(organisation_id=organisation_id)

    return rows


def register_steps() -> None:
    register(
        count="deliverables",
        model=Deliverable,
        rows=_of(Deliverable),
        order=ONBOARDING + 10,
        files=("file",),
    )
    register(count="meetings", model=Meeting, rows=_of(Meeting), order=ONBOARDING + 90)


def register_plan_steps() -> None:
    """The onboarding plan (issue 12): children before the plan itself."""
    from onboarding.models import (
        OnboardingPlan,
        PlanStep,
        PlanWarning,
        ReleaseItem,
        TrainingProgress,
    )

    register(count="plan_warnings", model=PlanWarning, rows=_of(PlanWarning), order=ONBOARDING + 60)
    register(
        count="training_progress",
        model=TrainingProgress,
        rows=_of(TrainingProgress),
        order=ONBOARDING + 61,
    )
    register(count="release_items", model=ReleaseItem, rows=_of(ReleaseItem), order=ONBOARDING + 62)
    register(count="plan_steps", model=PlanStep, rows=_of(PlanStep), order=ONBOARDING + 63)
    register(
        count="onboarding_plans",
        model=OnboardingPlan,
        rows=_of(OnboardingPlan),
        order=ONBOARDING + 64,
    )
