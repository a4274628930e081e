"""SPEC W2, W6, T1, C5, H3: the pages of the SIEM workshops — the list, the hub with its series,
the sizing workshop with its live calculator, the admins' catalogue — in each user's scope and
role; bad input answered in Italian (the users' language) with nothing written."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from onboarding.models import LogSourceType, Meeting, SiemLogSource, SiemWorkshop
from onboarding.siem.sizing import CONSTANT_DEFAULTS
from tests.activities.conftest import once
from tests.conftest import client_for
from tests.onboarding.library.conftest import set_access
from tests.onboarding.siem.conftest import workshop_for

pytestmark = pytest.mark.django_db(transaction=True)


def type_id(name: str) -> int:
    return LogSourceType.objects.get(name=name).pk


def sizing_post(sources: list[dict], **overrides) -> dict:
    """The sizing form as the browser sends it: the formset's rows and every constant."""
    data = {
        "sources-TOTAL_FORMS": str(len(sources)),
        "sources-INITIAL_FORMS": "0",
        "sources-MIN_NUM_FORMS": "0",
        "sources-MAX_NUM_FORMS": "200",
        "retention_months": "13",
        "hot_days": "7",
        "warm_days": "30",
        **{name: str(value) for name, value in CONSTANT_DEFAULTS.items()},
    }
    for index, row in enumerate(sources):
        for key, value in row.items():
            data[f"sources-{index}-{key}"] = str(value)
    data.update(overrides)
    return data


FIREWALLS = {
    "source_type": "",
    "name": "Firewall",
    "devices": 100,
    "eps_per_device": 50,
    "event_bytes": 500,
}
SERVERS = {
    "source_type": "",
    "name": "Server",
    "devices": 20,
    "eps_per_device": 5,
    "event_bytes": 1200,
}


def sources_of(workshop) -> list[tuple]:
    with scopes_disabled():
        return list(SiemLogSource.objects.filter(workshop=workshop).values_list("name", "devices"))


def test_w6_a_cstm_creates_a_workshop_and_its_hub_shows_the_series(tenant_a, cstm):
    """The CSTM opens a workshop for the customer (once, even if the form is sent twice) and
    lands on its hub: meeting 1 of 8, the typical topics to schedule, a link to the sizing."""
    client = client_for(cstm)
    form = once({"organisation": tenant_a.organisation.pk, "title": "SIEM Alfa 2027"})
    first = client.post(reverse("siem_workshop_create"), form)
    again = client.post(reverse("siem_workshop_create"), form)
    with scopes_disabled():
        workshop = SiemWorkshop.objects.get(organisation=tenant_a.organisation)
    assert (
        first["Location"] == again["Location"] == reverse("siem_workshop_hub", args=[workshop.pk])
    )
    hub = client.get(first["Location"]).content.decode()
    assert "SIEM Alfa 2027" in hub
    assert 'data-testid="series-progress"' in hub and "1" in hub and "8" in hub
    assert reverse("siem_workshop_sizing", args=[workshop.pk]) in hub
    assert hub.count('class="series-open"') == 8
    listed = client.get(reverse("siem_workshop_list")).content.decode()
    assert "SIEM Alfa 2027" in listed


def test_t1_another_customers_workshop_is_not_found_for_every_role(tenant_a, tenant_b, cstm):
    """SPEC T1: A's referent, end user and CSTM get 404 on B's workshop pages and calculator,
    and B's workshop is not in their list."""
    b_workshop = workshop_for(tenant_b, tenant_b.assignment.cstm, title="SIEM Bravo segreto")
    for user in (tenant_a.referent, tenant_a.end_user, cstm):
        client = client_for(user)
        for name in ("siem_workshop_hub", "siem_workshop_sizing", "siem_workshop_meeting_create"):
            assert client.get(reverse(name, args=[b_workshop.pk])).status_code == 404
        calculate = reverse("siem_workshop_calculate", args=[b_workshop.pk])
        assert client.post(calculate, sizing_post([FIREWALLS])).status_code == 404
        assert b"SIEM Bravo segreto" not in client.get(reverse("siem_workshop_list")).content


