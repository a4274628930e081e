"""The bench's data set, written with set-based SQL (``INSERT … SELECT … FROM generate_series``).

A large provider: organisations with their people (a referent and end users), CSTM assignments,
contracts with licence years and hours ledgers, per-contract SLA policies, activity requests in
progress, and a service desk of tickets in every status (some overdue by years, some breaching
soon, assigned and not, at every level) with their messages and history events.

Tables and columns come from the models (``_meta``), and every column the fill does not name gets
the model's default (or NULL when nullable): a column added later with a default keeps the fill
valid. Run after ``migrate``; ends with ANALYZE.

Scale: ``BENCH_SCALE`` = ``tiny`` | ``small`` | ``full`` (default), each count can be overridden
with ``BENCH_ORGANISATIONS``, ``BENCH_CONTRACTS``, ``BENCH_ENTRIES``, ``BENCH_TICKETS``,
``BENCH_MESSAGES_PER_TICKET``, ``BENCH_EVENTS_PER_TICKET``.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

PASSWORD = "bench-password-1"  # nobody signs in with it: sessions are made by the bench
TOTP_SECRET = "JBSWY3DPEHPK3PXP"
CSTM_EMAIL = "cstm@bench.example"
ADMIN_EMAIL = "admin@bench.example"
AGENT_EMAIL = "agent@bench.example"
OTHER_CSTMS = 7
AGENTS = 6  # agent@ (L1), then L1/L2/L3 colleagues who own tickets
WRITE_HOURS = Decimal("100000")  # the log-time targets never run out of hours


@dataclass(frozen=True)
class Scale:
    name: str
    organisations: int
    contracts: int
    entries: int
    tickets: int
    messages_per_ticket: int = 3
    events_per_ticket: int = 2
    people_per_organisation: int = 4  # a referent and end users
    cstm_customers: int = 250  # the benchmarked CSTM's customers
    activity_requests: int = 50  # in progress, for the log-time write

    @property
    def messages_and_events(self) -> int:
        return self.tickets * (self.messages_per_ticket + self.events_per_ticket)


SCALES = {
    "tiny": Scale("tiny", 20, 50, 1_000, 1_000, cstm_customers=10, activity_requests=5),
    "small": Scale("small", 200, 500, 20_000, 10_000, cstm_customers=50, activity_requests=20),
    "full": Scale("full", 2_000, 5_000, 500_000, 1_000_000),
}
OVERRIDES = {
    "organisations": "BENCH_ORGANISATIONS",
    "contracts": "BENCH_CONTRACTS",
    "entries": "BENCH_ENTRIES",
    "tickets": "BENCH_TICKETS",
    "messages_per_ticket": "BENCH_MESSAGES_PER_TICKET",
    "events_per_ticket": "BENCH_EVENTS_PER_TICKET",
}


def scale_from_env(name: str | None = None) -> Scale:
    name = name or os.environ.get("BENCH_SCALE", "full")
    if name not in SCALES:
        raise SystemExit(f"BENCH_SCALE must be one of {', '.join(SCALES)}, not {name!r}")
    scale = SCALES[name]
    changes = {f: int(os.environ[v]) for f, v in OVERRIDES.items() if os.environ.get(v)}
    scale = replace(scale, **changes)
    scale = replace(
        scale,
        cstm_customers=min(scale.cstm_customers, scale.organisations),
        activity_requests=min(scale.activity_requests, scale.cstm_customers),
    )
    return scale


class Param:
    """A value bound as a query parameter in the SELECT list (a constant for every row)."""

    def __init__(self, value: Any) -> None:
        self.value = value


def insert_select(
    model: Any, values: dict[str, Any], source: str, params: list | None = None
) -> int:
    """``INSERT INTO <table> (<every column>) SELECT <expressions> <source>``.

    ``values`` maps field names to SQL expressions over ``source`` (or :class:`Param`). Every other
    column gets the model's default (auto_now fields: now()), or NULL when nullable; a required
    column without a default is a clear error, not a silent NULL."""
    from django.db import connection, models

    columns: list[str] = []
    expressions: list[str] = []
    args: list[Any] = []
    names = set(values)
    for field in model._meta.concrete_fields:
        if isinstance(field, models.AutoField | models.BigAutoField) and field.primary_key:
            continue
        if field.generated:  # computed by PostgreSQL (e.g. Ticket.sla_due_at)
            continue
        key = field.name if field.name in values else field.attname
        columns.append(connection.ops.quote_name(field.column))
        if key in values:
            names.discard(key)
            value = values[key]
            if isinstance(value, Param):
                expressions.append("%s")
                args.append(field.get_db_prep_save(value.value, connection))
            else:
                expressions.append(str(value))
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            expressions.append("now()")
        elif field.has_db_default():
            columns.pop()
        elif field.has_default() or (field.empty_strings_allowed and not field.null):
            expressions.append("%s")
            args.append(field.get_db_prep_save(field.get_default(), connection))
        elif field.null:
            expressions.append("NULL")
        else:
            raise RuntimeError(
                f"bench fill: {model._meta.label}.{field.name} is required and has no default; "
                "give it a value in scripts/bench_fill.py"
            )
    if names:
        raise RuntimeError(f"bench fill: {model._meta.label} has no field {sorted(names)}")
    sql = (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(expressions)} {source}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*args, *(params or [])])
        return cursor.rowcount


def _sql(statement: str, params: list | None = None) -> list:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])
        return cursor.fetchall() if cursor.description else []


def filled(scale: Scale) -> bool:
    """Whether this database already holds the bench data at this scale."""
    from django.db import connection

    from tickets.models import Ticket

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {Ticket._meta.db_table}")  # noqa: S608
        return cursor.fetchone()[0] >= scale.tickets


def fill(scale: Scale, *, quiet: bool = False) -> dict:
    """Write the data set; returns the counts and seconds per step."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from accounts.models import CstmAssignment, Membership, Organisation, OrganisationDomain, User
    from accounts.roles import AgentLevel, Role
    from activities.models import Activity, ActivityRequest
    from contracts.models import Contract, LedgerEntry, LicenceYear
    from tickets.models import SlaPolicy, Ticket, TicketEvent, TicketMessage

    started = time.perf_counter()
    steps: dict[str, float] = {}

    def step(label: str, since: float) -> float:
        now = time.perf_counter()
        steps[label] = round(now - since, 2)
        if not quiet:
            print(f"  fill {label:<34} {now - since:7.1f} s", flush=True)
        return now

    today = timezone.localdate()
    password = make_password(PASSWORD)
    org_table = Organisation._meta.db_table
    with scopes_disabled(), transaction.atomic():
        t = time.perf_counter()
        provider = Organisation.objects.create(name="Bench Provider S.r.l.", kind="provider")
        staff: dict[str, User] = {}

        def member(email: str, role: str, level: str = "") -> User:
            user = User.objects.create(
                email=email, password=password, first_name=email.split("@")[0].title()
            )
            Membership.objects.create(
                user=user, organisation=provider, role=role, agent_level=level
            )
            Authenticator.objects.create(
                user=user, type=Authenticator.Type.TOTP, data={"secret": TOTP_SECRET}
            )
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
            return user

        staff["admin"] = member(ADMIN_EMAIL, Role.PROVIDER_ADMIN)
        staff["cstm"] = member(CSTM_EMAIL, Role.CSTM)
        cstm_ids = [staff["cstm"].pk] + [
            member(f"cstm{n}@bench.example", Role.CSTM).pk for n in range(1, OTHER_CSTMS + 1)
        ]
        levels = [AgentLevel.L1, AgentLevel.L1, AgentLevel.L2, AgentLevel.L1, AgentLevel.L2]
        levels += [AgentLevel.L3]
        agent_ids = [member(AGENT_EMAIL, Role.AGENT, levels[0]).pk] + [
            member(f"agent{n}@bench.example", Role.AGENT, levels[n]).pk for n in range(1, AGENTS)
        ]
        # Customers: "Cliente 00001 S.p.A." … with a domain each.
        insert_select(
            Organisation,
            {
                "name": "'Cliente ' || lpad(g::text, 5, '0') || ' S.p.A.'",
                "kind": "'customer'",
                "language": "'it'",
                "notes": "'Cliente del bench, settore ' || (ARRAY['banca','assicurazioni',"
                "'sanità','industria','pubblica amministrazione'])[1 + mod(g, 5)]",
            },
            "FROM generate_series(1, %s) AS g",
            [scale.organisations],
        )
        _sql("DROP TABLE IF EXISTS bench_org")
        _sql(
            "CREATE TEMP TABLE bench_org AS SELECT row_number() OVER (ORDER BY id) AS n, id "  # noqa: S608
            f"FROM {org_table} WHERE kind = 'customer' AND name LIKE 'Cliente %%'"
        )
        _sql("CREATE UNIQUE INDEX ON bench_org (n)")
        insert_select(
            OrganisationDomain,
            {"organisation_id": "o.id", "domain": "'cliente-' || o.n || '.example'"},
            "FROM bench_org o",
        )
        # People: person 1 of each customer is its referent, the others end users.
        insert_select(
            User,
            {
                "password": Param(password),
                "email": "CASE WHEN p = 1 THEN 'referent' ELSE 'utente' || p END || '@cliente-' "
                "|| o.n || '.example'",
                "first_name": "(ARRAY['Giulia','Marco','Chiara','Luca','Sara','Paolo'])"
                "[1 + mod(o.n + p, 6)]",
                "last_name": "(ARRAY['Rossi','Bianchi','Ferrari','Esposito','Romano','Colombo'])"
                "[1 + mod(o.n * 7 + p, 6)]",
                "is_active": "true",
                "is_staff": "false",
                "is_superuser": "false",
                "date_joined": "now() - interval '400 days'",
                "language": "'it'",
            },
            "FROM bench_org o CROSS JOIN generate_series(1, %s) AS p",
            [scale.people_per_organisation],
        )
        user_table = User._meta.db_table
        _sql("DROP TABLE IF EXISTS bench_person")
        _sql(
            "CREATE TEMP TABLE bench_person AS SELECT o.n, o.id AS organisation_id, u.id, "  # noqa: S608
            "u.email, (u.email LIKE 'referent@%%') AS referent FROM bench_org o "
            f"JOIN {user_table} u ON split_part(u.email, '@', 2) = 'cliente-' || o.n || '.example'"
        )
        insert_select(
            Membership,
            {
                "user_id": "p.id",
                "organisation_id": "p.organisation_id",
                "role": f"CASE WHEN p.referent THEN '{Role.REFERENT}' ELSE '{Role.END_USER}' END",
                "agent_level": "''",
            },
            "FROM bench_person p",
        )
        insert_select(
            EmailAddress,
            {"user_id": "p.id", "email": "p.email", "verified": "true", "primary": "true"},
            "FROM bench_person p",
        )
        # The benchmarked CSTM looks after the first customers, seven colleagues the rest.
        insert_select(
            CstmAssignment,
            {
                "organisation_id": "o.id",
                "cstm_id": f"CASE WHEN o.n <= {scale.cstm_customers} THEN {cstm_ids[0]} "
                f"ELSE (ARRAY{cstm_ids[1:]})[1 + mod(o.n, {len(cstm_ids) - 1})] END",
                "starts_on": Param(today - timedelta(days=400)),
                "note": "''",
            },
            "FROM bench_org o",
        )
        t = step("organisations and people", t)

        # Contracts: contract j belongs to customer 1 + (j-1) mod N; each customer's first is
        # active (started 30 to 1,070 days ago, three years), the others closed before it.
        contract_table = Contract._meta.db_table
        insert_select(
            Contract,
            {
                "organisation_id": "o.id",
                "number": "'B-' || lpad(o.n::text, 5, '0') || '-' || s.k",
                "sales_channel": "(ARRAY['direct','direct','reseller'])[1 + mod(o.n, 3)]",
                "signed_on": "s.starts - 10",
                "starts_on": "s.starts",
                "expires_on": "(s.starts + interval '3 years' - interval '1 day')::date",
                "hours_per_year": "(ARRAY[40, 80, 120, 20])[1 + mod(o.n, 4)]",
                "cstm_id": f"CASE WHEN o.n <= {scale.cstm_customers} THEN {cstm_ids[0]} "
                f"ELSE (ARRAY{cstm_ids[1:]})[1 + mod(o.n, {len(cstm_ids) - 1})] END",
                "status": "CASE WHEN s.k = 0 THEN 'active' ELSE 'closed' END",
                "activated_at": "s.starts::timestamptz",
            },
            f"FROM (SELECT 1 + mod(j - 1, {scale.organisations}) AS n, "  # noqa: S608
            f"(j - 1) / {scale.organisations} AS k, "
            f"(current_date - (30 + mod(((1 + mod(j - 1, {scale.organisations})) * 37), 1040)) "
            f"- ((j - 1) / {scale.organisations}) * 1096)::date AS starts "
            "FROM generate_series(1, %s) AS j) s JOIN bench_org o ON o.n = s.n",
            [scale.contracts],
        )
        insert_select(
            LicenceYear,
            {
                "contract_id": "c.id",
                "organisation_id": "c.organisation_id",
                "index": "i",
                "starts_on": "(c.starts_on + (i - 1) * interval '1 year')::date",
                "ends_on": "LEAST((c.starts_on + i * interval '1 year' - interval '1 day')::date,"
                " c.expires_on)",
                "allocation": "c.hours_per_year",
            },
            f"FROM {contract_table} c CROSS JOIN generate_series(1, 3) AS i "
            "WHERE c.number LIKE 'B-%%'",
        )
        year_table = LicenceYear._meta.db_table
        _sql("DROP TABLE IF EXISTS bench_year")
        _sql(
            "CREATE TEMP TABLE bench_year AS SELECT row_number() OVER (ORDER BY y.id) - 1 AS n, "  # noqa: S608
            "y.id, y.organisation_id, y.starts_on, LEAST(y.ends_on, current_date) AS last_day "
            f"FROM {year_table} y WHERE y.starts_on <= current_date"
        )
        _sql("CREATE UNIQUE INDEX ON bench_year (n)")
        years = _sql("SELECT count(*) FROM bench_year")[0][0]
        # SLA terms in one contract out of ten: its urgent incidents answered faster.
        insert_select(
            SlaPolicy,
            {
                "name": "'Contratto ' || c.number || ': incidenti urgenti'",
                "ticket_type": "'incident'",
                "priority": "'urgent'",
                "contract_id": "c.id",
                "first_response_minutes": "60",
                "resolution_minutes": "480",
                "warn_before_minutes": "30",
            },
            f"FROM {contract_table} c WHERE c.status = 'active' AND mod(c.id, 10) = 0",
        )
        t = step(f"{scale.contracts} contracts, {years} started years", t)

        # Ledger: 0.5 h charges spread over every started licence year.
        insert_select(
            LedgerEntry,
            {
                "licence_year_id": "y.id",
                "organisation_id": "y.organisation_id",
                "kind": "'charge'",
                "hours": "0.5",
                "description": "(ARRAY['Report mensile','Campagna di phishing simulato',"
                "'Configurazione della piattaforma','Riunione di avanzamento',"
                "'Caricamento utenti'])[1 + mod(g, 5)] || ' ' || g",
                "explanation": "'Minimo di 0,5 ore (SPEC H3).'",
                "occurred_on": "y.starts_on + mod(g, GREATEST(y.last_day - y.starts_on, 1))",
                "created_at": "(y.starts_on + mod(g, GREATEST(y.last_day - y.starts_on, 1)))"
                "::timestamptz + interval '10 hours'",
            },
            "FROM generate_series(1, %s) AS g JOIN bench_year y ON y.n = mod(g, %s)",
            [scale.entries, years],
        )
        t = step(f"{scale.entries} ledger entries", t)

        # Activity requests in progress (the log-time write), on contracts with hours to spare.
        activity = Activity.objects.filter(minimum_hours__gt=0).order_by("pk").first()
        if activity is None:
            from activities import services as activity_services

            activity_services.catalogue_seed()
            activity = Activity.objects.filter(minimum_hours__gt=0).order_by("pk").first()
        write_contracts = list(
            Contract.objects.filter(
                status="active", organisation__kind="customer", cstm_id=cstm_ids[0]
            ).order_by("organisation_id")[: scale.activity_requests]
        )
        Contract.objects.filter(pk__in=[c.pk for c in write_contracts]).update(
            hours_per_year=WRITE_HOURS
        )
        LicenceYear.objects.filter(contract__in=write_contracts).update(allocation=WRITE_HOURS)
        referents = dict(
            Membership.objects.filter(role=Role.REFERENT).values_list("organisation_id", "user_id")
        )
        ActivityRequest.objects.bulk_create(
            ActivityRequest(
                organisation_id=c.organisation_id,
                contract=c,
                activity=activity,
                status=ActivityRequest.Status.IN_PROGRESS,
                channel=ActivityRequest.Channel.PORTAL,
                details="Richiesta del bench: attività in corso.",
                requested_by_id=referents.get(c.organisation_id),
                recorded_by_id=cstm_ids[0],
                formalised_at=timezone.now(),
                minimum_hours=activity.minimum_hours,
            )
            for c in write_contracts
        )
        t = step(f"{len(write_contracts)} activity requests", t)

        # Tickets: varied statuses, types, priorities, levels; open ones mostly overdue (some by
        # years), one in ten of them breaching soon, a fifth unassigned.
        ticket_table = Ticket._meta.db_table
        policy_table = SlaPolicy._meta.db_table
        agents = f"ARRAY{agent_ids}"
        ticket_source = f"""
            FROM (
                SELECT g, o.id AS organisation_id, o.n,
                    CASE WHEN mod(g, 100) < 2 THEN 'new' WHEN mod(g, 100) < 7 THEN 'open'
                         WHEN mod(g, 100) < 10 THEN 'waiting' WHEN mod(g, 100) < 25 THEN 'resolved'
                         ELSE 'closed' END AS status,
                    CASE WHEN mod(g, 3) = 0 THEN 'service_request' ELSE 'incident' END AS type,
                    (ARRAY['low','normal','normal','normal','high','urgent'])[1 + mod(g / 7, 6)]
                        AS priority,
                    (ARRAY['L1','L1','L1','L1','L1','L1','L1','L2','L2','L3'])[1 + mod(g / 3, 10)]
                        AS level,
                    CASE WHEN mod(g, 100) BETWEEN 2 AND 9 AND mod(g / 100, 10) = 0
                         THEN now() - interval '2 hours' - mod(g, 50) * interval '1 minute'
                         ELSE now() - mod(g * 7919, 5 * 365 * 24 * 60) * interval '1 minute'
                    END AS opened
                FROM generate_series(1, %s::bigint) AS g
                JOIN bench_org o ON o.n = 1 + mod(g * 7, {scale.organisations})
            ) s
            JOIN bench_person p ON p.organisation_id = s.organisation_id AND p.referent
            JOIN {contract_table} c ON c.organisation_id = s.organisation_id AND c.status = 'active'
            LEFT JOIN {policy_table} sp ON sp.contract_id IS NULL AND sp.ticket_type = s.type
                AND sp.priority = s.priority
        """  # noqa: S608 (numbers and table names only)
        soon = "(s.status IN ('new','open','waiting') AND mod(s.g / 100, 10) = 0)"
        insert_select(
            Ticket,
            {
                "organisation_id": "s.organisation_id",
                "number": "'T0' || lpad(s.g::text, 7, '0')",
                "subject": "(ARRAY['La piattaforma non si apre','Report vuoto',"
                "'Reset della password','Campagna da programmare','Errore 500 sul corso',"
                "'Utenti non sincronizzati','Certificato scaduto','Domanda sul contratto'])"
                "[1 + mod(s.g, 8)] || ' (' || s.g || ')'",
                "type": "s.type",
                "category": "CASE WHEN s.type = 'incident' THEN (ARRAY['malfunction','outage',"
                "'other'])[1 + mod(s.g, 3)] ELSE (ARRAY['password_reset','configuration',"
                "'campaign','content_release','cst_activity'])[1 + mod(s.g, 5)] END",
                "priority": "s.priority",
                "level": "s.level",
                "owner_id": f"CASE WHEN mod(s.g, 5) = 0 AND s.status IN ('new','open','waiting') "
                f"THEN NULL ELSE ({agents})[1 + mod(s.g, {len(agent_ids)})] END",
                "status": "s.status",
                "outcome": "CASE WHEN s.status IN ('resolved','closed') THEN "
                "(ARRAY['solved','solved','solved','workaround','not_reproducible'])"
                "[1 + mod(s.g, 5)] ELSE '' END",
                "requester_id": "p.id",
                "requester_email": "p.email",
                "requester_language": "'it'",
                "contract_id": "c.id",
                "created_at": "s.opened",
                "updated_at": "s.opened + interval '1 hour'",
                "first_response_at": "CASE WHEN s.status = 'new' THEN NULL "
                "ELSE s.opened + interval '40 minutes' END",
                "resolved_at": "CASE WHEN s.status IN ('resolved','closed') "
                "THEN s.opened + interval '2 days' END",
                "closed_at": "CASE WHEN s.status = 'closed' THEN s.opened + interval '9 days' END",
                "first_response_target": "sp.first_response_minutes",
                "resolution_target": "sp.resolution_minutes",
                "paused_since": "CASE WHEN s.status = 'waiting' AND NOT "
                f"{soon} THEN s.opened + interval '1 day' END",
                "paused_minutes": "0",
                "first_response_due": "s.opened + interval '4 hours'",
                "resolution_due": f"CASE WHEN {soon} THEN now() + (120 + mod(s.g, 600)) "
                "* interval '1 minute' ELSE s.opened + interval '3 days' END",
                "sla_policy_id": "sp.id",
                # Breaching soon: warned 5 minutes ago, due in 2 to 12 hours (so they still are
                # when the load runs, after the fill).
                "warn_before_minutes": f"CASE WHEN {soon} THEN 125 + mod(s.g, 600) "
                "ELSE sp.warn_before_minutes END",
                "first_response_warn_at": "s.opened + interval '3 hours'",
                "resolution_warn_at": f"CASE WHEN {soon} THEN now() - interval '5 minutes' "
                "ELSE s.opened + interval '3 days' - interval '1 hour' END",
            },
            ticket_source,
            [scale.tickets],
        )
        t = step(f"{scale.tickets} tickets", t)

        # Messages: the customer's mail, the agent's reply, the customer's answer, …
        insert_select(
            TicketMessage,
            {
                "ticket_id": "t.id",
                "organisation_id": "t.organisation_id",
                "direction": "CASE WHEN mod(i, 2) = 1 THEN 'in' WHEN mod(i, 5) = 0 THEN 'note' "
                "ELSE 'out' END",
                "author_id": "CASE WHEN mod(i, 2) = 1 THEN t.requester_id ELSE t.owner_id END",
                "from_address": "CASE WHEN mod(i, 2) = 1 THEN t.requester_email ELSE '' END",
                "body_text": "CASE WHEN mod(i, 2) = 1 THEN 'Buongiorno, ' || t.subject || "
                "'. Da questa mattina alcuni utenti non riescono ad accedere; il problema si "
                "ripete anche dopo aver svuotato la cache del browser. Grazie, saluti.' "
                "ELSE 'Buongiorno, abbiamo verificato la configurazione e applicato una "
                "correzione. Può confermare che ora funziona? Cordiali saluti, il supporto.' END",
                "body_html": "''",
                "message_id": "'<bench-' || t.id || '-' || i || '@cliente.example>'",
                "created_at": "t.created_at + (i - 1) * interval '3 hours'",
            },
            f"FROM {ticket_table} t CROSS JOIN generate_series(1, %s) AS i "
            "WHERE t.number LIKE 'T0%%'",
            [scale.messages_per_ticket],
        )
        t = step(f"{scale.tickets * scale.messages_per_ticket} ticket messages", t)
        insert_select(
            TicketEvent,
            {
                "ticket_id": "t.id",
                "organisation_id": "t.organisation_id",
                "kind": "CASE WHEN i = 1 THEN 'opened' WHEN mod(i, 3) = 2 THEN 'reply' "
                "ELSE 'status' END",
                "contractual": "i = 1",
                "actor_id": "CASE WHEN i = 1 THEN t.requester_id ELSE t.owner_id END",
                "actor_label": "CASE WHEN i = 1 THEN t.requester_email ELSE '' END",
                "before": "CASE WHEN mod(i, 3) = 0 THEN 'new' ELSE '' END",
                "after": "CASE WHEN mod(i, 3) = 0 THEN t.status ELSE '' END",
                "at": "t.created_at + (i - 1) * interval '3 hours'",
            },
            f"FROM {ticket_table} t CROSS JOIN generate_series(1, %s) AS i "
            "WHERE t.number LIKE 'T0%%'",
            [scale.events_per_ticket],
        )
        t = step(f"{scale.tickets * scale.events_per_ticket} ticket events", t)
    _sql("ANALYZE")
    t = step("ANALYZE", t)
    total = round(time.perf_counter() - started, 1)
    if not quiet:
        print(f"  fill total{'':29} {total:7.1f} s", flush=True)
    return {"scale": asdict(scale), "seconds": total, "steps": steps}


