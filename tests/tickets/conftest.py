import imaplib
import time

import pytest
from django_scopes import scopes_disabled

from accounts.models import Organisation
from tests.conftest import make_tenant
from tests.factories import OrganisationFactory, person
from tickets.mailbox import mailbox_set_password
from tickets.models import Mailbox, SlaPolicy

FOLDERS = ("INBOX", "Processed", "Failed")
# The receiving server of the test mailboxes: only its Authentication-Results count (SPEC S10).
TRUSTED_AUTHSERV_ID = "mx.csm-test.example"


def authentication_passed(sender: str, authserv_id: str = TRUSTED_AUTHSERV_ID) -> str:
    """The Authentication-Results value a receiving server writes on a mail whose From domain
    passed DMARC."""
    domain = sender.rsplit("@", 1)[-1].strip(">")
    return (
        f"{authserv_id};\r\n spf=pass smtp.mailfrom={domain};"
        f"\r\n dkim=pass header.d={domain}; dmarc=pass (p=reject) header.from={domain}"
    )


def authenticated(sender: str, authserv_id: str = TRUSTED_AUTHSERV_ID) -> str:
    """The header a receiving server adds to a mail whose From domain passed DMARC."""
    return f"Authentication-Results: {authentication_passed(sender, authserv_id)}\r\n"


def forged(sender: str, authserv_id: str = TRUSTED_AUTHSERV_ID) -> str:
    """What the receiving server writes on a mail that claims ``sender`` without being it."""
    domain = sender.rsplit("@", 1)[-1].strip(">")
    return (
        f"Authentication-Results: {authserv_id}; spf=fail smtp.mailfrom={domain};"
        f" dkim=none; dmarc=fail (p=none) header.from={domain}\r\n"
    )


def message(
    sender: str,
    subject: str,
    body: str = "Testo.",
    extra: str = "",
    *,
    authentication: str | None = None,
) -> bytes:
    """A plain mail to the support address, by default authenticated by the test mailbox's
    trusted server (pass ``authentication=""`` for none, or ``forged(sender)``)."""
    auth = authenticated(sender) if authentication is None else authentication
    return (
        f"{auth}From: {sender}\r\nTo: support@csm-test.example\r\nSubject: {subject}\r\n{extra}"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def _connect(server) -> imaplib.IMAP4:
    client = imaplib.IMAP4(server.host, server.port)
    client.login(server.user, server.password)
    return client


def count(server, folder: str) -> int:
    client = _connect(server)
    try:
        status, data = client.select(folder, readonly=True)
        return int(data[0]) if status == "OK" else 0
    finally:
        client.logout()


def deliver(server, *messages: bytes) -> None:
    """Put messages in the inbox as an MTA would (IMAP APPEND to the real server)."""
    client = _connect(server)
    try:
        for raw in messages:
            client.append("INBOX", None, imaplib.Time2Internaldate(time.time()), raw)
    finally:
        client.logout()


@pytest.fixture
def imap_server(imap_account):
    """A fresh account with an empty mailbox on the throwaway Dovecot (tests/bootstrap.py)."""
    return imap_account


def make_mailbox(server) -> Mailbox:
    """The support mailbox on the throwaway Dovecot, as an admin would configure it."""
    box = Mailbox(
        name="Support",
        address="support@csm-test.example",
        host=server.host,
        port=server.port,
        use_tls=False,
        username=server.user,
        trusted_authserv_id=TRUSTED_AUTHSERV_ID,
    )
    mailbox_set_password(box, server.password)
    box.save()
    return box


@pytest.fixture
def mailbox(db, imap_server) -> Mailbox:
    return make_mailbox(imap_server)


@pytest.fixture
def alfa(db, cstm):
    """Alfa with its referent (referent@alfa.example) and the domain alfa.example."""
    return make_tenant("Alfa Assicurazioni S.p.A.", "alfa.example", cstm=cstm)


@pytest.fixture
def closed_org(db):
    organisation = OrganisationFactory(
        name="Charlie Chiusa S.r.l.", domain="charlie-closed.example"
    )
    person(organisation, "referent", email="referent@charlie-closed.example")
    with scopes_disabled():
        Organisation.objects.filter(pk=organisation.pk).update(access=Organisation.Access.CLOSED)
    return organisation


@pytest.fixture(autouse=True)
def english():
    """Reasons and errors are matched in English here (the desk's default language is Italian)."""
    from django.utils import translation

    with translation.override("en"):
        yield


def sla_policy(**fields) -> SlaPolicy:
    """A policy with these targets, replacing the seeded default for its type and priority."""
    SlaPolicy.objects.filter(
        ticket_type=fields["ticket_type"],
        priority=fields["priority"],
        contract=fields.get("contract"),
    ).delete()
    return SlaPolicy.objects.create(**fields)


def local_mailbox(**fields: object) -> Mailbox:
    """A support mailbox behind the test receiving server that is never polled: tests hand its
    mail to ``tickets.ingest.ingest`` directly."""
    values = {
        "name": "Support",
        "address": "support@csm-test.example",
        "host": "127.0.0.1",
        "username": "x",
        "trusted_authserv_id": TRUSTED_AUTHSERV_ID,
        **fields,
    }
    return Mailbox.objects.create(**values)


@pytest.fixture
def box(db) -> Mailbox:
    return local_mailbox()
