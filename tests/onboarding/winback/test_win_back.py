"""SPEC C6, "a cancelled customer is not a lost customer": the win-back page lists cancelled
customers with the reason and date; a one-hour win-back meeting is scheduled (also for an
expired, read-only or closed customer, and whatever the terms gate says), its minutes recorded,
and the outcome recorded: won back with its date (not in the future, not before the notice),
not won back, or pending. Staff only; another tenant's notice is a 404."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from contracts import services as contract_services
from contracts.models import CancellationNotice
from csm_portal.idempotency import FORM_FIELD, new_form_token
from onboarding.library import services as library
from onboarding.models import Meeting
from onboarding.winback import services
from tests.conftest import client_for
from tests.onboarding.plan.conftest import publish_terms
from tests.onboarding.siem.projects.conftest import set_access

pytestmark = pytest.mark.django_db

NOTICE_ON = date(2026, 11, 2)


@pytest.fixture
def notice(tenant_a, cstm) -> CancellationNotice:
    with scopes_disabled():
        return contract_services.cancellation_record(
            contract=tenant_a.contract,
            notice_on=NOTICE_ON,
            reason="Budget tagliato dal nuovo CFO",
            by=cstm,
        )


def attendees(tenant, cstm) -> list[dict]:
    return [
        {"name": "Carla", "email": cstm.email, "side": "provider", "role": "CSTM"},
        {"name": "Rita", "email": tenant.referent.email, "side": "customer", "role": ""},
    ]


def reload(notice) -> CancellationNotice:
    with scopes_disabled():
        return CancellationNotice.objects.get(pk=notice.pk)


def test_c6_the_list_shows_cancelled_customers_with_reason_and_date(notice, cstm, tenant_a):
    page = client_for(cstm).get(reverse("win_back"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Budget tagliato dal nuovo CFO" in body and tenant_a.organisation.name in body
    assert reverse("win_back_detail", args=[notice.pk]) in body


def test_c6_the_old_address_leads_to_the_new_page(notice, cstm):
    response = client_for(cstm).get("/contracts/win-back/")
    assert response.status_code == 301 and response["Location"] == reverse("win_back")


def test_c6_won_back_needs_a_date_not_in_the_future_nor_before_the_notice(notice, cstm):
    """Bad input, each refused with the field named, nothing written."""
    today = date(2026, 11, 20)
    cases = [
        (None, "won_back_on"),
        (today + timedelta(days=1), "won_back_on"),
        (NOTICE_ON - timedelta(days=1), "won_back_on"),
    ]
    for day, field in cases:
        with scopes_disabled(), pytest.raises(ValidationError) as refused:
            contract_services.win_back_record(
                notice=notice, outcome="won_back", won_back_on=day, by=cstm, today=today
            )
        assert field in refused.value.message_dict
    with scopes_disabled(), pytest.raises(ValidationError):
        contract_services.win_back_record(
            notice=notice, outcome="lost", won_back_on=NOTICE_ON, by=cstm, today=today
        )
    fresh = reload(notice)
    assert (fresh.outcome, fresh.won_back_on, fresh.outcome_recorded_at) == ("pending", None, None)


def test_c6_won_back_is_recorded_with_its_date_on_the_page(notice, cstm):
    client = client_for(cstm)
    day = timezone.localdate()
    response = client.post(
        reverse("win_back_outcome", args=[notice.pk]),
        {"outcome": "won_back", "won_back_on": day.isoformat(), "note": "Rinnovo a 2 anni"},
    )
    assert response.status_code == 302
    fresh = reload(notice)
    assert (fresh.outcome, fresh.won_back_on, fresh.win_back_note) == (
        "won_back",
        day,
        "Rinnovo a 2 anni",
    )
    assert fresh.outcome_recorded_by == cstm
    # Bad input on the page: a date before the notice, shown in Italian, nothing changed.
    response = client.post(
        reverse("win_back_outcome", args=[notice.pk]),
        {"outcome": "won_back", "won_back_on": "2026-10-01"},
    )
    assert response.status_code == 200
    assert reload(notice).won_back_on == day


def test_c6_a_one_hour_win_back_meeting_for_a_read_only_customer(
    notice, cstm, tenant_a, django_capture_on_commit_callbacks
):
    """The cancelled customer's contract has expired (read-only): the win-back meeting is still
    scheduled, one hour, about the notice, and every attendee is invited."""
    set_access(tenant_a, "read_only")
    client = client_for(cstm)
    url = reverse("win_back_meeting", args=[notice.pk])
    form = client.get(url)
    assert form.status_code == 200
    assert tenant_a.referent.email in form.content.decode()  # the referent is proposed
    day = (timezone.localdate() + timedelta(days=5)).isoformat()
    data = {
        "date": day,
        "time": "10:00",
        "video_link": "https://meet.example/win-back",
        "agenda": "Capire le ragioni",
        "provider_attendees": f"Carla, {cstm.email}, CSTM",
        "customer_attendees": f"Rita, {tenant_a.referent.email}",
        FORM_FIELD: new_form_token(),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302
    with scopes_disabled():
        meeting = Meeting.objects.get(kind=Meeting.Kind.WIN_BACK)
    assert meeting.cancellation_id == notice.pk and meeting.duration_minutes == 60
    assert meeting.organisation_id == tenant_a.organisation.pk
    assert {m.to[0] for m in mail.outbox} == {cstm.email, tenant_a.referent.email}
    detail = client.get(reverse("win_back_detail", args=[notice.pk])).content.decode()
    assert reverse("meeting_detail", args=[meeting.pk]) in detail
    # A second submit of the same form schedules nothing more.
    client.post(url, data)
    with scopes_disabled():
        assert Meeting.objects.filter(kind=Meeting.Kind.WIN_BACK).count() == 1


def test_c6_the_terms_gate_does_not_hold_a_win_back_meeting_nor_its_minutes(notice, cstm, tenant_a):
    """Terms published and not accepted (C4 gate closed), customer closed (C5): the win-back
    meeting is scheduled and minuted all the same; other meetings stay refused."""
    publish_terms()
    set_access(tenant_a, "closed")
    with scopes_disabled():
        meeting = services.win_back_meeting_schedule(
            notice=notice,
            scheduled_at=timezone.now() + timedelta(days=1),
            attendees=attendees(tenant_a, cstm),
            by=cstm,
        )
        Meeting.objects.filter(pk=meeting.pk).update(
            scheduled_at=timezone.now() - timedelta(hours=2)
        )
        meeting.refresh_from_db()
        library.meeting_record_minutes(
            meeting=meeting, minutes="Disponibili a rinnovare a 2 anni", by=cstm
        )
        meeting.refresh_from_db()
        assert meeting.status == "held" and meeting.minutes
        with pytest.raises(ValidationError):
            library.meeting_schedule(
                organisation=tenant_a.organisation,
                kind=Meeting.Kind.OTHER,
                title="Altro",
                scheduled_at=timezone.now() + timedelta(days=1),
                attendees=attendees(tenant_a, cstm),
                by=cstm,
            )
    page = client_for(cstm).get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
    assert reverse("meeting_minutes", args=[meeting.pk]) in page  # staff may minute it again


def test_c6_a_win_back_meeting_needs_its_cancellation_of_the_same_customer(
    notice, cstm, tenant_a, tenant_b
):
    with scopes_disabled():
        for cancellation in (None, notice):
            with pytest.raises(ValidationError):
                library.meeting_schedule(
                    organisation=tenant_b.organisation if cancellation else tenant_a.organisation,
                    kind=Meeting.Kind.WIN_BACK,
                    title="Win-back",
                    scheduled_at=timezone.now() + timedelta(days=1),
                    attendees=attendees(tenant_a, cstm),
                    by=cstm,
                    cancellation=cancellation,
                )
        assert Meeting.objects.count() == 0


def test_c6_customers_and_other_tenants_reach_no_win_back_page(notice, tenant_a, tenant_b):
    urls = [
        reverse("win_back"),
        reverse("win_back_detail", args=[notice.pk]),
        reverse("win_back_meeting", args=[notice.pk]),
        reverse("win_back_outcome", args=[notice.pk]),
    ]
    for user in (tenant_a.referent, tenant_a.end_user):
        for url in urls:
            assert client_for(user).get(url).status_code == 404
    other = client_for(tenant_b.assignment.cstm)
    for url in urls[1:]:
        assert other.get(url).status_code in (404, 405)
        assert other.post(url, {"outcome": "lost"}).status_code == 404
    assert tenant_a.organisation.name not in other.get(urls[0]).content.decode()
    assert reload(notice).outcome == "pending"
