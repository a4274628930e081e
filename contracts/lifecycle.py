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
from django.db import connection, models, transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, signals
from django.db.models.deletion import get_candidate_relations_to_delete
from django.db.models.expressions import RawSQL
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import ngettext
from django_scopes import scopes_disabled

from accounts.models import Membership, Organisation
from accounts.roles import Role
from accounts.tenancy import tenancy_invalidate
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
BATCH = 5000
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


def _renewed() -> Exists:
    """A renewal recorded beyond draft continues the contract with no gap (SPEC C5)."""
    return Exists(
        Contract.objects.filter(renewal_of=OuterRef("pk")).exclude(status=Contract.Status.DRAFT)
    )


def _advance_contracts(today: date, report: DailyReport) -> None:
    """SPEC C5 in three set-based updates, the rule of ``domain.contract_status_on`` for a
    running or read-only contract past its expiry: renewed if a renewal exists, read-only for
    ``READ_ONLY_DAYS`` days, then closed. Each update names the states it moves from, so a row
    another worker has just moved no longer matches (PostgreSQL re-checks the condition on the
    locked row): every transition happens and is counted once, however many workers run."""
    now = timezone.now()
    past = Contract.objects.filter(
        status__in=[Contract.Status.ACTIVE, Contract.Status.EXPIRED], expires_on__lt=today
    )
    read_only_from = today - timedelta(days=READ_ONLY_DAYS)
    moves = [
        (Contract.Status.RENEWED, past.filter(_renewed())),
        (Contract.Status.CLOSED, past.filter(~_renewed(), expires_on__lt=read_only_from)),
        (
            Contract.Status.EXPIRED,
            past.filter(~_renewed(), status=Contract.Status.ACTIVE, expires_on__gte=read_only_from),
        ),
    ]
    for target, rows in moves:
        with transaction.atomic():
            moved = rows.update(status=target, updated_at=now)
        if moved:
            report.transitions[target] = report.transitions.get(target, 0) + moved


def _update_access(today: date, report: DailyReport) -> None:
    """Each customer's access from its contracts' states (``domain.organisation_access``), in
    one update per access level that touches only the customers whose access changes."""
    now = timezone.now()
    contracts = Contract.objects.filter(organisation=OuterRef("pk"))
    live = contracts.exclude(status=Contract.Status.DRAFT)
    running = Exists(live.filter(status__in=[Contract.Status.ACTIVE, Contract.Status.RENEWED]))
    expired = Exists(live.filter(status=Contract.Status.EXPIRED))
    levels = [
        (Organisation.Access.FULL, Q(Exists(contracts)) & (~Exists(live) | running)),
        (Organisation.Access.READ_ONLY, Q(Exists(live)) & ~running & expired),
        (Organisation.Access.CLOSED, Q(Exists(live)) & ~running & ~expired),
    ]
    for access, condition in levels:
        with transaction.atomic():
            changed = (
                Organisation.objects.filter(condition)
                .exclude(access=access)
                .update(access=access, updated_at=now)
            )
        report.access_changed += changed
        if changed:
            # A bulk update sends no signal: the cached tenancies (accounts.tenancy) would keep
            # the old access for their lifetime, so every one is forgotten now (SPEC C5, T1).
            tenancy_invalidate()
            transaction.on_commit(tenancy_invalidate)


def _send_expiry_warnings(today: date, report: DailyReport) -> None:
    """SPEC L1: the warnings due today, decided by ``domain.warning_due`` for the running
    contracts within the first threshold of their expiry, recorded in one insert that skips the
    ones already recorded (by this run or a concurrent one): each is mailed once, after commit."""
    horizon = today + timedelta(days=max(domain.EXPIRY_WARNING_DAYS))
    candidates = list(
        Contract.objects.filter(
            status=Contract.Status.ACTIVE, expires_on__gte=today, expires_on__lte=horizon
        )
        .exclude(_renewed())
        .values_list("pk", "organisation_id", "expires_on")
    )
    if not candidates:
        return
    sent: dict[int, set[int]] = {}
    for contract_id, days_before in ExpiryWarning.objects.filter(
        contract_id__in=[pk for pk, _, _ in candidates]
    ).values_list("contract_id", "days_before"):
        sent.setdefault(contract_id, set()).add(days_before)
    due = []
    for pk, organisation_id, expires_on in candidates:
        days_left = (expires_on - today).days
        threshold = domain.warning_due(days_left, sent.get(pk, set()))
        if threshold is not None:
            due.append((pk, organisation_id, threshold, days_left))
    if not due:
        return
    with transaction.atomic():
        created = _insert_warnings(due)
        days_left_of = {pk: days_left for pk, _, _, days_left in due}
        warned = [(pk, days_left_of[pk]) for pk in sorted(created)]
        transaction.on_commit(lambda: _mail_expiry_warnings(warned))
    report.warnings_sent += len(created)


