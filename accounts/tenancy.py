"""Who may see which organisations (SPEC T1, T2): the single place that decides a user's scope.

The scope is a value for django-scopes' ``organisation`` dimension:
- ``None``: every organisation (provider admins and service-desk agents);
- a list of ids: exactly those organisations (a CSTM's current assignments; a customer's own).
An anonymous or role-less user gets the empty list and so sees nothing.

The signed-in fixed cost (issue 15): a request resolves its tenancy once (TenantMiddleware keeps
it on the request and for the services it calls, ``request_tenancy``), and the resolved value is
kept in the cache (Redis) between requests, checked against two generation tokens read in the
same round trip: one per user (bumped when the person's membership, CSTM assignments or
authenticators change) and one for everybody (bumped when an organisation or the terms change).
``accounts.signals`` bumps them in the same transaction and again after it commits, so the next
request recomputes from the database: a cached value never outlives the fact it was made of.
"""

import contextlib
import uuid
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date

from allauth.mfa.models import Authenticator
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from accounts.models import CstmAssignment, Membership, Organisation, User
from accounts.roles import INVITER_ROLES, PROVIDER_ROLES, Role

ALL_ORGANISATIONS = None

# The cache of resolved tenancies: how long an entry may live at most (its generations decide
# whether it is still true; the time limit only bounds what a missed invalidation could cost).
ENTRY_SECONDS = 300


def cache_namespace() -> str:
    """The prefix of this database's entries (for other apps' per-person keys)."""
    return _namespace()


def _namespace() -> str:
    """Keys name the database: people's ids mean something in one database only (several test
    databases, one per parallel worker, share one Redis)."""
    return f"tenancy:v1:{connection.settings_dict['NAME']}"


def _everybody_generation_key() -> str:
    return f"{_namespace()}:generation"


def _user_generation_key(user_id: int) -> str:
    return f"{_namespace()}:generation:user:{user_id}"


def _entry_key(user_id: int) -> str:
    return f"{_namespace()}:user:{user_id}"


def _person_key(user_id: int) -> str:
    return f"{_namespace()}:person:{user_id}"


@dataclass(frozen=True)
class Tenancy:
    """What the request may reach, computed once per request by TenantMiddleware."""

    membership: Membership | None
    organisation_ids: list[int] | None  # None: all organisations
    # Provider staff: whether the person has a TOTP authenticator (SPEC T4).
    has_totp: bool = False
    # The everybody-generation this value was resolved under: facts cached alongside it (the
    # terms gate, contracts.middleware) are valid for that generation only.
    generation: str = field(default="", compare=False)

    @property
    def role(self) -> str | None:
        return self.membership.role if self.membership else None

    @property
    def is_provider_staff(self) -> bool:
        return self.role in PROVIDER_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == Role.PROVIDER_ADMIN

    @property
    def is_customer(self) -> bool:
        return self.membership is not None and not self.is_provider_staff

    @property
    def can_invite(self) -> bool:
        return self.role in INVITER_ROLES

    @property
    def home_organisation_id(self) -> int | None:
        return self.membership.organisation_id if self.membership else None

    @property
    def is_read_only(self) -> bool:
        """SPEC C5: a customer in its 30 days after expiry may view and download, nothing else."""
        return (
            self.is_customer
            and self.membership.organisation.access == Organisation.Access.READ_ONLY
        )

    @property
    def is_closed(self) -> bool:
        return (
            self.is_customer and self.membership.organisation.access == Organisation.Access.CLOSED
        )


NOBODY = Tenancy(membership=None, organisation_ids=[])


# The tenancy of the request being served (TenantMiddleware), for the services it calls.
_request_tenancy: ContextVar[tuple[int, Tenancy] | None] = ContextVar(
    "request_tenancy", default=None
)


@contextlib.contextmanager
def request_tenancy(user: User, tenancy: Tenancy) -> Iterator[None]:
    """While the request runs, ``tenancy_for(user)`` answers ``tenancy`` without asking anybody
    (the middlewares and the services of one request resolve it once); an invalidation during
    the request (``tenancy_invalidate``) forgets it."""
    token = _request_tenancy.set((user.pk, tenancy) if user.is_authenticated else None)
    try:
        yield
    finally:
        _request_tenancy.reset(token)


