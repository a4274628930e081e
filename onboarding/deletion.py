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