def _insert_warnings(due: list[tuple[int, int, int, int]]) -> set[int]:
    """Record the due warnings; returns the contracts whose warning this call recorded (a
    warning already there, by an earlier or concurrent run, is not recorded nor mailed again)."""
    table = connection.ops.quote_name(ExpiryWarning._meta.db_table)
    now = timezone.now()
    rows = ", ".join(["(%s, %s, %s, %s)"] * len(due))
    params: list[object] = []
    for pk, organisation_id, threshold, _ in due:
        params += [pk, organisation_id, threshold, now]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (contract_id, organisation_id, days_before, sent_at) "  # noqa: S608
            f"VALUES {rows} ON CONFLICT (contract_id, days_before) DO NOTHING "
            "RETURNING contract_id",
            params,
        )
        return {row[0] for row in cursor.fetchall()}


def _mail_expiry_warnings(warned: list[tuple[int, int]]) -> None:
    """Mail each recorded warning to the contract's referents and CSTM (one query for all)."""
    if not warned:
        return
    with scopes_disabled():
        contracts = Contract.objects.select_related("organisation", "cstm").in_bulk(
            [pk for pk, _ in warned]
        )
        referents: dict[int, list] = {}
        memberships = (
            Membership.objects.with_scopes_disabled()
            .select_related("user")
            .filter(
                organisation_id__in={c.organisation_id for c in contracts.values()},
                role=Role.REFERENT,
                user__is_active=True,
            )
            .order_by("pk")
        )
        for membership in memberships:
            referents.setdefault(membership.organisation_id, []).append(membership.user)
    for pk, days_left in warned:
        contract = contracts[pk]
        _mail_expiry_warning(contract, days_left, referents.get(contract.organisation_id, []))


def _mail_expiry_warning(contract: Contract, days_left: int, referents: list) -> None:
    recipients = list(referents)
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
    due = (
        Contract.objects.values("organisation_id")
        .annotate(
            last_expiry=Max("expires_on"),
            open=Count("pk", filter=~Q(status=Contract.Status.CLOSED)),
        )
        .filter(last_expiry__lte=today - timedelta(days=DELETION_DAY), open=0)
        .values_list("organisation_id", flat=True)
    )
    # A deletion that died after its contracts were deleted is no longer found by them: resume
    # every unfinished one (its lease decides whether it is still being worked on).
    unfinished = DeletionRecord.objects.filter(finished_at__isnull=True).values_list(
        "organisation_ref", flat=True
    )
    return sorted(set(due) | set(unfinished))


def _delete_step(step: DeletionStep, organisation_id: int, record_id: int) -> None:
    """Delete one step's rows by primary-key batches so memory and statements per row stay
    bounded whatever the data size: per batch one select of ids, one delete (plus one statement
    per relation pointing at the model), no model instance loaded. Each batch commits its rows,
    its files to remove and its counts together, under the lock of the deletion record: a worker
    killed at any point loses no count and leaves no file without a journal entry, and two
    workers never overwrite each other's counts (SPEC L3, L4)."""
    logged_types = _content_types_with_cascade(step.model)
    while True:
        with transaction.atomic():
            record = DeletionRecord.objects.select_for_update().get(pk=record_id)
            ids = list(
                step.rows(organisation_id)
                .order_by()
                .values_list("pk", flat=True)
                .distinct()[:BATCH]
            )
            if not ids:
                return
            batch = step.model._base_manager.filter(pk__in=_ids(ids))
            PendingFileRemoval.objects.bulk_create(_journal(step, batch, record_id))
            counts = dict(record.counts)
            logged = 0
            if LogEntry.objects.filter(content_type_id__in=logged_types).exists():
                logged = _delete_admin_log(step.model, ids)
            counts["admin_log_entries"] = counts.get("admin_log_entries", 0) + logged
            # Not Model.delete: the ledger's append-only guard is for people, and this is the
            # one sanctioned removal (SPEC L3). Rows that go by cascade are counted under their
            # own step's name.
            for label, number in _delete_rows(step.model, ids).items():
                if not number:
                    continue
                name = step.count if label == step.label else deletion.count_name_for(label)
                counts[name] = counts.get(name, 0) + number
            record.counts = counts
            record.lease_until = timezone.now() + LEASE
            record.save(update_fields=["counts", "lease_until"])
        # Files go once their rows are gone for good (SPEC L3: files too).
        _remove_pending_files(record_id)


