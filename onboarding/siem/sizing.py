"""The SIEM sizing calculator (SPEC W2, W5): pure functions in ``Decimal``, no ORM, so every
figure the customer sees can be checked by hand and against the vendors' own documents.

Units: 1 GB = 10^9 bytes; a day has 86,400 seconds; a month of retention is 365.25 / 12 days.

Volumes
- sustained EPS = Σ devices × EPS per device; peak EPS = sustained EPS × peak factor
- raw GB/day = Σ devices × EPS per device × event size (bytes) × 86,400 / 10^9
- indexed GB/day = raw GB/day × index ratio (1 = Elastic's published method on raw volume)

Elastic's method, per tier (hot, warm, cold days of the retention):
- data = indexed GB/day × compression of the tier × days × (replicas + 1)
- storage = data × (1 + disk watermark + margin of error)
- data nodes = ⌈storage / (RAM per node × memory:data ratio of the tier)⌉, and one failover node
  more when the cluster has at least ``failover_from_nodes`` data nodes.

Splunk's method: compressed raw data ≈ 15 % and index files ≈ 35 % of the daily volume, times the
replication and search factors, times the days kept.
"""

import math
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

SECONDS_PER_DAY = Decimal(86_400)
BYTES_PER_GB = Decimal(10) ** 9
DAYS_PER_MONTH = Decimal("365.25") / Decimal(12)
TIERS = ("hot", "warm", "cold")
MAX_RETENTION_MONTHS = 60


@dataclass(frozen=True)
class LogSource:
    """One type of log source of the customer: how many devices, how many events per second
    each, how large an event."""

    name: str
    devices: int
    eps_per_device: Decimal
    event_bytes: Decimal


@dataclass(frozen=True)
class Constants:
    """Every constant of the calculation, visible and editable per workshop. The defaults are
    the vendors' published rules of thumb; measured figures of the customer's data win."""

    peak_factor: Decimal = Decimal("2")
    index_ratio: Decimal = Decimal("1")
    replicas: int = 1
    disk_watermark: Decimal = Decimal("0.15")
    margin: Decimal = Decimal("0.10")
    ram_per_node_gb: Decimal = Decimal("64")
    # GB of disk per GB of RAM (Elastic: 1:30 for hot nodes; warm and cold hold more per GB).
    memory_data_ratio: dict[str, Decimal] = field(
        default_factory=lambda: {"hot": Decimal(30), "warm": Decimal(160), "cold": Decimal(500)}
    )
    # Share of the size left on the tier (1 = as indexed; e.g. 0.8 with best_compression).
    compression: dict[str, Decimal] = field(
        default_factory=lambda: {"hot": Decimal(1), "warm": Decimal(1), "cold": Decimal(1)}
    )
    failover_from_nodes: int = 3
    splunk_raw_ratio: Decimal = Decimal("0.15")
    splunk_index_ratio: Decimal = Decimal("0.35")
    splunk_replication_factor: int = 3
    splunk_search_factor: int = 2


@dataclass(frozen=True)
class Tier:
    days: Decimal
    data_gb: Decimal
    storage_gb: Decimal
    nodes: int


@dataclass(frozen=True)
class Sizing:
    sustained_eps: Decimal
    peak_eps: Decimal
    raw_gb_per_day: Decimal
    indexed_gb_per_day: Decimal
    retention_days: Decimal
    tiers: dict[str, Tier]
    failover_node: bool
    splunk_storage_gb: Decimal

    @property
    def data_gb(self) -> Decimal:
        return sum((tier.data_gb for tier in self.tiers.values()), Decimal(0))

    @property
    def storage_gb(self) -> Decimal:
        return sum((tier.storage_gb for tier in self.tiers.values()), Decimal(0))

    @property
    def headroom_gb(self) -> Decimal:
        """Disk kept free for the watermark and the margin of error."""
        return self.storage_gb - self.data_gb

    @property
    def data_nodes(self) -> int:
        return sum(tier.nodes for tier in self.tiers.values()) + int(self.failover_node)


def tier_days(retention_days: Decimal, hot_days: int, warm_days: int) -> dict[str, Decimal]:
    """The retention split into tiers: hot first, then warm, the rest cold."""
    hot = min(Decimal(hot_days), retention_days)
    warm = min(Decimal(warm_days), retention_days - hot)
    return {"hot": hot, "warm": warm, "cold": retention_days - hot - warm}


def sustained_eps(sources: list[LogSource]) -> Decimal:
    return sum((source.devices * source.eps_per_device for source in sources), Decimal(0))


def raw_gb_per_day(sources: list[LogSource]) -> Decimal:
    total = sum(
        (source.devices * source.eps_per_device * source.event_bytes for source in sources),
        Decimal(0),
    )
    return total * SECONDS_PER_DAY / BYTES_PER_GB


