"""The customer-360's registries: the touchpoints of an organisation's timeline and the panels of
its page. ``accounts.customer360`` renders the page; it knows no app above accounts (STYLE:
dependencies point down), so each app declares, in its own ``timeline.py`` registered from its
``AppConfig.ready()``, what it knows of a customer.

This module is the lowest layer: it imports no app of the project.

A touchpoint source is declarative, so that the registry alone decides filtering, ordering and
limits — never more than ``limit`` rows per source, whatever the customer's history, and two
queries for the whole page on PostgreSQL (see "Two queries" below)::

    # tickets/timeline.py
    from csm_portal.timeline import TICKETS, Touchpoint, register_source

    def register_timeline() -> None:
        register_source(
            name="ticket_opened",
            kind=TICKETS,
            rows=lambda organisation_id: Ticket.objects.filter(organisation_id=organisation_id),
            at="created_at",
            touchpoint=lambda ticket: Touchpoint(title=..., url=ticket.get_absolute_url()),
        )

The timeline is newest first and paginated by keyset: a page ends with a cursor (time, source
name, primary key) and the next page asks every source for the rows strictly before it, so a
page costs the same queries whether the customer has ten touchpoints or ten thousand.

A panel is a block of the customer-360 page: a template and a context built from the
organisation, with a constant number of queries. ``AVAILABILITY`` is the slot kept for the
desk's monthly availability against the contractual level (SPEC S9).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Kinds: the timeline's filter. Several sources may share a kind (e-mails come from contracts
# and tickets alike).
CHARGES = "charges"
TICKETS = "tickets"
MEETINGS = "meetings"
EMAILS = "emails"
TERMS = "terms"
WARNINGS = "warnings"
CANCELLATIONS = "cancellations"
REQUESTS = "requests"
STATEMENTS = "statements"

KIND_LABELS: dict[str, Any] = {
    CHARGES: _("Hours charged"),
    TICKETS: _("Tickets"),
    MEETINGS: _("Meetings"),
    EMAILS: _("E-mails sent"),
    TERMS: _("Terms accepted"),
    WARNINGS: _("Usage and expiry warnings"),
    CANCELLATIONS: _("Cancellation notices"),
    REQUESTS: _("Activity requests"),
    STATEMENTS: _("Statements"),
}

PAGE_SIZE = 25


@dataclass(frozen=True)
class Touchpoint:
    """One thing that happened with a customer. ``at`` and ``kind`` are set by the registry."""

    title: str
    detail: str = ""
    url: str = ""
    at: datetime | None = None
    kind: str = ""
    source: str = ""
    pk: int = 0

    @property
    def label(self) -> Any:
        """The kind's name for the badge (looked up here, not by a loop in the template)."""
        return KIND_LABELS.get(self.kind, "")


@dataclass(frozen=True)
class Source:
    name: str
    kind: str
    rows: Callable[[int], QuerySet]
    at: str
    touchpoint: Callable[[Model], Touchpoint]


@dataclass(frozen=True)
class Cursor:
    """Where a page of the timeline ended: the next page starts strictly after it (older)."""

    at: datetime
    source: str
    pk: int

    def encode(self) -> str:
        raw = f"{self.at.isoformat()}|{self.source}|{self.pk}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> Cursor | None:
        """The cursor of a ``?before=`` value, or None for anything malformed (first page)."""
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
            at, source, pk = raw.split("|")
            moment = datetime.fromisoformat(at)
            if timezone.is_naive(moment):
                return None
            return cls(at=moment, source=source, pk=int(pk))
        except (ValueError, UnicodeDecodeError):
            return None


_sources: dict[str, Source] = {}


def register_source(
    *,
    name: str,
    kind: str,
    rows: Callable[[int], QuerySet],
    at: str,
    touchpoint: Callable[[Any], Touchpoint],
) -> None:
    """Declare a source of touchpoints: ``rows(organisation_id)`` is the organisation's rows
    (through the scoped manager; the model has an ``organisation`` field, and an index on
    (organisation, ``at``) so its page is read in order), ``at`` the name of their date-time
    field, ``touchpoint(row)`` what the timeline shows (the row comes with the relations
    ``rows`` names in ``select_related``; any other costs a query per row). Idempotent: an
    app's ``ready()`` may run more than once."""
    if kind not in KIND_LABELS:
        raise ValueError(f"Unknown timeline kind {kind!r}")
    _sources[name] = Source(name=name, kind=kind, rows=rows, at=at, touchpoint=touchpoint)


def sources(kinds: Iterable[str] | None = None) -> list[Source]:
    wanted = set(kinds) if kinds else None
    return [s for name, s in sorted(_sources.items()) if wanted is None or s.kind in wanted]


