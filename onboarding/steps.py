"""The steps of the onboarding plan (SPEC O1), as codes the other parts of the portal name when
they finish one: the library when the kick-off minutes are recorded, the user-list upload when
a list is applied. ``step_done`` is the one entry point; the plan decides what follows."""

from django.contrib.auth.models import AbstractBaseUser

from accounts.models import Organisation

ACTIVATION = "activation"
TERMS = "terms"
KICKOFF = "kickoff"
LOGOS = "logos"
USER_LIST = "user_list"
WHITELISTING = "whitelisting"
GO_LIVE = "go_live"
RELEASES = "releases"
SAL = "sal"
SEQUENCE = (ACTIVATION, TERMS, KICKOFF, LOGOS, USER_LIST, WHITELISTING, GO_LIVE, RELEASES, SAL)


def step_done(*, organisation: Organisation, code: str, by: AbstractBaseUser | None) -> None:
    """Mark the step ``code`` of the organisation's current plan done (idempotent)."""
    from onboarding.plan import services

    services.plan_step_complete(organisation=organisation, code=code, by=by)
