"""What admins set up for the desk in the portal: SLA policies (SPEC S5) and canned responses
(S8). Only provider admins write them; every service validates before it saves."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.tenancy import tenancy_for
from tickets import sla
from tickets.models import CannedResponse, SlaPolicy, Ticket


def _admin_only(by: User) -> None:
    if not tenancy_for(by).is_admin:
        raise PermissionDenied(_("Only an administrator changes the desk's settings."))


@transaction.atomic
def sla_policy_save(
    *,
    by: User,
    policy: SlaPolicy | None = None,
    name: str,
    ticket_type: str,
    priority: str,
    contract=None,
    first_response_minutes: int,
    resolution_minutes: int,
    warn_before_minutes: int,
    availability_target: Decimal | None = None,
) -> SlaPolicy:
    """Create or change an SLA policy (SPEC S5): targets in support minutes, resolution not
    before first response, one policy per type, priority and contract. Open tickets under the
    policy take its new "warn before" (their warnings move); their targets stay those they
    were opened with."""
    _admin_only(by)
    target = policy or SlaPolicy()
    if policy is not None:
        target = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
    target.name = name.strip()
    target.ticket_type = ticket_type
    target.priority = priority
    target.contract = contract
    target.first_response_minutes = first_response_minutes
    target.resolution_minutes = resolution_minutes
    target.warn_before_minutes = warn_before_minutes
    target.availability_target = availability_target
    same = SlaPolicy.objects.filter(ticket_type=ticket_type, priority=priority, contract=contract)
    if target.pk:
        same = same.exclude(pk=target.pk)
    target.full_clean(validate_constraints=False)
    if same.exists():
        raise ValidationError(
            {"priority": [_("A policy for this type and priority already exists.")]}
        )
    target.save()
    open_tickets = Ticket.objects.filter(
        sla_policy=target, status__in=Ticket.OPEN_STATUSES
    ).select_for_update()
    for ticket in open_tickets:
        if ticket.warn_before_minutes == target.warn_before_minutes:
            continue
        ticket.warn_before_minutes = target.warn_before_minutes
        sla.recompute(ticket)
        ticket.save(
            update_fields=[
                "warn_before_minutes",
                "first_response_due",
                "resolution_due",
                "first_response_warn_at",
                "resolution_warn_at",
            ]
        )
    return target


@transaction.atomic
def canned_response_save(
    *, by: User, canned: CannedResponse | None = None, active: bool = True, **texts: str
) -> CannedResponse:
    """Create or change a canned response: a title and a text in Italian at least, English,
    French and Spanish when given (SPEC S8)."""
    _admin_only(by)
    target = canned or CannedResponse()
    if canned is not None:
        target = CannedResponse.objects.select_for_update().get(pk=canned.pk)
    for language in CannedResponse.LANGUAGES:
        for part in ("title", "body"):
            key = f"{part}_{language}"
            if key in texts:
                setattr(target, key, (texts[key] or "").strip())
    target.active = active
    errors: dict[str, list[str]] = {}
    for language in CannedResponse.LANGUAGES:
        title, body = getattr(target, f"title_{language}"), getattr(target, f"body_{language}")
        if bool(title) != bool(body) and language != "it":
            key = f"body_{language}" if title else f"title_{language}"
            errors[key] = [_("Give both the title and the text in this language, or neither.")]
    if errors:
        raise ValidationError(errors)
    target.full_clean()
    target.save()
    return target


def canned_text(canned: CannedResponse, *, ticket: Ticket, agent: User) -> str:
    """The canned response in the requester's language with its placeholders filled: {name}
    (the requester), {number} and {subject} (the ticket), {agent} (who replies). Plain
    replacement, no template language: the text is data, never code."""
    requester = ticket.requester
    name = (requester.get_full_name() if requester else "") or ticket.requester_email
    values = {
        "{name}": name,
        "{number}": ticket.number or "",
        "{subject}": ticket.subject,
        "{agent}": agent.get_full_name() or agent.email,
    }
    text = canned.body_in(ticket.requester_language or "it")
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text