def _before(source: Source, cursor: Cursor) -> Q:
    """Rows strictly older than the cursor in the order (time, source name, pk), descending. The
    source name is constant within a source, so the comparison becomes a filter on time and pk."""
    older = Q(**{f"{source.at}__lt": cursor.at})
    if source.name < cursor.source:
        return older | Q(**{source.at: cursor.at})
    if source.name == cursor.source:
        return older | Q(**{source.at: cursor.at, "pk__lt": cursor.pk})
    return older


def _moment(day: date, *, end: bool) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min))


@dataclass
class TimelinePage:
    items: list[Touchpoint] = field(default_factory=list)
    next_cursor: Cursor | None = None


def source_rows(
    source: Source,
    *,
    organisation_id: int,
    since: date | None = None,
    until: date | None = None,
    before: Cursor | None = None,
    limit: int = PAGE_SIZE,
) -> QuerySet:
    """The newest ``limit + 1`` rows of one source for a page (an index on (organisation, time,
    pk) serves it: tests/customer360 EXPLAINs each)."""
    rows = source.rows(organisation_id)
    if rows.model._meta.get_field(source.at).null:
        rows = rows.filter(**{f"{source.at}__isnull": False})
    if since is not None:
        rows = rows.filter(**{f"{source.at}__gte": _moment(since, end=False)})
    if until is not None:
        rows = rows.filter(**{f"{source.at}__lte": _moment(until, end=True)})
    if before is not None:
        rows = rows.filter(_before(source, before))
    return rows.order_by(f"-{source.at}", "-pk")[: limit + 1]


# --- Two queries for the whole page on PostgreSQL (issue 15) ---------------------------------
# 1. Each source's newest keys (time, source, pk) from its own index, merged by PostgreSQL, which
#    keeps the page (UNION ALL of the sources' limited queries, through their scoped managers).
# 2. The page's rows of every source at once, each with the rows its ``select_related`` names, as
#    JSON (``to_jsonb`` of each row); Python rebuilds the model instances from it, so a source's
#    ``touchpoint(row)`` gets the same objects as from its own queryset.
# Two round trips instead of one per source, and only the page's rows become objects.


def _paths(tree: Any, prefix: str = "") -> list[str]:
    if not isinstance(tree, dict):
        return []
    found: list[str] = []
    for name, below in tree.items():
        path = f"{prefix}{name}"
        found.append(path)
        found.extend(_paths(below, f"{path}__"))
    return found


def _model_at(model: type[Model], path: str) -> type[Model]:
    for name in path.split("__") if path else []:
        model = model._meta.get_field(name).related_model  # type: ignore[assignment]
    return model


def _keys_query(branches: list[tuple[Source, QuerySet]], limit: int) -> tuple[str, list]:
    parts, params = [], []
    for source, rows in branches:
        sql, values = rows.values_list(source.at, "pk").query.sql_with_params()
        parts.append(f"(SELECT keys.*, %s FROM ({sql}) AS keys)")  # noqa: S608
        params.extend([source.name, *values])
    # Constants and Django's compiled SQL; every value is a parameter.
    sql = (
        f"SELECT at, source, pk FROM ({' UNION ALL '.join(parts)}) "  # noqa: S608
        'AS page (at, pk, source) ORDER BY at DESC, source COLLATE "C" DESC, pk DESC LIMIT %s'
    )
    return sql, [*params, limit + 1]


def _rows_query(source: Source, rows: QuerySet, ids: list[int], organisation_id: int):
    """The rows ``ids`` of a source (still of the organisation) with their related rows."""
    quote = connection.ops.quote_name
    model = rows.model
    paths = _paths(rows.query.select_related)
    aliases = {"": "t0"}
    joins, objects, params = [], ["%s, to_jsonb(t0)"], ["row"]
    for number, path in enumerate(paths, start=1):
        parent, _sep, name = path.rpartition("__")
        relation = _model_at(model, parent)._meta.get_field(name)
        related = relation.related_model
        alias = aliases[path] = f"t{number}"
        joins.append(
            f"LEFT JOIN {quote(related._meta.db_table)} {alias} ON "
            f"{alias}.{quote(relation.target_field.column)} = "
            f"{aliases[parent]}.{quote(relation.column)}"
        )
        objects.append(f"%s, to_jsonb({alias})")
        params.append(path)
    pk = quote(model._meta.pk.column)
    organisation = quote(model._meta.get_field("organisation").column)
    sql = (
        f"SELECT %s, t0.{pk}, jsonb_build_object({', '.join(objects)}) "  # noqa: S608
        f"FROM {quote(model._meta.db_table)} t0 {' '.join(joins)} "
        f"WHERE t0.{pk} = ANY(%s) AND t0.{organisation} = %s"
    )
    return sql, [source.name, *params, ids, organisation_id], paths


