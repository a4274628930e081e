from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from accounts import services
from accounts.models import ApiToken, CstmAssignment, Invitation, Organisation, User
from accounts.roles import AgentLevel, Role
from activities import services as activity_services
from contracts import services as contract_services
from contracts.models import Contract, LedgerEntry
from contracts.services import ServiceLine
from tests.factories import (
    CstmAssignmentFactory,
    InvitationFactory,
    OrganisationFactory,
    contract_for,
    person,
    provider,
)


@dataclass
class Tenant:
    """A customer organisation with one of each customer-side object."""

    organisation: Organisation
    referent: User
    end_user: User
    invitation: Invitation
    assignment: CstmAssignment
    token: ApiToken
    token_secret: str
    contract: Contract
    entry: LedgerEntry


def make_tenant(name: str, domain: str, cstm: User | None = None) -> Tenant:
    # Transactional tests flush every table, the migration-seeded catalogue included.
    activity_services.catalogue_seed()
    organisation = OrganisationFactory(name=name, domain=domain)
    referent = person(organisation, Role.REFERENT, email=f"referent@{domain}")
    end_user = person(organisation, Role.END_USER, email=f"user@{domain}")
    invited = person(organisation, Role.END_USER, email=f"invited@{domain}")
    invitation = InvitationFactory(organisation=organisation, user=invited)
    assignment = CstmAssignmentFactory(
        organisation=organisation, **({"cstm": cstm} if cstm else {})
    )
    token, secret = services.api_token_create(user=referent, name="CRM sync")
    contract = contract_for(organisation, services=[ServiceLine("Awareness", 100)])
    with scopes_disabled():
        Contract.objects.filter(pk=contract.pk).update(status=Contract.Status.ACTIVE)
        contract.refresh_from_db()
        year = contract.licence_years.get(index=1)
        entry = contract_services.ledger_charge(
            licence_year=year,
            hours=Decimal("1.5"),
            description=f"Kick-off of {name}",
            occurred_on=year.starts_on,
            by=None,
        )
        contract_services.pack_add(licence_year=year, hours=Decimal("8"), by=None)
    return Tenant(
        organisation, referent, end_user, invitation, assignment, token, secret, contract, entry
    )


@pytest.fixture
def provider_org(db) -> Organisation:
    return provider()


@pytest.fixture
def admin_user(provider_org) -> User:
    return person(provider_org, Role.PROVIDER_ADMIN, email="admin@provider.example")


@pytest.fixture
def cstm(provider_org) -> User:
    return person(provider_org, Role.CSTM, email="cstm@provider.example")


@pytest.fixture
def agent(provider_org) -> User:
    return person(provider_org, Role.AGENT, level=AgentLevel.L1, email="agent@provider.example")


@pytest.fixture
def tenant_a(db, cstm) -> Tenant:
    return make_tenant("Alfa Assicurazioni S.p.A.", "alfa.example", cstm=cstm)


@pytest.fixture
def tenant_b(db) -> Tenant:
    return make_tenant("Bravo Banca Segreta S.p.A.", "bravo-segreta.example")


def client_for(user: User, *, mfa: bool = True) -> Client:
    """A client signed in as ``user``. Like allauth's sign-in, the session records the password
    step and, for a person with an authenticator, the second factor passed (SPEC T4); with
    ``mfa=False`` it records the password only, as Django admin's own form would have."""
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    mark_authentication(client, user, mfa=mfa)
    return client


def mark_authentication(client: Client, user: User, *, mfa: bool = True) -> None:
    """Write allauth's authentication records into the client's session, as its login flow
    does (``allauth.account.internal.flows.login.record_authentication``)."""
    import time

    from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
    from allauth.mfa.models import Authenticator

    records: list[dict] = [{"method": "password", "at": time.time(), "email": user.email}]
    totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if mfa and totp is not None:
        records.append({"method": "mfa", "at": time.time(), "id": totp.pk, "type": totp.type})
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


@pytest.fixture
def celery_worker_process(transactional_db):
    """A real Celery worker (separate process) on the test PostgreSQL database and Redis."""
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    from django.db import connection

    db = connection.settings_dict
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "csm_portal.settings.test"
    env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    log = Path(os.environ.get("TEST_ARTIFACTS", "test-artifacts")) / "celery-worker.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "csm_portal",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while b"ready." not in log.read_bytes():
            if worker.poll() is not None or time.monotonic() > deadline:
                worker.kill()
                pytest.fail(f"The Celery worker did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        try:
            yield worker
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()


@pytest.fixture(autouse=True)
def _support_address_not_cached():
    """The support address is cached in Redis (tickets.portal); a test's rolled-back mailbox must
    not leave its address to the next test."""
    from django.core.cache import cache

    from tickets.portal import support_address_key
    from tickets.reference import canned_key, owners_key

    yield
    cache.delete(support_address_key())
    cache.delete_many([canned_key(), owners_key()])  # issue 15: the desk's reference data
