"""Two CSTMs logging against the last remaining hours at the same instant cannot both overdraw:
the licence-year row is locked (SPEC H9, H10), on real PostgreSQL with two connections."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from activities import services
from activities.models import ActivityRequest
from contracts.services import ledger_charge
from tests.activities.conftest import complete, log, remaining, requested
from tests.conftest import make_tenant
from tests.factories import person

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_cstms_at_the_same_instant_cannot_both_overdraw(provider_org, cstm):
    other = person(provider_org, "cstm", email="cstm2@provider.example")
    alfa = make_tenant("Alfa Assicurazioni S.p.A.", "alfa.example", cstm=cstm)
    kickoff = requested(alfa, "kickoff")
    log(kickoff, cstm, 60)
    complete(kickoff, cstm)
    with scopes_disabled():
        year = alfa.contract.licence_years.get(index=1)
        # Leave 1.5 h: each of the two 1-hour activities fits alone, not both.
        ledger_charge(
            licence_year=year,
            hours=remaining(alfa) - Decimal("1.5"),
            description="Earlier work",
            occurred_on=timezone.localdate(),
            by=None,
        )
    first = requested(alfa, "platform-support")
    second = requested(alfa, "sal-review")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def work(req: ActivityRequest, by) -> None:
        try:
            with scopes_disabled():
                fresh = ActivityRequest.objects.get(pk=req.pk)
                barrier.wait(timeout=10)
                services.work_log(request=fresh, worked_on=timezone.localdate(), minutes=50, by=by)
            outcomes.append("charged")
        except ValidationError as error:
            outcomes.append("refused: " + " ".join(error.messages))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=work, args=(first, cstm)),
        threading.Thread(target=work, args=(second, other)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(o.split(":")[0] for o in outcomes) == ["charged", "refused"], outcomes
    assert remaining(alfa) == Decimal("0.5")
