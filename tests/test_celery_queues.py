"""Celery by kind of work, and one beat (issue 15, scale-out; SPEC L2, L4): every task of ours
goes to one of the queues mail, lifecycle, default and pdf, so each kind scales with its own
workers (`celery -A csm_portal worker -Q mail`); beat may be started on several machines but
only the one holding the Redis lock sends the schedule."""

import time
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import redis
from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import PeriodicTask, PeriodicTasks

from csm_portal.beat import SingleBeatScheduler
from csm_portal.celery import app as celery_app

QUEUES = {"mail", "lifecycle", "default", "pdf"}


def our_tasks() -> set[str]:
    celery_app.loader.import_default_modules()
    return {name for name in celery_app.tasks if not name.startswith("celery.")}


def queue_of(name: str) -> str:
    return celery_app.amqp.router.route({}, name)["queue"].name


def test_scale_out_every_task_of_ours_is_routed_to_one_of_the_four_queues():
    """Scale-out: every registered task of the portal is named in CELERY_TASK_ROUTES (a new
    task must be placed on purpose) and routes to mail, lifecycle, default or pdf; a worker
    started without -Q consumes all four, so `make run`'s single worker still runs everything."""
    tasks = our_tasks()
    assert {"tickets.poll_mailboxes", "tickets.check_sla"} <= tasks
    assert sorted(tasks - set(settings.CELERY_TASK_ROUTES)) == []
    assert {name: queue_of(name) for name in tasks if queue_of(name) not in QUEUES} == {}
    assert set(celery_app.amqp.queues) == QUEUES
    assert set(celery_app.amqp.queues.consume_from) == QUEUES


def test_scale_out_mail_and_lifecycle_tasks_go_to_their_queues():
    """Scale-out, SPEC L2: polling the mailboxes goes to `mail`; the SLA check and the daily
    lifecycle jobs go to `lifecycle`, so a mail backlog never delays an SLA warning."""
    assert queue_of("tickets.poll_mailboxes") == "mail"
    assert {
        name: queue_of(name)
        for name in (
            "tickets.check_sla",
            "contracts.tasks.contracts_run_daily",
            "onboarding.plans_run_daily",
        )
    } == dict.fromkeys(
        ("tickets.check_sla", "contracts.tasks.contracts_run_daily", "onboarding.plans_run_daily"),
        "lifecycle",
    )
    assert queue_of("accounts.tasks.worker_heartbeat") == "default"


def test_scale_out_a_sent_task_lands_in_its_queue_on_the_real_broker():
    """Scale-out: through Redis (a database of its own, so no test worker takes the messages),
    the SLA check lands in the `lifecycle` list and the mailbox poll in `mail`, where only the
    workers started with that -Q read them."""
    url = urlsplit(settings.REDIS_URL)._replace(path="/14").geturl()
    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        with celery_app.connection_for_write(url) as connection:
            celery_app.send_task("tickets.check_sla", connection=connection)
            celery_app.send_task("tickets.poll_mailboxes", connection=connection)
            celery_app.send_task("tickets.poll_mailboxes", connection=connection)
        assert (client.llen("lifecycle"), client.llen("mail"), client.llen("default")) == (1, 2, 0)
    finally:
        client.flushdb()


class CountingBeat(SingleBeatScheduler):
    """The real scheduler, recording what it would send instead of publishing it."""

    lock_seconds = 2

    def __init__(self, *args, lock_key: str, **kwargs):
        self.lock_key = lock_key
        self.sent: list[str] = []
        super().__init__(*args, **kwargs)

    def apply_entry(self, entry, producer=None):
        self.sent.append(entry.task)


def tick(scheduler: CountingBeat, times: int = 30) -> None:
    for _ in range(times):
        scheduler.tick()


@pytest.mark.django_db(transaction=True)
def test_scale_out_two_beats_send_the_schedule_once_and_the_second_takes_over():
    """Scale-out, SPEC L2, L4: two beats on the same database and Redis. The first takes the
    lock and sends the due entries; the second sends nothing. When the first stops, the second
    takes over and, having re-read the runs the first recorded, does not send them again; when
    a holder stops renewing (hung or dead), its lock expires, another beat takes over and the
    old holder, back, stands by."""
    key = f"csm:test-beat:{uuid.uuid4().hex}"
    installer = CountingBeat(app=celery_app, lock_key=key)  # installs the entries, sends nothing
    installer.close()
    installer._finalize.cancel()
    PeriodicTask.objects.update(last_run_at=timezone.now() - timedelta(days=2))
    PeriodicTasks.update_changed()
    first = CountingBeat(app=celery_app, lock_key=key)
    second = CountingBeat(app=celery_app, lock_key=key)
    for _ in range(30):
        first.tick()
        second.tick()
    assert first.leading and not second.leading
    assert {"tickets.check_sla", "tickets.poll_mailboxes"} <= set(first.sent)
    assert len(first.sent) == len(set(first.sent))  # each due entry once
    assert second.sent == []

    first.close()  # records the runs, releases the lock
    tick(second)
    assert second.leading and second.sent == []

    third = CountingBeat(app=celery_app, lock_key=key)
    tick(third, 3)
    assert not third.leading
    time.sleep(CountingBeat.lock_seconds + 0.5)  # the holder hangs: no renewal
    tick(third, 3)
    assert third.leading
    tick(second, 3)
    assert not second.leading
    for beat in (second, third):
        beat.close()
    for beat in (first, second, third):
        beat._finalize.cancel()  # no second sync at exit, once the test database is gone
