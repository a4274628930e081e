"""The scheduled life of contracts (SPEC C5, L1, L3, L4).

Every step locks the rows it changes with ``SELECT … FOR UPDATE SKIP LOCKED`` and decides from
the stored state and the date alone, so running it twice, late, or in two workers at once gives
the same result.
"""

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import models, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import ngettext
from django_scopes import scopes_disabled

from accounts.models import Membership, Organisation
from accounts.roles import Role
from contracts import domain
from contracts.models import (
    DELETION_DAY,
    READ_ONLY_DAYS,
    Contract,
    DeletionRecord,
    ExpiryWarning,
    LicenceYear,
    PendingFileRemoval,
)
from csm_portal import deletion
from csm_portal.deletion import DeletionStep

logger = logging.getLogger(__name__)
BATCH = 1000
LEASE = timedelta(minutes=10)


@dataclass
class DailyReport:
    transitions: dict[str, int] = field(default_factory=dict)
    warnings_sent: int = 0
    years_lapsed: int = 0
    access_changed: int = 0
    organisations_deleted: int = 0

    def count(self, key: str) -> None:
        self.transitions[key] = self.transitions.get(key, 0) + 1


def run_daily(*, today: date | None = None, job: str = "contracts.daily") -> DailyReport:
    """The daily job: contract states, customer access, expiry warnings, lapsed licence years
    and, 90 days after expiry, deletion of the organisation's data."""
    today = today or timezone.localdate()
    report = DailyReport()
    with scopes_disabled():  # a job works across tenants, one row at a time
        _advance_contracts(today, report)
        _update_access(today, report)
        _send_expiry_warnings(today, report)
        _lapse_years(today, report)
        for organisation_id in _organisations_due_for_deletion(today):
            if organisation_delete_data(organisation_id=organisation_id, job=job):
                report.organisations_deleted += 1
    logger.info("contracts daily run for %s: %s", today, report)
    return report


def _is_renewed(contract: Contract) -> bool:
    """A renewal recorded beyond draft continues the contract with no gap (SPEC C5)."""
    return (
        Contract.objects.filter(renewal_of=contract).exclude(status=Contract.Status.DRAFT).exists()
    )


def _advance_contracts(today: date, report: DailyReport) -> None:
    candidates = Contract.objects.filter(
        status__in=[Contract.Status.ACTIVE, Contract.Status.EXPIRED], expires_on__lt=today
    ).values_list("pk", flat=True)
    for pk in list(candidates):
        with transaction.atomic():
            contract = Contract.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if contract is None:
                continue  # another worker has it
            renewed = _is_renewed(contract)
            target = domain.contract_status_on(
                status=contract.status,
                expires_on=contract.expires_on,
                today=today,
                renewed=renewed,
                read_only_days=READ_ONLY_DAYS,
            )
            if target != contract.status:
                contract.status = target
                contract.save(update_fields=["status", "updated_at"])
                report.count(target)


def _update_access(today: date, report: DailyReport) -> None:
    organisation_ids = Contract.objects.values_list("organisation_id", flat=True).distinct()
    for organisation_id in list(organisation_ids):
        with transaction.atomic():
            organisation = (
                Organisation.objects.select_for_update(skip_locked=True)
                .filter(pk=organisation_id)
                .first()
            )
            if organisation is None:
                continue
            statuses = list(
                Contract.objects.filter(organisation=organisation).values_list("status", flat=True)
            )
            access = domain.organisation_access(statuses)
            if access != organisation.access:
                organisation.access = access
                organisation.save(update_fields=["access", "updated_at"])
                report.access_changed += 1


def _send_expiry_warnings(today: date, report: DailyReport) -> None:
    active = Contract.objects.filter(
        status=Contract.Status.ACTIVE, expires_on__gte=today
    ).select_related("organisation", "cstm")
    for contract in active:
        if _is_renewed(contract):
            continue  # renewed: nothing is ending
        days_left = (contract.expires_on - today).days
        with transaction.atomic():
            sent = set(
                ExpiryWarning.objects.filter(contract=contract).values_list(
                    "days_before", flat=True
                )
            )
            due = domain.warning_due(days_left, sent)
            if due is None:
                continue
            _, created = ExpiryWarning.objects.get_or_create(
                contract=contract, days_before=due, defaults={"organisation": contract.organisation}
            )
            if created:  # a concurrent run that got here first has sent it
                transaction.on_commit(lambda c=contract, d=days_left: _mail_expiry_warning(c, d))
                report.warnings_sent += 1


