"""Read-heavy selectors on a PostgreSQL replica (issue 15, scale-out), off by default.

With ``DATABASE_REPLICA_URL`` set, settings add a ``replica`` database and this router. A read
goes to the replica only when all of these hold:

- the code asked for it: it runs inside ``replica_reads()`` (a context manager and decorator
  for read-only selectors and views: lists, exports, KPIs), never by default, so sign-in,
  sessions, tenancy, MFA and terms checks always read the primary (a replica a second behind
  must not sign anybody out or miss a revoked token);
- no transaction is open on the primary (a read inside ``atomic()`` belongs to it);
- nothing was written in this request or task so far (read-your-writes: after a write, every
  read of the same request goes to the primary; the flag is reset when a request starts).

Writes, migrations, Celery jobs (they do not use ``replica_reads``) and the shell use the
primary. Without ``DATABASE_REPLICA_URL`` there is no router and ``replica_reads()`` changes
nothing.
"""

import contextlib
import functools
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import TypeVar

from django.core.signals import request_started
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"

_wanted: ContextVar[bool] = ContextVar("csm_replica_reads", default=False)
_wrote: ContextVar[bool] = ContextVar("csm_wrote_in_request", default=False)

F = TypeVar("F", bound=Callable)


@contextlib.contextmanager
def replica_reads() -> Iterator[None]:
    """Let the reads of this block go to the replica (when configured and safe)."""
    token = _wanted.set(True)
    try:
        yield
    finally:
        _wanted.reset(token)


def reads_from_replica(function: F) -> F:
    """Decorator form of ``replica_reads()`` for a read-only selector or view. Put it below
    the access decorators, so that who-may-see-what is read from the primary."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with replica_reads():
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def request_forget_writes(**kwargs) -> None:
    """A new request has written nothing yet (connected to ``request_started``)."""
    _wrote.set(False)


request_started.connect(request_forget_writes, dispatch_uid="csm_portal.db_router")


class ReplicaRouter:
    """Reads to ``replica`` under the conditions above; everything else to ``default``."""

    def db_for_read(self, model, **hints) -> str:
        if _wanted.get() and not _wrote.get() and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        _wrote.set(True)
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS
