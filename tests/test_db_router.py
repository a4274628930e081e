"""Read-heavy selectors on a PostgreSQL replica (issue 15, scale-out): off by default; with
``DATABASE_REPLICA_URL`` the router sends the reads asked for with ``replica_reads()`` to the
``replica`` alias, and writes, reads inside a transaction and reads after a write in the same
request to the primary.

The replica alias here is a second connection to the same test server and database (what a
streaming replica shows, without the lag), added for the test; which connection ran each query
is counted on each alias."""

import copy
import runpy

import pytest
from django.core.signals import request_started
from django.db import connections, transaction
from django.db.utils import load_backend
from django.test.utils import CaptureQueriesContext

from accounts.models import Organisation
from csm_portal.db_router import REPLICA, ReplicaRouter, reads_from_replica, replica_reads
from csm_portal.settings import base as base_settings


def test_scale_out_the_replica_is_off_unless_its_url_is_set(monkeypatch):
    """Scale-out: without DATABASE_REPLICA_URL there is one database and no router; with it,
    a `replica` alias (a test mirror of the default) and the router."""
    monkeypatch.delenv("DATABASE_REPLICA_URL", raising=False)
    plain = runpy.run_path(base_settings.__file__)
    assert set(plain["DATABASES"]) == {"default"} and plain["DATABASE_ROUTERS"] == []
    monkeypatch.setenv("DATABASE_REPLICA_URL", "postgres://reader@replica.internal:5432/csm")
    routed = runpy.run_path(base_settings.__file__)
    assert routed["DATABASES"]["replica"]["HOST"] == "replica.internal"
    assert routed["DATABASES"]["replica"]["TEST"] == {"MIRROR": "default"}
    assert routed["DATABASE_ROUTERS"] == ["csm_portal.db_router.ReplicaRouter"]


@pytest.fixture
def replica(settings):
    """The router on, and a `replica` alias: a second connection to the test database."""
    default = connections["default"].settings_dict
    backend = load_backend(default["ENGINE"])
    connections[REPLICA] = backend.DatabaseWrapper(copy.deepcopy(default), REPLICA)
    settings.DATABASE_ROUTERS = ["csm_portal.db_router.ReplicaRouter"]
    request_started.send(sender=None, environ={})
    yield connections[REPLICA]
    connections[REPLICA].close()
    del connections[REPLICA]


def queries(alias: str) -> CaptureQueriesContext:
    return CaptureQueriesContext(connections[alias])


@reads_from_replica
def organisation_names() -> list[str]:
    return list(Organisation.objects.with_scopes_disabled().values_list("name", flat=True))


@pytest.mark.django_db(transaction=True)
def test_scale_out_reads_asked_for_go_to_the_replica_and_writes_to_the_primary(replica):
    """Scale-out: with the router on, a selector under `replica_reads` reads on the replica
    alias (its queries run on that connection, none on the primary) and sees the committed
    rows; a write in the same request goes to the primary, and every later read of that request
    too (read-your-writes), until the next request starts; reads outside `replica_reads` and
    inside a transaction stay on the primary."""
    Organisation.objects.create(name="Alfa S.p.A.", kind="customer")
    request_started.send(sender=None, environ={})  # a new request: nothing written yet

    with queries("default") as primary, queries(REPLICA) as secondary:
        assert organisation_names() == ["Alfa S.p.A."]
    assert len(secondary) == 1 and len(primary) == 0

    with queries("default") as primary, queries(REPLICA) as secondary:
        assert Organisation.objects.with_scopes_disabled().count() == 1  # not asked for
    assert len(secondary) == 0 and len(primary) == 1

    with queries("default") as primary, queries(REPLICA) as secondary, transaction.atomic():
        assert organisation_names() == ["Alfa S.p.A."]  # inside a transaction
    assert len(secondary) == 0 and len(primary) >= 1

    with queries("default") as primary, queries(REPLICA) as secondary, replica_reads():
        Organisation.objects.create(name="Bravo S.p.A.", kind="customer")
        names = list(Organisation.objects.with_scopes_disabled().values_list("name", flat=True))
    assert sorted(names) == ["Alfa S.p.A.", "Bravo S.p.A."]
    # The write, the cockpit's mark of the new organisation after its commit (accounts.
    # HealthSnapshot, issue 15), then the read after it: all on the primary.
    assert len(secondary) == 0 and len(primary) == 3

    request_started.send(sender=None, environ={})
    with queries("default") as primary, queries(REPLICA) as secondary:
        assert len(organisation_names()) == 2
    assert len(secondary) == 1 and len(primary) == 0


def test_scale_out_migrations_run_on_the_primary_only():
    """Scale-out: the replica is read-only; migrations never target it."""
    router = ReplicaRouter()
    assert router.allow_migrate("default", "tickets") is True
    assert router.allow_migrate(REPLICA, "tickets") is False
    assert router.db_for_write(Organisation) == "default"


@pytest.mark.django_db(transaction=True)
def test_scale_out_the_kpi_page_reads_its_figures_on_the_replica(replica, admin_user):
    """Scale-out: the desk's KPI page (read-only, heavy aggregates) runs its figures on the
    replica, while signing in, the session and the role check stay on the primary."""
    from django.urls import reverse

    from tests.conftest import client_for

    client = client_for(admin_user)
    with queries("default") as primary, queries(REPLICA) as secondary:
        assert client.get(reverse("ticket_kpi")).status_code == 200
    assert len(secondary) > 0
    # The session comes from the cache (cached_db, issue 15); the person from the primary.
    assert any("accounts_user" in query["sql"] for query in primary.captured_queries)
    assert not any(
        "django_session" in query["sql"] or 'FROM "accounts_user"' in query["sql"]
        for query in secondary.captured_queries
    )
