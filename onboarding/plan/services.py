"""Writes of the onboarding plan (SPEC O1, O3)."""

from django.contrib.auth.models import AbstractBaseUser

from accounts.models import Organisation


def plan_step_complete(
    *, organisation: Organisation, code: str, by: AbstractBaseUser | None
) -> None:
    """Mark a step of the organisation's current plan done (idempotent). The plan does not
    exist yet: the plan's issue builds it."""
    return None
