"""The cockpit registry (csm_portal/cockpit.py): how the apps' facts are put together, and how
customers are ordered on the cockpit."""

from dataclasses import dataclass
from datetime import date

import pytest

from csm_portal import cockpit
from csm_portal.health import AT_RISK, CRITICAL, HealthFacts

TODAY = date(2026, 11, 26)


def test_last_contact_is_the_latest_of_meeting_work_session_and_ticket_reply():
    """Each app knows one kind of contact; the customer's last contact is the latest of them."""
    facts = cockpit.merge_facts(
        [
            {"last_contact_on": date(2026, 9, 1)},  # a meeting
            {"last_contact_on": date(2026, 11, 20), "open_tickets": 3},  # a ticket reply
            {"last_contact_on": None},
            {"last_contact_on": date(2026, 10, 5)},  # a work session
        ],
        TODAY,
    )
    assert facts.days_since_contact == 6 and facts.open_tickets == 3


def test_no_contact_anywhere_stays_unknown():
    assert cockpit.merge_facts([{}, {"open_tickets": 0}], TODAY) == HealthFacts()


def test_an_unknown_fact_is_a_loud_error():
    """A provider naming a fact the health does not know fails at once, not silently."""
    with pytest.raises(KeyError):
        cockpit.merge_facts([{"mood": "bad"}], TODAY)


@dataclass
class Org:
    pk: int
    name: str


def test_customers_needing_attention_come_first(monkeypatch):
    """Critical health first, then at risk, then good; within a level, the most severe alert,
    then the most alerts, then by name."""
    registry = cockpit._Registry()
    monkeypatch.setattr(cockpit, "_registry", registry)

    def facts(ids, today):
        return {
            1: {"last_contact_on": today},
            2: {"cancellation_notice": True, "last_contact_on": today},
            3: {"last_contact_on": today},
            4: {"last_contact_on": None},
        }

    def alerts(ids, today):
        return [
            cockpit.Alert(3, cockpit.CRITICAL, "x.", "/x/", "a"),
            cockpit.Alert(1, cockpit.INFO, "y.", "/y/", "b"),
        ]

    cockpit.register_facts("test.facts", facts)
    cockpit.register_alerts("test.alerts", alerts)
    rows = cockpit.customer_rows([Org(1, "A"), Org(2, "B"), Org(3, "C"), Org(4, "D")], TODAY)
    assert [r.organisation.pk for r in rows] == [2, 4, 3, 1]
    assert rows[0].health.level == CRITICAL and rows[1].health.level == AT_RISK


def test_registering_twice_keeps_one_provider(monkeypatch):
    """An app's ready() may run more than once: providers are kept by name."""
    registry = cockpit._Registry()
    monkeypatch.setattr(cockpit, "_registry", registry)
    cockpit.register_alerts("x", lambda ids, today: [])
    cockpit.register_alerts("x", lambda ids, today: [])
    assert len(registry.alerts) == 1


def test_issue15_stored_facts_come_back_equal_and_tolerate_a_changed_field_list():
    """Issue 15: the health facts stored as JSON come back equal; a key no longer a fact is
    ignored and a missing one takes its default, so a deploy never breaks the cockpit."""
    import json

    from csm_portal.health import HealthFacts

    facts = HealthFacts(used_percent=96, elapsed_percent=10, sla_breaches=2, renewal_recorded=True)
    stored = json.loads(json.dumps(cockpit.facts_values(facts)))
    assert cockpit.facts_from(stored) == facts
    del stored["open_tickets"]
    assert cockpit.facts_from({**stored, "retired_fact": 3}) == facts