def _mail_expiry_warning(contract: Contract, days_left: int) -> None:
    recipients = [
        m.user
        for m in Membership.objects.with_scopes_disabled()
        .select_related("user")
        .filter(organisation=contract.organisation, role=Role.REFERENT, user__is_active=True)
    ]
    if contract.cstm is not None:
        recipients.append(contract.cstm)
    for user in recipients:
        with translation.override(user.language):
            subject = ngettext(
                "Contract %(number)s expires in %(days)s day",
                "Contract %(number)s expires in %(days)s days",
                days_left,
            ) % {"number": contract.number, "days": days_left}
            body = render_to_string(
                "contracts/email/expiry_warning.txt",
                {"contract": contract, "days": days_left, "user": user},
            )
        send_mail(subject, body, None, [user.email])


def _lapse_years(today: date, report: DailyReport) -> None:
    """SPEC H1: unused hours lapse at the end of the licence year; the next starts fresh."""
    with transaction.atomic():
        report.years_lapsed = LicenceYear.objects.filter(
            ends_on__lt=today, lapsed_at__isnull=True
        ).update(lapsed_at=timezone.now())


def _organisations_due_for_deletion(today: date) -> list[int]:
    """Customers whose every contract is closed and whose last expiry is 90 days ago or more."""
    rows = (
        Contract.objects.values("organisation_id")
        .annotate(last_expiry=Max("expires_on"))
        .filter(last_expiry__lte=today - timedelta(days=DELETION_DAY))
    )
    due = []
    for row in rows:
        statuses = set(
            Contract.objects.filter(organisation_id=row["organisation_id"]).values_list(
                "status", flat=True
            )
        )
        if statuses <= {Contract.Status.CLOSED}:
            due.append(row["organisation_id"])
    # A deletion that died after its contracts were deleted is no longer found by them: resume
    # every unfinished one (its lease decides whether it is still being worked on).
    unfinished = DeletionRecord.objects.filter(finished_at__isnull=True).values_list(
        "organisation_ref", flat=True
    )
    return sorted(set(due) | set(unfinished))


def _delete_step(step: DeletionStep, organisation_id: int, record_id: int) -> None:
    """Delete one step's rows by primary-key batches so memory stays bounded whatever the data
    size. Each batch commits its rows, its files to remove and its counts together, under the
    lock of the deletion record: a worker killed at any point loses no count and leaves no file
    without a journal entry, and two workers never overwrite each other's counts (SPEC L3, L4)."""
    while True:
        with transaction.atomic():
            record = DeletionRecord.objects.select_for_update().get(pk=record_id)
            ids = list(set(step.rows(organisation_id).values_list("pk", flat=True)[:BATCH]))
            if not ids:
                return
            batch = step.model._base_manager.filter(pk__in=ids)
            PendingFileRemoval.objects.bulk_create(_journal(step, batch, record_id))
            counts = dict(record.counts)
            logged = _delete_admin_log(step.model, ids)
            counts["admin_log_entries"] = counts.get("admin_log_entries", 0) + logged
            # QuerySet.delete, not Model.delete: the ledger's append-only guard is for people,
            # and this is the one sanctioned removal (SPEC L3). Rows that go by cascade are
            # counted under their own step's name.
            _, deleted = batch.delete()
            for label, number in deleted.items():
                if not number:
                    continue
                name = step.count if label == step.label else deletion.count_name_for(label)
                counts[name] = counts.get(name, 0) + number
            record.counts = counts
            record.lease_until = timezone.now() + LEASE
            record.save(update_fields=["counts", "lease_until"])
        # Files go once their rows are gone for good (SPEC L3: files too).
        _remove_pending_files(record_id)


def _journal(
    step: DeletionStep, batch: models.QuerySet, record_id: int
) -> list[PendingFileRemoval]:
    pending = []
    for name in step.files:
        stored = batch.exclude(**{f"{name}__isnull": True}).exclude(**{name: ""})
        pending.extend(
            PendingFileRemoval(record_id=record_id, field=f"{step.label}.{name}", name=path)
            for path in stored.values_list(name, flat=True)
        )
    return pending


