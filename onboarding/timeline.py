"""What onboarding tells the customer-360's timeline (issue 14): the meetings held or planned
with the customer (kick-off, reviews, SIEM workshops, win-back)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from csm_portal.timeline import MEETINGS, Touchpoint, register_source
from onboarding.models import Meeting


def _meeting(meeting: Meeting) -> Touchpoint:
    return Touchpoint(
        title=_("Meeting: %(title)s") % {"title": meeting.title},
        detail=f"{meeting.get_kind_display()} · {meeting.get_status_display()}",
        url=reverse("meeting_detail", args=[meeting.pk]),
    )


def register_timeline() -> None:
    register_source(
        name="onboarding.meeting",
        kind=MEETINGS,
        rows=lambda organisation_id: Meeting.objects.filter(organisation_id=organisation_id),
        at="scheduled_at",
        touchpoint=_meeting,
    )
