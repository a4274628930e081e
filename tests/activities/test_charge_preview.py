"""The log form's live preview of the hours charged (SPEC H3–H5): it answers every input, the
invalid ones with their reason, and it survives a server-side error."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from activities.models import WorkSession
from tests.activities.conftest import once, requested
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def italian(message: str) -> str:
    """The message as an Italian user reads it (the default language of the portal)."""
    with translation.override("it"):
        return str(_(message))


def preview_text(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'")


INVALID = [
    pytest.param(
        {"starts_at": "11:00", "ends_at": "10:00"},
        "The end must be after the start.",
        id="end-before-start",
    ),
    pytest.param({"minutes": "-30"}, "The duration must be more than zero.", id="negative"),
    pytest.param({"minutes": "0"}, "The duration must be more than zero.", id="zero"),
    pytest.param({"minutes": "100000"}, "A session cannot last more than 24 hours.", id="absurd"),
    pytest.param({"minutes": "1,5"}, "Give the duration in whole minutes.", id="not-a-number"),
    pytest.param(
        {"starts_at": "10:00"},
        "Give the end time too, or only the duration.",
        id="start-without-end",
    ),
    pytest.param(
        {"ends_at": "10:00"},
        "Give the start time too, or only the duration.",
        id="end-without-start",
    ),
    pytest.param(
        {"starts_at": "10:00", "ends_at": "11:00", "minutes": "60"},
        "Give either the start and end times or the duration, not both.",
        id="both",
    ),
    pytest.param({}, "Give the start and end times, or the duration in minutes.", id="nothing"),
    pytest.param(
        {"minutes": "90", "customer_caused": "on"},
        "Document the customer-side cause of the overrun.",
        id="undocumented-overrun",
    ),
]


@pytest.mark.parametrize(("data", "reason"), INVALID)
def test_h3_h5_the_preview_gives_the_reason_of_every_invalid_input(kicked_off, cstm, data, reason):
    """Each invalid combination shows, in the preview, why it cannot be charged (in Italian)."""
    req = requested(kicked_off, "platform-support")
    response = client_for(cstm).post(
        reverse("work_preview", args=[req.pk]),
        {"worked_on": timezone.localdate().isoformat(), **data},
    )
    assert response.status_code == 200
    assert 'data-testid="charge-problems"' in response.content.decode()
    assert italian(reason) in preview_text(response)


def test_h3_h5_the_preview_names_the_field_of_a_generic_error(kicked_off, cstm):
    """Django's own "This field is required." says which field in the preview: the date."""
    req = requested(kicked_off, "platform-support")
    response = client_for(cstm).post(reverse("work_preview", args=[req.pk]), {"minutes": "30"})
    with translation.override("it"):
        expected = f"{_('Date')}: {_('This field is required.')}"
    assert expected in preview_text(response)


def test_h3_h5_the_preview_gives_the_reason_of_a_future_date(kicked_off, cstm):
    """A date in the future is explained in the preview too."""
    req = requested(kicked_off, "platform-support")
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client_for(cstm).post(
        reverse("work_preview", args=[req.pk]), {"worked_on": tomorrow.isoformat(), "minutes": "30"}
    )
    assert italian("Time cannot be logged for a future date.") in preview_text(response)


def test_h3_h5_the_preview_of_a_valid_session_shows_the_charged_hours_standing_out(
    kicked_off, cstm
):
    """A valid session shows the charged hours in their own highlighted element."""
    req = requested(kicked_off, "platform-support")
    response = client_for(cstm).post(
        reverse("work_preview", args=[req.pk]),
        {"worked_on": timezone.localdate().isoformat(), "starts_at": "10:00", "ends_at": "10:20"},
    )
    html = response.content.decode()
    highlighted = r'<strong class="charge-hours" data-testid="charged-hours">\s*1 h\s*</strong>'
    assert re.search(highlighted, html)
    assert 'data-testid="charge-problems"' not in html


def test_h3_h5_the_preview_stays_after_a_server_side_error(kicked_off, cstm):
    """The page re-rendered with errors shows the preview of the submitted values: here the
    reason of the refusal, and with the same values made valid, the charge."""
    req = requested(kicked_off, "platform-support")
    client = client_for(cstm)
    data = {"worked_on": timezone.localdate().isoformat(), "minutes": "90", "customer_caused": "on"}
    response = client.post(reverse("work_log", args=[req.pk]), once(data))
    assert response.status_code == 200
    text = preview_text(response)
    reason = italian("Document the customer-side cause of the overrun.")
    assert text.count(reason) == 2  # under the field and in the preview
    assert 'data-testid="charge-problems"' in response.content.decode()
    with scopes_disabled():
        assert not WorkSession.objects.filter(request=req).exists()


def test_h3_h5_the_preview_shows_the_charge_when_the_server_refuses_a_valid_session(
    kicked_off, cstm
):
    """When the form is valid but the save is refused (the day is already full), the preview
    still shows what was submitted and why it was refused."""
    req = requested(kicked_off, "platform-support")
    client = client_for(cstm)
    today = timezone.localdate().isoformat()
    assert (
        client.post(
            reverse("work_log", args=[req.pk]), once({"worked_on": today, "minutes": "1380"})
        ).status_code
        == 302
    )
    response = client.post(
        reverse("work_log", args=[req.pk]), once({"worked_on": today, "minutes": "60"})
    )
    assert response.status_code == 200
    assert 'data-testid="charge-problems"' in response.content.decode()
    assert "24" in preview_text(response)