def test_w2_the_referent_and_end_users_read_the_sizing_and_cannot_write_it(tenant_a, cstm):
    """The customer's people read the workshop, the sources and the figures (no form); a
    forged POST of the referent writes nothing, the calculator is staff's (404)."""
    workshop = workshop_for(tenant_a, cstm)
    client_for(cstm).post(
        reverse("siem_workshop_sizing", args=[workshop.pk]), sizing_post([FIREWALLS])
    )
    for user in (tenant_a.referent, tenant_a.end_user):
        client = client_for(user)
        page = client.get(reverse("siem_workshop_sizing", args=[workshop.pk])).content.decode()
        assert 'id="sizing-form"' not in page and "Firewall" in page
        assert 'data-testid="sustained-eps">5.000<' in page  # Italian grouping
        hub = client.get(reverse("siem_workshop_hub", args=[workshop.pk])).content.decode()
        assert 'data-testid="schedule-meeting"' not in hub
    referent = client_for(tenant_a.referent)
    forged = referent.post(
        reverse("siem_workshop_sizing", args=[workshop.pk]), sizing_post([SERVERS])
    )
    assert forged.status_code == 302
    calculate = reverse("siem_workshop_calculate", args=[workshop.pk])
    assert referent.post(calculate, sizing_post([SERVERS])).status_code == 404
    assert referent.get(reverse("siem_workshop_create")).status_code == 404
    assert sources_of(workshop) == [("Firewall", 100)]


