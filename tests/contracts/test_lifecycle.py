"""The scheduled life of a contract, with time travel on PostgreSQL (SPEC C5, H1, L1, L3, L4)."""

import threading
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from accounts.models import Membership, Organisation, User
from activities.models import Statement
from contracts import lifecycle
from contracts.lifecycle import LEASE
from contracts.models import (
    Contract,
    DeletionRecord,
    ExpiryWarning,
    LedgerEntry,
    LicenceYear,
    PendingFileRemoval,
)
from contracts.services import contract_renew
from tests.conftest import make_tenant
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)
ROME = ZoneInfo("Europe/Rome")


def at(day, hour: int = 2) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=ROME)


def can_sign_in(user: User) -> bool:
    client = Client()
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    return "_auth_user_id" in client.session


def state(tenant) -> tuple[str | None, str | None]:
    with scopes_disabled():
        organisation = Organisation.objects.filter(pk=tenant.organisation.pk).first()
        contract = Contract.objects.filter(pk=tenant.contract.pk).first()
    return (contract.status if contract else None, organisation.access if organisation else None)


def run_on(day) -> lifecycle.DailyReport:
    with time_machine.travel(at(day), tick=False):
        return lifecycle.run_daily()


def test_day_0_1_30_31_89_90_after_expiry(tenant_a, tenant_b):
    """SPEC C5, L3: active to expiry; read-only days 1–30; closed from 31; deleted on 90.
    The other organisation is untouched throughout."""
    expiry = tenant_a.contract.expires_on
    with scopes_disabled():
        # B's contract runs a year longer.
        Contract.objects.filter(pk=tenant_b.contract.pk).update(
            expires_on=expiry + timedelta(days=400)
        )
    expected = {
        0: ("active", "full", True),
        1: ("expired", "read_only", True),
        30: ("expired", "read_only", True),
        31: ("closed", "closed", False),
        89: ("closed", "closed", False),
    }
    for days, (status, access, signs_in) in expected.items():
        day = expiry + timedelta(days=days)
        run_on(day)
        assert state(tenant_a) == (status, access), f"day {days}"
        with time_machine.travel(at(day, 10), tick=False):
            assert can_sign_in(tenant_a.referent) is signs_in, f"day {days}"
    b_before = (state(tenant_b), _count_people(tenant_b.organisation.pk))
    report = run_on(expiry + timedelta(days=90))
    assert report.organisations_deleted == 1
    assert state(tenant_a) == (None, None)
    with scopes_disabled():
        assert not User.objects.filter(email=tenant_a.referent.email).exists()
        assert not LedgerEntry.objects.filter(organisation_id=tenant_a.organisation.pk).exists()
        record = DeletionRecord.objects.get(organisation_ref=tenant_a.organisation.pk)
    assert record.finished_at is not None
    assert record.counts["people"] == 3 and record.counts["ledger_entries"] == 1
    assert record.counts["contracts"] == 1 and record.counts["organisations"] == 1
    # No personal data in the record.
    assert tenant_a.referent.email not in str(record.counts) + str(record.contract_numbers)
    # B is intact: same state, same people, its referent still signs in.
    assert (state(tenant_b), _count_people(tenant_b.organisation.pk)) == b_before
    with time_machine.travel(at(expiry + timedelta(days=90), 10), tick=False):
        assert can_sign_in(tenant_b.referent)


def _count_people(organisation_id: int) -> int:
    with scopes_disabled():
        return Membership.objects.filter(organisation_id=organisation_id).count()


def test_a_renewal_signed_before_expiry_prevents_all_of_it(tenant_a):
    """SPEC C5: a renewal signed before expiry continues without any gap."""
    expiry = tenant_a.contract.expires_on
    with scopes_disabled(), time_machine.travel(at(expiry - timedelta(days=20)), tick=False):
        renewal = contract_renew(
            contract=tenant_a.contract,
            number="R-1",
            signed_on=expiry - timedelta(days=20),
            expires_on=expiry + timedelta(days=365),
            hours_per_year=Decimal("30"),
        )
        Contract.objects.filter(pk=renewal.pk).update(status=Contract.Status.ACTIVE)
    for days in (0, 1, 30, 31, 89, 90):
        run_on(expiry + timedelta(days=days))
        assert state(tenant_a)[1] == "full", f"day {days}"
    with scopes_disabled():
        assert Contract.objects.get(pk=tenant_a.contract.pk).status == "renewed"
        assert Contract.objects.get(pk=renewal.pk).starts_on == expiry + timedelta(days=1)
        assert not DeletionRecord.objects.exists()
    with time_machine.travel(at(expiry + timedelta(days=90), 10), tick=False):
        assert can_sign_in(tenant_a.referent)