def bench_objects() -> dict:
    """The people and objects every route of the bench is measured with."""
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from accounts.models import CstmAssignment, Membership, User
    from activities.models import ActivityRequest
    from contracts.models import Contract
    from tickets.models import Ticket

    with scopes_disabled():
        cstm = User.objects.get(email=CSTM_EMAIL)
        customer_ids = list(
            CstmAssignment.objects.filter(cstm=cstm)
            .order_by("organisation_id")
            .values_list("organisation_id", flat=True)
        )
        organisation_id = customer_ids[0]
        referent = (
            Membership.objects.filter(organisation_id=organisation_id, role="referent")
            .select_related("user")
            .get()
            .user
        )
        contract = Contract.objects.get(organisation_id=organisation_id, status="active")
        open_tickets = list(
            Ticket.objects.filter(
                number__startswith="T0", status__in=("new", "open"), contract__status="active"
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:200]
        )
        # Days to log time on: inside each request's current licence year, at most 60 back,
        # day after day, so that no CSTM day goes over 24 hours (SPEC H4).
        today = timezone.localdate()
        starts = {}
        for request_id, year_start in ActivityRequest.objects.filter(
            status="in_progress",
            recorded_by=cstm,
            contract__licence_years__starts_on__lte=today,
            contract__licence_years__ends_on__gte=today,
        ).values_list("pk", "contract__licence_years__starts_on"):
            starts[request_id] = year_start
        work = [
            (pk, (today - timedelta(days=back)).isoformat())
            for back in range(60)
            for pk, start in sorted(starts.items())
            if today - timedelta(days=back) >= start
        ]
        return {
            "admin": User.objects.get(email=ADMIN_EMAIL),
            "cstm": cstm,
            "agent": User.objects.get(email=AGENT_EMAIL),
            "referent": referent,
            "organisation_id": organisation_id,
            "contract_id": contract.pk,
            "ticket_id": open_tickets[0],
            "reply_ticket_ids": open_tickets,
            "activity_request_ids": sorted(starts),
            "log_time_days": work,
        }