def size(
    sources: list[LogSource],
    *,
    retention_days: Decimal,
    hot_days: int,
    warm_days: int,
    constants: Constants | None = None,
) -> Sizing:
    """The whole sizing for these sources and this retention (SPEC W2)."""
    c = constants or Constants()
    eps = sustained_eps(sources)
    raw = raw_gb_per_day(sources)
    indexed = raw * c.index_ratio
    overhead = 1 + c.disk_watermark + c.margin
    tiers = {}
    for name, days in tier_days(retention_days, hot_days, warm_days).items():
        data = indexed * c.compression[name] * days * (c.replicas + 1)
        storage = data * overhead
        capacity = c.ram_per_node_gb * c.memory_data_ratio[name]
        nodes = math.ceil(storage / capacity) if storage > 0 else 0
        tiers[name] = Tier(days=days, data_gb=data, storage_gb=storage, nodes=nodes)
    nodes = sum(tier.nodes for tier in tiers.values())
    splunk_per_day = raw * (
        c.splunk_raw_ratio * c.splunk_replication_factor
        + c.splunk_index_ratio * c.splunk_search_factor
    )
    return Sizing(
        sustained_eps=eps,
        peak_eps=eps * c.peak_factor,
        raw_gb_per_day=raw,
        indexed_gb_per_day=indexed,
        retention_days=retention_days,
        tiers=tiers,
        failover_node=nodes >= c.failover_from_nodes,
        splunk_storage_gb=splunk_per_day * retention_days,
    )


def licences(sizing: Sizing, *, metric: str, unit: Decimal) -> int:
    """Licences by the admin's metric: per band of ``unit`` EPS (sustained), per ``unit`` GB of
    raw data a day, or per ``unit`` data nodes."""
    amount = {
        "eps": sizing.sustained_eps,
        "gb_per_day": sizing.raw_gb_per_day,
        "node": Decimal(sizing.data_nodes),
    }[metric]
    return math.ceil(amount / unit) if amount > 0 else 0


@dataclass(frozen=True)
class RetentionPoint:
    months: int
    storage_gb: Decimal
    monthly_cost: Decimal


def retention_curve(
    sources: list[LogSource],
    *,
    hot_days: int,
    warm_days: int,
    price_per_gb_month: dict[str, Decimal],
    constants: Constants | None = None,
    months: range = range(1, MAX_RETENTION_MONTHS + 1),
) -> list[RetentionPoint]:
    """Storage held and its monthly cost for each retention in months (SPEC W5): the basis of
    the customer's decision."""
    points = []
    for month in months:
        sizing = size(
            sources,
            retention_days=month * DAYS_PER_MONTH,
            hot_days=hot_days,
            warm_days=warm_days,
            constants=constants,
        )
        cost = sum(
            (tier.storage_gb * price_per_gb_month[name] for name, tier in sizing.tiers.items()),
            Decimal(0),
        )
        points.append(RetentionPoint(month, sizing.storage_gb, cost))
    return points


