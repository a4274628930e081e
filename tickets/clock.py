"""The every-minute SLA check (SPEC S5, L2): warnings before and at breach go to the ticket's
owner and the L2 leads, once each (a row per warning, so running twice or late sends nothing
twice). The warning comes at the instant the ticket's policy sets ("warn before", in support
minutes), stored on the ticket when its deadlines are computed."""

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tickets import sla
from tickets.desk import l2_leads
from tickets.models import SlaWarning, Ticket


def warn_due(now=None) -> int:
    now = now or timezone.now()
    sent = 0
    open_tickets = (
        Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES, paused_since__isnull=True)
        .filter(
            Q(resolution_warn_at__lte=now)
            | Q(first_response_at__isnull=True, first_response_warn_at__lte=now)
        )
        .select_related("owner", "organisation")
    )
    leads = l2_leads()
    for ticket in open_tickets:
        first = ticket.first_response_at is None
        for target, due, warn_at in (
            (
                "first_response",
                ticket.first_response_due if first else None,
                ticket.first_response_warn_at,
            ),
            ("resolution", ticket.resolution_due, ticket.resolution_warn_at),
        ):
            if due is None or warn_at is None or warn_at > now:
                continue
            stage = "breached" if now >= due else "before"
            sent += _warn(ticket, target, stage, due, leads)
    return sent


def _warn(ticket: Ticket, target: str, stage: str, due, leads) -> int:
    try:
        with transaction.atomic():
            SlaWarning.objects.create(
                ticket=ticket,
                organisation_id=ticket.organisation_id,
                target=target,
                stage=stage,
                due=due,
            )
    except IntegrityError:
        return 0
    recipients = {u.email: u for u in [ticket.owner, *leads] if u is not None}
    left = sla.minutes_left(due, timezone.now())
    for person in recipients.values():
        with translation.override(person.language):
            subject = (
                _("SLA breached: %(number)s")
                if stage == "breached"
                else _("SLA at risk: %(number)s")
            ) % {"number": ticket.number}
            body = render_to_string(
                "tickets/email/sla_warning.txt",
                {"ticket": ticket, "target": target, "stage": stage, "due": due, "left": left},
            )
        send_mail(subject, body, None, [person.email], fail_silently=True)
    return 1
