"""What the day-90 deletion removes of an organisation in contracts (SPEC L3): the hours ledger,
packs, licence years, services, warnings, cancellation notices, acceptances and the contracts.
Registered in the registry of ``csm_portal.deletion`` from ``ContractsConfig.ready()``."""

from collections.abc import Callable

from django.db import models
from django.db.models import QuerySet

from accounts.deletion import people
from contracts.models import (
    Acceptance,
    CancellationNotice,
    Contract,
    ContractService,
    ExpiryWarning,
    HourPack,
    IdempotencyKey,
    LedgerEntry,
    LicenceYear,
)
from csm_portal.deletion import CONTRACTS, register


def _of(model: type[models.Model], **filters: object) -> Callable[[int], QuerySet]:
    def rows(organisation_id: int) -> QuerySet:
        return model._base_manager.filter(organisation_id=organisation_id, **filters)

    return rows


def _idempotency_keys(organisation_id: int) -> QuerySet:
    # The stored answers of the organisation's people's writes (SPEC L5) may quote its data.
    return IdempotencyKey.objects.filter(user__in=people(organisation_id).values("pk"))


def register_steps() -> None:
    register(
        count="idempotency_keys",
        model=IdempotencyKey,
        rows=_idempotency_keys,
        order=CONTRACTS + 5,
    )
    # Reversals first: each one protects the charge it cancels (SPEC H9).
    register(
        count="ledger_entries",
        model=LedgerEntry,
        rows=_of(LedgerEntry, kind=LedgerEntry.Kind.REVERSAL),
        order=CONTRACTS + 10,
    )
    register(count="ledger_entries", model=LedgerEntry, rows=_of(LedgerEntry), order=CONTRACTS + 20)
    register(count="hour_packs", model=HourPack, rows=_of(HourPack), order=CONTRACTS + 30)
    register(
        count="expiry_warnings", model=ExpiryWarning, rows=_of(ExpiryWarning), order=CONTRACTS + 40
    )
    register(
        count="cancellations",
        model=CancellationNotice,
        rows=_of(CancellationNotice),
        order=CONTRACTS + 50,
    )
    register(
        count="services", model=ContractService, rows=_of(ContractService), order=CONTRACTS + 60
    )
    register(count="licence_years", model=LicenceYear, rows=_of(LicenceYear), order=CONTRACTS + 70)
    register(count="acceptances", model=Acceptance, rows=_of(Acceptance), order=CONTRACTS + 80)
    register(count="contracts", model=Contract, rows=_of(Contract), order=CONTRACTS + 90)