def _instance(model: type[Model], values: dict | None) -> Model | None:
    if not values or values.get(model._meta.pk.column) is None:
        return None
    fields = model._meta.concrete_fields
    return model.from_db(
        connection.alias,
        [f.attname for f in fields],
        [None if values[f.column] is None else f.to_python(values[f.column]) for f in fields],
    )


def _rebuild(model: type[Model], paths: list[str], data: dict) -> Model:
    made: dict[str, Model | None] = {"": _instance(model, data["row"])}
    for path in paths:  # a parent comes before its children
        parent_path, _sep, name = path.rpartition("__")
        related = _instance(_model_at(model, path), data[path])
        made[path] = related
        parent = made.get(parent_path)
        if parent is not None:
            parent._meta.get_field(name).set_cached_value(parent, related)
    return made[""]  # type: ignore[return-value]


def _page_rows(
    branches: list[tuple[Source, QuerySet]], organisation_id: int, limit: int
) -> list[tuple]:
    sql, params = _keys_query(branches, limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        keys = cursor.fetchall()
    if not keys:
        return []
    by_name = {source.name: (source, rows) for source, rows in branches}
    wanted: dict[str, list[int]] = {}
    for _at, name, pk in keys:
        wanted.setdefault(name, []).append(pk)
    parts, params, shapes = [], [], {}
    for name, ids in wanted.items():
        source, rows = by_name[name]
        sql, values, paths = _rows_query(source, rows, ids, organisation_id)
        parts.append(f"({sql})")
        params.extend(values)
        shapes[name] = (rows.model, paths)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        fetched = {}
        for name, pk, data in cursor.fetchall():
            if isinstance(data, str):
                data = json.loads(data, parse_float=Decimal)
            model, paths = shapes[name]
            fetched[(name, pk)] = _rebuild(model, paths, data)
    return [
        (at, name, pk, by_name[name][0], fetched[(name, pk)])
        for at, name, pk in keys
        if (name, pk) in fetched
    ]


def timeline(
    *,
    organisation_id: int,
    kinds: Iterable[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    before: Cursor | None = None,
    limit: int = PAGE_SIZE,
) -> TimelinePage:
    """A page of the organisation's touchpoints, newest first: each source limited to
    ``limit + 1`` rows by its index, merged by time (the extra row says whether a next page
    exists). Two queries on PostgreSQL whatever the number of sources (see above)."""
    branches = [
        (
            source,
            source_rows(
                source,
                organisation_id=organisation_id,
                since=since,
                until=until,
                before=before,
                limit=limit,
            ),
        )
        for source in sources(kinds)
    ]
    # (time, source name, pk, source, row): rows are ranked first and only the page's rows are
    # turned into touchpoints (translated titles, links, dates), not every source's limit + 1.
    found: list[tuple] = []
    if connection.vendor == "postgresql" and branches:
        found = _page_rows(branches, organisation_id, limit)
    else:  # the SQLite of ``make run``: one query per source
        for source, rows in branches:
            for row in rows:
                found.append((getattr(row, source.at), source.name, row.pk, source, row))
        found.sort(key=lambda f: (f[0], f[1], f[2]), reverse=True)
    items = [
        replace(source.touchpoint(row), at=at, kind=source.kind, source=name, pk=pk)
        for at, name, pk, source, row in found[:limit]
    ]
    next_cursor = None
    if len(found) > limit and items:
        last = items[-1]
        next_cursor = Cursor(at=last.at, source=last.source, pk=last.pk)  # type: ignore[arg-type]
    return TimelinePage(items=items, next_cursor=next_cursor)


# --------------------------------------------------------------------------- panels

# The slots of the page, in order. AVAILABILITY is reserved for the desk (SPEC S9: monthly
# availability against the contractual level); until it registers, the page shows nothing there.
CONTRACT = "contract"
HOURS = "hours"
AVAILABILITY = "availability"
OPEN_TICKETS = "open_tickets"
ACTIVITIES = "activities"
SLOTS = (CONTRACT, HOURS, AVAILABILITY, OPEN_TICKETS, ACTIVITIES)


@dataclass(frozen=True)
class Panel:
    slot: str
    template: str
    context: Callable[..., dict]
    # Static files the panel needs in the page's head (e.g. Chart.js for a chart).
    scripts: tuple[str, ...] = ()


_panels: dict[str, Panel] = {}


def register_panel(
    *,
    slot: str,
    template: str,
    context: Callable[..., dict],
    scripts: tuple[str, ...] = (),
) -> None:
    """Declare the panel of ``slot``: ``context(organisation=..., today=...)`` returns what
    ``template`` shows, with a constant number of queries. One panel per slot."""
    if slot not in SLOTS:
        raise ValueError(f"Unknown customer-360 slot {slot!r}")
    _panels[slot] = Panel(slot=slot, template=template, context=context, scripts=scripts)


def panels() -> list[Panel]:
    return [_panels[slot] for slot in SLOTS if slot in _panels]
