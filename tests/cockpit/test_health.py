"""The customer's health (issue 14, SPEC H10, S9, O3, C5, C6) is a pure function of explained
signals: every level comes with its reasons as sentences, never an opaque score. Tested at every
threshold and, with hypothesis, for the properties a CSTM relies on."""

import re
from dataclasses import replace

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from csm_portal import health
from csm_portal.health import AT_RISK, CRITICAL, GOOD, HealthFacts, health_of

# A customer with nothing to worry about: hours on pace, no tickets late, live, a year to go,
# in touch last week.
CALM = HealthFacts(
    used_percent=40,
    elapsed_percent=45,
    sla_breaches=0,
    open_tickets=2,
    onboarding_days_late=None,
    days_to_expiry=300,
    renewal_recorded=False,
    cancellation_notice=False,
    days_since_contact=7,
)
RANK = {GOOD: 0, AT_RISK: 1, CRITICAL: 2}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def signals(facts: HealthFacts) -> dict[str, str]:
    return {r.signal: r.level for r in health_of(facts).reasons}


def test_health_a_calm_customer_is_good_with_no_reason():
    """No signal fires: good, and the cockpit says so in words (no score)."""
    result = health_of(CALM)
    assert result.level == GOOD and result.reasons == ()
    assert result.label == "Good"


@pytest.mark.parametrize(
    "used, elapsed, expected",
    [
        (54, 40, None),  # 14 points ahead: on pace
        (55, 40, AT_RISK),  # 15 points ahead
        (69, 40, AT_RISK),
        (70, 40, CRITICAL),  # 30 points ahead
        (100, 10, CRITICAL),
        (12, 50, "underuse"),  # under a quarter of the elapsed share, half the year gone
        (13, 50, None),
        (5, 49, None),  # before mid-year nobody worries about unused hours
    ],
)
def test_h10_health_burn_against_time_elapsed(used, elapsed, expected):
    """SPEC H10: hours used against time elapsed of the licence year, at each threshold."""
    found = signals(replace(CALM, used_percent=used, elapsed_percent=elapsed))
    if expected is None:
        assert "burn" not in found and "underuse" not in found
    elif expected == "underuse":
        assert found["underuse"] == AT_RISK
    else:
        assert found["burn"] == expected


def test_h10_health_burn_reason_names_both_figures():
    result = health_of(replace(CALM, used_percent=90, elapsed_percent=50))
    assert result.level == CRITICAL
    assert result.reasons[0].sentence == (
        "90% of the year's hours are used with 50% of the licence year elapsed: the hours will "
        "run out before the year ends."
    )


@pytest.mark.parametrize(
    "breaches, open_tickets, expected",
    [
        (0, 9, {}),
        (0, 10, {"backlog": AT_RISK}),
        (1, 1, {"sla": AT_RISK}),
        (2, 2, {"sla": AT_RISK}),
        (3, 3, {"sla": CRITICAL}),
        (3, 12, {"sla": CRITICAL, "backlog": AT_RISK}),
    ],
)
def test_s9_health_sla_breaches_and_backlog(breaches, open_tickets, expected):
    """SPEC S9: open tickets past their SLA target, and the open backlog."""
    found = signals(replace(CALM, sla_breaches=breaches, open_tickets=open_tickets))
    assert {k: v for k, v in found.items() if k in ("sla", "backlog")} == expected


@pytest.mark.parametrize(
    "late, expected", [(None, None), (0, None), (1, AT_RISK), (30, AT_RISK), (31, CRITICAL)]
)
def test_o3_health_onboarding_delay(late, expected):
    """SPEC O3: onboarding should take about a month; past its target go-live it is at risk,
    a month later critical."""
    assert signals(replace(CALM, onboarding_days_late=late)).get("onboarding") == expected


@pytest.mark.parametrize(
    "days, renewed, expected",
    [
        (61, False, None),
        (60, False, AT_RISK),
        (31, False, AT_RISK),
        (30, False, CRITICAL),
        (0, False, CRITICAL),
        (-1, False, CRITICAL),
        (7, True, None),  # a renewal is recorded: nothing to fear
        (None, False, None),
    ],
)
def test_c5_health_days_to_expiry(days, renewed, expected):
    """SPEC C5, L1: the running contract's expiry with no renewal recorded."""
    facts = replace(CALM, days_to_expiry=days, renewal_recorded=renewed)
    assert signals(facts).get("expiry") == expected


def test_c5_health_expired_contract_says_how_long_ago():
    result = health_of(replace(CALM, days_to_expiry=-3))
    assert result.reasons[0].sentence == "The contract expired 3 days ago."


def test_c6_health_cancellation_notice_is_critical():
    """SPEC C6: a cancellation notice makes the customer critical, with the reason."""
    result = health_of(replace(CALM, cancellation_notice=True))
    assert result.level == CRITICAL
    assert result.reasons[0].sentence == "The customer has given notice of cancellation."