def tenancy_for(user: User, *, today: date | None = None) -> Tenancy:
    """Resolve the user's role and visible organisations: from the request being served, else
    from the cache when both generations still match, else from the database (one to three
    queries). ``today`` asks the database for another day."""
    if not user.is_authenticated or not user.is_active:
        return NOBODY
    if today is not None:
        return _tenancy_from_database(user, today, generation="")
    memo = _request_tenancy.get()
    if memo is not None and memo[0] == user.pk:
        return memo[1]
    return _tenancy_from_cache(user)


def _tenancy_from_cache(user: User) -> Tenancy:
    day = timezone.localdate().isoformat()
    entry_key = _entry_key(user.pk)
    # Read with the person by session_user() in the same round trip (one per request).
    prefetched = getattr(user, PREFETCH_ATTRIBUTE, None)
    if prefetched is not None:
        delattr(user, PREFETCH_ATTRIBUTE)  # used once: later reads ask the cache again
    if prefetched is not None and prefetched[0] == _invalidations:
        _, everybody, personal, entry = prefetched
    else:
        # One round trip: the entry and both generations, read BEFORE the database so that a
        # change committed while we compute leaves a generation newer than the one we store.
        user_key, everybody_key = _user_generation_key(user.pk), _everybody_generation_key()
        found = cache.get_many([entry_key, everybody_key, user_key])
        everybody = found.get(everybody_key) or _start_generation(everybody_key)
        personal = found.get(user_key) or _start_generation(user_key)
        entry = found.get(entry_key)
    usable = bool(everybody and personal)
    if usable and entry is not None and entry[:3] == (everybody, personal, day):
        return entry[3]
    tenancy = _tenancy_from_database(user, timezone.localdate(), generation=everybody)
    # Inside a transaction the database may show what is not committed (and may yet be rolled
    # back): such a value is used, never kept.
    if usable and not transaction.get_connection().in_atomic_block:
        cache.set(entry_key, (everybody, personal, day, tenancy), ENTRY_SECONDS)
    return tenancy


# Where session_user() leaves, on the person it returns, what it read of the tenancy in the same
# round trip; the request's first tenancy_for() takes it (once: it is the request's own object).
PREFETCH_ATTRIBUTE = "_tenancy_prefetched"
# Invalidations made by this process: a prefetched read older than one of them is not used.
_invalidations = 0
# Where get_user() leaves, on the request, the other apps' keys read in the same round trip.
REQUEST_CACHE_ATTRIBUTE = "_request_cache"
# Other apps' cache keys read on every signed-in request in the same round trip as the person
# (contracts: the terms gate; tickets: the support address): name -> key for a person's id.
_request_keys: dict[str, Callable[[int], str]] = {}


def register_request_key(name: str, key: Callable[[int], str]) -> None:
    """Read ``key(user_id)`` in the one round trip of every signed-in request (issue 15); the
    app finds it with ``request_cache_get``. Only for facts whose value a request may take as
    it was when the request started, like any cache read made early in the request."""
    _request_keys[name] = key


def request_cache_get(request: object, key: str) -> object:
    """The value of ``key`` as read at the start of this request with the person (``None`` when
    absent), else from the cache now."""
    found = getattr(request, REQUEST_CACHE_ATTRIBUTE, None)
    if found is not None and key in found:
        return found[key]
    return cache.get(key)


def person_keys(user_id: object) -> list[str]:
    """Everything session_user() reads for a person, in one MGET."""
    return [
        _person_key(user_id),
        _entry_key(user_id),
        _everybody_generation_key(),
        _user_generation_key(user_id),
        *(key(user_id) for key in _request_keys.values()),
    ]


def prefetch_stamp(found: dict) -> tuple[int, dict]:
    """Values read ahead for session_user(), stamped: an invalidation by this process since
    they were read makes them unusable."""
    return (_invalidations, found)


