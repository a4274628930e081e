"""Demo data for `make run`: one provider and three customer organisations (idempotent).

The logins are fixed (`demo_logins()`): `make run` prints them, and the README shows the same
list (tests/test_demo.py compares the two)."""

import base64
import hashlib
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import CstmAssignment, Membership, Organisation, OrganisationDomain, User
from accounts.roles import AgentLevel, Role

DEMO_PASSWORD = "demo-portal-2026"
PROVIDER_NAME = "CSM Provider"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    organisation: str
    totp_secret: str = ""


def demo_totp_secret(email: str) -> str:
    """A stable secret per demo account, so the printed logins stay valid across restarts."""
    return base64.b32encode(hashlib.sha256(f"csm-demo:{email}".encode()).digest()[:20]).decode()


def _person(
    organisation: Organisation,
    email: str,
    first: str,
    last: str,
    role: str,
    language: str,
    level: str = "",
) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        is_admin = role == Role.PROVIDER_ADMIN
        user = User.objects.create_user(
            email,
            DEMO_PASSWORD,
            first_name=first,
            last_name=last,
            language=language,
            is_staff=is_admin,
            is_superuser=is_admin,
        )
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    Membership.objects.update_or_create(
        user=user, defaults={"organisation": organisation, "role": role, "agent_level": level}
    )
    if (
        role in (Role.PROVIDER_ADMIN, Role.CSTM, Role.AGENT)
        and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    ):
        TOTP.activate(user, demo_totp_secret(email))
    return user


STAFF = [
    ("admin@csm-provider.example", "Anna", "Rossi", Role.PROVIDER_ADMIN, ""),
    ("cstm1@csm-provider.example", "Marco", "Bianchi", Role.CSTM, ""),
    ("cstm2@csm-provider.example", "Laura", "Conti", Role.CSTM, ""),
    ("agent.l1@csm-provider.example", "Paolo", "Greco", Role.AGENT, AgentLevel.L1),
    ("agent.l2@csm-provider.example", "Sara", "Marino", Role.AGENT, AgentLevel.L2),
]

CUSTOMERS = [
    ("Acme Logistica S.p.A.", "acme-logistica.example", "it", "Giulia", "Ferri"),
    ("Nordhavn Energi A/S", "nordhavn-energi.example", "en", "Mette", "Kristensen"),
    ("Banque Lumière SA", "banque-lumiere.example", "fr", "Claire", "Dubois"),
]


def demo_logins() -> list[DemoLogin]:
    """Who can sign in to the demo: every staff member, and each customer's referent and first
    end user (the second end user exists too, with the same password)."""
    logins = [
        DemoLogin(
            email,
            f"{role}{' ' + level if level else ''}",
            PROVIDER_NAME,
            demo_totp_secret(email),
        )
        for email, _first, _last, role, level in STAFF
    ]
    for name, domain, _language, _first, _last in CUSTOMERS:
        logins.append(DemoLogin(f"referent@{domain}", Role.REFERENT, name))
        logins.append(DemoLogin(f"user1@{domain}", Role.END_USER, name))
    return logins


@transaction.atomic
def load_demo_data() -> list[DemoLogin]:
    with scopes_disabled():
        provider, _ = Organisation.objects.get_or_create(
            name=PROVIDER_NAME, defaults={"kind": Organisation.Kind.PROVIDER, "language": "it"}
        )
        OrganisationDomain.objects.get_or_create(
            organisation=provider, domain="csm-provider.example"
        )
        people = {}
        for email, first, last, role, level in STAFF:
            people[email] = _person(provider, email, first, last, role, "it", level)
        cstms = [people["cstm1@csm-provider.example"], people["cstm2@csm-provider.example"]]
        start = timezone.localdate() - timedelta(days=90)
        for index, (name, domain, language, first, last) in enumerate(CUSTOMERS):
            organisation, _ = Organisation.objects.get_or_create(
                name=name, defaults={"language": language}
            )
            OrganisationDomain.objects.get_or_create(organisation=organisation, domain=domain)
            referent = f"referent@{domain}"
            _person(organisation, referent, first, last, Role.REFERENT, language)
            for n in (1, 2):
                _person(
                    organisation,
                    f"user{n}@{domain}",
                    f"User {n}",
                    name.split()[0],
                    Role.END_USER,
                    language,
                )
            if not CstmAssignment.objects.filter(organisation=organisation).exists():
                CstmAssignment.objects.create(
                    organisation=organisation,
                    cstm=cstms[index % 2],
                    starts_on=start,
                    kind=CstmAssignment.Kind.PERMANENT,
                )
            _demo_contract(organisation, index, cstms[index % 2])
            if index == 1:
                _demo_siem_workshop(organisation, cstms[index % 2])
        _demo_tickets()
    return demo_logins()