@pytest.mark.parametrize(
    "days, expected",
    [(None, AT_RISK), (0, None), (45, None), (46, AT_RISK), (90, AT_RISK), (91, CRITICAL)],
)
def test_health_days_since_last_contact(days, expected):
    """Last meeting, work session or ticket reply: silence is a risk, long silence critical."""
    assert signals(replace(CALM, days_since_contact=days)).get("contact") == expected


facts_strategy = st.builds(
    HealthFacts,
    used_percent=st.one_of(st.none(), st.integers(0, 150)),
    elapsed_percent=st.one_of(st.none(), st.integers(0, 100)),
    sla_breaches=st.integers(0, 50),
    open_tickets=st.integers(0, 200),
    onboarding_days_late=st.one_of(st.none(), st.integers(-30, 400)),
    days_to_expiry=st.one_of(st.none(), st.integers(-120, 1200)),
    renewal_recorded=st.booleans(),
    cancellation_notice=st.booleans(),
    days_since_contact=st.one_of(st.none(), st.integers(0, 1000)),
)


@settings(max_examples=400, deadline=None)
@given(facts_strategy)
def test_health_level_is_the_worst_reason_and_good_means_no_reason(facts):
    """Explained, never opaque: the level is exactly the worst of the reasons' levels; good has
    no reason and anything else has one; each signal speaks at most once; reasons come worst
    first; sentences are plain (no rule code like "H10") and end with one full stop."""
    result = health_of(facts)
    levels = [r.level for r in result.reasons]
    assert result.level == max(levels, key=RANK.__getitem__, default=GOOD)
    assert (result.level == GOOD) == (not result.reasons)
    assert len({r.signal for r in result.reasons}) == len(result.reasons)
    assert [RANK[x] for x in levels] == sorted((RANK[x] for x in levels), reverse=True)
    for reason in result.reasons:
        assert reason.sentence.endswith(".") and not reason.sentence.endswith("..")
        assert not re.search(r"\b[A-Z]\d+\b", reason.sentence)
    if facts.cancellation_notice:
        assert result.level == CRITICAL


def _worse(facts: HealthFacts, field: str, step: int) -> HealthFacts:
    return replace(facts, **{field: getattr(facts, field) + step})


@settings(max_examples=300, deadline=None)
@given(
    facts_strategy,
    st.sampled_from(["sla_breaches", "open_tickets"]),
    st.integers(1, 20),
)
def test_health_more_trouble_never_improves_the_level(facts, field, step):
    """More breaches or a bigger backlog never make a customer look healthier."""
    before, after = health_of(facts), health_of(_worse(facts, field, step))
    assert RANK[after.level] >= RANK[before.level]


@settings(max_examples=300, deadline=None)
@given(
    facts_strategy.filter(lambda f: f.days_since_contact is not None),
    st.integers(1, 200),
)
def test_health_longer_silence_never_improves_the_level(facts, step):
    before, after = health_of(facts), health_of(_worse(facts, "days_since_contact", step))
    assert RANK[after.level] >= RANK[before.level]


@settings(max_examples=300, deadline=None)
@given(
    facts_strategy.filter(lambda f: f.days_to_expiry is not None and f.days_to_expiry > 0),
    st.integers(1, 100),
)
def test_c5_health_nearer_expiry_never_improves_the_level(facts, step):
    nearer = replace(facts, days_to_expiry=max(facts.days_to_expiry - step, 0))
    assert RANK[health_of(nearer).level] >= RANK[health_of(facts).level]


@settings(max_examples=200, deadline=None)
@given(facts_strategy)
def test_health_reasons_render_in_italian_for_any_facts(facts):
    """Reasons go through gettext/ngettext: rendering them in Italian (the portal's default)
    never fails on a plural form or a placeholder, whatever the figures."""
    with translation.override("it"):
        result = health_of(facts)
        assert result.label in ("Buono", "A rischio", "Critico", "Good", "At risk", "Critical")
        for reason in result.reasons:
            assert reason.sentence


def test_health_thresholds_are_named_constants():
    """The numbers a CSTM reads in the reasons are the module's named thresholds."""
    assert (health.BURN_AHEAD_AT_RISK, health.BURN_AHEAD_CRITICAL) == (15, 30)
    assert (health.EXPIRY_AT_RISK, health.EXPIRY_CRITICAL) == (60, 30)
    assert (health.CONTACT_AT_RISK, health.CONTACT_CRITICAL) == (45, 90)


@settings(max_examples=300, deadline=None)
@given(facts_strategy)
def test_h10_the_cockpits_red_burn_bar_is_the_burn_reason(facts):
    """The burn bar on a customer's card turns red exactly when the health names the burn."""
    assert facts.burning_fast == ("burn" in signals(facts))
