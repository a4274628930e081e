"""`make bench`: latency, throughput and query counts of the busiest pages at scale.

Runs on throwaway PostgreSQL and Redis servers (tests/bootstrap.py), fills a database with
5,000 contracts and 500,000 ledger entries, then times the CSTM contract list and the referent
hours page through the whole Django stack (middleware, tenant scope, templates). Results are
printed and written to test-artifacts/bench.json.
"""

import json
import os
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "csm_portal.settings.test"
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
os.environ.setdefault("LOG_LEVEL", "WARNING")

CONTRACTS = int(os.environ.get("BENCH_CONTRACTS", "5000"))
ENTRIES = int(os.environ.get("BENCH_ENTRIES", "500000"))
CONTRACTS_PER_ORGANISATION = 2
CSTM_CUSTOMERS = 250  # the benchmarked CSTM looks after 250 customers (500 contracts)
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "40"))
BATCH = 10_000


def main() -> None:
    import logging

    import django

    django.setup()
    logging.getLogger("csm_portal.security").setLevel(logging.WARNING)  # one sign-in per page
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM contracts_ledgerentry")
        existing = cursor.fetchone()[0]
    if existing < ENTRIES:
        fill()
    results = measure()
    results["ingestion"] = measure_ingestion()
    results["user_list"] = measure_user_list()
    out = ROOT / "test-artifacts" / "bench.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"\nwritten to {out.relative_to(ROOT)}")


def fill() -> None:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django_scopes import scopes_disabled

    from accounts.models import CstmAssignment, Membership, Organisation, OrganisationDomain, User
    from contracts import domain
    from contracts.models import Contract, LedgerEntry, LicenceYear

    started = time.perf_counter()
    today = date.today()
    password = make_password("bench-password-1")
    organisations = CONTRACTS // CONTRACTS_PER_ORGANISATION
    with scopes_disabled(), transaction.atomic():
        provider = Organisation.objects.create(name="Bench Provider", kind="provider")
        cstm = User.objects.create(
            email="cstm@bench.example", password=password, first_name="Bench"
        )
        Membership.objects.create(user=cstm, organisation=provider, role="cstm")
        admin = User.objects.create(
            email="admin@bench.example", password=password, first_name="Admin"
        )
        Membership.objects.create(user=admin, organisation=provider, role="provider_admin")
        for staff in (cstm, admin):
            Authenticator.objects.create(
                user=staff, type="totp", data={"secret": "JBSWY3DPEHPK3PXP"}
            )
        orgs = Organisation.objects.bulk_create(
            Organisation(name=f"Cliente {n:05d} S.p.A.", language="it")
            for n in range(organisations)
        )
        OrganisationDomain.objects.bulk_create(
            OrganisationDomain(organisation=o, domain=f"cliente-{o.pk}.example") for o in orgs
        )
        referents = User.objects.bulk_create(
            User(email=f"referent@cliente-{o.pk}.example", password=password, first_name="Ref")
            for o in orgs
        )
        EmailAddress.objects.bulk_create(
            EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in referents
        )
        Membership.objects.bulk_create(
            Membership(user=u, organisation=o, role="referent")
            for u, o in zip(referents, orgs, strict=True)
        )
        CstmAssignment.objects.bulk_create(
            CstmAssignment(organisation=o, cstm=cstm, starts_on=today - timedelta(days=400))
            for o in orgs[:CSTM_CUSTOMERS]
        )
        contracts = []
        for index, organisation in enumerate(orgs):
            for k in range(CONTRACTS_PER_ORGANISATION):
                starts = today - timedelta(days=200 + (index % 300)) - timedelta(days=3 * 365 * k)
                contracts.append(
                    Contract(
                        organisation=organisation,
                        number=f"B-{organisation.pk}-{k}",
                        sales_channel="direct",
                        signed_on=starts - timedelta(days=10),
                        starts_on=starts,
                        expires_on=starts + timedelta(days=3 * 365 - 1),
                        hours_per_year=Decimal("40"),
                        status="active" if k == 0 else "closed",
                        cstm=cstm,
                    )
                )
        contracts = Contract.objects.bulk_create(contracts, batch_size=BATCH)
        years = LicenceYear.objects.bulk_create(
            (
                LicenceYear(
                    contract=c,
                    organisation_id=c.organisation_id,
                    index=i,
                    starts_on=s,
                    ends_on=e,
                    allocation=c.hours_per_year,
                )
                for c in contracts
                for i, (s, e) in enumerate(
                    domain.licence_year_periods(c.starts_on, c.expires_on), start=1
                )
            ),
            batch_size=BATCH,
        )
    print(
        f"people, organisations, {len(contracts)} contracts, {len(years)} licence years: "
        f"{time.perf_counter() - started:.1f} s"
    )
    per_year = ENTRIES // len(years)
    extra = ENTRIES - per_year * len(years)
    written = 0
    batch: list = []
    with scopes_disabled():
        for position, year in enumerate(years):
            count = per_year + (1 if position < extra else 0)
            span = max((year.ends_on - year.starts_on).days, 1)
            for n in range(count):
                batch.append(
                    LedgerEntry(
                        licence_year=year,
                        organisation_id=year.organisation_id,
                        kind="charge",
                        hours=Decimal("0.5"),
                        description=f"Activity {n}",
                        explanation="Minimum (SPEC H3).",
                        occurred_on=year.starts_on + timedelta(days=n % span),
                    )
                )
            if len(batch) >= BATCH:
                LedgerEntry.objects.bulk_create(batch, batch_size=BATCH)
                written += len(batch)
                batch.clear()
        LedgerEntry.objects.bulk_create(batch, batch_size=BATCH)
        written += len(batch)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"{written} ledger entries: {time.perf_counter() - started:.1f} s in all")


