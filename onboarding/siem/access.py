"""Who may write in a customer's SIEM workshop, and when (SPEC W1–W6, C5): the checks every SIEM
page, API and service makes, in one place."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from accounts.tenancy import customer_write_refusal, tenancy_for
from onboarding.models import SiemWorkshop

# The provider's people who run workshops: CSTMs and admins.
MANAGERS = (Role.PROVIDER_ADMIN, Role.CSTM)


def check_staff(by: User) -> None:
    if tenancy_for(by).role not in MANAGERS:
        raise ValidationError(_("Only CSTMs and admins can do this."))


def check_writable(workshop: SiemWorkshop) -> None:
    """SPEC C5: nothing new is written for a customer past expiry (read-only, then closed)."""
    if refusal := customer_write_refusal(workshop.organisation):
        raise ValidationError(refusal)


def locked_workshop(workshop: SiemWorkshop) -> SiemWorkshop:
    """The workshop row locked for the rest of the transaction, with its organisation."""
    return (
        SiemWorkshop.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(pk=workshop.pk)
    )