def _delete_admin_log(model: type[models.Model], ids: list) -> int:
    """Django admin's history of these rows and of the rows that go with them by cascade (its
    object_repr may carry a subject or an address): it goes with them."""
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
    entries = LogEntry.objects.filter(
        content_type=content_type, object_id__in=[str(pk) for pk in ids]
    )
    deleted = entries.delete()[0]
    for relation in model._meta.related_objects:
        child = relation.related_model
        if getattr(relation, "on_delete", None) is not models.CASCADE or child is LogEntry:
            continue
        children = child._base_manager.filter(**{f"{relation.field.name}__in": ids})
        child_ids = list(children.values_list("pk", flat=True))
        if child_ids:
            deleted += _delete_admin_log(child, child_ids)
    return deleted


def _remove_pending_files(record_id: int) -> None:
    """Remove the journaled files of a deletion, idempotently: a file already gone is done."""
    pending = PendingFileRemoval.objects.filter(record_id=record_id).order_by("pk")
    for entry in list(pending):
        _remove_file(entry.field, entry.name)
        PendingFileRemoval.objects.filter(pk=entry.pk).delete()


def _remove_file(field: str, name: str) -> None:
    model_label, field_name = field.rsplit(".", 1)
    storage = apps.get_model(model_label)._meta.get_field(field_name).storage
    # A file already gone was removed by an earlier run that died before forgetting it.
    with contextlib.suppress(FileNotFoundError):
        storage.delete(name)


def _claim_deletion(organisation_id: int, job: str) -> DeletionRecord | None:
    """Take the lease on an organisation's deletion, or None if it is done or another worker
    holds it."""
    now = timezone.now()
    with transaction.atomic():
        record = (
            DeletionRecord.objects.select_for_update(skip_locked=True)
            .filter(organisation_ref=organisation_id)
            .first()
        )
        if record is None:
            if DeletionRecord.objects.filter(organisation_ref=organisation_id).exists():
                return None  # locked right now by another worker
            if not Organisation.objects.filter(pk=organisation_id).exists():
                return None
            record, created = DeletionRecord.objects.get_or_create(
                organisation_ref=organisation_id,
                defaults={
                    "job": job,
                    "lease_until": now + LEASE,
                    "contract_numbers": list(
                        Contract.objects.filter(organisation_id=organisation_id).values_list(
                            "number", flat=True
                        )
                    ),
                },
            )
            return record if created else None
        if record.finished_at is not None or (record.lease_until and record.lease_until > now):
            return None
        record.lease_until = now + LEASE
        record.save(update_fields=["lease_until"])
        return record


def organisation_delete_data(*, organisation_id: int, job: str) -> bool:
    """SPEC L3: remove the organisation's personal data and stored files, in batches, and keep a
    deletion record with counts per kind and no personal data. The steps are those every app
    registers in ``csm_portal.deletion`` (children before parents). One worker at a time (a
    lease); a run that died part way is finished by a later one, which first removes the files
    whose rows the dead run deleted; a finished deletion is not repeated."""
    steps = deletion.steps()
    if not steps:
        raise RuntimeError("No deletion steps registered: are the apps ready?")
    with scopes_disabled():
        record = _claim_deletion(organisation_id, job)
        if record is None:
            return False
        _remove_pending_files(record.pk)
        with transaction.atomic():
            # Every kind is in the record, zero included: "none" is an answer too.
            record = DeletionRecord.objects.select_for_update().get(pk=record.pk)
            zero = dict.fromkeys([*deletion.count_names(), "admin_log_entries"], 0)
            record.counts = {**zero, **record.counts}
            record.save(update_fields=["counts"])
        for step in steps:
            _delete_step(step, organisation_id, record.pk)
        with transaction.atomic():
            record = DeletionRecord.objects.select_for_update().get(pk=record.pk)
            record.finished_at = timezone.now()
            record.save(update_fields=["finished_at"])
        logger.info("deleted organisation #%s: %s", organisation_id, record.counts)
        return True
