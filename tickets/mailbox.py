"""Polling a support mailbox over IMAP with imap-tools (SPEC S1, L2, L4).

Never lose, never duplicate: each message is stored and routed in its own transaction, and only
after that commit is it moved to the processed folder, a batch of them with one UID MOVE (issue
15). A crash between the two leaves them in the inbox; the next poll finds their Message-IDs (or
hashes) already stored and just moves them. A message
that cannot be handled is kept with its error and moved to the failed folder; the poll goes on.
A lease on the mailbox row keeps two pollers off the same mailbox."""

import base64
import hashlib
import logging
import os
import re
import ssl
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from imap_tools import MailBox, MailBoxUnencrypted

from tickets import ingest, outgoing
from tickets.models import MAILBOX_ENV_PREFIX, Mailbox

logger = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)
# Messages fetched with one UID FETCH and moved with one UID MOVE: the most a crash between
# the commits and the move leaves in the inbox for the next poll to recognise and move.
FETCH_BATCH = 50
FETCH_BYTES = 16 * 1024 * 1024  # and at most this much mail in memory at once
FETCHED_UID = re.compile(rb"\bUID (\d+)")
FETCHED_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")


@dataclass
class PollReport:
    mailbox: str
    seen: int = 0
    new: int = 0
    duplicates: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def _claim(mailbox: Mailbox) -> bool:
    now = timezone.now()
    return bool(
        Mailbox.objects.filter(pk=mailbox.pk)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + LEASE)
    )


def _release(mailbox: Mailbox, **fields: object) -> None:
    Mailbox.objects.filter(pk=mailbox.pk).update(lease_until=None, **fields)


def connect(mailbox: Mailbox):
    # Never send a password over a configuration the model refuses (a row saved without
    # full_clean): ValidationError, reported as the mailbox's last error.
    mailbox.check_connection_settings()
    if mailbox.use_tls:
        context = ssl.create_default_context()  # the server's certificate is verified
        box = MailBox(mailbox.host, mailbox.port, timeout=30, ssl_context=context)
    else:
        box = MailBoxUnencrypted(mailbox.host, mailbox.port, timeout=30)
    box.login(mailbox.username, mailbox_password(mailbox), initial_folder=mailbox.folder)
    _refresh_capabilities(box)
    return box


def _refresh_capabilities(box) -> None:
    """Servers announce MOVE (RFC 6851) only once logged in (Dovecot's greeting lists a few
    capabilities), and imaplib keeps the list it read before login: imap-tools' ``move`` then
    falls back to COPY + STORE \\Deleted + EXPUNGE, and a worker killed between the two leaves the
    message in both folders (one more in Processed after the next poll). Asking again makes
    ``move`` one atomic UID MOVE wherever the server offers it; the fallback stays for servers
    without it (the next poll then finds the message stored and only moves it)."""
    status, data = box.client.capability()
    if status == "OK" and data and data[-1]:
        box.client.capabilities = tuple(data[-1].decode("ascii", "replace").upper().split())


def poll(mailbox: Mailbox, *, limit: int | None = None) -> PollReport:
    report = PollReport(mailbox=mailbox.address)
    if not _claim(mailbox):
        report.errors.append("another poller holds the mailbox")
        return report
    error = ""
    try:
        with connect(mailbox) as box:
            for folder in (mailbox.processed_folder, mailbox.failed_folder):
                if not box.folder.exists(folder):
                    box.folder.create(folder)
            uidvalidity = box.folder.status(mailbox.folder, ["UIDVALIDITY"])["UIDVALIDITY"]
            if mailbox.uidvalidity not in (None, uidvalidity):
                # UIDs were renumbered: they are only hints; Message-IDs keep us exact.
                logger.warning("UIDVALIDITY of %s changed", mailbox.address)
            Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=uidvalidity)
            uids = box.uids()[: limit or settings.MAILBOX_BATCH]
            own = ingest.own_addresses()
            for batch in batches(uids, _sizes(box, uids)):
                _handle_batch(box, mailbox, batch, uidvalidity, own, report)
    except Exception as exc:  # the server or the network: reported, retried next minute
        logger.exception("polling %s failed", mailbox.address)
        error = f"{type(exc).__name__}: {exc}"
        report.errors.append(error)
    finally:
        _release(mailbox, last_polled_at=timezone.now(), last_error=error[:2000])
    return report


def _sizes(box, uids: list[str]) -> dict[str, int]:
    """The size of each message, in one command, so that a batch of big ones stays small."""
    if not uids:
        return {}
    status, data = box.client.uid("FETCH", ",".join(uids), "(UID RFC822.SIZE)")
    if status != "OK":
        return {}
    sizes = {}
    for item in data:
        line = item[0] if isinstance(item, tuple) else item
        uid, size = FETCHED_UID.search(line or b""), FETCHED_SIZE.search(line or b"")
        if uid and size:
            sizes[uid.group(1).decode()] = int(size.group(1))
    return sizes


def batches(uids: list[str], sizes: dict[str, int]) -> list[list[str]]:
    """``uids`` in order, in batches of at most FETCH_BATCH messages and FETCH_BYTES bytes (a
    message bigger than that alone); an unknown size counts as FETCH_BYTES."""
    result: list[list[str]] = []
    current: list[str] = []
    total = 0
    for uid in uids:
        size = sizes.get(uid, FETCH_BYTES)
        if current and (len(current) == FETCH_BATCH or total + size > FETCH_BYTES):
            result.append(current)
            current, total = [], 0
        current.append(uid)
        total += size
    if current:
        result.append(current)
    return result


