"""SPEC L4: a Celery worker killed in the middle of a mailbox poll loses nothing and doubles
nothing: the next poll finishes the batch, against the real Dovecot and PostgreSQL. A message
moves to Processed with one UID MOVE, so no instant leaves it in two folders; and a message
whose ingestion fails or rolls back leaves no file behind."""

import imaplib
import signal
import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from django_scopes import scopes_disabled

from tests.tickets.conftest import authenticated, count, deliver
from tickets import ingest
from tickets.mailbox import poll
from tickets.models import Attachment, InboundMessage, Ticket
from tickets.tasks import poll_mailboxes

pytestmark = pytest.mark.django_db(transaction=True)
MESSAGES = 300


def stored() -> int:
    with scopes_disabled():
        return InboundMessage.objects.count()


def test_l4_a_worker_killed_mid_batch_loses_and_doubles_nothing(
    imap_server, mailbox, alfa, celery_worker_process
):
    raws = [message(n) for n in range(MESSAGES)]
    deliver(imap_server, *raws)
    poll_mailboxes.delay()
    deadline = time.monotonic() + 60
    while stored() < 20:  # the worker is in the middle of the batch
        assert time.monotonic() < deadline, "the worker did not start polling"
        time.sleep(0.05)
    celery_worker_process.send_signal(signal.SIGKILL)
    celery_worker_process.wait(timeout=10)
    done_before = stored()
    assert 0 < done_before < MESSAGES, "killed too late to prove anything"
    # UID MOVE is atomic on the server: whenever the kill came, no message is in two folders.
    assert count(imap_server, "INBOX") + count(imap_server, "Processed") == MESSAGES
    # The dead worker's lease runs out; the next poll (here, five minutes later) resumes.
    with time_machine.travel(timezone.now() + timedelta(minutes=6), tick=True):
        report = poll(mailbox)
    assert report.new + report.duplicates == report.seen
    assert stored() == MESSAGES
    with scopes_disabled():
        assert Ticket.objects.count() == MESSAGES
        keys = set(InboundMessage.objects.values_list("message_key", flat=True))
    assert keys == {f"<crash-{n}@alfa.example>" for n in range(MESSAGES)}
    assert count(imap_server, "INBOX") == 0
    assert count(imap_server, "Processed") == MESSAGES
    assert poll(mailbox).seen == 0


class Killed(BaseException):
    """The worker dies here (a BaseException: nothing in the poller catches it)."""


def test_l4_a_kill_right_after_the_move_command_leaves_each_message_in_one_folder(
    imap_server, mailbox, alfa, monkeypatch
):
    """The worst instant, made deterministic: the worker dies just after the server answered the
    first command of the move. With COPY + STORE/EXPUNGE (imap-tools' fallback, used because
    imaplib kept the pre-login capabilities without MOVE) the message was then in INBOX and in
    Processed, and the next poll put a second copy in Processed (301 for 300). With UID MOVE it
    is in Processed only."""
    real_uid = imaplib.IMAP4.uid
    commands: list[str] = []

    def dying_uid(self, command, *args):
        result = real_uid(self, command, *args)
        commands.append(command.upper())
        if command.upper() in ("MOVE", "COPY"):
            raise Killed
        return result

    deliver(imap_server, message(1))
    monkeypatch.setattr(imaplib.IMAP4, "uid", dying_uid)
    with pytest.raises(Killed):
        poll(mailbox)
    monkeypatch.undo()
    assert "MOVE" in commands and "COPY" not in commands
    assert (count(imap_server, "INBOX"), count(imap_server, "Processed")) == (0, 1)
    with time_machine.travel(timezone.now() + timedelta(minutes=6), tick=True):
        assert poll(mailbox).seen == 0  # the dead worker's lease ran out; nothing left to do
    assert count(imap_server, "Processed") == 1 and stored() == 1


def message(n: int, attachment: bool = False) -> bytes:
    head = (
        f"{authenticated('user@alfa.example')}"
        f"From: user@alfa.example\r\nTo: support@csm-test.example\r\n"
        f"Subject: Errore numero {n}\r\nMessage-ID: <crash-{n}@alfa.example>\r\n"
    )
    if not attachment:
        return (head + f"Content-Type: text/plain\r\n\r\nNon funziona ({n}).\r\n").encode()
    return (
        head + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=Z\r\n\r\n"
        "--Z\r\nContent-Type: text/plain\r\n\r\nVedi il log.\r\n--Z\r\n"
        "Content-Type: text/plain\r\nContent-Disposition: attachment; filename=errore.log\r\n"
        "\r\nORPHAN-MARKER riga di log\r\n--Z--\r\n"
    ).encode()


def media_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_l3_a_message_whose_ingestion_fails_after_saving_files_leaves_no_orphan_file(
    mailbox, alfa, settings, tmp_path, monkeypatch
):
    """FieldFile.save writes at once: a routing step failing after the raw .eml and the
    attachment were written rolled the rows back and left both files on disk, out of reach of
    the day-90 deletion. Now they are removed with the rollback, and the message ingests later."""
    settings.MEDIA_ROOT = tmp_path
    raw = message(7, attachment=True)

    def failing_step(*args, **kwargs):
        assert len(media_files(tmp_path)) == 2  # the .eml and the attachment were written
        raise RuntimeError("routing failed after the files were saved")

    monkeypatch.setattr(ingest, "auto_reply_on_commit", failing_step)
    with pytest.raises(RuntimeError):
        ingest.ingest(mailbox, raw)
    assert media_files(tmp_path) == []
    with scopes_disabled():
        assert not InboundMessage.objects.exists() and not Attachment.objects.exists()
    monkeypatch.undo()
    inbound, created = ingest.ingest(mailbox, raw)
    assert created and inbound.outcome == "ticket"
    with scopes_disabled():
        (attachment,) = Attachment.objects.all()
    names = {Path(inbound.raw.path), Path(attachment.file.path)}
    assert set(media_files(tmp_path)) == names


def test_l3_a_failure_record_that_cannot_be_saved_leaves_no_orphan_file(
    mailbox, settings, tmp_path, monkeypatch
):
    """record_failure writes the raw .eml before its row: if the row cannot be saved the file
    goes too."""
    settings.MEDIA_ROOT = tmp_path

    def failing_save(self, *args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(InboundMessage, "save", failing_save)
    with pytest.raises(RuntimeError):
        ingest.record_failure(mailbox, message(8), 1, ValueError("bad"))
    assert media_files(tmp_path) == []
