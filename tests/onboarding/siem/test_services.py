"""SPEC W2, C4, C5, H3: the services of the SIEM workshops' hub and sizing — who writes, for which
customer, every bad input refused with nothing written, the series' meetings charged on the
topic's catalogue activity."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_scopes import scopes_disabled

from activities.models import ActivityRequest
from onboarding.models import LogSourceType, Meeting, SiemLogSource, SiemWorkshop
from onboarding.siem import services
from tests.onboarding.library.conftest import attendees, set_access
from tests.onboarding.plan.conftest import publish_terms
from tests.onboarding.siem.conftest import workshop_for
from tests.onboarding.siem.objects import sizing_arguments

pytestmark = pytest.mark.django_db(transaction=True)


def rows(workshop) -> list[tuple]:
    with scopes_disabled():
        return list(
            SiemLogSource.objects.filter(workshop=workshop).values_list(
                "name", "devices", "eps_per_device", "event_bytes", "source_type__name"
            )
        )


def fresh(workshop) -> SiemWorkshop:
    with scopes_disabled():
        return SiemWorkshop.objects.get(pk=workshop.pk)


def save(workshop, by, **overrides):
    with scopes_disabled():
        return services.workshop_sizing_save(
            workshop=workshop, by=by, **sizing_arguments(**overrides)
        )


def test_w2_the_sizing_is_saved_whole_and_a_blank_figure_takes_the_types_typical_one(
    tenant_a, cstm
):
    """Two sources (firewalls with the catalogue's 50 EPS × 500 B, Windows servers overridden)
    and 13 months, 7 hot days, 30 warm: all saved; a second save of the same replaces, never
    duplicates (a double submit leaves the same rows)."""
    workshop = workshop_for(tenant_a, cstm)
    save(workshop, cstm)
    save(workshop, cstm)
    assert rows(workshop) == [
        ("Firewall", 100, Decimal("50.0000"), Decimal("500.0000"), "Firewall"),
        ("Windows DC", 20, Decimal("5.0000"), Decimal("1200.0000"), "Windows server"),
    ]
    saved = fresh(workshop)
    assert (saved.retention_months, saved.hot_days, saved.warm_days) == (13, 7, 30)


def test_w2_bad_input_is_refused_field_by_field_and_nothing_is_written(tenant_a, cstm):
    """Negative devices, a zero event size, retention 0, hot days beyond the retention, 1.5
    replicas: every problem at once, and the saved sizing stays as it was."""
    workshop = workshop_for(tenant_a, cstm)
    save(workshop, cstm)
    before = rows(workshop)
    bad_sources = [
        {
            "source_type": None,
            "name": "Proxy",
            "devices": -2,
            "eps_per_device": Decimal(3),
            "event_bytes": Decimal(0),
        },
    ]
    constants = {**sizing_arguments()["constants"], "replicas": Decimal("1.5")}
    with pytest.raises(ValidationError) as refused:
        save(workshop, cstm, sources=bad_sources, constants=constants, retention_months=0)
    errors = refused.value.message_dict
    assert len(errors["sources.0"]) == 2  # negative count and zero event size
    assert {"retention_months", "replicas"} <= set(errors)
    with pytest.raises(ValidationError) as too_hot:
        save(workshop, cstm, retention_months=1, hot_days=20, warm_days=20)
    assert "hot_days" in too_hot.value.message_dict
    with pytest.raises(ValidationError) as too_long:
        save(workshop, cstm, retention_months=61)
    assert "retention_months" in too_long.value.message_dict
    assert rows(workshop) == before
    assert fresh(workshop).retention_months == 13 and fresh(workshop).replicas == 1


def test_w2_a_source_without_type_or_figures_and_non_whole_devices_are_refused(tenant_a, cstm):
    """A row with neither type nor name, and a row of 2.5 devices without its EPS: refused."""
    workshop = workshop_for(tenant_a, cstm)
    sources = [
        {
            "source_type": None,
            "name": "",
            "devices": 1,
            "eps_per_device": Decimal(1),
            "event_bytes": Decimal(1),
        },
        {
            "source_type": None,
            "name": "VPN",
            "devices": Decimal("2.5"),
            "eps_per_device": None,
            "event_bytes": Decimal(100),
        },
    ]
    with pytest.raises(ValidationError) as refused:
        save(workshop, cstm, sources=sources)
    assert set(refused.value.message_dict) == {"sources.0", "sources.1"}
    assert rows(workshop) == []


def test_w2_only_cstms_and_admins_write_and_never_for_a_read_only_or_closed_customer(
    tenant_a, cstm, admin_user
):
    """SPEC C5: the referent may not create a workshop nor save its sizing; staff write nothing
    for a customer past expiry (read-only, then closed)."""
    with pytest.raises(ValidationError):
        workshop_for(tenant_a, tenant_a.referent)
    workshop = workshop_for(tenant_a, admin_user)
    with pytest.raises(ValidationError):
        save(workshop, tenant_a.referent)
    for access in ("read_only", "closed"):
        set_access(tenant_a, access)
        with pytest.raises(ValidationError):
            workshop_for(tenant_a, cstm, title=f"SIEM {access}")
        with pytest.raises(ValidationError):
            save(fresh(workshop), cstm)
    assert rows(workshop) == []
    with scopes_disabled():
        assert SiemWorkshop.objects.count() == 1


def schedule_siem(tenant, cstm, workshop, **overrides) -> Meeting:
    values = {
        "workshop": workshop,
        "topic": "sizing",
        "title": "Dimensionamento",
        "scheduled_at": timezone.now() + timedelta(days=2),
        "attendees": attendees(tenant, cstm),
        "by": cstm,
        "record_request": True,
    }
    values.update(overrides)
    with scopes_disabled():
        return services.workshop_meeting_schedule(**values)


def test_h3_a_workshop_meeting_is_charged_on_its_topics_catalogue_activity(tenant_a, cstm):
    """SPEC H3/H8: scheduling the sizing meeting records a request of the `siem_sizing`
    activity (to be formalised by the referent), linked to the meeting of kind SIEM; a request
    of another topic's activity cannot be linked to it."""
    workshop = workshop_for(tenant_a, cstm)
    meeting = schedule_siem(tenant_a, cstm, workshop)
    with scopes_disabled():
        meeting = Meeting.objects.select_related("activity_request__activity").get(pk=meeting.pk)
    assert (meeting.kind, meeting.topic, meeting.workshop_id) == ("siem", "sizing", workshop.pk)
    assert meeting.activity_request.activity.code == "siem_sizing"
    assert meeting.activity_request.status == ActivityRequest.Status.TO_BE_FORMALISED
    assert meeting.activity_request.minimum_hours == Decimal("3")
    with pytest.raises(ValidationError) as wrong:
        schedule_siem(
            tenant_a,
            cstm,
            workshop,
            topic="purpose",
            record_request=False,
            activity_request=meeting.activity_request,
        )
    assert "activity_request" in wrong.value.message_dict


def test_w6_a_workshop_meeting_needs_a_topic_and_its_workshops_organisation(
    tenant_a, tenant_b, cstm
):
    """Bad input: no topic; a workshop of another organisation (B's) for A's meeting."""
    workshop = workshop_for(tenant_a, cstm)
    with pytest.raises(ValidationError) as no_topic:
        schedule_siem(tenant_a, cstm, workshop, topic="")
    assert "topic" in no_topic.value.message_dict
    b_workshop = workshop_for(tenant_b, tenant_b.assignment.cstm, title="SIEM Bravo")
    with scopes_disabled(), pytest.raises(ValidationError):
        from onboarding.library import services as library

        library.meeting_schedule(
            organisation=tenant_a.organisation,
            kind=Meeting.Kind.SIEM,
            workshop=b_workshop,
            topic="sizing",
            title="Altro",
            scheduled_at=timezone.now() + timedelta(days=2),
            attendees=attendees(tenant_a, cstm),
            by=cstm,
        )
    with scopes_disabled():
        assert Meeting.objects.count() == 0


def test_c4_c5_no_workshop_meeting_before_the_terms_nor_for_a_read_only_customer(tenant_a, cstm):
    """SPEC C4: terms published and not accepted: refused. C5: read-only customer: refused."""
    workshop = workshop_for(tenant_a, cstm)
    publish_terms()
    with pytest.raises(ValidationError) as terms:
        schedule_siem(tenant_a, cstm, workshop)
    assert "terms" in " ".join(terms.value.messages)
    set_access(tenant_a, "read_only")
    with pytest.raises(ValidationError):
        schedule_siem(tenant_a, cstm, fresh(workshop))
    with scopes_disabled():
        assert Meeting.objects.count() == 0
        assert not ActivityRequest.objects.filter(activity__code__startswith="siem_").exists()


def test_w2_only_admins_edit_the_catalogue_and_prices(tenant_a, cstm, admin_user):
    """The log-source catalogue and the pricing are the provider's: a CSTM is refused."""
    with pytest.raises(ValidationError):
        services.log_source_type_save(
            log_source_type=LogSourceType(
                name="SAP", typical_eps_per_device=Decimal(3), average_event_bytes=Decimal(900)
            ),
            by=cstm,
        )
    saved = services.log_source_type_save(
        log_source_type=LogSourceType(
            name=" SAP ", typical_eps_per_device=Decimal(3), average_event_bytes=Decimal(900)
        ),
        by=admin_user,
    )
    assert saved.name == "SAP"
    with pytest.raises(ValidationError):
        services.log_source_type_save(
            log_source_type=LogSourceType(
                name="Zero", typical_eps_per_device=Decimal(3), average_event_bytes=Decimal(0)
            ),
            by=admin_user,
        )
    assert not LogSourceType.objects.filter(name="Zero").exists()
