"""`make run` keeps SQLite as its embedded database: the migrations must run there too, and the
stored licence-year totals (kept by database triggers, SPEC H9/H10) must stay right on SQLite;
the demo's mail goes through the poller's ingestion (SPEC S1, S3, S11), which must work there
too (PostgreSQL writes a message as one statement; SQLite record by record, the same rows)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

CHECK = """
from django.db.models import Sum
from django_scopes import scopes_disabled
from contracts.models import LicenceYear
with scopes_disabled():
    years = list(LicenceYear.objects.all())
    wrong = [
        (y.pk, y.charged_hours, y.entries.aggregate(s=Sum('hours'))['s'])
        for y in years
        if y.charged_hours != (y.entries.aggregate(s=Sum('hours'))['s'] or 0)
    ]
    charged = sum(1 for y in years if y.charged_hours)
print('years', len(years), 'charged', charged, 'wrong', wrong)
from tickets.models import Ticket
with scopes_disabled():
    tickets = list(Ticket.objects.all())
    deadlines = [
        (t.pk, t.sla_due_at, min(d for d in (
            t.first_response_due if t.first_response_at is None else None, t.resolution_due
        ) if d is not None))
        for t in tickets
        if t.resolution_due is not None
    ]
    late = [d for d in deadlines if d[1] != d[2]]
print('deadlines', len(deadlines), 'late', late)
"""

# The demo's three messages, then two replies on its first ticket: one by In-Reply-To from its
# requester (joins the ticket), one by the ticket number in the subject from a stranger (held,
# the ticket left unchanged). Each mail as (sender's local part, outcome, reason (held), ticket:
# category, requester's local part, message directions, participants' local parts, events).
MAIL = """
from django.utils import translation
from django_scopes import scopes_disabled
from tickets import ingest
from tickets.models import InboundMessage, Mailbox
def mail():
    rows = []
    for m in InboundMessage.objects.order_by('received_at', 'pk'):
        t = m.ticket
        rows.append((
            m.from_address.split('@')[0], m.outcome, m.reason.replace(t.number if t else '?', 'T'),
            m.authentication,
            t and (
                t.category, t.requester_email.split('@')[0],
                sorted(t.messages.values_list('direction', flat=True)),
                sorted(a.split('@')[0] for a in t.participants.values_list('address', flat=True)),
                sorted(t.events.values_list('kind', flat=True)),
            ),
        ))
    return rows
with scopes_disabled(), translation.override('it'):
    print('demo', mail())
    mailbox = Mailbox.objects.get()
    first = InboundMessage.objects.get(message_key='<demo-1@demo.example>')
    domain = first.from_address.split('@')[1]
    for sender, subject, headers, key in [
        (first.from_address, 'Re: errore', 'In-Reply-To: <demo-1@demo.example>', 'r1'),
        ('someone@elsewhere.example', f'[{first.ticket.number}] io', 'X-N: 1', 'r2'),
    ]:
        raw = (
            'Authentication-Results: mx.csm-provider.example; dmarc=pass'
            f' header.from={sender.split("@")[1]}\\r\\n'
            f'From: {sender}\\r\\nTo: {mailbox.address}, cc@{domain}\\r\\nSubject: {subject}\\r\\n'
            f'{headers}\\r\\nMessage-ID: <{key}@demo.example>\\r\\n'
            'Content-Type: text/plain; charset=utf-8\\r\\n\\r\\nAncora.\\r\\n'
        ).encode()
        ingest.ingest(mailbox, raw)
    print('replies', mail()[-2:])
"""


def opened(category: str, who: str) -> tuple:
    """A ticket that ``who``'s mail opened: acknowledged, ``who`` its only participant."""
    return (category, who, ["auto", "in"], [who], ["opened"])


# The first ticket after the replies: one more message and event, Cc a participant.
REPLIED = (
    "malfunction",
    "referent",
    ["auto", "in", "in"],
    ["cc", "referent"],
    ["message", "opened"],
)
# The held reasons in Italian, the portal's language (the demo loads in it).
UNKNOWN = "Mittente sconosciuto: l'indirizzo non appartiene a nessuna organizzazione cliente."
NOT_ON = (
    "Il mittente non partecipa al ticket T: solo il richiedente, i referenti dell'organizzazione "
    "e le persone già presenti nel ticket possono scrivervi per email. Riguarda il ticket T, che "
    "non è stato modificato."
)
# What MAIL prints, on PostgreSQL (tests/tickets/test_ingest_sqlite.py) as on SQLite.
MAIL_PRINTS = [
    "demo "
    + repr(
        [
            ("referent", "ticket", "", "pass", opened("malfunction", "referent")),
            ("user1", "ticket", "", "pass", opened("password_reset", "user1")),
            ("offerte", "held", UNKNOWN, "pass", None),
        ]
    ),
    "replies "
    + repr(
        [("referent", "ticket", "", "pass", REPLIED), ("someone", "held", NOT_ON, "pass", REPLIED)]
    ),
]


@pytest.fixture(scope="module")
def demo_on_sqlite(tmp_path_factory):
    """``manage.py`` on a migrated SQLite database with the demo loaded: runs a command."""
    tmp_path = tmp_path_factory.mktemp("sqlite")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "csm_portal.settings.base",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'dev.sqlite3'}",
        "CSM_MEDIA_ROOT": str(tmp_path / "media"),
    }

    def manage(*command: str) -> list[str]:
        done = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout.strip().splitlines()

    manage("migrate", "--noinput")
    manage("load_demo_data", "--no-logins")
    return manage


def test_h10_make_run_sqlite_migrates_loads_the_demo_and_keeps_the_stored_balances(
    demo_on_sqlite,
):
    """The migrations (triggers and generated columns included) run on SQLite, the demo loads,
    every licence year's stored charged hours equal the sum of its ledger entries, and every
    ticket's stored next deadline is the earliest target still running."""
    years, deadlines = demo_on_sqlite("shell", "-c", CHECK)[-2:]
    assert "wrong []" in years, years
    assert "charged 0" not in years, years
    # S5: the stored next deadline of the desk (a generated column) skips a finished target on
    # SQLite too, whose MIN() would return NULL where PostgreSQL's LEAST skips it.
    assert "late []" in deadlines, deadlines
    assert "deadlines 0" not in deadlines, deadlines


def test_s1_s3_s11_make_run_sqlite_ingests_mail_as_postgresql_does(demo_on_sqlite):
    """On SQLite the demo's mail becomes what PostgreSQL makes of it (the same MAIL_PRINTS):
    the referent's and the end user's messages open tickets (opened event, the customer's
    message, the acknowledgement, the sender a participant), the stranger's is held with its
    reason; a reply by In-Reply-To joins its ticket (message event, new participant from Cc)
    and a stranger's mail naming the ticket number is held, the ticket left unchanged (S3)."""
    assert demo_on_sqlite("shell", "-c", MAIL)[-2:] == MAIL_PRINTS
