"""What the desk's pages show, built once in Python (issue 15, SPEC S5): the same markup and words
as Django's widgets and the model's labels, without a sub-template per option or row."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django import forms
from django.urls import reverse
from django.utils import translation
from django_scopes import scopes_disabled

from tests.conftest import client_for
from tickets import sla
from tickets.forms import QuickSelect, TicketUpdateForm
from tickets.models import Ticket

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
