"""Invalidation of the cached tenancies (issue 15, the signed-in fixed cost): whatever a
request's tenancy, MFA gate or terms gate was made of bumps a generation when it changes, at the
change (so the rest of the transaction reads the database) and again once it commits (so a
request that read the old rows meanwhile cannot keep them). Never at the cost of a check: a
value is only reused while both of its generations are unchanged (accounts.tenancy)."""

from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.sessions.backends.cached_db import KEY_PREFIX as SESSION_KEY_PREFIX
from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import post_delete, post_migrate, post_save

from accounts.tenancy import tenancy_invalidate

# Models whose change concerns one person, who never changes (the column holding that person):
# the MFA gate (SPEC T4). allauth saves an authenticator at each use, so this stays personal.
# The person themselves, kept in the cache for their sessions (accounts.tenancy.session_user):
# a password change, a deactivation, a new language or a deletion reaches the next request.
PERSONAL = {"mfa.Authenticator": "user_id", "accounts.User": "pk"}
# Models whose change may concern anybody: a membership (role, organisation: SPEC T1, T2) or an
# assignment (a CSTM's organisations, SPEC T2) may be moved to another person, so the person
# before the change is not known here; an organisation's access (SPEC C5); the terms and their
# acceptance (SPEC C4). Rare writes. Referenced by label: accounts imports no higher app.
EVERYBODY = (
    "accounts.Membership",
    "accounts.CstmAssignment",
    "accounts.Organisation",
    "contracts.TermsDocument",
    "contracts.Acceptance",
)


def _invalidate_now_and_on_commit(using: str, **kwargs: Any) -> None:
    tenancy_invalidate(**kwargs)
    transaction.on_commit(lambda: tenancy_invalidate(**kwargs), using=using)


def _personal_receiver(column: str):
    def receiver(sender: type, instance: Any, using: str, **kwargs: Any) -> None:
        if kwargs.get("created") and sender is apps.get_model("accounts", "User"):
            return  # nobody can be signed in as a person who did not exist (ids are not reused)
        _invalidate_now_and_on_commit(using, user_ids=[getattr(instance, column)])

    return receiver


def _everybody_receiver(sender: type, instance: Any, using: str, **kwargs: Any) -> None:
    _invalidate_now_and_on_commit(using)


def _forget_session(sender: type, instance: Any, using: str, **kwargs: Any) -> None:
    """Sessions are read from the cache first (SESSION_ENGINE cached_db): a session row deleted
    by anybody (the day-90 deletion, an administrator, a script) leaves the cache at once and
    again after the commit, so a deleted session stops working on the next request."""
    key = SESSION_KEY_PREFIX + instance.session_key
    session_cache = caches[settings.SESSION_CACHE_ALIAS]
    session_cache.delete(key)
    transaction.on_commit(lambda: session_cache.delete(key), using=using)


def _after_migrate_or_flush(**kwargs: Any) -> None:
    # A migrated, flushed or recreated database (a test database, a restore followed by
    # `migrate`) may give old ids to other people: nothing cached before it is true any more.
    tenancy_invalidate()


def connect() -> None:
    post_migrate.connect(
        _after_migrate_or_flush,
        sender=apps.get_app_config("accounts"),
        dispatch_uid="tenancy-post-migrate",
    )
    post_delete.connect(
        _forget_session, sender="sessions.Session", weak=False, dispatch_uid="session-forget"
    )
    for label, column in PERSONAL.items():
        receiver = _personal_receiver(column)
        for signal in (post_save, post_delete):
            signal.connect(receiver, sender=label, weak=False, dispatch_uid=f"tenancy-{label}")
    for label in EVERYBODY:
        for signal in (post_save, post_delete):
            signal.connect(
                _everybody_receiver, sender=label, weak=False, dispatch_uid=f"tenancy-{label}"
            )
