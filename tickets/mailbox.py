"""Polling a support mailbox over IMAP with imap-tools (SPEC S1, L2, L4).

Never lose, never duplicate: each message is stored and routed in its own transaction, and only
after that commit is it moved to the processed folder. A crash between the two leaves it in the
inbox; the next poll finds its Message-ID (or hash) already stored and just moves it. A message
that cannot be handled is kept with its error and moved to the failed folder; the poll goes on.
A lease on the mailbox row keeps two pollers off the same mailbox."""

import base64
import hashlib
import logging
import os
import ssl
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from imap_tools import MailBox, MailBoxUnencrypted

from tickets import ingest
from tickets.models import MAILBOX_ENV_PREFIX, Mailbox

logger = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)


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
            for uid in uids:
                report.seen += 1
                _handle(box, mailbox, uid, uidvalidity, report)
    except Exception as exc:  # the server or the network: reported, retried next minute
        logger.exception("polling %s failed", mailbox.address)
        error = f"{type(exc).__name__}: {exc}"
        report.errors.append(error)
    finally:
        _release(mailbox, last_polled_at=timezone.now(), last_error=error[:2000])
    return report


def _handle(box, mailbox: Mailbox, uid: str, uidvalidity: int, report: PollReport) -> None:
    status, data = box.client.uid("FETCH", uid, "(BODY.PEEK[])")
    raw = next((part[1] for part in data if isinstance(part, tuple)), None)
    if status != "OK" or raw is None:
        report.errors.append(f"uid {uid}: could not fetch")
        return
    try:
        _, created = ingest.ingest(mailbox, raw, uid=int(uid), uidvalidity=uidvalidity)
        report.new += created
        report.duplicates += not created
        destination = mailbox.processed_folder
    except Exception as exc:  # the parser or the data: kept with its error, poll goes on
        logger.exception("message uid %s of %s failed", uid, mailbox.address)
        ingest.record_failure(mailbox, raw, int(uid), exc)
        report.failed += 1
        destination = mailbox.failed_folder
    box.move(uid, destination)


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
