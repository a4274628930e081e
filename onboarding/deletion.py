"""What the day-90 deletion removes of an organisation in onboarding (SPEC L3): its deliverables
(files included), its meetings with their minutes and attendees, its user list with every
upload (files included), its logos and its whitelisting confirmation. Registered in the registry of
``csm_portal.deletion`` from ``OnboardingConfig.ready()``."""

from collections.abc import Callable

from django.db import models
from django.db.models import QuerySet

from csm_portal.deletion import ONBOARDING, register
from onboarding.models import (
    Deliverable,
    ListedUser,
    Logo,
    Meeting,
    UserListUpload,
    WhitelistingConfirmation,
)


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
    # The customer prerequisites (SPEC O2): the listed people before the uploads they point at.
    register(count="listed_users", model=ListedUser, rows=_of(ListedUser), order=ONBOARDING + 20)
    register(
        count="user_list_uploads",
        model=UserListUpload,
        rows=_of(UserListUpload),
        order=ONBOARDING + 30,
        files=("file",),
    )
    register(count="logos", model=Logo, rows=_of(Logo), order=ONBOARDING + 40, files=("file",))
    register(
        count="whitelisting_confirmations",
        model=WhitelistingConfirmation,
        rows=_of(WhitelistingConfirmation),
        order=ONBOARDING + 50,
    )
    _register_plan_steps()
    _register_siem_steps()


def _register_plan_steps() -> None:
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


def _register_siem_steps() -> None:
    """The SIEM workshops (SPEC W1–W6): children before the workshop, which goes after its
    meetings (``Meeting.workshop``)."""
    from onboarding.models import (
        DashboardChoice,
        Deficiency,
        OperationsDuty,
        RetentionDecision,
        SiemLogSource,
        SiemProject,
        SiemWorkshop,
    )

    for offset, (count, model) in enumerate(
        [
            ("siem_log_sources", SiemLogSource),
            ("retention_decisions", RetentionDecision),
            ("deficiencies", Deficiency),
            ("siem_projects", SiemProject),
            ("operations_duties", OperationsDuty),
            ("dashboard_choices", DashboardChoice),
        ]
    ):
        register(count=count, model=model, rows=_of(model), order=ONBOARDING + 70 + offset)
    register(
        count="siem_workshops", model=SiemWorkshop, rows=_of(SiemWorkshop), order=ONBOARDING + 95
    )