def _ids(ids: list) -> list | RawSQL:
    """A list of primary keys for ``pk__in``: integer keys are passed to PostgreSQL as one
    array parameter, which spares Django preparing thousands of values one by one."""
    if ids and all(type(pk) is int for pk in ids):
        return RawSQL("SELECT unnest(%s::bigint[])", (ids,))
    return ids


def _delete_rows(model: type[models.Model], ids: list) -> dict[str, int]:
    """Delete these rows as Django's collector would (cascades, SET_NULL, PROTECT) but by
    statements over the batch, without loading the rows: one statement per relation pointing
    at the model and one DELETE. Models with delete signals or unusual relations go through the
    collector itself. Returns the rows deleted per model label."""
    rows = model._base_manager.filter(pk__in=_ids(ids))
    relations = list(get_candidate_relations_to_delete(model._meta))
    if (
        signals.pre_delete.has_listeners(model)
        or signals.post_delete.has_listeners(model)
        or any(hasattr(f, "bulk_related_objects") for f in model._meta.private_fields)
        or any(r.on_delete not in _BY_STATEMENT for r in relations)
        or any(not r.field.target_field.primary_key for r in relations)
    ):
        return {label: n for label, n in rows.delete()[1].items() if n}
    deleted: dict[str, int] = {}
    for relation in relations:
        field = relation.field
        children = relation.related_model._base_manager.filter(**{f"{field.name}__in": _ids(ids)})
        if relation.on_delete is models.DO_NOTHING:
            continue
        if relation.on_delete is models.SET_NULL:
            children.update(**{field.name: None})
        elif relation.on_delete is models.PROTECT:
            if children.exists():
                rows.delete()  # raises ProtectedError, naming what protects the rows
        else:  # CASCADE
            child_ids = list(children.values_list("pk", flat=True))
            if child_ids:
                for label, number in _delete_rows(relation.related_model, child_ids).items():
                    deleted[label] = deleted.get(label, 0) + number
    number = rows._raw_delete(rows.db)
    if number:
        deleted[model._meta.label] = deleted.get(model._meta.label, 0) + number
    return deleted


_BY_STATEMENT = (models.CASCADE, models.SET_NULL, models.PROTECT, models.DO_NOTHING)


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


def _content_types_with_cascade(model: type[models.Model]) -> list[int]:
    """The content types of the model and of every model its rows take with them by cascade:
    the admin history that may be about a batch."""
    found: list[type[models.Model]] = []

    def walk(current: type[models.Model]) -> None:
        if current in found or current is LogEntry:
            return
        found.append(current)
        for relation in current._meta.related_objects:
            if getattr(relation, "on_delete", None) is models.CASCADE:
                walk(relation.related_model)

    walk(model)
    types = ContentType.objects.get_for_models(*found, for_concrete_models=False)
    return [content_type.pk for content_type in types.values()]


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
    """Remove the journaled files of a deletion, idempotently: a file already gone is done (a
    run that dies before forgetting them removes them again, harmlessly)."""
    pending = list(
        PendingFileRemoval.objects.filter(record_id=record_id)
        .order_by("pk")
        .values_list("pk", "field", "name")
    )
    for _, label, name in pending:
        _remove_file(label, name)
    if pending:
        PendingFileRemoval.objects.filter(pk__in=_ids([pk for pk, _, _ in pending])).delete()


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
        # Memberships went by batched statements (no signals): forget every cached tenancy.
        tenancy_invalidate()
        logger.info("deleted organisation #%s: %s", organisation_id, record.counts)
        return True