def _demo_siem_workshop(organisation: Organisation, cstm: User) -> None:
    """A SIEM onboarding workshop (issue 13) for the Danish customer, as in the seed: four
    kinds of log sources sized for 13 months of retention."""
    from onboarding.models import LogSourceType, SiemWorkshop
    from onboarding.siem import services as siem_services
    from onboarding.siem.sizing import CONSTANT_DEFAULTS

    if SiemWorkshop.objects.filter(organisation=organisation).exists():
        return
    siem_services.log_source_types_seed()
    workshop = siem_services.workshop_create(
        organisation=organisation, title="SIEM onboarding 2026", by=cstm
    )
    kinds = {t.name: t for t in LogSourceType.objects.all()}
    sources = [
        ("Firewall", 12),
        ("Windows server", 180),
        ("Domain controller", 4),
        ("Cloud audit log", 3),
    ]
    siem_services.workshop_sizing_save(
        workshop=workshop,
        sources=[
            {"source_type": kinds[name], "name": name, "devices": devices}
            for name, devices in sources
        ],
        constants=dict(CONSTANT_DEFAULTS),
        retention_months=13,
        hot_days=7,
        warm_days=30,
        by=cstm,
    )


def _demo_tickets() -> None:
    """A few messages through the same ingestion as the mailbox poller: tickets with their SLA
    clock and one message held for triage. The demo mailbox is inactive (no server to poll)."""
    from tickets import ingest as ticket_ingest
    from tickets.models import Mailbox

    mailbox, created = Mailbox.objects.get_or_create(
        address="support@csm-provider.example",
        defaults={
            "name": "Support (demo)",
            "host": "imap.example",
            "active": False,
            "trusted_authserv_id": "mx.csm-provider.example",
        },
    )
    if not created:
        return
    domain = OrganisationDomain.objects.filter(organisation__kind="customer").first().domain
    messages = [
        (f"referent@{domain}", "Errore 500 sulla dashboard dei report", "demo-1"),
        (f"user1@{domain}", "Password dimenticata", "demo-2"),
        ("offerte@promo.example", "Offerta imperdibile", "demo-3"),
    ]
    for sender, subject, key in messages:
        raw = (
            "Authentication-Results: mx.csm-provider.example; dmarc=pass"
            f" header.from={sender.split('@')[1]}\r\n"
            f"From: {sender}\r\nTo: {mailbox.address}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{key}@demo.example>\r\nContent-Type: text/plain; charset=utf-8"
            "\r\n\r\nBuongiorno, potete aiutarci? Grazie.\r\n"
        ).encode()
        ticket_ingest.ingest(mailbox, raw)


# (catalogue code, minutes, customer-caused overrun reason, completed)
DEMO_ACTIVITIES = [
    ("kickoff", 55, "", True),
    ("user-list-first-upload", 75, "The customer's CSV had to be corrected twice.", True),
    ("sal-review", 60, "", False),
]


def _demo_contract(organisation: Organisation, index: int, cstm: User) -> None:
    """One active contract per customer with a few charges, so the hours pages have content;
    the third customer's is an MSP-partner contract (no CSM hours) to show that case too."""
    from contracts import services as contract_services
    from contracts.models import Contract, LicenceYear

    if Contract.objects.filter(organisation=organisation).exists():
        return
    today = timezone.localdate()
    starts = today - timedelta(days=120 + 100 * index)
    msp = index == 2
    contract = contract_services.contract_create(
        organisation=organisation,
        number=f"CSM-2026-{index + 1:03d}",
        cstm=cstm,
        sales_channel="msp" if msp else ("direct" if index == 0 else "reseller"),
        signed_on=starts - timedelta(days=14),
        starts_on=starts,
        expires_on=starts + timedelta(days=3 * 365 - 1),
        hours_per_year=Decimal("0" if msp else "24"),
        purchase_order=f"PO-{4711 + index}",
        services=[
            contract_services.ServiceLine("Cyber Guru Awareness", 150 + 100 * index),
            contract_services.ServiceLine("Cyber Guru Phishing", 150 + 100 * index),
        ],
    )
    Contract.objects.filter(pk=contract.pk).update(
        status=Contract.Status.ACTIVE, activated_at=timezone.now()
    )
    if msp:
        return
    year = LicenceYear.objects.get(contract=contract, index=1)
    _demo_activities(organisation, year, cstm)


def _demo_activities(organisation: Organisation, year: object, cstm: User) -> None:
    """Requests made by the referent, time logged and charged by the rules, statements."""
    from activities import services as activity_services
    from activities.models import Activity, ActivityRequest
    from contracts.services import referent_of

    activity_services.catalogue_seed()
    referent = referent_of(organisation)
    for offset, (code, minutes, reason, completed) in enumerate(DEMO_ACTIVITIES):
        request = activity_services.request_create(
            organisation=organisation, activity=Activity.objects.get(code=code), by=referent
        )
        activity_services.work_log(
            request=request,
            worked_on=year.starts_on + timedelta(days=7 + 21 * offset),
            minutes=minutes,
            customer_caused=bool(reason),
            overrun_reason=reason,
            notes="Demo",
            by=cstm,
        )
        if completed:
            activity_services.request_complete(
                request=ActivityRequest.objects.get(pk=request.pk), by=cstm
            )
    activity_services.request_create(
        organisation=organisation,
        activity=Activity.objects.get(code="platform-support"),
        by=referent,
        details="Help with the group reports, please.",
    )