def test_running_twice_or_a_week_late_gives_the_same_result(tenant_a):
    """SPEC L4: idempotent, and late runs land in the right state."""
    expiry = tenant_a.contract.expires_on
    run_on(expiry + timedelta(days=38))  # nothing ran during day 1–37
    first = state(tenant_a)
    run_on(expiry + timedelta(days=38))
    assert state(tenant_a) == first == ("closed", "closed")


def test_unused_hours_lapse_at_the_end_of_the_licence_year(tenant_a):
    """SPEC H1."""
    with scopes_disabled():
        year = LicenceYear.objects.get(contract=tenant_a.contract, index=1)
    run_on(year.ends_on)
    year.refresh_from_db()
    assert year.lapsed_at is None
    run_on(year.ends_on + timedelta(days=1))
    year.refresh_from_db()
    assert year.lapsed_at is not None


def test_expiry_warnings_go_to_referent_and_cstm_once(tenant_a, cstm):
    """SPEC L1: warn the referent and the CSTM before expiry (60/30/7 days), never twice."""
    with scopes_disabled():
        Contract.objects.filter(pk=tenant_a.contract.pk).update(cstm=cstm)
    expiry = tenant_a.contract.expires_on
    mail.outbox.clear()
    run_on(expiry - timedelta(days=60))
    run_on(expiry - timedelta(days=60))
    assert sorted(m.to[0] for m in mail.outbox) == sorted([tenant_a.referent.email, cstm.email])
    mail.outbox.clear()
    run_on(expiry - timedelta(days=5))  # the job missed day 30 and day 7
    assert len(mail.outbox) == 2 and "5" in mail.outbox[0].subject
    with scopes_disabled():
        assert set(ExpiryWarning.objects.values_list("days_before", flat=True)) == {60, 7}


def test_two_workers_at_once_do_the_work_once(tenant_a):
    """SPEC L4: concurrent runs (row locks, SKIP LOCKED) give the same result as one run."""
    for n in range(6):
        make_tenant(f"Parallela {n} S.r.l.", f"parallela-{n}.example")
    expiry = tenant_a.contract.expires_on
    day = expiry + timedelta(days=90)
    with scopes_disabled():
        Contract.objects.update(expires_on=expiry)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            run_on(day)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    run_on(day)  # whatever a racing worker skipped, the next run finishes
    with scopes_disabled():
        assert Organisation.objects.filter(kind="customer").count() == 0
        records = DeletionRecord.objects.all()
        assert records.count() == 7
        assert all(r.finished_at and r.counts["organisations"] == 1 for r in records)


def test_a_deletion_held_by_a_live_worker_is_left_alone_and_a_dead_ones_is_resumed(tenant_a):
    """SPEC L4: nothing is deleted twice in parallel, and a worker that died mid-run does not
    leave the organisation half-deleted for ever."""
    from contracts.lifecycle import LEASE, _claim_deletion

    with scopes_disabled():
        Contract.objects.filter(pk=tenant_a.contract.pk).update(status="closed")
    organisation_id = tenant_a.organisation.pk
    day = tenant_a.contract.expires_on + timedelta(days=90)
    with time_machine.travel(at(day), tick=False):
        with scopes_disabled():  # worker 1 takes the lease, then dies
            assert _claim_deletion(organisation_id, "worker-1") is not None
        assert (
            lifecycle.organisation_delete_data(organisation_id=organisation_id, job="worker-2")
            is False
        )
        assert state(tenant_a) == ("closed", "full")  # untouched while the lease runs
    with time_machine.travel(at(day) + LEASE + timedelta(minutes=1), tick=False):
        assert (
            lifecycle.organisation_delete_data(organisation_id=organisation_id, job="worker-2")
            is True
        )
    assert state(tenant_a) == (None, None)
    with scopes_disabled():
        assert (
            DeletionRecord.objects.get(organisation_ref=organisation_id).counts["organisations"]
            == 1
        )


class WorkerKilled(Exception):
    """Stands for a worker dying (SIGKILL, OOM) right after a batch committed."""


