"""Celery beat that sends the schedule from one process only, however many are started
(issue 15, scale-out; SPEC L2, L4).

The schedules stay in the database (django-celery-beat's ``DatabaseScheduler``: admins see and
tune them in Django admin). What this adds is the lock of redis-py (``redis.lock.Lock``: a key
set with NX and a time-to-live, renewed by its owner's token), held by the beat that sends:

- a beat that does not hold the lock sends nothing and tries again every ``STANDBY_SECONDS``;
- the holder renews the lock at every tick (at most every ``beat_max_loop_interval``, 5 s), so
  if it dies, hangs or loses Redis, another beat takes over after ``LOCK_SECONDS`` at most and
  first re-reads the schedule from the database (the last runs the old holder recorded), so the
  takeover does not fire every entry at once;
- without Redis (``make run`` on kombu's filesystem transport, one beat) there is no lock.

Every job stays idempotent anyway (L4): the lock keeps the schedule from being sent twice, it is
not what makes a second run harmless.
"""

import logging

import redis
from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler
from redis.exceptions import LockError, RedisError

logger = logging.getLogger(__name__)

LOCK_KEY = "csm:celery-beat:lock"
LOCK_SECONDS = 30
STANDBY_SECONDS = 5.0


class SingleBeatScheduler(DatabaseScheduler):
    """``DatabaseScheduler`` that ticks only while it holds the beat lock in Redis."""

    lock_key = LOCK_KEY
    lock_seconds = LOCK_SECONDS
    standby_seconds = STANDBY_SECONDS

    def __init__(self, *args, **kwargs):
        self._lock = None
        self.leading = False
        url = getattr(settings, "REDIS_URL", "")
        if url:
            client = redis.Redis.from_url(url)
            self._lock = client.lock(
                self.lock_key, timeout=self.lock_seconds, blocking=False, thread_local=False
            )
        super().__init__(*args, **kwargs)

    def tick(self, *args, **kwargs):
        if not self.lead():
            return self.standby_seconds
        return super().tick(*args, **kwargs)

    def lead(self) -> bool:
        """Whether this beat sends: it holds (or just took) the lock, or there is no Redis."""
        if self._lock is None:
            return True
        try:
            if self.leading:
                self._lock.reacquire()  # back to a full time-to-live
                return True
            if self._lock.acquire(blocking=False):
                self.leading = True
                # Another beat may have sent for a while: start from the runs it recorded, the
                # way DatabaseScheduler itself reloads a changed schedule.
                self._schedule = self.all_as_schedule()
                self._heap = []
                self._heap_invalidated = True
                logger.info("celery beat: this process now sends the schedule")
                return True
        except LockError:
            logger.warning("celery beat: the lock expired and is held elsewhere; standing by")
        except RedisError:
            logger.exception("celery beat: Redis unreachable; standing by")
        self.leading = False
        return False

    def close(self):
        try:
            super().close()
        finally:
            if self._lock is not None and self.leading:
                try:
                    self._lock.release()
                except (LockError, RedisError):
                    logger.warning("celery beat: the lock was already gone at shut-down")
                self.leading = False