def _whole(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return False
    return Decimal(value) >= 0 and Decimal(value) == Decimal(value).to_integral_value()


def validate(
    sources: list[LogSource],
    *,
    retention_months: int,
    hot_days: int,
    warm_days: int,
    replicas: object,
) -> dict[str, list[str]]:
    """Bad input (SPEC W2, W5) as messages in the user's language, by field; empty when valid."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    for index, source in enumerate(sources):
        where, name = f"sources.{index}", {"name": source.name}
        if source.devices < 0:
            add(where, _("%(name)s: the number of devices cannot be negative.") % name)
        if source.eps_per_device < 0:
            add(where, _("%(name)s: events per second cannot be negative.") % name)
        if source.event_bytes <= 0:
            add(where, _("%(name)s: the event size must be more than zero.") % name)
    if not 1 <= retention_months <= MAX_RETENTION_MONTHS:
        add(
            "retention_months",
            _("Retention must be between 1 and %(max)s months.") % {"max": MAX_RETENTION_MONTHS},
        )
    elif hot_days + warm_days > retention_months * DAYS_PER_MONTH:
        add("hot_days", _("Hot and warm days cannot exceed the retention."))
    if hot_days < 0 or warm_days < 0:
        add("hot_days", _("Days cannot be negative."))
    if not _whole(replicas):
        add("replicas", _("Replicas must be a whole number, zero or more."))
    return errors


# Names of the constants as the workshop stores them, with their documented defaults.
CONSTANT_DEFAULTS: dict[str, Decimal] = {
    "peak_factor": Decimal("2"),
    "index_ratio": Decimal("1"),
    "replicas": Decimal("1"),
    "disk_watermark": Decimal("0.15"),
    "margin": Decimal("0.10"),
    "ram_per_node_gb": Decimal("64"),
    "ratio_hot": Decimal("30"),
    "ratio_warm": Decimal("160"),
    "ratio_cold": Decimal("500"),
    "compression_hot": Decimal("1"),
    "compression_warm": Decimal("1"),
    "compression_cold": Decimal("1"),
    "failover_from_nodes": Decimal("3"),
    "splunk_raw_ratio": Decimal("0.15"),
    "splunk_index_ratio": Decimal("0.35"),
    "splunk_replication_factor": Decimal("3"),
    "splunk_search_factor": Decimal("2"),
}
WHOLE_CONSTANTS = (
    "replicas",
    "failover_from_nodes",
    "splunk_replication_factor",
    "splunk_search_factor",
)


def constants_from(values: dict[str, Decimal]) -> Constants:
    """The calculator's constants from the workshop's names (validated first)."""
    v = {**CONSTANT_DEFAULTS, **values}
    return Constants(
        peak_factor=v["peak_factor"],
        index_ratio=v["index_ratio"],
        replicas=int(v["replicas"]),
        disk_watermark=v["disk_watermark"],
        margin=v["margin"],
        ram_per_node_gb=v["ram_per_node_gb"],
        memory_data_ratio={t: v[f"ratio_{t}"] for t in TIERS},
        compression={t: v[f"compression_{t}"] for t in TIERS},
        failover_from_nodes=int(v["failover_from_nodes"]),
        splunk_raw_ratio=v["splunk_raw_ratio"],
        splunk_index_ratio=v["splunk_index_ratio"],
        splunk_replication_factor=int(v["splunk_replication_factor"]),
        splunk_search_factor=int(v["splunk_search_factor"]),
    )


def validate_constants(values: dict[str, object]) -> dict[str, list[str]]:
    """Bad constants (SPEC W2) as messages in the user's language, by field; empty when valid.
    A missing constant is bad input too: every constant is shown and must be given."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    numbers: dict[str, Decimal] = {}
    for name in CONSTANT_DEFAULTS:
        value = values.get(name)
        number = isinstance(value, int | Decimal) and not isinstance(value, bool)
        if not number or not Decimal(value).is_finite():  # type: ignore[arg-type]
            add(name, _("Give a number."))
        else:
            numbers[name] = Decimal(value)  # type: ignore[arg-type]
    for name in WHOLE_CONSTANTS:
        if name in numbers and not _whole(numbers[name]):
            if name == "replicas":
                add(name, _("Replicas must be a whole number, zero or more."))
            else:
                add(name, _("This must be a whole number, zero or more."))
    rules = [
        ("peak_factor", lambda x: x >= 1, _("The peak factor is 1 or more.")),
        ("index_ratio", lambda x: x > 0, _("The index ratio must be more than zero.")),
        ("replicas", lambda x: x <= 10, _("At most 10 replicas.")),
        ("disk_watermark", lambda x: 0 <= x < 1, _("Give a share between 0 and 1 (0.15 = 15 %).")),
        ("margin", lambda x: 0 <= x < 1, _("Give a share between 0 and 1 (0.10 = 10 %).")),
        ("ram_per_node_gb", lambda x: x > 0, _("The RAM per node must be more than zero.")),
        ("failover_from_nodes", lambda x: 1 <= x <= 1000, _("Give a number of nodes from 1.")),
        ("splunk_raw_ratio", lambda x: 0 <= x <= 1, _("Give a share between 0 and 1.")),
        ("splunk_index_ratio", lambda x: 0 <= x <= 1, _("Give a share between 0 and 1.")),
        ("splunk_replication_factor", lambda x: 1 <= x <= 10, _("From 1 to 10.")),
        ("splunk_search_factor", lambda x: 1 <= x <= 10, _("From 1 to 10.")),
    ]
    for tier in TIERS:
        rules.append(
            (f"ratio_{tier}", lambda x: x > 0, _("The memory:data ratio must be more than zero."))
        )
        rules.append(
            (
                f"compression_{tier}",
                lambda x: 0 < x <= 10,
                _("The compression is a factor more than zero (1 = as indexed)."),
            )
        )
    for name, good, message in rules:
        if name in numbers and name not in errors and not good(numbers[name]):
            add(name, message)
    search, replication = (
        numbers.get("splunk_search_factor"),
        numbers.get("splunk_replication_factor"),
    )
    if (
        search is not None
        and replication is not None
        and "splunk_search_factor" not in errors
        and search > replication
    ):
        add(
            "splunk_search_factor",
            _("The search factor cannot exceed the replication factor."),
        )
    return errors
