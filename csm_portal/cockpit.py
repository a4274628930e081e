"""The registry behind every role's home page (issue 14, SPEC H10, S9, L1): each app says, from
its own ``<app>/cockpit.py`` registered in its ``AppConfig.ready()``, which alerts it raises
about customers, which health facts it knows and which panels it adds to whose home.
``accounts.views.home`` asks this registry and never imports the apps above accounts (STYLE:
dependencies point down), like the day-90 deletion registry in ``csm_portal/deletion.py``.

This module is the lowest layer: it imports no app of the project.

Providers work on many organisations at once, with a constant number of queries (one
aggregate per organisation set, never one query per customer): the CSTM cockpit costs the same
with 3 customers as with 30 (``tests/cockpit/test_home.py``).

Registering::

    # contracts/cockpit.py
    from csm_portal import cockpit

    def _alerts(organisation_ids: list[int], today: date) -> list[cockpit.Alert]: ...

    def register() -> None:
        cockpit.register_alerts("contracts.balance", _alerts)
        cockpit.register_facts("contracts.hours", _facts)
        cockpit.register_panel("contracts.hours", audiences=(cockpit.REFERENT,), provider=_panel,
                               order=10)
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import BigAutoField, ForeignKey, Lookup
from django.db.models.signals import post_save

from csm_portal.health import AT_RISK, CRITICAL, GOOD, Health, HealthFacts, health_of


class AnyOf(Lookup):
    """``organisation_id__any=ids``: ``organisation_id = ANY(%s)`` with the ids as ONE array
    parameter (issue 15). ``__in`` prepares and quotes each id in Python, about 8 ms per query
    for the admin's 2,000 customers; the providers below ask for every customer at once."""

    lookup_name = "any"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        ids = [int(pk) for pk in self.rhs]
        if connection.vendor != "postgresql":  # SQLite, the embedded database of `make run`
            if not ids:
                return "0 = 1", []
            return f"{lhs} IN ({', '.join(['%s'] * len(ids))})", [*lhs_params, *ids]
        # A constant array literal (not ARRAY[...]): the planner then estimates it exactly as
        # it does an IN list, which PostgreSQL turns into this same ``= ANY('{...}')``.
        literal = "{" + ",".join(str(pk) for pk in ids) + "}"
        return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, literal]


ForeignKey.register_lookup(AnyOf)
BigAutoField.register_lookup(AnyOf)  # ``pk__any=ids`` on an organisation

# Who a panel is for: the role of the home's reader, plus "jobs" (the admin's health of the
# scheduled jobs and mailboxes).
REFERENT = "referent"
END_USER = "end_user"
CSTM = "cstm"
AGENT = "agent"
ADMIN = "provider_admin"
JOBS = "jobs"

WARNING = "warning"
INFO = "info"
SEVERITY_ORDER = {CRITICAL: 0, WARNING: 1, INFO: 2}
LEVEL_ORDER = {CRITICAL: 0, AT_RISK: 1, GOOD: 2}


@dataclass(frozen=True)
class Alert:
    """Something about a customer that needs action, one click from where it is resolved.
    ``sentence`` is plain language in the active language (no rule code); ``code`` names the
    kind for tests and styling. ``phrase`` and ``params`` say the sentence language-neutrally
    (a registered phrase and JSON values): the stored ranking keeps those and renders the
    sentence when read, in the reader's language (``stored_alerts``)."""

    organisation_id: int
    severity: str  # CRITICAL, WARNING or INFO
    sentence: str
    url: str
    code: str
    phrase: str = ""
    params: dict[str, Any] = field(default_factory=dict, compare=False)


# A phrase renders an alert's sentence in the active language from JSON values (numbers,
# strings, dates as ISO strings). The live providers and the stored ranking both go through
# it, so a stored alert reads exactly as the live one would.
Phrase = Callable[[dict[str, Any]], str]
_phrases: dict[str, Phrase] = {}


def register_phrases(phrases: dict[str, Phrase]) -> None:
    """Declare the phrases of an app's alerts, by name (``"<app>.<what>"``). Idempotent."""
    _phrases.update(phrases)


def alert(
    *,
    organisation_id: int,
    severity: str,
    phrase: str,
    params: dict[str, Any],
    url: str,
    code: str,
) -> Alert:
    """An alert whose sentence is the registered ``phrase`` said with ``params`` (JSON values),
    in the active language."""
    return Alert(
        organisation_id=organisation_id,
        severity=severity,
        sentence=_phrases[phrase](params),
        url=url,
        code=code,
        phrase=phrase,
        params=params,
    )


def alert_values(found: Alert) -> dict[str, Any]:
    """An alert as plain JSON values, language-neutral, to store; back with ``stored_alerts``."""
    return {
        "organisation_id": found.organisation_id,
        "severity": found.severity,
        "phrase": found.phrase,
        "params": found.params,
        "url": found.url,
        "code": found.code,
    }


