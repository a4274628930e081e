"""The throwaway Dovecot from tests/bootstrap.py behaves like a real IMAP server."""

import imaplib
import os
import re
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
from imap_tools import MailBoxUnencrypted

from tests.bootstrap import ImapServer, ensure_imap, imap_create_user

ROOT = Path(__file__).resolve().parent.parent


def _message(subject: str, body: str = "The printer on floor 2 is on fire.\n") -> bytes:
    message = EmailMessage()
    message["From"] = "Alice Customer <alice@customer.example>"
    message["To"] = "support@csm-test.example"
    message["Subject"] = subject
    message["Message-ID"] = f"<{time.time_ns()}@customer.example>"
    message.set_content(body)
    return message.as_bytes()


def _connect(server: ImapServer, user: str, password: str) -> imaplib.IMAP4:
    client = imaplib.IMAP4(server.host, server.port, timeout=10)
    client.login(user, password)
    return client


def _messages(client: imaplib.IMAP4, folder: str) -> int:
    status, data = client.status(folder, "(MESSAGES)")
    assert status == "OK", data
    match = re.search(rb"MESSAGES (\d+)", data[0])
    assert match, data
    return int(match.group(1))


def _append(client: imaplib.IMAP4, subject: str, folder: str = "INBOX") -> bytes:
    status, data = client.append(
        folder, "", imaplib.Time2Internaldate(time.time()), _message(subject)
    )
    assert status == "OK", data
    return data[0]


def test_ensure_imap_is_idempotent_and_exported():
    server = ensure_imap()
    assert ensure_imap() is server
    assert server.host == "127.0.0.1"
    assert os.environ["IMAP_TEST_URL"] == server.url
    # A child process (e.g. a Celery worker) reuses the server instead of starting its own, and can
    # add users to it.
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "from tests.bootstrap import ensure_imap, imap_create_user\n"
            "server = ensure_imap()\n"
            "print(server.port, server.user, server.password, *imap_create_user('child'))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "started dovecot" not in child.stderr
    port, user, password, child_user, child_password = child.stdout.split()
    assert (int(port), user, password) == (server.port, server.user, server.password)
    assert child_user == "child@csm-test.example"
    _connect(server, child_user, child_password).logout()


def test_default_user_logs_in():
    server = ensure_imap()
    client = _connect(server, server.user, server.password)
    try:
        assert client.select("INBOX")[0] == "OK"
    finally:
        client.logout()
    assert server.maildir is not None and (server.maildir / "cur").is_dir()


def test_wrong_password_is_refused():
    server = ensure_imap()
    client = imaplib.IMAP4(server.host, server.port, timeout=10)
    try:
        with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
            client.login(server.user, "not-the-password")
    finally:
        client.shutdown()


def test_append_select_and_move_to_a_new_folder(imap_account: ImapServer):
    server = imap_account
    client = _connect(server, server.user, server.password)
    try:
        _append(client, "Printer on fire")
        status, data = client.select("INBOX")
        assert (status, data) == ("OK", [b"1"])
        status, data = client.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert status == "OK" and b"Subject: Printer on fire" in data[0][1]

        assert client.create("Processed")[0] == "OK"
        assert client.copy("1", "Processed")[0] == "OK"
        assert client.store("1", "+FLAGS", r"(\Deleted)")[0] == "OK"
        status, data = client.expunge()
        assert (status, data) == ("OK", [b"1"])

        assert _messages(client, "INBOX") == 0
        assert _messages(client, "Processed") == 1
        status, folders = client.list()
        assert status == "OK" and any(line.endswith(b" Processed") for line in folders)
    finally:
        client.logout()
    assert server.maildir is not None
    processed = server.maildir / ".Processed"  # Maildir++: folders are dot-dirs
    assert len([*(processed / "new").iterdir(), *(processed / "cur").iterdir()]) == 1


def test_uidvalidity_survives_reconnect():
    server = ensure_imap()
    user, password = imap_create_user()
    client = _connect(server, user, password)
    try:
        # UIDPLUS: "[APPENDUID <uidvalidity> <uid>] Append completed."
        appended = re.search(rb"APPENDUID (\d+) (\d+)", _append(client, "First"))
        assert appended, "no APPENDUID in the APPEND response"
        client.select("INBOX")
        uidvalidity = client.response("UIDVALIDITY")[1][0]
    finally:
        client.logout()
    assert uidvalidity == appended.group(1)

    client = _connect(server, user, password)
    try:
        status, data = client.select("INBOX")
        assert (status, data) == ("OK", [b"1"])
        assert client.response("UIDVALIDITY")[1][0] == uidvalidity
        status, data = client.uid("SEARCH", "ALL")
        assert (status, data) == ("OK", [appended.group(2)])
    finally:
        client.logout()


def test_imap_tools_fetches_and_moves(imap_account: ImapServer):
    server = imap_account
    with MailBoxUnencrypted(server.host, server.port, timeout=10).login(
        server.user, server.password
    ) as mailbox:
        mailbox.append(_message("VPN down", "Nobody can connect since 9am.\n"), "INBOX")
        messages = list(mailbox.fetch(mark_seen=False))
        assert len(messages) == 1
        message = messages[0]
        assert message.subject == "VPN down"
        assert message.from_ == "alice@customer.example"
        assert message.to == ("support@csm-test.example",)
        assert message.text.strip() == "Nobody can connect since 9am."

        mailbox.folder.create("Failed")
        mailbox.move(message.uid, "Failed")
        assert mailbox.folder.status("INBOX")["MESSAGES"] == 0
        assert mailbox.folder.status("Failed")["MESSAGES"] == 1
        mailbox.folder.set("Failed")
        assert [m.subject for m in mailbox.fetch()] == ["VPN down"]