def session_user(
    backend: object, user_id: object, prefetched: tuple[str, tuple[int, dict]] | None = None
) -> User | None:
    """The person a session names, as ``backend.get_user(user_id)`` answers it (``None`` when
    deleted or inactive), from the cache when both generations still match: one round trip reads
    the person, their tenancy and both generations, so that a signed-in request asks PostgreSQL
    nothing before its view (issue 15). The person's generation is renewed whenever the person is
    saved or deleted (password, activity, language: accounts.signals), everybody's as for the
    tenancy. Django's session-hash check (a password change signs the other sessions out) is
    applied by the caller on the person returned, as before. ``prefetched``: what the session
    engine read with the session for the person it expected (accounts.sessions), used only if
    that is this person."""
    user_key, everybody_key = _user_generation_key(user_id), _everybody_generation_key()
    person_key, entry_key = _person_key(user_id), _entry_key(user_id)
    extra_keys = [key(user_id) for key in _request_keys.values()]
    if (
        prefetched is not None
        and prefetched[0] == str(user_id)
        and prefetched[1][0] == _invalidations
    ):
        # Read with the session (accounts.sessions) for this very person: no round trip here.
        found = prefetched[1][1]
    else:
        found = cache.get_many(person_keys(user_id))
    everybody = found.get(everybody_key) or _start_generation(everybody_key)
    personal = found.get(user_key) or _start_generation(user_key)
    usable = bool(everybody and personal)
    stored = found.get(person_key)
    if usable and stored is not None and stored[:2] == (everybody, personal):
        user = stored[2]
        if not backend.user_can_authenticate(user):  # type: ignore[attr-defined]
            return None
    else:
        user = backend.get_user(user_id)  # type: ignore[attr-defined]
        if user is None:
            return None
        # As for the tenancy: what a transaction sees is used, never kept.
        if usable and not transaction.get_connection().in_atomic_block:
            cache.set(person_key, (everybody, personal, user), ENTRY_SECONDS)
    if usable:
        ahead = (_invalidations, everybody, personal, found.get(entry_key))
        setattr(user, PREFETCH_ATTRIBUTE, ahead)
    setattr(user, REQUEST_CACHE_ATTRIBUTE, {key: found.get(key) for key in extra_keys})
    return user


def _start_generation(key: str) -> str:
    cache.add(key, uuid.uuid4().hex, timeout=None)
    return cache.get(key) or ""


def tenancy_invalidate(*, user_ids: list[int] | None = None) -> None:
    """Forget resolved tenancies: of these people, or of everybody (``user_ids=None``). A new
    random generation can never match what an entry was stored with."""
    global _invalidations
    _invalidations += 1
    _request_tenancy.set(None)
    if user_ids is None:
        cache.set(_everybody_generation_key(), uuid.uuid4().hex, timeout=None)
    else:
        cache.set_many({_user_generation_key(pk): uuid.uuid4().hex for pk in user_ids}, None)


def _tenancy_from_database(user: User, day: date, *, generation: str) -> Tenancy:
    # Resolving the scope is the one place allowed to look across tenants.
    with scopes_disabled():
        membership = Membership.objects.select_related("organisation").filter(user=user).first()
        if membership is None:
            return NOBODY
        has_totp = False
        if membership.role in PROVIDER_ROLES:
            has_totp = Authenticator.objects.filter(
                user=user, type=Authenticator.Type.TOTP
            ).exists()
        if membership.role in (Role.PROVIDER_ADMIN, Role.AGENT):
            ids = ALL_ORGANISATIONS
        elif membership.role == Role.CSTM:
            ids = list(
                CstmAssignment.objects.active_on(day)
                .filter(cstm=user)
                .values_list("organisation_id", flat=True)
                .distinct()
            )
        else:
            ids = [membership.organisation_id]
        return Tenancy(
            membership=membership, organisation_ids=ids, has_totp=has_totp, generation=generation
        )


def customer_is_closed(user: object) -> bool:
    """SPEC C5: from day 31 after expiry a customer's users can no longer sign in."""
    return tenancy_for(user).is_closed  # type: ignore[arg-type]


def customer_write_refusal(organisation: Organisation | None) -> str:
    """SPEC C5: the one check that decides every customer write (portal, API, mail): "" when the
    organisation may write, else the reason in the active language. Read-only (days 1–30 after
    expiry) and closed (31+) customers may view and download, nothing else."""
    if organisation is None or organisation.kind != Organisation.Kind.CUSTOMER:
        return ""
    if organisation.access == Organisation.Access.CLOSED:
        return _("The organisation's contract is closed.")
    if organisation.access == Organisation.Access.READ_ONLY:
        return _("The organisation's contract has expired (read-only period: no support owed).")
    return ""
