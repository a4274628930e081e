"""The sizing as the page shows it (SPEC W2): every figure of ``sizing.size`` with the formula
that produced it written out, the constants substituted, so the customer can check it against
the vendors' documents. Numbers in the active language's format. No ORM, no arithmetic of its
own beyond what ``sizing`` computed (the substituted values are the inputs, the results are
``sizing``'s)."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from onboarding.siem.sizing import (
    BYTES_PER_GB,
    DAYS_PER_MONTH,
    SECONDS_PER_DAY,
    TIERS,
    Constants,
    LogSource,
    Sizing,
    licences,
    size,
)


def fmt(value: Decimal | int, places: int = 2) -> str:
    """``value`` rounded to at most ``places`` decimals, without trailing zeros, grouped and
    punctuated as the active language writes numbers (Italian: 1.234,5)."""
    number = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = format(number, "f")
    decimals = len(text.split(".")[1].rstrip("0")) if "." in text else 0
    return number_format(number, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def plain(value: Decimal | int) -> str:
    """A number as a form's input takes it: a dot, no grouping, no trailing zeros."""
    text = format(Decimal(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Formula:
    label: str
    text: str


@dataclass(frozen=True)
class TierRow:
    name: str
    label: str
    days: str
    data_gb: str
    storage_gb: str
    nodes: int


@dataclass(frozen=True)
class Report:
    sizing: Sizing
    licences: int
    metric: str
    unit: Decimal
    retention_months: int
    tiers: list[TierRow]
    formulas: list[Formula]
    figures: dict[str, str]


def tier_labels() -> dict[str, str]:
    return {"hot": _("hot"), "warm": _("warm"), "cold": _("cold")}


def metric_label(metric: str, unit: Decimal) -> str:
    return {
        "eps": _("one licence per %(unit)s events per second (sustained)"),
        "gb_per_day": _("one licence per %(unit)s GB of raw data a day"),
        "node": _("one licence per %(unit)s data nodes"),
    }[metric] % {"unit": fmt(unit)}


def build(
    sources: list[LogSource],
    *,
    constants: Constants,
    retention_months: int,
    hot_days: int,
    warm_days: int,
    metric: str,
    unit: Decimal,
) -> Report:
    c = constants
    days = retention_months * DAYS_PER_MONTH
    sizing = size(sources, retention_days=days, hot_days=hot_days, warm_days=warm_days, constants=c)
    count = licences(sizing, metric=metric, unit=unit)
    labels = tier_labels()
    eps_terms = " + ".join(f"{fmt(s.devices)} × {fmt(s.eps_per_device, 4)}" for s in sources)
    raw_terms = " + ".join(
        f"{fmt(s.devices)} × {fmt(s.eps_per_device, 4)} × {fmt(s.event_bytes, 4)}" for s in sources
    )
    formulas = [
        Formula(
            _("Sustained EPS"),
            _("Σ devices × EPS per device = %(terms)s = %(result)s")
            % {"terms": eps_terms or "0", "result": fmt(sizing.sustained_eps)},
        ),
        Formula(
            _("Peak EPS"),
            _("sustained EPS × peak factor = %(eps)s × %(factor)s = %(result)s")
            % {
                "eps": fmt(sizing.sustained_eps),
                "factor": fmt(c.peak_factor, 4),
                "result": fmt(sizing.peak_eps),
            },
        ),
        Formula(
            _("Raw GB/day"),
            _(
                "Σ devices × EPS per device × event bytes × %(seconds)s s / %(bytes)s = "
                "(%(terms)s) × %(seconds)s / %(bytes)s = %(result)s"
            )
            % {
                "terms": raw_terms or "0",
                "seconds": fmt(SECONDS_PER_DAY),
                "bytes": fmt(BYTES_PER_GB),
                "result": fmt(sizing.raw_gb_per_day, 4),
            },
        ),
        Formula(
            _("Indexed GB/day"),
            _("raw GB/day × index ratio = %(raw)s × %(ratio)s = %(result)s")
            % {
                "raw": fmt(sizing.raw_gb_per_day, 4),
                "ratio": fmt(c.index_ratio, 4),
                "result": fmt(sizing.indexed_gb_per_day, 4),
            },
        ),
        Formula(
            _("Retention"),
            _(
                "%(months)s months × 365.25 / 12 = %(days)s days (hot %(hot)s, warm %(warm)s, "
                "the rest cold)"
            )
            % {
                "months": retention_months,
                "days": fmt(days, 4),
                "hot": hot_days,
                "warm": warm_days,
            },
        ),
    ]
    overhead = {
        "watermark": fmt(c.disk_watermark, 4),
        "margin": fmt(c.margin, 4),
    }
    rows = []
    for name in TIERS:
        tier = sizing.tiers[name]
        values = {
            "tier": labels[name],
            "indexed": fmt(sizing.indexed_gb_per_day, 4),
            "compression": fmt(c.compression[name], 4),
            "days": fmt(tier.days, 4),
            "replicas": c.replicas,
            "data": fmt(tier.data_gb),
            "storage": fmt(tier.storage_gb),
            "ram": fmt(c.ram_per_node_gb, 4),
            "ratio": fmt(c.memory_data_ratio[name], 4),
            "nodes": tier.nodes,
            **overhead,
        }
        formulas += [
            Formula(
                _("Data, %(tier)s") % values,
                _(
                    "indexed GB/day × compression × days × (replicas + 1) = %(indexed)s × "
                    "%(compression)s × %(days)s × (%(replicas)s + 1) = %(data)s GB"
                )
                % values,
            ),
            Formula(
                _("Storage, %(tier)s") % values,
                _(
                    "data × (1 + disk watermark + margin) = %(data)s × (1 + %(watermark)s + "
                    "%(margin)s) = %(storage)s GB"
                )
                % values,
            ),
            Formula(
                _("Data nodes, %(tier)s") % values,
                _(
                    "⌈storage / (RAM per node × memory:data ratio)⌉ = ⌈%(storage)s / (%(ram)s × "
                    "%(ratio)s)⌉ = %(nodes)s"
                )
                % values,
            ),
        ]
        rows.append(
            TierRow(
                name=name,
                label=labels[name],
                days=fmt(tier.days, 2),
                data_gb=fmt(tier.data_gb),
                storage_gb=fmt(tier.storage_gb),
                nodes=tier.nodes,
            )
        )
    tier_nodes = sizing.data_nodes - int(sizing.failover_node)
    formulas += [
        Formula(
            _("Failover node"),
            (
                _("%(nodes)s data nodes ≥ %(from)s: one failover node more = %(total)s")
                if sizing.failover_node
                else _("%(nodes)s data nodes < %(from)s: no failover node = %(total)s")
            )
            % {"nodes": tier_nodes, "from": c.failover_from_nodes, "total": sizing.data_nodes},
        ),
        Formula(
            _("Disk headroom"),
            _("storage − data = %(storage)s − %(data)s = %(headroom)s GB")
            % {
                "storage": fmt(sizing.storage_gb),
                "data": fmt(sizing.data_gb),
                "headroom": fmt(sizing.headroom_gb),
            },
        ),
        Formula(
            _("Splunk's estimate"),
            _(
                "raw GB/day × (raw share × replication factor + index share × search factor) × "
                "days = %(raw)s × (%(raw_ratio)s × %(rf)s + %(index_ratio)s × %(sf)s) × "
                "%(days)s = %(result)s GB"
            )
            % {
                "raw": fmt(sizing.raw_gb_per_day, 4),
                "raw_ratio": fmt(c.splunk_raw_ratio, 4),
                "rf": c.splunk_replication_factor,
                "index_ratio": fmt(c.splunk_index_ratio, 4),
                "sf": c.splunk_search_factor,
                "days": fmt(days, 4),
                "result": fmt(sizing.splunk_storage_gb),
            },
        ),
    ]
    amount = {
        "eps": fmt(sizing.sustained_eps),
        "gb_per_day": fmt(sizing.raw_gb_per_day, 4),
        "node": fmt(sizing.data_nodes),
    }[metric]
    formulas.append(
        Formula(
            _("Licences"),
            _("%(metric)s: ⌈%(amount)s / %(unit)s⌉ = %(count)s")
            % {
                "metric": metric_label(metric, unit),
                "amount": amount,
                "unit": fmt(unit, 4),
                "count": count,
            },
        )
    )
    figures = {
        "sustained_eps": fmt(sizing.sustained_eps),
        "peak_eps": fmt(sizing.peak_eps),
        "raw_gb_per_day": fmt(sizing.raw_gb_per_day),
        "indexed_gb_per_day": fmt(sizing.indexed_gb_per_day),
        "retention_days": fmt(days),
        "data_gb": fmt(sizing.data_gb),
        "storage_gb": fmt(sizing.storage_gb),
        "headroom_gb": fmt(sizing.headroom_gb),
        "data_nodes": fmt(sizing.data_nodes),
        "splunk_storage_gb": fmt(sizing.splunk_storage_gb),
        "licences": fmt(count),
        "metric": metric_label(metric, unit),
    }
    return Report(
        sizing=sizing,
        licences=count,
        metric=metric,
        unit=unit,
        retention_months=retention_months,
        tiers=rows,
        formulas=formulas,
        figures=figures,
    )


def as_strings(report: Report) -> dict:
    """The sizing for the API: every figure as a string of its exact Decimal (without trailing
    zeros)."""
    s = report.sizing
    return {
        "sustained_eps": plain(s.sustained_eps),
        "peak_eps": plain(s.peak_eps),
        "raw_gb_per_day": plain(s.raw_gb_per_day),
        "indexed_gb_per_day": plain(s.indexed_gb_per_day),
        "retention_months": report.retention_months,
        "retention_days": plain(s.retention_days),
        "tiers": {
            name: {
                "days": plain(tier.days),
                "data_gb": plain(tier.data_gb),
                "storage_gb": plain(tier.storage_gb),
                "nodes": tier.nodes,
            }
            for name, tier in s.tiers.items()
        },
        "data_gb": plain(s.data_gb),
        "storage_gb": plain(s.storage_gb),
        "headroom_gb": plain(s.headroom_gb),
        "failover_node": s.failover_node,
        "data_nodes": s.data_nodes,
        "splunk_storage_gb": plain(s.splunk_storage_gb),
        "licence_metric": report.metric,
        "licence_unit": plain(report.unit),
        "licences": report.licences,
    }
