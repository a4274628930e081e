"""SPEC C6: the migration that replaced the "won back" checkbox by an outcome keeps what was
recorded: a notice ticked "won back" becomes the outcome "won back", the others stay pending."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_scopes import scopes_disabled

from contracts import services
from contracts.models import CancellationNotice
from tests.conftest import make_tenant

BEFORE = [("contracts", "0004_idempotency_key")]


@pytest.mark.django_db(transaction=True)
def test_c6_the_won_back_tick_becomes_the_outcome_won_back():
    ticked = make_tenant("Alfa S.p.A.", "alfa.example")
    untouched = make_tenant("Bravo S.p.A.", "bravo.example")
    with scopes_disabled():
        notices = [
            services.cancellation_record(
                contract=t.contract, notice_on=t.contract.starts_on, reason="Budget", by=None
            )
            for t in (ticked, untouched)
        ]
    executor = MigrationExecutor(connection)
    # Every app's latest state, not only contracts': going back also unapplies the migrations
    # of other apps that depend on contracts (tickets, accounts…), which must come back too.
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE contracts_cancellationnotice SET won_back = TRUE WHERE id = %s",
            [notices[0].pk],
        )
    executor = MigrationExecutor(connection)
    executor.migrate(latest)
    with scopes_disabled():
        outcomes = {n.pk: (n.outcome, n.won_back_on) for n in CancellationNotice.objects.all()}
    assert outcomes == {notices[0].pk: ("won_back", None), notices[1].pk: ("pending", None)}
