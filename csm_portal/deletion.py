"""The registry of day-90 deletion steps (SPEC L3): every app declares, in its own
``deletion.py`` registered from its ``AppConfig.ready()``, which rows of an organisation it holds
and which of their fields are stored files. ``contracts.lifecycle.organisation_delete_data`` runs
the steps; it never imports the apps above it (STYLE: dependencies point down).

This module is the lowest layer: it imports no app of the project.

Registering a step::

    # tickets/deletion.py
    from csm_portal.deletion import TICKETS, register

    def _tickets(organisation_id: int) -> QuerySet:
        return Ticket.objects.with_scopes_disabled().filter(organisation_id=organisation_id)

    def register_steps() -> None:
        register(count="tickets", model=Ticket, rows=_tickets, order=TICKETS + 60)

    # tickets/apps.py, in TicketsConfig.ready():
    from tickets.deletion import register_steps
    register_steps()

Steps run by ascending ``order``: a step comes before the steps of the rows it points at
(children before parents), so that every row is deleted, counted and its files journaled by its
own step rather than vanishing by cascade. ``tests/test_deletion.py`` fails a model that holds an
organisation's data without a step (or a commented exemption below), a step that runs after its
parent, and a count name the day-90 test fills with no data.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models
from django.db.models import QuerySet

# Order bands, from the top of the dependency graph down (children before parents).
TICKETS = 100
ONBOARDING = 200
ACTIVITIES = 300
CONTRACTS = 400
ACCOUNTS = 500


@dataclass(frozen=True)
class DeletionStep:
    """One kind of row of an organisation: ``rows(organisation_id)`` returns the rows still to
    delete (it is called again for each batch, so it must select by what still exists);
    ``files`` names the model's FileFields whose stored files go with the rows."""

    count: str
    model: type[models.Model]
    rows: Callable[[int], QuerySet]
    order: int
    files: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.model._meta.label


_steps: list[DeletionStep] = []

# Models that hold no organisation's data although they look as if they might (a file, an
# address, a link to people), each with the reason. Anything else linked to an organisation, a
# person or a stored file needs a step.
EXEMPT: dict[str, str] = {
    # The provider's own terms documents (EULA, SLA, DPA): the same files for every customer;
    # what a customer accepted is its Acceptance rows, which have a step.
    "contracts.TermsDocument": "provider documents, shared by every customer",
    # The provider's own name and logo printed on statements (one row, issue 14).
    "accounts.ProviderBranding": "the provider's own name and logo",
    # Manuals, FAQ and product documentation the provider shares with every customer at once:
    # no organisation's data (its only person link is the staff member who published it).
    "onboarding.ProviderDocument": "provider documents, shared by every customer",
    # The provider's support mailboxes and their IMAP settings.
    "tickets.Mailbox": "the provider's support addresses",
    # Django admin's log: the entries about an organisation's rows are deleted with each batch by
    # the runner (contracts.lifecycle, count "admin_log_entries"); its own user is provider staff.
    "admin.LogEntry": "removed with the rows it is about, by the runner",
    # The deletion record itself keeps counts and contract numbers only (SPEC L3), and its
    # journal of files to remove holds random storage names until they are removed.
    "contracts.DeletionRecord": "counts per kind, no personal data",
    "contracts.PendingFileRemoval": "random storage names, removed after commit",
}


def register(
    *,
    count: str,
    model: type[models.Model],
    rows: Callable[[int], QuerySet],
    order: int,
    files: tuple[str, ...] = (),
) -> None:
    """Declare a deletion step. Idempotent: an app's ``ready()`` may run more than once."""
    step = DeletionStep(count=count, model=model, rows=rows, order=order, files=tuple(files))
    for existing in _steps:
        if (existing.count, existing.label, existing.order) == (step.count, step.label, order):
            return
    for name in step.files:
        field = model._meta.get_field(name)
        if not isinstance(field, models.FileField):
            raise TypeError(f"{step.label}.{name} is not a FileField")
    _steps.append(step)


def steps() -> list[DeletionStep]:
    """The registered steps in the order they run (stable for equal orders)."""
    return sorted(_steps, key=lambda step: step.order)


def count_names() -> list[str]:
    """Every kind a deletion record may count, in the order of the steps."""
    names: list[str] = []
    for step in steps():
        if step.count not in names:
            names.append(step.count)
    return names


def count_name_for(label: str) -> str:
    """The count of a model's rows (by ``app.Model`` label): its first step's name, or the label
    itself for a model no step names (rows that went by cascade are counted all the same)."""
    for step in steps():
        if step.label == label:
            return step.count
    return label
