"""What a retention decision freezes (SPEC W5), as plain JSON: Decimals as strings, so the row
reads back exactly what the customer saw. Pure: no ORM."""

from dataclasses import asdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from onboarding.siem.sizing import Constants, LogSource, RetentionPoint, Sizing

FOUR_PLACES = Decimal("0.0001")


def decimal_text(value: Decimal) -> str:
    """A Decimal as a string with four decimals at most (what the page and the PDF show)."""
    return str(Decimal(value).quantize(FOUR_PLACES))


def two_places(value: object) -> Decimal:
    """Rounded half up to the cent (Django's number_format alone truncates Decimals)."""
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _text(value: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, dict):
        return {key: _text(item) for key, item in value.items()}
    return value


def inputs_of(
    *,
    sources: list[LogSource],
    constants: Constants,
    prices: dict[str, Decimal],
    currency: str,
    hot_days: int,
    warm_days: int,
) -> dict[str, Any]:
    return {
        "sources": [_text(asdict(source)) for source in sources],
        "constants": _text(asdict(constants)),
        "prices": _text(prices),
        "currency": currency,
        "hot_days": hot_days,
        "warm_days": warm_days,
    }


def curve_of(points: list[RetentionPoint]) -> list[dict[str, Any]]:
    return [
        {
            "months": point.months,
            "storage_gb": decimal_text(point.storage_gb),
            "monthly_cost": decimal_text(point.monthly_cost),
        }
        for point in points
    ]


def point_at(curve: list[dict[str, Any]], months: int) -> dict[str, Any] | None:
    return next((point for point in curve if point.get("months") == months), None)


def sources_from(inputs: dict[str, Any]) -> list[LogSource]:
    return [
        LogSource(
            name=str(row["name"]),
            devices=int(row["devices"]),
            eps_per_device=Decimal(row["eps_per_device"]),
            event_bytes=Decimal(row["event_bytes"]),
        )
        for row in inputs.get("sources", [])
    ]


def sizing_rows(sizing: Sizing) -> list[dict[str, Any]]:
    """One row per tier, for tables: days, data, storage, data nodes (as strings)."""
    return [
        {
            "tier": name,
            "days": decimal_text(tier.days),
            "data_gb": decimal_text(tier.data_gb),
            "storage_gb": decimal_text(tier.storage_gb),
            "nodes": tier.nodes,
        }
        for name, tier in sizing.tiers.items()
    ]
