"""Roles a person can hold, and what each may do (SPEC: Who uses it, T2)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PROVIDER_ADMIN = "provider_admin", _("Provider admin")
    CSTM = "cstm", _("Customer Success Team Manager")
    AGENT = "agent", _("Service-desk agent")
    REFERENT = "referent", _("Service referent")
    END_USER = "end_user", _("Licensed end user")


class AgentLevel(models.TextChoices):
    L1 = "L1", _("Level 1")
    L2 = "L2", _("Level 2")
    L3 = "L3", _("Level 3")


PROVIDER_ROLES = frozenset({Role.PROVIDER_ADMIN, Role.CSTM, Role.AGENT})
CUSTOMER_ROLES = frozenset({Role.REFERENT, Role.END_USER})
# Roles that may invite people into a customer organisation.
INVITER_ROLES = frozenset({Role.PROVIDER_ADMIN, Role.CSTM})
