"""Meetings (SPEC O1, O4, H3, H8, C5, L5): scheduling with attendees on both sides, invitations
with a calendar file in each recipient's language, minutes as a PDF deliverable, the referent
named at the kick-off, and the link to the activity request the time is logged on."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import Membership, Organisation
from accounts.roles import Role
from activities.models import Activity, ActivityRequest
from onboarding import steps
from onboarding.library import services
from onboarding.models import Deliverable, Meeting
from tests.activities.conftest import once, requested
from tests.conftest import client_for
from tests.onboarding.library.conftest import attendees, held, schedule, set_access
from tests.onboarding.plan.conftest import accept_terms, publish_terms

pytestmark = pytest.mark.django_db(transaction=True)


def test_o1_a_meeting_without_attendees_on_both_sides_is_refused_and_nothing_is_stored(
    tenant_a, cstm
):
    """Bad input: no attendees, or only the provider's, is a clear message; no row, no mail."""
    with pytest.raises(ValidationError) as empty:
        schedule(tenant_a, cstm, attendees=[])
    only_provider = [a for a in attendees(tenant_a, cstm) if a["side"] == "provider"]
    with pytest.raises(ValidationError) as one_side:
        schedule(tenant_a, cstm, attendees=only_provider)
    assert "attendees" in empty.value.message_dict
    assert any("customer" in m for m in one_side.value.message_dict["attendees"])
    with scopes_disabled():
        assert Meeting.objects.count() == 0
    assert mail.outbox == []


def test_o1_a_meeting_in_the_past_or_with_a_bad_link_is_refused(tenant_a, cstm):
    """Bad input: a date in the past and a video link that is not a web address."""
    with pytest.raises(ValidationError) as error:
        schedule(
            tenant_a,
            cstm,
            scheduled_at=timezone.now() - timedelta(days=1),
            video_link="javascript:alert(1)",
        )
    assert {"scheduled_at", "video_link"} <= set(error.value.message_dict)


def test_o1_every_attendee_is_invited_once_with_a_calendar_file_in_their_language(tenant_a, cstm):
    """The invitation goes after commit to each attendee, with an .ics (METHOD:REQUEST); the
    referent reads it in their language (French here), an unknown customer guest in the
    organisation's language (Italian)."""
    with scopes_disabled():
        tenant_a.referent.language = "fr"
        tenant_a.referent.save(update_fields=["language"])
    guest = {"name": "Ospite", "email": "ospite@alfa.example", "side": "customer", "role": ""}
    meeting = schedule(tenant_a, cstm, attendees=[*attendees(tenant_a, cstm), guest])
    assert len(mail.outbox) == 3
    by_recipient = {m.to[0]: m for m in mail.outbox}
    # The texts are written in each language (translations join the catalogues at merge).
    assert by_recipient[tenant_a.referent.email].extra_headers["Content-Language"] == "fr"
    assert by_recipient[cstm.email].extra_headers["Content-Language"] == "it"
    italian = by_recipient["ospite@alfa.example"]
    assert italian.extra_headers["Content-Language"] == "it"
    name, content, mimetype = italian.attachments[0]
    assert name == "invite.ics" and mimetype.startswith("text/calendar")
    text = content.decode() if isinstance(content, bytes) else content
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))  # RFC 5545 folding
    text = text.replace("\r\n ", "")  # unfolded
    assert "METHOD:REQUEST" in text and f"UID:meeting-{meeting.pk}@" in text
    assert 'ATTENDEE;CN="Ospite"' in text and "mailto:ospite@alfa.example" in text


def test_o1_a_change_sends_the_update_with_the_next_calendar_sequence(tenant_a, cstm):
    """A changed planned meeting: the same event (UID), SEQUENCE 1, to every attendee."""
    meeting = schedule(tenant_a, cstm)
    mail.outbox.clear()
    with scopes_disabled():
        services.meeting_update(
            meeting=meeting,
            by=cstm,
            title="Kick-off Alfa (spostato)",
            scheduled_at=timezone.now() + timedelta(days=3),
            attendees=attendees(tenant_a, cstm),
        )
    assert len(mail.outbox) == 2
    ics = mail.outbox[0].attachments[0][1]
    ics = ics.decode() if isinstance(ics, bytes) else ics
    assert "SEQUENCE:1" in ics and f"UID:meeting-{meeting.pk}@" in ics


