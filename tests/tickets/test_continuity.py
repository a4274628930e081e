"""Service continuity (SPEC S9): outages recorded on incident tickets give each customer's
monthly availability against its contractual level. The figures are checked against hand
computations: overlapping outages count once, an outage across a month boundary is split, the
clock change of October counts its extra hour, the current month counts until now."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django_scopes import scopes_disabled
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import client_for
from tests.tickets.conftest import sla_policy
from tests.tickets.test_desk import receive
from tickets import continuity, outages, selectors
from tickets.models import Outage, Ticket, TicketEvent

ROME = ZoneInfo("Europe/Rome")
NOV = date(2026, 11, 1)
OCT = date(2026, 10, 1)
NOVEMBER_MINUTES = 30 * 24 * 60  # 43 200
OCTOBER_MINUTES = 31 * 24 * 60 + 60  # 44 700: clocks go back on 25 October, one hour more


def rome(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=ROME)


END_OF_YEAR = rome(2027, 1, 1)


def test_s9_overlapping_outages_count_once():
    """10:00–12:00 and 11:00–11:30 (inside it) and 11:30–13:00 (overlapping its end): down from
    10:00 to 13:00, 180 minutes of November's 43 200: 99.583 % (99.5833… rounded down)."""
    (month,) = continuity.availability(
        months=[NOV],
        outages=[
            (rome(2026, 11, 10, 10, 0), rome(2026, 11, 10, 12, 0)),
            (rome(2026, 11, 10, 11, 0), rome(2026, 11, 10, 11, 30)),
            (rome(2026, 11, 10, 11, 30), rome(2026, 11, 10, 13, 0)),
        ],
        now=END_OF_YEAR,
        target=Decimal("99.5"),
    )
    assert month.down_seconds == 180 * 60
    assert month.seconds == NOVEMBER_MINUTES * 60
    assert month.percent == Decimal("99.583")  # (43200 - 180) / 43200 = 0.995833…
    assert month.met is True and month.outages == 3


def test_s9_an_outage_across_a_month_boundary_is_split_between_the_months():
    """31 October 23:00 to 1 November 02:00 (Rome): 60 minutes in October (of its 44 700, the
    clock change included) and 120 in November: 99.865 % and 99.722 %, both below a 99.9 %
    target."""
    october, november = continuity.availability(
        months=[OCT, NOV],
        outages=[(rome(2026, 10, 31, 23, 0), rome(2026, 11, 1, 2, 0))],
        now=END_OF_YEAR,
        target=Decimal("99.9"),
    )
    assert october.seconds == OCTOBER_MINUTES * 60
    assert (october.down_seconds, november.down_seconds) == (60 * 60, 120 * 60)
    assert october.percent == Decimal("99.865")  # 44 640 / 44 700 = 0.998657…
    assert november.percent == Decimal("99.722")  # 43 080 / 43 200 = 0.997222…
    assert october.met is False and november.met is False
    assert october.outages == november.outages == 1


def test_s9_an_outage_still_open_counts_until_now_and_the_current_month_until_now():
    """On 3 November at 12:00 an outage open since 11:00 has cost 60 minutes of the 3 600
    minutes elapsed in the month (2.5 days): 98.333 %."""
    (month,) = continuity.availability(
        months=[NOV], outages=[(rome(2026, 11, 3, 11, 0), None)], now=rome(2026, 11, 3, 12, 0)
    )
    assert month.seconds == (2 * 24 * 60 + 12 * 60) * 60
    assert month.down_seconds == 60 * 60
    assert month.percent == Decimal("98.333")
    assert month.met is None  # no target


@given(
    st.lists(
        st.tuples(st.integers(0, 60 * 24 * 29), st.integers(1, 60 * 24 * 3)),
        max_size=8,
    )
)
def test_s9_availability_never_counts_an_instant_twice(spans):
    """However outages overlap, the time down is the measure of their union, never more than
    the month, and the availability stays between 0 and 100."""
    base = rome(2026, 11, 1)
    outages_list = [
        (
            base + timedelta(minutes=start),
            base + timedelta(minutes=start + length),
        )
        for start, length in spans
    ]
    (month,) = continuity.availability(months=[NOV], outages=outages_list, now=END_OF_YEAR)
    covered = set()
    for start, length in spans:
        covered.update(range(start, min(start + length, NOVEMBER_MINUTES)))
    assert month.down_seconds == len(covered) * 60
    assert Decimal(0) <= month.percent <= Decimal(100)


# --------------------------------------------------------------------------- recorded outages


