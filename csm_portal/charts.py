"""Charts people would rather look at than read: the page builds a Chart.js configuration on the
server (plain data, no code), ``templates/partials/chart.html`` puts it in a ``json_script`` beside
a canvas, and ``static/js/charts.js`` draws it with Chart.js served from our own static files —
nothing inline, so the Content-Security-Policy needs no exception. The table with the same
figures stays on the page for screen readers and for reading exact values."""

from collections.abc import Sequence
from decimal import Decimal

BRAND = "#1f5fa8"
ACCENT = "#c26a00"


def _number(value: object) -> float | int | None:
    # Chart.js draws numbers; Decimal hours and counts become JSON numbers only here, for display.
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)  # display only: the figures themselves stay Decimal
    return value  # type: ignore[return-value]


def bars_and_line(
    *,
    labels: Sequence[str],
    bars: Sequence[object],
    bar_label: str,
    line: Sequence[object] | None = None,
    line_label: str = "",
    line_max: int | None = None,
) -> dict:
    """Bars (e.g. tickets opened per month) with an optional line on a second axis (e.g. SLA
    compliance in %)."""
    datasets: list[dict] = [
        {
            "type": "bar",
            "label": bar_label,
            "data": [_number(value) for value in bars],
            "backgroundColor": BRAND,
            "maxBarThickness": 48,
            "yAxisID": "y",
        }
    ]
    scales: dict = {"y": {"beginAtZero": True, "position": "left", "ticks": {"precision": 0}}}
    if line is not None:
        datasets.append(
            {
                "type": "line",
                "label": line_label,
                "data": [_number(value) for value in line],
                "borderColor": ACCENT,
                "backgroundColor": ACCENT,
                "spanGaps": True,
                "yAxisID": "y1",
            }
        )
        scales["y1"] = {
            "beginAtZero": True,
            "position": "right",
            "grid": {"drawOnChartArea": False},
            **({"max": line_max} if line_max is not None else {}),
        }
    return {
        "type": "bar",
        "data": {"labels": list(labels), "datasets": datasets},
        "options": {
            "responsive": True,
            "maintainAspectRatio": False,
            "animation": False,
            "scales": scales,
        },
    }


def cumulative_against_time(
    *,
    labels: Sequence[str],
    cumulative: Sequence[object],
    straight: Sequence[object],
    cumulative_label: str,
    straight_label: str,
) -> dict:
    """Hours used over a licence year: the cumulative charges (a stepped line that stops today)
    against the straight line of time (the year's hours spread evenly over its days). Above the
    straight line the customer burns faster than time passes."""
    return {
        "type": "line",
        "data": {
            "labels": list(labels),
            "datasets": [
                {
                    "label": cumulative_label,
                    "data": [_number(value) for value in cumulative],
                    "borderColor": BRAND,
                    "backgroundColor": BRAND,
                    "stepped": True,
                    "pointRadius": 2,
                    "borderWidth": 2,
                    "spanGaps": False,
                },
                {
                    "label": straight_label,
                    "data": [_number(value) for value in straight],
                    "borderColor": ACCENT,
                    "backgroundColor": ACCENT,
                    "borderDash": [6, 4],
                    "pointRadius": 0,
                    "borderWidth": 2,
                },
            ],
        },
        "options": {
            "responsive": True,
            "maintainAspectRatio": False,
            "animation": False,
            "interaction": {"mode": "index", "intersect": False},
            "scales": {"y": {"beginAtZero": True}, "x": {"ticks": {"maxTicksLimit": 12}}},
        },
    }


def two_lines(
    *,
    labels: Sequence[str],
    left: Sequence[object],
    left_label: str,
    right: Sequence[object],
    right_label: str,
    x_label: str = "",
    marker_at: int | None = None,
    marker_label: str = "",
) -> dict:
    """Two lines against the same x axis, each on its own y axis (e.g. monthly cost on the left,
    storage on the right, against months of retention). ``marker_at`` (an index of ``labels``)
    puts a point on the left line, e.g. the retention chosen; a page's own script may move it."""
    datasets: list[dict] = [
        {
            "type": "line",
            "label": left_label,
            "data": [_number(value) for value in left],
            "borderColor": BRAND,
            "backgroundColor": BRAND,
            "pointRadius": 0,
            "yAxisID": "y",
        },
        {
            "type": "line",
            "label": right_label,
            "data": [_number(value) for value in right],
            "borderColor": ACCENT,
            "backgroundColor": ACCENT,
            "borderDash": [6, 4],
            "pointRadius": 0,
            "yAxisID": "y1",
        },
    ]
    if marker_at is not None:
        datasets.append(
            {
                "type": "line",
                "label": marker_label,
                "data": [
                    _number(value) if index == marker_at else None
                    for index, value in enumerate(left)
                ],
                "borderColor": "#222222",
                "backgroundColor": "#222222",
                "showLine": False,
                "pointRadius": 7,
                "pointHoverRadius": 8,
                "yAxisID": "y",
            }
        )
    return {
        "type": "line",
        "data": {"labels": list(labels), "datasets": datasets},
        "options": {
            "responsive": True,
            "maintainAspectRatio": False,
            "animation": False,
            "interaction": {"mode": "index", "intersect": False},
            "scales": {
                "x": {"title": {"display": bool(x_label), "text": x_label}},
                "y": {
                    "beginAtZero": True,
                    "position": "left",
                    "title": {"display": True, "text": left_label},
                },
                "y1": {
                    "beginAtZero": True,
                    "position": "right",
                    "grid": {"drawOnChartArea": False},
                    "title": {"display": True, "text": right_label},
                },
            },
        },
    }