def test_h8_a_meeting_records_its_request_to_be_formalised_or_links_the_referents_own(
    tenant_a, cstm
):
    """SPEC H8: without a request, staff record one agreed in the meeting — to be formalised by
    the referent; a referent's written request is linked as it is. A request of another
    activity is refused."""
    meeting = schedule(tenant_a, cstm, record_request=True)
    with scopes_disabled():
        recorded = ActivityRequest.objects.get(pk=meeting.activity_request_id)
        assert recorded.status == ActivityRequest.Status.TO_BE_FORMALISED
        assert recorded.activity.code == "kickoff"
        recorded.status = ActivityRequest.Status.CANCELLED
        recorded.save(update_fields=["status"])
    own = requested(tenant_a, "kickoff")
    linked = schedule(tenant_a, cstm, activity_request=own)
    assert linked.activity_request_id == own.pk
    with scopes_disabled():
        support = ActivityRequest(
            organisation=tenant_a.organisation,
            contract=tenant_a.contract,
            activity=Activity.objects.get(code="sal-review"),
            status=ActivityRequest.Status.REQUESTED,
            channel="portal",
            minimum_hours=1,
        )
        support.save()
    with pytest.raises(ValidationError) as error:
        schedule(tenant_a, cstm, activity_request=support)
    assert "activity_request" in error.value.message_dict


def test_o1_kickoff_minutes_name_the_referent_publish_a_pdf_and_close_the_kickoff_step(
    tenant_a, cstm, monkeypatch
):
    """Recording the kick-off minutes: the meeting is held, the referent is confirmed, the
    minutes are a PDF deliverable in the organisation's language, the plan's kick-off step is
    done; recording again makes version 2."""
    done = []
    monkeypatch.setattr(
        steps, "step_done", lambda **kwargs: done.append((kwargs["code"], kwargs["by"]))
    )
    meeting = held(schedule(tenant_a, cstm))
    with pytest.raises(ValidationError) as unnamed, scopes_disabled():
        services.meeting_record_minutes(meeting=meeting, minutes="Fatto.", by=cstm)
    assert "referent" in unnamed.value.message_dict
    with scopes_disabled():
        assert Deliverable.objects.count() == 0
        services.meeting_record_minutes(
            meeting=meeting, minutes="Deciso il piano.", by=cstm, referent=tenant_a.referent
        )
        meeting.refresh_from_db()
        first = Deliverable.objects.get()
    assert meeting.status == Meeting.Status.HELD
    assert meeting.named_referent == tenant_a.referent
    assert meeting.minutes_recorded_by == cstm and meeting.minutes_recorded_at
    assert done == [(steps.KICKOFF, cstm)]
    assert first.kind == "kickoff_minutes" and first.version == 1
    assert "Kick-off Alfa" in first.title
    assert first.file.read().startswith(b"%PDF-")
    with scopes_disabled():
        services.meeting_record_minutes(
            meeting=meeting, minutes="Corretto.", by=cstm, referent=tenant_a.referent
        )
        versions = list(Deliverable.objects.order_by("version").values_list("version", "title"))
    assert versions == [(1, first.title), (2, first.title)]


def test_o1_the_kickoff_can_invite_a_new_referent(tenant_a, cstm, monkeypatch):
    """Naming a referent who is not yet a user invites them (accounts.person_invite)."""
    monkeypatch.setattr(steps, "step_done", lambda **kwargs: None)
    meeting = held(schedule(tenant_a, cstm))
    mail.outbox.clear()
    with scopes_disabled():
        services.meeting_record_minutes(
            meeting=meeting,
            minutes="Nuovo referente.",
            by=cstm,
            new_referent=services.NewReferent("nuovo@alfa.example", "Nuovo", "Referente", "it"),
        )
        membership = Membership.objects.get(user__email="nuovo@alfa.example")
        meeting.refresh_from_db()
    assert membership.role == Role.REFERENT
    assert meeting.named_referent_id == membership.user_id
    assert [m.to for m in mail.outbox] == [["nuovo@alfa.example"]]


