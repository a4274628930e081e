"""A real Celery worker takes tasks from the real Redis broker (foundation: Celery integration)."""

import time

import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts.tasks import HEARTBEAT_CACHE_KEY, worker_heartbeat


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_heartbeat_task_from_redis(celery_worker_process, settings):
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    cache.delete(HEARTBEAT_CACHE_KEY)
    sent_at = timezone.now()
    worker_heartbeat.delay()
    deadline = time.monotonic() + 30
    while (seen := cache.get(HEARTBEAT_CACHE_KEY)) is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert seen is not None, "the worker did not run the task"
    assert seen >= sent_at
    assert celery_worker_process.poll() is None


def test_every_scheduled_task_exists():
    """Beat must not schedule a task name the worker does not know (SPEC L1, L2)."""
    from csm_portal.celery import app

    app.loader.import_default_modules()
    for name, entry in app.conf.beat_schedule.items():
        assert entry["task"] in app.tasks, f"{name}: unknown task {entry['task']}"