def measure() -> dict:
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_scopes import scopes_disabled

    from accounts.models import User

    with scopes_disabled():
        cstm = User.objects.get(email="cstm@bench.example")
        admin = User.objects.get(email="admin@bench.example")
        referent = User.objects.filter(membership__role="referent").order_by("pk").first()
    pages = {
        "CSTM contract list, page 1": (cstm, "/contracts/"),
        "CSTM contract list, search": (cstm, "/contracts/?q=Cliente%2000042"),
        "CSTM contract list, page 10": (cstm, "/contracts/?page=10"),
        "admin contract list (all 5,000), p. 100": (admin, "/contracts/?page=100"),
        "referent hours page": (referent, "/hours/"),
        "referent hours page, ledger page 5": (referent, "/hours/?page=5"),
    }
    results = {
        "contracts": CONTRACTS,
        "ledger_entries": ENTRIES,
        "requests_per_page": REQUESTS,
        "pages": {},
    }
    print(f"\n{'page':40} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'req/s':>7} {'queries':>8}")
    for label, (user, url) in pages.items():
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        assert client.get(url).status_code == 200, url  # warm-up
        timings = []
        queries = set()
        for _ in range(REQUESTS):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
            queries.add(len(captured))
            reset_queries()
        timings.sort()
        row = {
            "p50_ms": round(statistics.median(timings), 1),
            "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 1),
            "max_ms": round(timings[-1], 1),
            "requests_per_second": round(1000 * len(timings) / sum(timings), 1),
            "queries": sorted(queries),
        }
        results["pages"][label] = row
        print(
            f"{label:38} {row['p50_ms']:8} {row['p95_ms']:8} {row['max_ms']:8} "
            f"{row['requests_per_second']:7} {','.join(map(str, row['queries'])):>8}"
        )
    return results


MAIL_MESSAGES = int(os.environ.get("BENCH_MAIL_MESSAGES", "2000"))


def _bench_message(n: int, ticket_numbers: list[str]) -> bytes:
    """Varied structures: plain UTF-8, quoted-printable accents, Windows-1252, HTML,
    multipart with an attachment, and replies to earlier tickets (threading)."""
    sender = "referent@mailbench.example" if n % 3 == 0 else f"user{n % 50}@mailbench.example"
    head = (
        "Authentication-Results: mx.bench.example; dmarc=pass header.from=mailbench.example\r\n"
        f"From: {sender}\r\nTo: support@bench.example\r\nMessage-ID: <bench-{n}@mailbench>\r\n"
        "Date: Mon, 23 Nov 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\n"
    )
    kind = n % 5
    if ticket_numbers and n % 10 == 9:
        subject = f"Re: [{ticket_numbers[n % len(ticket_numbers)]}] Errore"
    else:
        subject = f"Errore numero {n}: la piattaforma non funziona"
    if kind == 0:
        body = (
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            f"Buongiorno, il corso {n} non si apre più. Città: Forlì.\r\n"
        ).encode()
    elif kind == 1:
        body = (
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            f"Il report {n} d=C3=A0 errore: perch=C3=A9?\r\n"
        ).encode()
    elif kind == 2:
        body = (
            b"Content-Type: text/plain; charset=windows-1252\r\n\r\n"
            + f"Errore “{n}” – accesso negato €\r\n".encode("cp1252")
        )
    elif kind == 3:
        body = (
            "Content-Type: text/html; charset=utf-8\r\n\r\n"
            f"<p>Errore <b>{n}</b></p><script>alert(1)</script>\r\n"
        ).encode()
    else:
        body = (
            b"Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n\r\nIn allegato lo screenshot.\r\n--B\r\n"
            b"Content-Type: image/png; name=s.png\r\nContent-Disposition: attachment; "
            b"filename=s.png\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            b"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5E"
            b"rkJggg==\r\n--B--\r\n"
        )
    return head.encode() + f"Subject: {subject}\r\n".encode() + body