def test_o1_minutes_of_a_meeting_that_has_not_started_are_refused(tenant_a, cstm):
    meeting = schedule(tenant_a, cstm)
    with pytest.raises(ValidationError), scopes_disabled():
        services.meeting_record_minutes(
            meeting=meeting, minutes="Troppo presto.", by=cstm, referent=tenant_a.referent
        )
    with scopes_disabled():
        assert Deliverable.objects.count() == 0


def test_l5_a_double_submit_of_schedule_meeting_sends_one_invitation(tenant_a, cstm):
    """SPEC L5: the same form posted twice schedules one meeting and invites once."""
    client = client_for(cstm)
    tomorrow = timezone.localdate() + timedelta(days=1)
    data = once(
        {
            "organisation": tenant_a.organisation.pk,
            "kind": "kickoff",
            "title": "Kick-off",
            "date": tomorrow.isoformat(),
            "time": "10:00",
            "duration_minutes": "60",
            "provider_attendees": f"Carla, {cstm.email}, CSTM",
            "customer_attendees": f"Rita Referente, {tenant_a.referent.email}, referente",
        }
    )
    first = client.post(reverse("meeting_create"), data)
    second = client.post(reverse("meeting_create"), data)
    assert first.status_code == 302 and second.status_code == 302
    assert first["Location"] == second["Location"]
    with scopes_disabled():
        meeting = Meeting.objects.get()
    assert len(mail.outbox) == 2
    local = timezone.localtime(meeting.scheduled_at)
    assert (local.date(), local.hour) == (tomorrow, 10)  # Europe/Rome


def test_o1_the_meeting_page_offers_log_time_on_its_request(tenant_a, cstm):
    """One click from the meeting to the activities' log form of its request."""
    meeting = schedule(tenant_a, cstm, activity_request=requested(tenant_a, "kickoff"))
    response = client_for(cstm).get(reverse("meeting_detail", args=[meeting.pk]))
    assert reverse("work_log", args=[meeting.activity_request_id]).encode() in response.content


def test_o4_the_referent_sees_the_meeting_but_cannot_change_it(tenant_a, cstm):
    """The referent reads agenda and attendees; edit and minutes pages are 404 for them."""
    meeting = schedule(tenant_a, cstm)
    client = client_for(tenant_a.referent)
    page = client.get(reverse("meeting_detail", args=[meeting.pk]))
    assert page.status_code == 200 and b"Presentazioni" in page.content
    assert b"Registra tempo" not in page.content
    assert client.get(reverse("meeting_list")).status_code == 200
    for name in ("meeting_edit", "meeting_minutes"):
        assert client.get(reverse(name, args=[meeting.pk])).status_code == 404
        assert client.post(reverse(name, args=[meeting.pk]), once()).status_code == 404
    assert client.post(reverse("meeting_create"), once()).status_code == 404


def test_c5_staff_cannot_schedule_for_a_customer_past_expiry(tenant_a, cstm):
    """SPEC C5: a read-only customer gets no new meeting (the CST owes no support)."""
    set_access(tenant_a, Organisation.Access.READ_ONLY)
    with pytest.raises(ValidationError):
        schedule(tenant_a, cstm)
    assert mail.outbox == []


def test_c4_no_meeting_is_scheduled_or_minuted_before_the_terms_are_accepted(tenant_a, cstm):
    """SPEC C4, every path: with the terms pending a CSTM can neither schedule the kick-off nor
    record minutes of one scheduled earlier; once the referent accepts, both go through."""
    meeting = schedule(tenant_a, cstm)
    publish_terms()
    with pytest.raises(ValidationError, match="terms"):
        schedule(tenant_a, cstm, title="Kick-off bis")
    with pytest.raises(ValidationError, match="terms"), scopes_disabled():
        services.meeting_record_minutes(
            meeting=held(meeting), minutes="Verbale", by=cstm, referent=tenant_a.referent
        )
    with scopes_disabled():
        assert Meeting.objects.filter(organisation=tenant_a.organisation).count() == 1
        assert not Deliverable.objects.filter(organisation=tenant_a.organisation).exists()
    accept_terms(tenant_a)
    assert schedule(tenant_a, cstm, title="Kick-off bis").pk