def test_w2_bad_input_on_the_page_is_answered_in_italian_and_nothing_is_written(tenant_a, cstm):
    """Negative devices, a zero event size, retention 0 and 1.5 replicas: the page says so in
    Italian and the saved sizing is unchanged."""
    workshop = workshop_for(tenant_a, cstm)
    client = client_for(cstm)
    url = reverse("siem_workshop_sizing", args=[workshop.pk])
    client.post(url, sizing_post([FIREWALLS]))
    bad = {**SERVERS, "devices": -3, "event_bytes": 0}
    page = client.post(url, sizing_post([bad], retention_months="0", replicas="1.5"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Server: il numero di dispositivi non può essere negativo." in text
    assert "Server: la dimensione dell&#x27;evento deve essere maggiore di zero." in text
    assert "La retention deve essere tra 1 e 60 mesi." in text
    assert "Le repliche devono essere un numero intero, zero o più." in text
    too_hot = client.post(url, sizing_post([FIREWALLS], retention_months="1", hot_days="40"))
    assert "I giorni hot e warm non possono superare la retention." in too_hot.content.decode()
    assert sources_of(workshop) == [("Firewall", 100)]
    with scopes_disabled():
        saved = SiemWorkshop.objects.get(pk=workshop.pk)
    assert (saved.retention_months, saved.replicas) == (13, 1)


def test_w2_the_calculator_answers_with_the_figures_of_the_form_and_writes_nothing(tenant_a, cstm):
    """The live partial for firewalls + servers: 100 × 50 + 20 × 5 = 5,100 EPS (peak 10,200);
    (100 × 50 × 500 + 20 × 5 × 1,200) × 86,400 / 10^9 = 226.368 GB/day, in Italian format,
    with the formulas written out; a type chosen without figures takes the catalogue's."""
    workshop = workshop_for(tenant_a, cstm)
    client = client_for(cstm)
    url = reverse("siem_workshop_calculate", args=[workshop.pk])
    partial = client.post(url, sizing_post([FIREWALLS, SERVERS])).content.decode()
    assert 'data-testid="sustained-eps">5.100<' in partial
    assert 'data-testid="peak-eps">10.200<' in partial
    assert 'data-testid="raw-gb-day">226,37<' in partial
    assert "100 × 50 + 20 × 5 = 5.100" in partial
    typed = {
        "source_type": type_id("Domain controller"),
        "name": "",
        "devices": 2,
        "eps_per_device": "",
        "event_bytes": "",
    }
    from_type = client.post(url, sizing_post([typed])).content.decode()
    assert 'data-testid="sustained-eps">80<' in from_type  # 2 × 40 EPS
    assert sources_of(workshop) == []
    wrong = client.post(url, sizing_post([{**FIREWALLS, "devices": -1}])).content.decode()
    assert 'data-testid="sizing-errors"' in wrong and "negativo" in wrong


def test_w2_saving_twice_keeps_one_copy_of_each_source(tenant_a, cstm):
    """A double submit of the sizing form leaves the same rows (the save replaces them)."""
    workshop = workshop_for(tenant_a, cstm)
    client = client_for(cstm)
    url = reverse("siem_workshop_sizing", args=[workshop.pk])
    blank = {key: "" for key in FIREWALLS}  # the empty row the page always offers
    data = sizing_post([FIREWALLS, SERVERS, blank])
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    assert sources_of(workshop) == [("Firewall", 100), ("Server", 20)]
    removed = sizing_post([FIREWALLS, {**SERVERS, "DELETE": "on"}])
    client.post(url, removed)
    assert sources_of(workshop) == [("Firewall", 100)]


def test_c5_staff_write_nothing_for_a_read_only_or_closed_customer(tenant_a, cstm):
    """SPEC C5: past expiry the CSTM sees the reason instead of the form; a POST writes
    nothing; no workshop is created."""
    workshop = workshop_for(tenant_a, cstm)
    client = client_for(cstm)
    for access in ("read_only", "closed"):
        set_access(tenant_a, access)
        url = reverse("siem_workshop_sizing", args=[workshop.pk])
        page = client.get(url).content.decode()
        assert 'id="sizing-form"' not in page and "msg-warning" in page
        client.post(url, sizing_post([FIREWALLS]))
        created = client.post(
            reverse("siem_workshop_create"),
            once({"organisation": tenant_a.organisation.pk, "title": "Dopo"}),
        )
        assert created.status_code == 200
    assert sources_of(workshop) == []
    with scopes_disabled():
        assert SiemWorkshop.objects.count() == 1


def test_h3_a_meeting_scheduled_from_the_hub_is_logged_on_its_topics_request(tenant_a, cstm):
    """The CSTM schedules the sizing meeting from the hub: it joins the series (planned), its
    request of the `siem_sizing` activity is recorded, and the meeting's page offers "log
    time" on that request (the existing log form)."""
    workshop = workshop_for(tenant_a, cstm)
    client = client_for(cstm)
    when = timezone.localtime(timezone.now() + timedelta(days=3))
    response = client.post(
        reverse("siem_workshop_meeting_create", args=[workshop.pk]),
        once(
            {
                "topic": "sizing",
                "title": "Dimensionamento SIEM",
                "date": when.date().isoformat(),
                "time": "10:00",
                "duration_minutes": "90",
                "video_link": "https://meet.example/siem",
                "agenda": "Sorgenti di log",
                "provider_attendees": f"Carla, {cstm.email}, CSTM",
                "customer_attendees": f"Rita, {tenant_a.referent.email}, Referente",
                "record_request": "on",
            }
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with scopes_disabled():
        meeting = Meeting.objects.select_related("activity_request__activity").get(
            workshop=workshop
        )
    assert meeting.topic == "sizing" and meeting.activity_request.activity.code == "siem_sizing"
    hub = client.get(reverse("siem_workshop_hub", args=[workshop.pk])).content.decode()
    assert "Dimensionamento SIEM" in hub and hub.count('class="series-planned"') == 1
    detail = client.get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
    assert reverse("work_log", args=[meeting.activity_request_id]) in detail
    assert reverse("siem_workshop_hub", args=[workshop.pk]) in detail  # back to the series
    referent_hub = client_for(tenant_a.referent).get(
        reverse("siem_workshop_hub", args=[workshop.pk])
    )
    assert "Dimensionamento SIEM" in referent_hub.content.decode()


def test_w2_admins_edit_the_catalogue_and_prices_on_the_portal(tenant_a, cstm, admin_user):
    """The admin adds a log-source type and sets the licence metric; a CSTM gets 404; a zero
    event size is refused and nothing is added."""
    admin = client_for(admin_user)
    assert admin.get(reverse("siem_catalogue")).status_code == 200
    added = admin.post(
        reverse("siem_log_source_type_create"),
        {
            "name": "SAP",
            "typical_eps_per_device": "3",
            "average_event_bytes": "900",
            "position": "20",
            "active": "on",
        },
    )
    assert added.status_code == 302
    refused = admin.post(
        reverse("siem_log_source_type_create"),
        {
            "name": "Zero",
            "typical_eps_per_device": "3",
            "average_event_bytes": "0",
            "position": "21",
        },
    )
    assert refused.status_code == 200
    assert not LogSourceType.objects.filter(name="Zero").exists()
    priced = admin.post(
        reverse("siem_pricing"),
        {
            "licence_metric": "gb_per_day",
            "licence_unit": "50",
            "currency": "EUR",
            "price_hot": "0.2",
            "price_warm": "0.05",
            "price_cold": "0.01",
        },
    )
    assert priced.status_code == 302
    from onboarding.models import SiemPricing

    assert SiemPricing.current().licence_unit == Decimal(50)
    staff = client_for(cstm)
    for name in ("siem_catalogue", "siem_log_source_type_create", "siem_pricing"):
        assert staff.get(reverse(name)).status_code == 404


def test_w6_the_list_and_the_hub_make_a_fixed_number_of_queries(tenant_a, cstm):
    """Two workshops or six, one meeting of the series or four: the same number of queries
    (counts and meetings come with their page's queries, none per row)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from onboarding.models import SiemPricing
    from tests.onboarding.library.conftest import attendees

    SiemPricing.current()  # the pricing row is made on first need: not what is counted here
    client = client_for(cstm)
    workshops = [workshop_for(tenant_a, cstm, title=f"SIEM {n}") for n in range(2)]

    def meeting(topic: str) -> None:
        with scopes_disabled():
            from onboarding.siem import services

            services.workshop_meeting_schedule(
                workshop=workshops[0],
                topic=topic,
                title=f"Riunione {topic}",
                scheduled_at=timezone.now() + timedelta(days=2),
                attendees=attendees(tenant_a, cstm),
                by=cstm,
                record_request=True,
            )

    meeting("purpose")
    hub = reverse("siem_workshop_hub", args=[workshops[0].pk])
    client.get(hub)  # warm caches (tenancy), as a signed-in person's next page
    with CaptureQueriesContext(connection) as few_rows:
        client.get(reverse("siem_workshop_list"))
    with CaptureQueriesContext(connection) as few_meetings:
        client.get(hub)
    for n in range(4):
        workshop_for(tenant_a, cstm, title=f"SIEM altro {n}")
    for topic in ("sizing", "alignment", "retention"):
        meeting(topic)
    with CaptureQueriesContext(connection) as many_rows:
        listed = client.get(reverse("siem_workshop_list")).content.decode()
    with CaptureQueriesContext(connection) as many_meetings:
        page = client.get(hub).content.decode()
    assert listed.count("SIEM altro") == 4 and page.count('class="series-planned"') == 4
    assert len(many_rows.captured_queries) == len(few_rows.captured_queries)
    assert len(many_meetings.captured_queries) == len(few_meetings.captured_queries)


def test_w2_a_type_the_admin_stops_offering_stays_valid_where_it_was_chosen(tenant_a, cstm):
    """The workshop saved with "Firewall"; the admin withdraws the type; the CSTM saves the
    sizing again unchanged: accepted (new rows only see the offered types)."""
    workshop = workshop_for(tenant_a, cstm)
    client = client_for(cstm)
    url = reverse("siem_workshop_sizing", args=[workshop.pk])
    firewall = {**FIREWALLS, "source_type": type_id("Firewall")}
    assert client.post(url, sizing_post([firewall])).status_code == 302
    LogSourceType.objects.filter(name="Firewall").update(active=False)
    assert client.post(url, sizing_post([firewall])).status_code == 302
    other = workshop_for(tenant_a, cstm, title="SIEM nuovo")
    refused = client.post(reverse("siem_workshop_sizing", args=[other.pk]), sizing_post([firewall]))
    assert refused.status_code == 200 and sources_of(other) == []


def test_o1_a_workshop_meeting_is_changed_on_the_librarys_page_like_any_meeting(tenant_a, cstm):
    """The library's change form takes a SIEM meeting with its topic's request: the new time
    is saved and the request stays linked."""
    from tests.onboarding.siem.test_services import schedule_siem

    workshop = workshop_for(tenant_a, cstm)
    meeting = schedule_siem(tenant_a, cstm, workshop)
    when = timezone.localtime(timezone.now() + timedelta(days=5))
    response = client_for(cstm).post(
        reverse("meeting_edit", args=[meeting.pk]),
        once(
            {
                "title": "Dimensionamento (spostato)",
                "date": when.date().isoformat(),
                "time": "15:00",
                "duration_minutes": "60",
                "provider_attendees": f"Carla, {cstm.email}",
                "customer_attendees": f"Rita, {tenant_a.referent.email}",
                "activity_request": str(meeting.activity_request_id),
            }
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    with scopes_disabled():
        changed = Meeting.objects.get(pk=meeting.pk)
    assert changed.title == "Dimensionamento (spostato)"
    assert changed.activity_request_id == meeting.activity_request_id and changed.topic == "sizing"


def test_t1_the_list_filtered_by_a_customer_shows_only_that_customers_workshops(
    tenant_a, tenant_b, cstm, admin_user
):
    """An admin sees both customers' workshops and one customer's with ``?organisation=``; A's
    CSTM filtering on B's organisation sees nothing of B."""
    workshop_for(tenant_a, cstm, title="SIEM Alfa")
    workshop_for(tenant_b, tenant_b.assignment.cstm, title="SIEM Bravo")
    admin = client_for(admin_user)
    everything = admin.get(reverse("siem_workshop_list")).content.decode()
    assert "SIEM Alfa" in everything and "SIEM Bravo" in everything
    only_a = admin.get(
        reverse("siem_workshop_list"), {"organisation": tenant_a.organisation.pk}
    ).content.decode()
    assert "SIEM Alfa" in only_a and "SIEM Bravo" not in only_a
    assert f"?organisation={tenant_a.organisation.pk}" in only_a  # "new workshop" for A
    foreign = client_for(cstm).get(
        reverse("siem_workshop_list"), {"organisation": tenant_b.organisation.pk}
    )
    assert foreign.status_code == 200 and b"SIEM Bravo" not in foreign.content