def _fetch(box, uids: list[str]) -> dict[str, bytes]:
    """The raw messages of ``uids``, fetched in one UID FETCH (BODY.PEEK: nothing marked)."""
    status, data = box.client.uid("FETCH", ",".join(uids), "(UID BODY.PEEK[])")
    if status != "OK":
        return {}
    found: dict[str, bytes] = {}
    pending: bytes | None = None  # a literal whose UID item comes after it
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            match = FETCHED_UID.search(item[0])
            if match:
                found[match.group(1).decode()] = item[1]
                pending = None
            else:
                pending = item[1]
        elif isinstance(item, bytes) and pending is not None:
            match = FETCHED_UID.search(item)
            if match:
                found[match.group(1).decode()] = pending
            pending = None
    return found


def _handle_batch(
    box, mailbox: Mailbox, uids: list[str], uidvalidity: int, own, report: PollReport
) -> None:
    """Fetch a batch, store and route each message in its own transaction, send the committed
    ones' acknowledgements through one connection, then move the committed ones with one UID
    MOVE per folder. A crash before the move leaves them in the inbox: the next poll finds them
    stored (one SELECT for the batch) and only moves them."""
    fetched = _fetch(box, uids)
    parsed: dict[str, ingest.ParsedMessage | BaseException] = {}
    for uid in uids:
        raw = fetched.get(uid)
        if raw is None:
            continue
        try:
            parsed[uid] = ingest.parse(raw)
        except Exception as exc:  # the parser: kept with its error below
            parsed[uid] = exc
    outbox: list = []
    batch = ingest.batch_start(
        mailbox,
        own,
        [p for p in parsed.values() if not isinstance(p, BaseException)],
        outbox=outbox,
    )
    done: list[str] = []
    failed: list[str] = []
    for uid in uids:
        report.seen += 1
        raw = fetched.get(uid)
        if raw is None:
            report.errors.append(f"uid {uid}: could not fetch")
            continue
        try:
            result = parsed[uid]
            if isinstance(result, BaseException):
                raise result
            _, created = ingest.ingest(
                mailbox, raw, uid=int(uid), uidvalidity=uidvalidity, parsed=result, batch=batch
            )
            report.new += created
            report.duplicates += not created
            done.append(uid)
        except Exception as exc:  # the parser or the data: kept with its error, poll goes on
            logger.exception("message uid %s of %s failed", uid, mailbox.address)
            ingest.record_failure(mailbox, raw, int(uid), exc)
            report.failed += 1
            failed.append(uid)
    # The acknowledgements of the committed messages, in one connection: now (each message
    # committed already, its acknowledgement in the outbox), or after the caller's transaction
    # if the poll runs inside one. An error is logged (robust), never a reason to leave
    # committed messages in the inbox.
    transaction.on_commit(lambda: outgoing.send_all(outbox), robust=True)
    if done:
        box.move(done, mailbox.processed_folder)
    if failed:
        box.move(failed, mailbox.failed_folder)


WARM_UP_MESSAGE = (
    b"From: warm-up@example.invalid\r\nSubject: warm-up\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: text/html; charset=iso-8859-1\r\n\r\n<p>caff\xe8</p>\r\n"
)


def warm_up() -> None:
    """Load once what the first poll of a process would otherwise load in the middle of it
    (~1 s: the holiday calendars, the template engine with its tag libraries, the parser's
    charset and HTML libraries). A Celery worker calls it as it starts (tickets/tasks.py)."""
    from django.template.loader import render_to_string

    from csm_portal.business_calendar import add_support_minutes
    from tickets.models import Ticket

    now = timezone.now()
    for year in (now.year, now.year + 1):
        add_support_minutes(now.replace(year=year, month=1, day=2), 60)
    ingest.parse(WARM_UP_MESSAGE)
    render_to_string("tickets/email/auto_reply.txt", {"ticket": Ticket(number="T0", subject="")})


def poll_all() -> list[PollReport]:
    return [poll(mailbox) for mailbox in Mailbox.objects.filter(active=True)]


# --------------------------------------------------------------------------- secrets


def _fernet():
    from cryptography.fernet import Fernet

    digest = hashlib.sha256(("mailbox:" + settings.SECRET_KEY).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def mailbox_set_password(mailbox: Mailbox, password: str) -> None:
    mailbox.password_encrypted = _fernet().encrypt(password.encode()).decode() if password else ""


@transaction.atomic
def mailbox_save(*, mailbox: Mailbox, password: str = "") -> Mailbox:
    """Save a mailbox as configured in the shell or a script: validated like the admin does
    (CSM_MAILBOX_ variables only, TLS but on loopback); a new password is stored encrypted."""
    if password:
        mailbox_set_password(mailbox, password)
    mailbox.full_clean()
    mailbox.save()
    return mailbox


def mailbox_password(mailbox: Mailbox) -> str:
    if mailbox.password_env:
        if not mailbox.password_env.startswith(MAILBOX_ENV_PREFIX):
            raise ValueError(f"password_env must start with {MAILBOX_ENV_PREFIX}")
        return os.environ.get(mailbox.password_env, "")
    if not mailbox.password_encrypted:
        return ""
    return _fernet().decrypt(mailbox.password_encrypted.encode()).decode()
