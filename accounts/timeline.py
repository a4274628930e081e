"""What accounts tells the customer-360's timeline (issue 14): the invitations e-mailed to the
customer's people (set-password links, also those of a contract's activation)."""

from django.utils.translation import gettext as _

from accounts.models import Invitation
from csm_portal.timeline import EMAILS, Touchpoint, register_source


def _invitation(invitation: Invitation) -> Touchpoint:
    by = invitation.invited_by.display_name if invitation.invited_by else ""
    return Touchpoint(
        title=_("Invitation e-mailed to %(email)s") % {"email": invitation.user.email},
        detail=" · ".join(part for part in (by, invitation.status_label) if part),
    )


def register_timeline() -> None:
    register_source(
        name="accounts.invitation",
        kind=EMAILS,
        rows=lambda organisation_id: Invitation.objects.filter(
            organisation_id=organisation_id
        ).select_related("user", "invited_by"),
        at="created_at",
        touchpoint=_invitation,
    )
