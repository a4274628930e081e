"""Writes of the win-back page (SPEC C6). The outcome is contracts' own service
(``contracts.services.win_back_record``); the meeting is a library meeting of kind win-back,
one hour, about the cancellation notice, scheduled whatever the state of the customer's contract
(the library lets win-back meetings through the read-only and terms gates)."""

from datetime import datetime

from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import User
from contracts.models import CancellationNotice
from onboarding.library import services as library
from onboarding.models import Meeting

WIN_BACK_MINUTES = 60


def win_back_meeting_schedule(
    *,
    notice: CancellationNotice,
    scheduled_at: datetime,
    attendees: list[dict],
    by: User,
    video_link: str = "",
    agenda: str = "",
    now: datetime | None = None,
) -> Meeting:
    """SPEC C6: a one-hour win-back meeting with the cancelled customer, invitations sent."""
    organisation = notice.organisation
    with translation.override(organisation.language):
        title = _("Win-back meeting: %(customer)s") % {"customer": organisation.name}
    return library.meeting_schedule(
        organisation=organisation,
        kind=Meeting.Kind.WIN_BACK,
        title=title[:200],
        scheduled_at=scheduled_at,
        attendees=attendees,
        by=by,
        duration_minutes=WIN_BACK_MINUTES,
        video_link=video_link,
        agenda=agenda,
        cancellation=notice,
        now=now,
    )