def stored_alerts(values: list[dict[str, Any]]) -> list[Alert]:
    """Stored alerts back, their sentences rendered now in the active language. An alert whose
    phrase this version no longer knows is left out (the next refresh, within the minute,
    stores the current ones)."""
    return [
        Alert(
            organisation_id=v["organisation_id"],
            severity=v["severity"],
            sentence=_phrases[v["phrase"]](v["params"]),
            url=v["url"],
            code=v["code"],
            phrase=v["phrase"],
            params=v["params"],
        )
        for v in values
        if v.get("phrase") in _phrases
    ]


@dataclass(frozen=True)
class Panel:
    """A block of a home page: a template and its context, in ``order``."""

    template: str
    context: dict[str, Any]
    order: int = 100


AlertProvider = Callable[[list[int], date], list[Alert]]
# organisation id → {HealthFacts field: value}; ``last_contact_on`` merges by the latest date.
FactsProvider = Callable[[list[int], date], dict[int, dict[str, Any]]]
# (request, today) → a Panel, or None when the app has nothing to show this reader.
PanelProvider = Callable[[Any, date], Panel | None]


@dataclass
class _Registry:
    alerts: dict[str, AlertProvider] = field(default_factory=dict)
    facts: dict[str, FactsProvider] = field(default_factory=dict)
    panels: dict[str, tuple[tuple[str, ...], PanelProvider, int]] = field(default_factory=dict)


_registry = _Registry()
_FACT_FIELDS = {f.name for f in fields(HealthFacts)}


def register_alerts(name: str, provider: AlertProvider) -> None:
    """Declare an alert provider. Idempotent by name: ``ready()`` may run more than once."""
    _registry.alerts[name] = provider


def register_facts(name: str, provider: FactsProvider) -> None:
    """Declare a provider of health facts (fields of ``csm_portal.health.HealthFacts``)."""
    _registry.facts[name] = provider


def register_panel(
    name: str, *, audiences: tuple[str, ...], provider: PanelProvider, order: int = 100
) -> None:
    """Declare a home panel for the given audiences (roles, or JOBS for the admin's job health)."""
    _registry.panels[name] = (tuple(audiences), provider, order)


def alerts_for(organisation_ids: list[int], today: date) -> dict[int, list[Alert]]:
    """Every registered provider's alerts, by organisation, the most severe first."""
    by_organisation: dict[int, list[Alert]] = {pk: [] for pk in organisation_ids}
    if not organisation_ids:
        return by_organisation
    for provider in _registry.alerts.values():
        for alert in provider(organisation_ids, today):
            by_organisation.setdefault(alert.organisation_id, []).append(alert)
    for alerts in by_organisation.values():
        alerts.sort(key=lambda a: (SEVERITY_ORDER.get(a.severity, 9), a.code))
    return by_organisation


def merge_facts(parts: list[dict[str, Any]], today: date) -> HealthFacts:
    """Put together what each app knows of one customer. The last contact is the latest of the
    apps' dates (meeting, work session, ticket reply); any other fact belongs to one app."""
    values: dict[str, Any] = {}
    last_contact: date | None = None
    for part in parts:
        for key, value in part.items():
            if key == "last_contact_on":
                if value is not None and (last_contact is None or value > last_contact):
                    last_contact = value
            elif key in _FACT_FIELDS:
                values[key] = value
            else:
                raise KeyError(f"unknown health fact {key!r}")
    if last_contact is not None:
        values["days_since_contact"] = max((today - last_contact).days, 0)
    return HealthFacts(**values)


def facts_for(organisation_ids: list[int], today: date) -> dict[int, HealthFacts]:
    parts: dict[int, list[dict[str, Any]]] = {pk: [] for pk in organisation_ids}
    if organisation_ids:
        for provider in _registry.facts.values():
            for organisation_id, values in provider(organisation_ids, today).items():
                parts.setdefault(organisation_id, []).append(values)
    return {pk: merge_facts(found, today) for pk, found in parts.items()}


@dataclass(frozen=True)
class CustomerRow:
    """A customer on the cockpit: its alerts and its health with the reasons."""

    organisation: Any
    alerts: list[Alert]
    health: Health
    facts: HealthFacts


def rank_of(health: Health, alerts: list[Alert]) -> tuple[int, int, int]:
    """A customer's urgency keys, the most urgent smallest: its health level, its worst alert
    (9: none), its number of alerts. The cockpit orders by these, then by name, then by id
    (``accounts.HealthSnapshot`` stores them, with an index in that order)."""
    worst_alert = min((SEVERITY_ORDER.get(a.severity, 9) for a in alerts), default=9)
    return (LEVEL_ORDER[health.level], worst_alert, len(alerts))


