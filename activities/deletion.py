"""What the day-90 deletion removes of an organisation in activities (SPEC L3): statements
(their PDF files included), charges, work sessions, usage warnings and activity requests.
Registered in the registry of ``csm_portal.deletion`` from ``ActivitiesConfig.ready()``."""

from collections.abc import Callable

from django.db import models
from django.db.models import QuerySet

from activities.models import ActivityRequest, RequestCharge, Statement, UsageWarning, WorkSession
from csm_portal.deletion import ACTIVITIES, register


def _of(model: type[models.Model]) -> Callable[[int], QuerySet]:
    def rows(organisation_id: int) -> QuerySet:
        return model._base_manager.filter(organisation_id=organisation_id)

    return rows


def register_steps() -> None:
    register(
        count="statements",
        model=Statement,
        rows=_of(Statement),
        order=ACTIVITIES + 10,
        files=("pdf",),
    )
    register(
        count="request_charges", model=RequestCharge, rows=_of(RequestCharge), order=ACTIVITIES + 20
    )
    register(count="work_sessions", model=WorkSession, rows=_of(WorkSession), order=ACTIVITIES + 30)
    register(
        count="usage_warnings", model=UsageWarning, rows=_of(UsageWarning), order=ACTIVITIES + 40
    )
    register(
        count="activity_requests",
        model=ActivityRequest,
        rows=_of(ActivityRequest),
        order=ACTIVITIES + 50,
    )
