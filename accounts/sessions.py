"""The session engine (SESSION_ENGINE = "accounts.sessions"): Django's cached_db sessions
(read from Redis, written through to PostgreSQL), read in the same round trip as the person
they name (issue 15, the signed-in fixed cost).

Each process remembers which person a session key last named (a hint, bounded in size). When a
request's session key has a hint, the session and that person's entries (the person, their
tenancy, both generations, the keys other apps registered) are read in ONE ``MGET``;
``accounts.tenancy.session_user`` then uses them only if the session, as just read, names that
same person — the hint never decides who is signed in, the session does. Without a hint (the
first request of a session in this process), or when it is wrong, the person is read in a
second round trip, as before.

Deleting session rows anywhere drops them from Redis (accounts.signals); a stale hint is
harmless: it only chooses which keys are read alongside the session.
"""

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore
from django.core.cache import DEFAULT_CACHE_ALIAS
from django.utils import timezone

from accounts import tenancy

# session key -> the person's id it named when last read in this process; cleared when full.
HINTS_MAX = 50_000
_hints: dict[str, str] = {}


class SessionStore(CachedDBStore):
    # What was read with the session for the person it is expected to name: (user id, values).
    prefetched: tuple[str, dict] | None = None

    def load(self) -> dict:
        hint = _hints.get(self.session_key) if self.session_key else None
        if hint is None or settings.SESSION_CACHE_ALIAS != DEFAULT_CACHE_ALIAS:
            data = super().load()
        else:
            keys = tenancy.person_keys(hint)
            try:
                found = self._cache.get_many([self.cache_key, *keys])
            except Exception:
                # As cached_db: a key the cache refuses starts an empty session.
                found = {}
            data = found.pop(self.cache_key, None)
            self.prefetched = (hint, tenancy.prefetch_stamp(found))
            if data is None:
                data = super().load()  # the database, as cached_db does on a miss
        user_id = data.get(SESSION_KEY)
        if self.session_key and user_id is not None:
            if len(_hints) >= HINTS_MAX:
                _hints.clear()
            _hints[self.session_key] = str(user_id)
        return data

    @classmethod
    def clear_expired(cls) -> None:
        """`manage.py clearsessions`: expired sessions have already left Redis (each entry
        lives as long as its session), so their rows go by one statement, without loading them
        for the per-row signal that drops live sessions from Redis (accounts.signals)."""
        rows = cls.get_model_class().objects.filter(expire_date__lt=timezone.now())
        rows._raw_delete(rows.db)
