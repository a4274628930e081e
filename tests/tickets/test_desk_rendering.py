"""What the desk's pages show, built once in Python (issue 15, SPEC S5): the same markup and words
as Django's widgets and the model's labels, without a sub-template per option or row."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django_scopes import scopes_disabled

from accounts.roles import AgentLevel, Role
from tests.conftest import client_for
from tests.factories import person
from tickets import sla
from tickets.forms import QuickSelect, TicketUpdateForm
from tickets.models import CannedResponse, Ticket

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")


@pytest.mark.parametrize("language", ["it", "en"])
def test_the_quick_select_renders_the_markup_of_djangos_select(agent, language):
    """Every select of the ticket's update form (statuses, types, categories, priorities,
    levels, the desk's people, outcomes) renders byte for byte as Django's template-rendered
    ``Select`` would, selected option and escaping included."""
    with translation.override(language):
        form = TicketUpdateForm(
            initial={
                "status": "waiting",
                "type": "incident",
                "category": "outage",
                "priority": "urgent",
                "level": "L3",
                "owner": agent.pk,
                "outcome": "",
            }
        )
        for name, field in form.fields.items():
            assert isinstance(field.widget, QuickSelect), name
            quick = str(form[name])
            field.widget = forms.Select(choices=field.widget.choices)
            assert quick == str(form[name]), name
        assert "selected>" in quick


def test_s5_the_ticket_list_rows_show_the_models_labels_and_the_clock(tenant_a, agent):
    """The list's rows carry the ticket's type, category, priority and status labels (as
    ``get_*_display``), its address, and the SLA badge's sentence."""
    now = datetime(2026, 11, 25, 10, 0, tzinfo=ROME)
    with scopes_disabled():
        ticket = Ticket.objects.create(
            organisation=tenant_a.organisation,
            subject="Etichette <b>",
            type=Ticket.Type.SERVICE_REQUEST,
            category=Ticket.Category.CAMPAIGN,
            priority=Ticket.Priority.HIGH,
            status=Ticket.Status.OPEN,
            requester_email="x@alfa.example",
            first_response_at=now - timedelta(hours=1),
            resolution_due=now + timedelta(hours=2),
            resolution_warn_at=now - timedelta(minutes=1),
        )
    agent.language = "en"
    agent.save(update_fields=["language"])
    with time_machine.travel(now, tick=False):
        response = client_for(agent).get(reverse("ticket_list"))
    (row_ticket, clock), *_ = [r for r in response.context["rows"] if r[0].pk == ticket.pk]
    with translation.override("en"):
        assert row_ticket.labels == {
            "type": ticket.get_type_display(),
            "category": ticket.get_category_display(),
            "priority": ticket.get_priority_display(),
            "status": ticket.get_status_display(),
        }
        assert clock == sla.clock_text(sla.clock(ticket, now))
    assert row_ticket.url == reverse("ticket_detail", args=[ticket.pk])
    html = response.content.decode()
    assert f'href="{row_ticket.url}"' in html and "Etichette &lt;b&gt;" in html
    assert "Resolution due 12:00 · 2 h 0 min left" in html
    assert 'data-sla-state="soon"' in html


# --------------------------------------------------------------------------- reference data cache


def _detail(client, ticket) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("ticket_detail", args=[ticket.pk]))
    assert response.status_code == 200
    return response.content.decode(), [q["sql"] for q in captured.captured_queries]


def test_the_canned_picker_is_cached_and_forgotten_when_a_canned_response_changes(
    tenant_a, agent, admin_user
):
    """The reply box's canned responses come from the cache on the next ticket page (no
    query); saving a new one, renaming, deactivating or deleting one shows at once."""
    from tickets import desk_settings

    with scopes_disabled():
        ticket = Ticket.objects.create(
            organisation=tenant_a.organisation,
            subject="Picker",
            type=Ticket.Type.INCIDENT,
            category=Ticket.Category.OTHER,
            requester_email="x@alfa.example",
        )
        first = desk_settings.canned_response_save(
            by=admin_user, title_it="Saluti", body_it="Buongiorno {name}"
        )
    client = client_for(agent)
    page, _ = _detail(client, ticket)
    assert "Saluti" in page
    page, sql = _detail(client, ticket)
    assert "Saluti" in page and not [q for q in sql if "tickets_cannedresponse" in q]
    with scopes_disabled():
        desk_settings.canned_response_save(
            by=admin_user, title_it="Chiusura", body_it="Chiudiamo il ticket."
        )
    assert "Chiusura" in _detail(client, ticket)[0]
    with scopes_disabled():
        desk_settings.canned_response_save(
            by=admin_user, canned=first, title_it="Benvenuto", body_it="Buongiorno"
        )
    page = _detail(client, ticket)[0]
    assert "Benvenuto" in page and "Saluti" not in page
    with scopes_disabled():
        desk_settings.canned_response_save(
            by=admin_user, canned=first, title_it="Benvenuto", body_it="Ciao", active=False
        )
    assert "Benvenuto" not in _detail(client, ticket)[0]
    with scopes_disabled():
        CannedResponse.objects.filter(title_it="Chiusura").get().delete()
    assert "Chiusura" not in _detail(client, ticket)[0]


def is_desk_people(sql: str) -> bool:
    return '"accounts_user"."is_active"' in sql and "accounts_membership" in sql


def test_the_owner_choices_are_cached_and_forgotten_when_the_desk_changes(
    tenant_a, agent, provider_org
):
    """The update form's owners come from the cache on the next ticket page (the same markup as
    the database's), a new agent, a renamed or deactivated one shows at once, and the POST
    still refuses an owner who left the desk (SPEC S6)."""
    with scopes_disabled():
        ticket = Ticket.objects.create(
            organisation=tenant_a.organisation,
            subject="Owners",
            type=Ticket.Type.INCIDENT,
            category=Ticket.Category.OTHER,
            requester_email="x@alfa.example",
            owner=agent,
        )
    client = client_for(agent)
    fresh = TicketUpdateForm(initial={"owner": agent.pk})
    page, sql = _detail(client, ticket)
    assert str(fresh["owner"]) in page
    assert [q for q in sql if is_desk_people(q)]
    page, sql = _detail(client, ticket)
    assert str(fresh["owner"]) in page  # cached: the same options, the owner selected
    desk_query = [
        q for q in sql if '"accounts_user"."is_active"' in q and "accounts_membership" in q
    ]
    assert not desk_query  # the desk's people (selectors.desk_people) were not read again
    newcomer = person(
        provider_org, Role.AGENT, level=AgentLevel.L1, email="newcomer@provider.example"
    )
    assert f'value="{newcomer.pk}"' in _detail(client, ticket)[0]
    newcomer.first_name = "Zelda"
    newcomer.save()
    assert "Zelda" in _detail(client, ticket)[0]
    newcomer.is_active = False
    newcomer.save()
    assert f'value="{newcomer.pk}"' not in _detail(client, ticket)[0]
    response = client.post(
        reverse("ticket_update", args=[ticket.pk]),
        {
            "status": "open",
            "type": "incident",
            "category": "other",
            "priority": "normal",
            "level": "L1",
            "owner": newcomer.pk,
            "outcome": "",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert Ticket.objects.get(pk=ticket.pk).owner_id == agent.pk