def measure_ingestion() -> dict:
    """Messages per second from the real IMAP server (Dovecot) into committed tickets, and the
    parse-and-insert floor (the same messages straight into ingest(), no IMAP) in the same run."""
    import imaplib

    from django_scopes import scopes_disabled

    from accounts.models import Organisation, OrganisationDomain
    from tests.bootstrap import ensure_imap, imap_create_user
    from tests.factories import person
    from tickets import ingest
    from tickets.mailbox import mailbox_set_password, poll
    from tickets.models import InboundMessage, Mailbox, Ticket

    server = ensure_imap()
    user, password = imap_create_user()
    with scopes_disabled():
        organisation, _ = Organisation.objects.get_or_create(name="Mail Bench S.p.A.")
        OrganisationDomain.objects.get_or_create(
            organisation=organisation, domain="mailbench.example"
        )
        from accounts.models import Membership

        if not Membership.objects.filter(organisation=organisation).exists():
            person(organisation, "referent", email="referent@mailbench.example")
    stamp = int(time.time())
    box = Mailbox(
        name="Bench",
        address=f"support-{stamp}@bench.example",
        host=server.host,
        port=server.port,
        use_tls=False,
        username=user,
        trusted_authserv_id="mx.bench.example",
    )
    mailbox_set_password(box, password)
    box.save()
    raws = [_bench_message(n, []) for n in range(MAIL_MESSAGES)]
    client = imaplib.IMAP4(server.host, server.port)
    client.login(user, password)
    started = time.perf_counter()
    for raw in raws:
        client.append("INBOX", None, None, raw)
    append_seconds = time.perf_counter() - started
    client.logout()
    with scopes_disabled():
        before = Ticket.objects.count()
        started = time.perf_counter()
        while True:
            report = poll(box)
            if report.seen == 0:
                break
        imap_seconds = time.perf_counter() - started
        stored = InboundMessage.objects.filter(mailbox=box).count()
        tickets = Ticket.objects.count() - before
        floor_box = Mailbox.objects.create(
            name="Floor",
            address=f"floor-{stamp}@bench.example",
            host="127.0.0.1",
            username="x",
            trusted_authserv_id="mx.bench.example",
        )
        started = time.perf_counter()
        for raw in raws:
            ingest.ingest(floor_box, raw)
        floor_seconds = time.perf_counter() - started
    results = {
        "messages": MAIL_MESSAGES,
        "stored": stored,
        "tickets_created": tickets,
        "imap_append_per_second": round(MAIL_MESSAGES / append_seconds, 1),
        "imap_to_ticket_per_second": round(MAIL_MESSAGES / imap_seconds, 1),
        "imap_to_ticket_seconds": round(imap_seconds, 1),
        "parse_and_insert_floor_per_second": round(MAIL_MESSAGES / floor_seconds, 1),
    }
    print("\nmail ingestion:", json.dumps(results, indent=2))
    assert stored == MAIL_MESSAGES, "messages lost or doubled"
    return results


USER_LIST_ROWS = int(os.environ.get("BENCH_USER_LIST_ROWS", "50000"))


def measure_user_list() -> dict:
    """SPEC O2: a 50,000-row user list (a European spreadsheet's file: BOM, semicolons, CRLF,
    quoted cells) validated whole, then diffed against a 50,000-person list where a tenth
    changed: under 10 s together."""
    from onboarding.userlist import validator

    lines = ["email;first_name;last_name;department;job_title;manager_email;language;location"]
    for n in range(USER_LIST_ROWS):
        lines.append(
            f'user{n}@bench-users.example;Nome{n};Cognome{n};"Ufficio {n % 40}; sede";'
            f"Impiegato;manager{n % 500}@bench-users.example;it;Milano"
        )
    data = b"\xef\xbb\xbf" + "\r\n".join(lines).encode()
    context = validator.Context(domains=("bench-users.example",), licences=USER_LIST_ROWS)
    started = time.perf_counter()
    result = validator.validate(data, context)
    validate_seconds = time.perf_counter() - started
    assert result.ok and len(result.rows) == USER_LIST_ROWS, result.problems[:3]
    current = {
        row["email"]: {**row, "department": "Altro"} if i % 10 == 0 else dict(row)
        for i, row in enumerate(result.rows)
    }
    started = time.perf_counter()
    change = validator.diff(result.rows, current)
    diff_seconds = time.perf_counter() - started
    results = {
        "rows": USER_LIST_ROWS,
        "bytes": len(data),
        "validate_seconds": round(validate_seconds, 2),
        "diff_seconds": round(diff_seconds, 2),
        "changed": len(change.changed),
        "under_10_seconds": validate_seconds + diff_seconds < 10,
    }
    print("\nuser list:", json.dumps(results, indent=2))
    assert results["under_10_seconds"], "a 50,000-row user list must validate in under 10 s"
    return results


if __name__ == "__main__":
    main()
