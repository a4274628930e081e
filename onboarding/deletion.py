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
