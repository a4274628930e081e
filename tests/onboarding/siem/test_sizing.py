"""SPEC W2, W5: the sizing calculator, pinned on examples computed by hand and on properties."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from onboarding.siem.sizing import (
    DAYS_PER_MONTH,
    Constants,
    LogSource,
    licences,
    retention_curve,
    size,
    tier_days,
    validate,
)

D = Decimal
FIREWALLS = LogSource("Firewall", devices=100, eps_per_device=D(50), event_bytes=D(500))


def test_w2_firewalls_for_ninety_days_worked_by_hand():
    """100 firewalls × 50 EPS × 500 bytes, 90 days (7 hot, 23 warm, 60 cold), 1 replica.

    EPS 5,000 (peak ×2 = 10,000); 5,000 × 500 B × 86,400 s = 216 GB/day.
    hot  216 × 7 × 2 = 3,024 GB → ×1.25 = 3,780 GB → ⌈3,780 / (64 × 30)⌉ = ⌈1.97⌉ = 2 nodes
    warm 216 × 23 × 2 = 9,936 GB → 12,420 GB → ⌈12,420 / (64 × 160)⌉ = ⌈1.21⌉ = 2 nodes
    cold 216 × 60 × 2 = 25,920 GB → 32,400 GB → ⌈32,400 / (64 × 500)⌉ = ⌈1.01⌉ = 2 nodes
    6 data nodes ≥ 3: one failover node more = 7. Data 38,880 GB, storage 48,600 GB, headroom
    9,720 GB. Splunk: 216 × (0.15 × 3 + 0.35 × 2) = 248.4 GB/day × 90 = 22,356 GB."""
    sizing = size([FIREWALLS], retention_days=D(90), hot_days=7, warm_days=23)
    assert (sizing.sustained_eps, sizing.peak_eps) == (D(5000), D(10000))
    assert sizing.raw_gb_per_day == sizing.indexed_gb_per_day == D(216)
    hot, warm, cold = (sizing.tiers[name] for name in ("hot", "warm", "cold"))
    assert (hot.days, hot.data_gb, hot.storage_gb, hot.nodes) == (D(7), D(3024), D(3780), 2)
    assert (warm.days, warm.data_gb, warm.storage_gb, warm.nodes) == (D(23), D(9936), D(12420), 2)
    assert (cold.days, cold.data_gb, cold.storage_gb, cold.nodes) == (D(60), D(25920), D(32400), 2)
    assert sizing.failover_node and sizing.data_nodes == 7
    assert (sizing.data_gb, sizing.storage_gb, sizing.headroom_gb) == (
        D(38880),
        D(48600),
        D(9720),
    )
    assert sizing.splunk_storage_gb == D("22356.00")


def test_w2_elastics_published_method_on_one_tier():
    """Elastic's worked method: 108 GB/day (1,250 EPS × 1,000 B), 30 days, 1 replica:
    total data 108 × 30 × 2 = 6,480 GB; storage 6,480 × (1 + 0.15 + 0.1) = 8,100 GB;
    data nodes ⌈8,100 / 64 / (1/30)⌉ = ⌈4.22⌉ = 5, plus a failover node = 6."""
    source = LogSource("Servers", devices=1, eps_per_device=D(1250), event_bytes=D(1000))
    sizing = size([source], retention_days=D(30), hot_days=30, warm_days=0)
    assert sizing.raw_gb_per_day == D(108)
    assert (sizing.data_gb, sizing.storage_gb) == (D(6480), D(8100))
    assert sizing.tiers["hot"].nodes == 5 and sizing.data_nodes == 6
    assert sizing.tiers["warm"].nodes == sizing.tiers["cold"].nodes == 0


def test_w2_every_constant_is_editable_per_workshop():
    """Two replicas, 20 % watermark, no margin, 1.1 index ratio, 0.8 compression on cold:
    indexed 216 × 1.1 = 237.6 GB/day; cold 237.6 × 0.8 × 60 × 3 = 34,214.4 GB → ×1.2."""
    constants = Constants(
        replicas=2,
        disk_watermark=D("0.20"),
        margin=D(0),
        index_ratio=D("1.1"),
        compression={"hot": D(1), "warm": D(1), "cold": D("0.8")},
        failover_from_nodes=100,
    )
    sizing = size([FIREWALLS], retention_days=D(90), hot_days=7, warm_days=23, constants=constants)
    assert sizing.indexed_gb_per_day == D("237.6")
    assert sizing.tiers["cold"].data_gb == D("34214.400")
    assert sizing.tiers["cold"].storage_gb == D("41057.28000")
    assert not sizing.failover_node


def test_w2_licences_by_the_admins_metric():
    sizing = size([FIREWALLS], retention_days=D(90), hot_days=7, warm_days=23)
    assert licences(sizing, metric="eps", unit=D(500)) == 10
    assert licences(sizing, metric="gb_per_day", unit=D(50)) == 5  # ⌈216 / 50⌉
    assert licences(sizing, metric="node", unit=D(1)) == 7


def test_w2_the_retention_is_split_hot_first_then_warm_then_cold():
    assert tier_days(D(90), 7, 23) == {"hot": D(7), "warm": D(23), "cold": D(60)}
    assert tier_days(D(10), 7, 23) == {"hot": D(7), "warm": D(3), "cold": D(0)}
    assert tier_days(D(5), 7, 23) == {"hot": D(5), "warm": D(0), "cold": D(0)}


def test_w5_the_retention_curve_for_thirteen_months():
    """13 months = 13 × 365.25 / 12 = 395.6875 days; storage 216 × 395.6875 × 2 × 1.25 =
    213,671.25 GB; with 7 hot days at 0.10, 23 warm at 0.05 and the rest cold at 0.01 per
    GB-month: hot 3,780 × 0.10 + warm 12,420 × 0.05 + cold (216 × 365.6875 × 2.5 = 197,471.25)
    × 0.01 = 378 + 621 + 1,974.7125 = 2,973.7125 a month."""
    prices = {"hot": D("0.10"), "warm": D("0.05"), "cold": D("0.01")}
    curve = retention_curve([FIREWALLS], hot_days=7, warm_days=23, price_per_gb_month=prices)
    assert [point.months for point in curve] == list(range(1, 61))
    thirteen = curve[12]
    assert thirteen.months == 13
    assert thirteen.storage_gb == D("213671.25")
    assert thirteen.monthly_cost == D("2973.7125")
    assert all(
        later.monthly_cost > earlier.monthly_cost
        for earlier, later in zip(curve, curve[1:], strict=False)
    )


def test_w2_w5_bad_input_is_refused_with_a_reason_for_each_field():
    bad = [
        LogSource("Firewall", devices=-1, eps_per_device=D(5), event_bytes=D(500)),
        LogSource("Proxy", devices=2, eps_per_device=D(-1), event_bytes=D(0)),
    ]
    errors = validate(bad, retention_months=0, hot_days=-1, warm_days=0, replicas=D("1.5"))
    assert len(errors["sources.0"]) == 1 and len(errors["sources.1"]) == 2
    assert set(errors) == {"sources.0", "sources.1", "retention_months", "hot_days", "replicas"}
    assert "retention_months" in validate(
        [FIREWALLS], retention_months=61, hot_days=1, warm_days=0, replicas=1
    )
    too_hot = validate([FIREWALLS], retention_months=1, hot_days=31, warm_days=0, replicas=1)
    assert set(too_hot) == {"hot_days"}
    assert set(
        validate([FIREWALLS], retention_months=1, hot_days=7, warm_days=0, replicas=True)
    ) == {"replicas"}
    assert validate([FIREWALLS], retention_months=13, hot_days=7, warm_days=23, replicas=D(2)) == {}


sources_strategy = st.lists(
    st.builds(
        LogSource,
        name=st.just("source"),
        devices=st.integers(min_value=0, max_value=5000),
        eps_per_device=st.decimals(min_value=0, max_value=20000, places=2),
        event_bytes=st.decimals(min_value=1, max_value=20000, places=0),
    ),
    min_size=1,
    max_size=5,
)


@given(sources_strategy, st.integers(min_value=1, max_value=60))
def test_w2_storage_grows_linearly_with_retention(sources, months):
    """With the same compression on every tier, twice the days hold exactly twice the data."""
    one = size(sources, retention_days=months * DAYS_PER_MONTH, hot_days=7, warm_days=23)
    two = size(sources, retention_days=2 * months * DAYS_PER_MONTH, hot_days=7, warm_days=23)
    assert two.storage_gb == 2 * one.storage_gb
    assert two.splunk_storage_gb == 2 * one.splunk_storage_gb


@given(sources_strategy)
def test_w2_doubling_eps_doubles_gb_per_day(sources):
    doubled = [LogSource(s.name, s.devices, s.eps_per_device * 2, s.event_bytes) for s in sources]
    base = size(sources, retention_days=D(90), hot_days=7, warm_days=23)
    twice = size(doubled, retention_days=D(90), hot_days=7, warm_days=23)
    assert twice.raw_gb_per_day == 2 * base.raw_gb_per_day
    assert twice.sustained_eps == 2 * base.sustained_eps


@given(sources_strategy, st.integers(min_value=1, max_value=1900), st.integers(0, 3))
def test_w2_nodes_never_fall_short_of_storage(sources, days, replicas):
    constants = Constants(replicas=replicas)
    sizing = size(sources, retention_days=D(days), hot_days=7, warm_days=23, constants=constants)
    for name, tier in sizing.tiers.items():
        capacity = constants.ram_per_node_gb * constants.memory_data_ratio[name]
        assert tier.nodes * capacity >= tier.storage_gb
        assert tier.nodes == 0 or (tier.nodes - 1) * capacity < tier.storage_gb
    assert isinstance(sizing.storage_gb, Decimal)


def test_w2_licences_per_metric_worked_by_hand_on_a_second_example():
    """30 Windows servers × 5 EPS × 1,200 B + 4 domain controllers × 40 EPS × 1,500 B, 30 days
    all hot. EPS 150 + 160 = 310. Raw (30 × 5 × 1,200 + 4 × 40 × 1,500) × 86,400 / 10^9 =
    (180,000 + 240,000) × 86,400 / 10^9 = 36.288 GB/day. Hot data 36.288 × 30 × 2 = 2,177.28;
    storage × 1.25 = 2,721.6 → ⌈2,721.6 / 1,920⌉ = 2 nodes, below 3: no failover node.
    Licences: per 100 EPS ⌈3.1⌉ = 4; per 10 GB/day ⌈3.6288⌉ = 4; per 5 GB/day ⌈7.2576⌉ = 8;
    per node (1 each) 2; per 2 nodes 1."""
    sources = [
        LogSource("Windows", devices=30, eps_per_device=D(5), event_bytes=D(1200)),
        LogSource("DC", devices=4, eps_per_device=D(40), event_bytes=D(1500)),
    ]
    sizing = size(sources, retention_days=D(30), hot_days=30, warm_days=0)
    assert sizing.sustained_eps == D(310)
    assert sizing.raw_gb_per_day == D("36.288")
    assert sizing.tiers["hot"].storage_gb == D("2721.6")
    assert sizing.tiers["hot"].nodes == 2 and not sizing.failover_node and sizing.data_nodes == 2
    assert licences(sizing, metric="eps", unit=D(100)) == 4
    assert licences(sizing, metric="gb_per_day", unit=D(10)) == 4
    assert licences(sizing, metric="gb_per_day", unit=D(5)) == 8
    assert licences(sizing, metric="node", unit=D(1)) == 2
    assert licences(sizing, metric="node", unit=D(2)) == 1
    assert (
        licences(size([], retention_days=D(30), hot_days=7, warm_days=0), metric="eps", unit=D(500))
        == 0
    )


def test_w2_the_failover_node_comes_at_the_threshold_exactly():
    """320 EPS × 1,000 B × 86,400 / 10^9 = 27.648 GB/day; 30 hot days, 1 replica: data
    27.648 × 30 × 2 = 1,658.88 GB, storage × 1.25 = 2,073.6 GB → ⌈2,073.6 / (64 × 30)⌉ = 2
    data nodes. With the failover threshold at 2 nodes one failover node more (3); at 3, none."""
    source = LogSource("Proxy", devices=1, eps_per_device=D(320), event_bytes=D(1000))
    at_two = size(
        [source],
        retention_days=D(30),
        hot_days=30,
        warm_days=0,
        constants=Constants(failover_from_nodes=2),
    )
    assert at_two.raw_gb_per_day == D("27.648")
    assert at_two.tiers["hot"].storage_gb == D("2073.600")
    assert at_two.tiers["hot"].nodes == 2 and at_two.failover_node and at_two.data_nodes == 3
    at_three = size(
        [source],
        retention_days=D(30),
        hot_days=30,
        warm_days=0,
        constants=Constants(failover_from_nodes=3),
    )
    assert not at_three.failover_node and at_three.data_nodes == 2


def test_w2_bad_constants_are_refused_with_a_reason_each():
    """Constants: a replica count that is not whole, a watermark of 100 %, a peak factor below
    1, a search factor above the replication factor, a missing RAM figure."""
    from onboarding.siem.sizing import CONSTANT_DEFAULTS, validate_constants

    assert validate_constants(dict(CONSTANT_DEFAULTS)) == {}
    bad = {
        **CONSTANT_DEFAULTS,
        "replicas": D("1.5"),
        "disk_watermark": D(1),
        "peak_factor": D("0.5"),
        "splunk_search_factor": D(4),
    }
    del bad["ram_per_node_gb"]
    errors = validate_constants(bad)
    assert set(errors) == {
        "replicas",
        "disk_watermark",
        "peak_factor",
        "splunk_search_factor",
        "ram_per_node_gb",
    }
