"""SPEC O3: the release plan is a pure function of go-live, expiry and the planned items."""

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from onboarding.plan import domain

STARTED = date(2026, 1, 15)
TARGET = domain.target_go_live(STARTED)
EXPIRES = date(2027, 1, 15)
ITEMS = domain.default_items(target_on=TARGET, expires_on=EXPIRES)


def plan_for(go_live: date) -> domain.ReleasePlan:
    return domain.release_plan(
        go_live_on=go_live, target_on=TARGET, expires_on=EXPIRES, items=ITEMS
    )


def test_c3_target_go_live_is_one_month_after_the_activation_email():
    """The service starts when the activation e-mail is sent; go-live is due a month later."""
    assert date(2026, 2, 15) == TARGET
    assert domain.target_go_live(date(2026, 1, 31)) == date(2026, 2, 28)


def test_o3_on_time_go_live_keeps_the_planned_intervals():
    """On time: nothing is compressed and every release ends before expiry."""
    result = plan_for(TARGET)
    assert result.factor == 1 and not result.needs_decision
    assert len(result.scheduled) == len(ITEMS)
    assert all(item.ends_on < EXPIRES for item in result.scheduled)
    assert set(result.intervals) == {15}


def test_o3_one_month_late_go_live_compresses_so_everything_ends_before_expiry():
    """A month late: the same items, closer together, all ending before expiry."""
    result = plan_for(TARGET + timedelta(days=31))
    assert result.late_days == 31
    assert len(result.scheduled) == len(ITEMS) and not result.needs_decision
    assert result.compressed and max(result.intervals) < 15
    assert all(item.ends_on < EXPIRES for item in result.scheduled)
    assert result.scheduled[0].starts_on == TARGET + timedelta(days=31)


def test_o3_very_late_go_live_says_which_items_need_a_decision():
    """Eight months late: what cannot fit even at the minimum interval is named, not dropped
    silently; what is placed still ends before expiry."""
    result = plan_for(TARGET + timedelta(days=240))
    assert result.needs_decision
    assert len(result.scheduled) + len(result.needs_decision) == len(ITEMS)
    assert all(item.ends_on < EXPIRES for item in result.scheduled)
    assert min(result.intervals) >= domain.MINIMUM_INTERVAL_DAYS
    assert [i.key for i in result.needs_decision] == [i.key for i in ITEMS[len(result.scheduled) :]]


def test_o3_go_live_at_expiry_places_nothing_and_lists_everything():
    result = plan_for(EXPIRES)
    assert result.scheduled == [] and len(result.needs_decision) == len(ITEMS)


items_strategy = st.lists(
    st.builds(
        domain.PlannedItem,
        key=st.uuids().map(str),
        kind=st.sampled_from(["release", "campaign"]),
        title=st.just("x"),
        duration_days=st.integers(1, 40),
        interval_days=st.integers(1, 60),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(
    items=items_strategy,
    late=st.integers(-20, 500),
    length=st.integers(30, 1200),
    minimum=st.integers(1, 14),
    overlap=st.integers(0, 14),
)
def test_o3_property_items_end_before_expiry_in_order_never_below_the_minimum(
    items, late, length, minimum, overlap
):
    """Whatever the input: placed items end before expiry, keep their order, start on go-live,
    and follow each other no faster than the minimum interval (or their planned interval when
    that is shorter); the rest is reported, never lost."""
    target = date(2026, 3, 1)
    go_live = target + timedelta(days=late)
    expires = target + timedelta(days=length)
    result = domain.release_plan(
        go_live_on=go_live,
        target_on=target,
        expires_on=expires,
        items=items,
        minimum_interval_days=minimum,
        maximum_overlap_days=overlap,
    )
    assert [s.key for s in result.scheduled] + [i.key for i in result.needs_decision] == [
        i.key for i in items
    ]
    for placed in result.scheduled:
        assert placed.ends_on < expires
    if result.scheduled:
        assert result.scheduled[0].starts_on == go_live
    for before, after, planned in zip(result.scheduled, result.scheduled[1:], items, strict=False):
        gap = (after.starts_on - before.starts_on).days
        assert gap >= min(planned.interval_days, minimum)
        assert gap <= planned.interval_days
        assert after.starts_on > before.starts_on


def test_training_slow_below_half_at_mid_term():
    mid = date(2026, 7, 1)
    assert domain.training_slow(completed=40, total=100, today=mid, mid_term=mid)
    assert not domain.training_slow(completed=60, total=100, today=mid, mid_term=mid)
    assert not domain.training_slow(completed=10, total=100, today=date(2026, 6, 1), mid_term=mid)