def _mail_with_attachment(sender: str) -> bytes:
    from email.message import EmailMessage

    from tests.tickets.conftest import authentication_passed

    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@csm-test.example"
    message["Subject"] = "Errore: non funziona"
    message["Message-ID"] = "<killed-run@mail.example>"
    message["Authentication-Results"] = authentication_passed(sender).replace("\r\n", "")
    message.set_content("Il portale non funziona.")
    message.add_attachment(b"log lines", maintype="text", subtype="plain", filename="log.txt")
    return message.as_bytes()


@pytest.mark.parametrize("killed_after", ["attachments", "contracts"])
def test_l3_l4_a_deletion_killed_between_commit_and_file_removal_is_finished_by_the_next_run(
    tenant_a, cstm, monkeypatch, settings, tmp_path, killed_after
):
    """SPEC L3, L4: the worker dies right after a batch commits and before its files are
    removed (after the attachments, or after the contracts, when the organisation is no longer
    found through them). The batch's counts are committed with it and its files are in the
    journal; the next run, once the lease has run out, removes them first, finishes the
    deletion, and the counts are exact (nothing lost, nothing counted twice)."""
    from tests.activities.conftest import complete, log, requested
    from tests.tickets.conftest import local_mailbox
    from tickets.ingest import ingest
    from tickets.models import Attachment, InboundMessage

    settings.MEDIA_ROOT = tmp_path / "media"
    request = requested(tenant_a, "kickoff")
    log(request, cstm, 45)
    complete(request, cstm)
    mailbox = local_mailbox()
    inbound, _ = ingest(mailbox, _mail_with_attachment(tenant_a.referent.email))
    with scopes_disabled():
        files = [
            inbound.raw.name,
            Attachment.objects.get(inbound=inbound).file.name,
            Statement.objects.get(request=request).pdf.name,
        ]
        Contract.objects.filter(pk=tenant_a.contract.pk).update(status="closed")
    assert all((settings.MEDIA_ROOT / name).exists() for name in files)
    organisation_id = tenant_a.organisation.pk
    day = tenant_a.contract.expires_on + timedelta(days=90)

    remove_pending_files = lifecycle._remove_pending_files

    def dies_after_the_commit(record_id: int) -> None:
        if DeletionRecord.objects.get(pk=record_id).counts.get(killed_after):
            raise WorkerKilled
        remove_pending_files(record_id)

    monkeypatch.setattr(lifecycle, "_remove_pending_files", dies_after_the_commit)
    with time_machine.travel(at(day), tick=False), pytest.raises(WorkerKilled):
        lifecycle.run_daily()
    with scopes_disabled():
        record = DeletionRecord.objects.get(organisation_ref=organisation_id)
        assert record.finished_at is None and record.counts[killed_after] == 1
        if killed_after == "attachments":
            # The rows are gone, their files are still there, and the journal says so.
            assert not Attachment.objects.filter(pk__in=[a.pk for a in inbound.attachments.all()])
            assert (settings.MEDIA_ROOT / files[1]).exists()
            assert list(PendingFileRemoval.objects.values_list("name", flat=True)) == [files[1]]
    monkeypatch.undo()
    with time_machine.travel(at(day) + timedelta(minutes=1), tick=False):
        assert lifecycle.run_daily().organisations_deleted == 0  # the lease still runs
    with time_machine.travel(at(day) + LEASE + timedelta(minutes=1), tick=False):
        assert lifecycle.run_daily().organisations_deleted == 1
    assert not any((settings.MEDIA_ROOT / name).exists() for name in files)
    with scopes_disabled():
        assert not PendingFileRemoval.objects.exists()
        assert not InboundMessage.objects.exists()
        assert not Organisation.objects.filter(pk=organisation_id).exists()
        record = DeletionRecord.objects.get(organisation_ref=organisation_id)
    assert record.finished_at is not None
    counts = {name: number for name, number in record.counts.items() if number}
    assert counts == {
        "auto_replies": 1,
        "ticket_events": 1,
        "attachments": 1,
        "ticket_messages": 2,  # the customer's and the auto-reply
        "ticket_participants": 1,  # the referent who wrote
        "received_mails": 1,
        "tickets": 1,
        "statements": 1,
        "request_charges": 1,
        "work_sessions": 1,
        "activity_requests": 1,
        "ledger_entries": 2,  # the tenant's charge and the kick-off's
        "hour_packs": 1,
        "services": 1,
        "licence_years": 3,
        "contracts": 1,
        "invitations": 1,
        "cstm_assignments": 1,
        "api_tokens": 1,
        "email_addresses": 3,
        "people": 3,
        "memberships": 3,
        "email_domains": 1,
        "organisations": 1,
    }