@pytest.mark.django_db
def test_s9_outages_on_incidents_give_the_customers_monthly_availability_against_its_target(
    box, tenant_a, tenant_b, agent
):
    """Two overlapping outages on Alfa's incident (09:00–10:00 and 09:30–11:00 on 10 November,
    120 minutes once) against the 99.9 % of its contract's incident policy; Bravo's outage
    does not count for Alfa. The KPI page shows it."""
    sla_policy(
        name="Alfa incident",
        ticket_type="incident",
        priority="urgent",
        contract=tenant_a.contract,
        first_response_minutes=60,
        resolution_minutes=480,
        availability_target=Decimal("99.9"),
    )
    with time_machine.travel(rome(2026, 11, 10, 8, 0), tick=False):
        ticket = receive(box, "referent@alfa.example", "Errore: piattaforma ferma", "<o1@x>")
        foreign = receive(box, "referent@bravo-segreta.example", "Errore: giù", "<o2@x>")
    with time_machine.travel(rome(2026, 11, 20, 12, 0), tick=False), scopes_disabled():
        Ticket.objects.filter(pk__in=[ticket.pk, foreign.pk]).update(type="incident")
        outages.outage_record(
            ticket=ticket,
            by=agent,
            service="Piattaforma",
            started_at=rome(2026, 11, 10, 9, 0),
            ended_at=rome(2026, 11, 10, 10, 0),
        )
        outages.outage_record(
            ticket=ticket,
            by=agent,
            service="Invio email",
            started_at=rome(2026, 11, 10, 9, 30),
            ended_at=rome(2026, 11, 10, 11, 0),
        )
        outages.outage_record(
            ticket=foreign,
            by=agent,
            service="Piattaforma",
            started_at=rome(2026, 11, 12, 9, 0),
            ended_at=rome(2026, 11, 13, 9, 0),
        )
        assert TicketEvent.objects.filter(ticket=ticket, kind="outage").count() == 2
    with time_machine.travel(rome(2026, 12, 1, 0, 0), tick=False), scopes_disabled():
        months = selectors.monthly_availability(tenant_a.organisation, 3)
    october, november, december = months
    assert december.seconds == 0 and december.percent is None  # it has just begun
    assert (october.month, november.month) == (OCT, NOV)
    assert october.percent == Decimal("100.000") and october.outages == 0
    assert november.down_seconds == 120 * 60
    assert november.percent == Decimal("99.722")  # 43 080 / 43 200
    assert november.target == Decimal("99.9") and november.met is False
    with time_machine.travel(rome(2026, 11, 30, 12, 0), tick=False):
        page = client_for(agent).get(reverse("ticket_kpi")).content.decode()
    assert 'data-testid="kpi-availability"' in page
    assert "Alfa" in page and "Bravo" in page


@pytest.mark.django_db
def test_s9_outages_are_refused_on_service_requests_and_in_the_future_nothing_written(
    box, tenant_a, agent
):
    from django.core.exceptions import ValidationError

    with time_machine.travel(rome(2026, 11, 10, 8, 0), tick=False):
        ticket = receive(box, "referent@alfa.example", "Configurazione", "<o3@x>")
    with time_machine.travel(rome(2026, 11, 10, 12, 0), tick=False), scopes_disabled():
        Ticket.objects.filter(pk=ticket.pk).update(type="service_request")
        with pytest.raises(ValidationError):
            outages.outage_record(
                ticket=ticket, by=agent, service="X", started_at=rome(2026, 11, 10, 9, 0)
            )
        Ticket.objects.filter(pk=ticket.pk).update(type="incident")
        with pytest.raises(ValidationError) as error:
            outages.outage_record(
                ticket=ticket,
                by=agent,
                service="X",
                started_at=rome(2026, 11, 10, 9, 0),
                ended_at=rome(2026, 11, 10, 8, 0),
            )
        assert "ended_at" in error.value.message_dict
        with pytest.raises(ValidationError):
            outages.outage_record(
                ticket=ticket, by=agent, service="X", started_at=rome(2026, 11, 11, 9, 0)
            )
        assert not Outage.objects.exists()


@pytest.mark.django_db
def test_attack_a_customer_cannot_record_or_end_an_outage(box, tenant_a, agent):
    """The referent posting the desk's outage forms gets a 404 and nothing is written; an
    agent's form through the page records it, and ends it."""
    with time_machine.travel(rome(2026, 11, 10, 8, 0), tick=False):
        ticket = receive(box, "referent@alfa.example", "Errore: giù", "<o4@x>")
    with scopes_disabled():
        Ticket.objects.filter(pk=ticket.pk).update(type="incident")
    form = {"service": "Piattaforma", "start_date": "2026-11-10", "start_time": "09:00"}
    url = reverse("outage_add", args=[ticket.pk])
    with time_machine.travel(rome(2026, 11, 10, 12, 0), tick=False):
        assert client_for(tenant_a.referent).post(url, form).status_code == 404
        with scopes_disabled():
            assert not Outage.objects.exists()
        assert client_for(agent).post(url, form).status_code == 302
        with scopes_disabled():
            outage = Outage.objects.get()
        assert outage.ended_at is None
        end = reverse("outage_close", args=[ticket.pk, outage.pk])
        ending = {"end_date": "2026-11-10", "end_time": "10:15"}
        assert client_for(tenant_a.referent).post(end, ending).status_code == 404
        assert client_for(agent).post(end, ending).status_code == 302
    with scopes_disabled():
        outage.refresh_from_db()
    assert outage.ended_at == rome(2026, 11, 10, 10, 15)


@pytest.mark.django_db
def test_t1_another_tickets_outage_id_is_404(box, tenant_a, tenant_b, agent):
    """An outage is ended only through its own ticket: another ticket's outage id is a 404."""
    with time_machine.travel(rome(2026, 11, 10, 8, 0), tick=False):
        mine = receive(box, "referent@alfa.example", "Errore: uno", "<o5@x>")
        other = receive(box, "referent@bravo-segreta.example", "Errore: due", "<o6@x>")
    with scopes_disabled():
        Ticket.objects.filter(pk__in=[mine.pk, other.pk]).update(type="incident")
    with time_machine.travel(rome(2026, 11, 10, 12, 0), tick=False), scopes_disabled():
        outage = outages.outage_record(
            ticket=other, by=agent, service="X", started_at=rome(2026, 11, 10, 9, 0)
        )
    with time_machine.travel(rome(2026, 11, 10, 12, 0), tick=False):
        response = client_for(agent).post(
            reverse("outage_close", args=[mine.pk, outage.pk]),
            {"end_date": "2026-11-10", "end_time": "10:00"},
        )
    assert response.status_code == 404