def rows_for(
    organisations: list[Any], today: date, facts: dict[int, HealthFacts] | None = None
) -> list[CustomerRow]:
    """The alerts and health of the given customers, in the given order (constant queries).
    With ``facts`` (stored ones) the facts providers are not asked."""
    ids = [o.pk for o in organisations]
    alerts = alerts_for(ids, today)
    if facts is None:
        facts = facts_for(ids, today)
    return [
        CustomerRow(
            organisation=o,
            alerts=alerts.get(o.pk, []),
            health=health_of(facts[o.pk]),
            facts=facts[o.pk],
        )
        for o in organisations
    ]


def customer_rows(organisations: list[Any], today: date) -> list[CustomerRow]:
    """The cockpit's customers, those needing attention first (critical health, then the most
    severe alerts, then by name). Constant queries whatever the number of customers. The home
    reads the same order from the stored snapshot (``accounts.health_snapshots``); this is the
    reference it is refreshed from and tested against."""

    def urgency(row: CustomerRow) -> tuple:
        level, worst_alert, count = rank_of(row.health, row.alerts)
        return (level, worst_alert, -count, row.organisation.name, row.organisation.pk)

    return sorted(rows_for(organisations, today), key=urgency)


def facts_values(facts: HealthFacts) -> dict[str, Any]:
    """The facts as plain JSON values (ints, bools, None), to store; back with ``facts_from``."""
    return asdict(facts)


def facts_from(values: dict[str, Any]) -> HealthFacts:
    """Stored facts back: a fact stored by an older version and since removed is ignored; one
    added since takes its default until the next refresh (within the minute)."""
    return HealthFacts(**{k: v for k, v in values.items() if k in _FACT_FIELDS})


# --- Keeping a stored ranking fresh (issue 15) ------------------------------------------------
# Apps declare, next to their providers, which of their models move a customer's health or
# alerts when saved: ``watch(Ticket)``. After the transaction commits, the organisations touched
# are handed, once per transaction, to the markers (accounts registers the one that marks the
# customer's stored snapshot stale, so the next cockpit request refreshes it). Deletions are
# not watched: a post_delete receiver would make Django load every row of the day-90 deletion
# one by one; the periodic refresh covers the rare deletion of a single row.

Marker = Callable[[set[int]], None]
_markers: dict[str, Marker] = {}
_watched: dict[type, str] = {}


def register_marker(name: str, marker: Marker) -> None:
    """Declare who is told, after commit, which organisations a write touched."""
    _markers[name] = marker


def watch(model: type, *, organisation: str = "organisation_id") -> None:
    """Saving a ``model`` row moves its organisation (``organisation`` names the attribute
    holding the organisation's id) on the cockpit. Idempotent."""
    _watched[model] = organisation
    post_save.connect(_saved, sender=model, weak=False, dispatch_uid=f"cockpit:{model}")


def _saved(sender: type, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw:  # fixtures being loaded
        return
    organisation_id = getattr(instance, _watched.get(sender, "organisation_id"), None)
    if organisation_id is not None:
        changed(organisation_id, using=kwargs.get("using"))


class _Batch:
    """The organisations one transaction touched, marked once after it commits."""

    def __init__(self) -> None:
        self.ids: set[int] = set()
        # Django names a failing robust on_commit callback by its __qualname__.
        self.__qualname__ = "csm_portal.cockpit.changed"

    def __call__(self) -> None:
        for marker in list(_markers.values()):
            marker(set(self.ids))


def changed(organisation_id: int, *, using: str | None = None) -> None:
    """Tell the markers, after the current transaction commits (at once outside one), that the
    organisation's health or alerts may have moved. A rolled-back transaction tells nobody."""
    connection = transaction.get_connection(using)
    if connection.in_atomic_block:
        # One batch per transaction: Django drops it with a rolled-back savepoint it was
        # registered in, and the next write registers a new one.
        for _savepoints, callback, *_rest in connection.run_on_commit:
            if isinstance(callback, _Batch):
                callback.ids.add(organisation_id)
                return
    batch = _Batch()
    batch.ids.add(organisation_id)
    # Outside a transaction on_commit runs at once; robust: a failing marker is logged and
    # never fails the write that committed (the periodic refresh catches up).
    transaction.on_commit(batch, using=using, robust=True)


def panels_for(request: Any, audience: str, today: date) -> list[Panel]:
    """The panels registered for ``audience``, in order; providers may return None."""
    found: list[Panel] = []
    for audiences, provider, order in _registry.panels.values():
        if audience in audiences:
            panel = provider(request, today)
            if panel is not None:
                found.append(Panel(template=panel.template, context=panel.context, order=order))
    return sorted(found, key=lambda p: p.order)
