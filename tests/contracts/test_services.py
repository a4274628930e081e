"""Contracts, packs, ledger and terms: the rules hold and bad input writes nothing (SPEC C1–C6,
H1, H2, H9)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_scopes import scopes_disabled

from contracts import services
from contracts.models import Acceptance, Contract, HourPack, LedgerEntry, LicenceYear, TermsDocument
from tests.factories import OrganisationFactory, contract_for

pytestmark = pytest.mark.django_db(transaction=True)
TODAY = timezone.localdate


def counts() -> tuple[int, ...]:
    with scopes_disabled():
        return (
            Contract.objects.count(),
            LicenceYear.objects.count(),
            HourPack.objects.count(),
            LedgerEntry.objects.count(),
            Acceptance.objects.count(),
        )


def test_a_contract_records_its_terms_and_one_licence_year_per_year(cstm):
    """SPEC C1, H1."""
    contract = contract_for(
        OrganisationFactory(),
        cstm=cstm,
        services=[services.ServiceLine("Awareness", 250)],
        starts_on=TODAY(),
        expires_on=TODAY() + timedelta(days=3 * 365 - 1),
    )
    with scopes_disabled():
        years = list(contract.licence_years.order_by("index"))
        assert [y.index for y in years] == [1, 2, 3]
        assert all(y.allocation == Decimal("20") for y in years)
        assert contract.services.get().licences == 250
    assert not contract.is_legacy and contract.status == Contract.Status.DRAFT


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"expires_on": TODAY() - timedelta(days=30)}, "expires_on"),  # expiry before activation
        ({"sales_channel": "msp", "hours_per_year": Decimal("10")}, "hours_per_year"),  # SPEC C2
        ({"signed_on": TODAY() + timedelta(days=30)}, "signed_on"),
        ({"number": ""}, "number"),
    ],
)
def test_bad_contract_terms_are_refused_and_write_nothing(tenant_a, overrides, field):
    before = counts()
    with pytest.raises(ValidationError) as error:
        contract_for(tenant_a.organisation, **overrides)
    assert field in error.value.message_dict
    assert counts() == before


def test_contracts_signed_before_2024_are_legacy(db):
    """SPEC C2."""
    from datetime import date

    contract = contract_for(
        OrganisationFactory(), signed_on=date(2023, 11, 2), starts_on=date(2023, 12, 1)
    )
    assert contract.is_legacy


def test_an_msp_contract_has_no_hours_to_charge(tenant_a, cstm):
    """SPEC C2: MSP-partner contracts have no CSM hours."""
    contract = contract_for(OrganisationFactory(), sales_channel="msp", hours_per_year=Decimal("0"))
    with scopes_disabled():
        Contract.objects.filter(pk=contract.pk).update(status="active")
        year = contract.licence_years.first()
        with pytest.raises(ValidationError):
            services.ledger_charge(
                licence_year=year, hours=Decimal("1"), description="x", occurred_on=TODAY(), by=cstm
            )


def test_activation_mails_the_terms_and_a_set_password_link_never_a_password(tenant_a, admin_user):
    """SPEC C3."""
    with scopes_disabled():
        referent = tenant_a.referent
        referent.set_unusable_password()
        referent.language = "it"
        referent.save()
        Contract.objects.filter(pk=tenant_a.contract.pk).update(status=Contract.Status.CLOSED)
        contract = contract_for(
            tenant_a.organisation,
            services=[services.ServiceLine("Awareness", 120)],
            purchase_order="PO-77",
        )
        services.contract_activate(contract=contract, by=admin_user)
        contract.refresh_from_db()
    assert contract.status == Contract.Status.ACTIVE and contract.activated_at
    message = mail.outbox[-1]
    assert message.to == [referent.email]
    assert contract.number in message.subject
    for expected in ("PO-77", "Awareness: 120", ": 20\n", "/welcome/"):
        assert expected in message.body
    assert "password:" not in message.body.lower()
    assert "Data di attivazione" in message.body or "attivazione" in message.body.lower()


def test_activation_needs_a_referent(admin_user):
    organisation = OrganisationFactory()
    contract = contract_for(organisation)
    with scopes_disabled(), pytest.raises(ValidationError):
        services.contract_activate(contract=contract, by=admin_user)
    with scopes_disabled():
        assert Contract.objects.get(pk=contract.pk).status == Contract.Status.DRAFT


def active_year(tenant):
    """Year 1 of the tenant's active contract (it started five days ago)."""
    with scopes_disabled():
        return LicenceYear.objects.get(contract=tenant.contract, index=1)


def test_a_pack_has_at_least_8_hours(tenant_a, admin_user):
    """SPEC H2."""
    year = active_year(tenant_a)
    with scopes_disabled():
        with pytest.raises(ValidationError):
            services.pack_add(licence_year=year, hours=Decimal("7.5"), by=admin_user)
        assert HourPack.objects.filter(licence_year=year).count() == 1  # the fixture's pack only
        pack = services.pack_add(licence_year=year, hours=Decimal("8"), by=admin_user)
    assert pack.hours == Decimal("8")


def test_the_ledger_is_append_only_and_corrected_by_reversals(tenant_a, cstm):
    """SPEC H9."""
    year = active_year(tenant_a)
    with scopes_disabled():
        charge = services.ledger_charge(
            licence_year=year,
            hours=Decimal("1.5"),
            description="Kick-off",
            occurred_on=TODAY(),
            by=cstm,
        )
        charge.hours = Decimal("0.5")
        with pytest.raises(ValueError):
            charge.save()
        with pytest.raises(ValueError):
            charge.delete()
        reversal = services.ledger_reverse(entry=charge, reason="Charged twice", by=cstm)
        assert reversal.hours == Decimal("-1.5") and reversal.reverses_id == charge.pk
        with pytest.raises(ValidationError):
            services.ledger_reverse(entry=charge, reason="again", by=cstm)
        assert LedgerEntry.objects.get(pk=charge.pk).hours == Decimal("1.5")


def test_a_charge_into_a_closed_licence_year_is_refused(tenant_a, cstm):
    year = active_year(tenant_a)
    with scopes_disabled():
        with pytest.raises(ValidationError):
            services.ledger_charge(
                licence_year=year,
                hours=Decimal("1"),
                description="late",
                occurred_on=year.starts_on - timedelta(days=1),
                by=cstm,
            )
        LicenceYear.objects.filter(pk=year.pk).update(lapsed_at=timezone.now())
        with pytest.raises(ValidationError):
            services.ledger_charge(
                licence_year=year, hours=Decimal("1"), description="x", occurred_on=TODAY(), by=cstm
            )
        assert (
            LedgerEntry.objects.filter(licence_year=year).count() == 1
        )  # the fixture's charge only


def pdf(name: str = "eula.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")


def test_terms_documents_must_be_real_pdfs(admin_user):
    with pytest.raises(ValidationError):
        services.terms_document_publish(
            kind="eula", version="1", file=SimpleUploadedFile("x.pdf", b"MZ\x90\x00"), by=admin_user
        )
    assert TermsDocument.objects.count() == 0
    document = services.terms_document_publish(kind="eula", version="1", file=pdf(), by=admin_user)
    assert document.file.name.startswith("terms/eula/") and "eula.pdf" not in document.file.name


def test_acceptance_is_recorded_once_per_version(tenant_a, admin_user):
    """SPEC C4: who, when, which versions, from where; a second acceptance is refused."""
    documents = [
        services.terms_document_publish(kind=kind, version="2026.1", file=pdf(), by=admin_user)
        for kind in ("eula", "sla", "dpa")
    ]
    with scopes_disabled():
        assert len(services.pending_documents(organisation=tenant_a.organisation)) == 3
        accepted = services.terms_accept(
            organisation=tenant_a.organisation,
            documents=documents,
            user=tenant_a.referent,
            ip_address="203.0.113.9",
            user_agent="pytest",
        )
        assert {a.document.kind for a in accepted} == {"eula", "sla", "dpa"}
        assert (
            accepted[0].ip_address == "203.0.113.9" and accepted[0].accepted_by == tenant_a.referent
        )
        assert services.pending_documents(organisation=tenant_a.organisation) == []
        with pytest.raises(ValidationError):
            services.terms_accept(
                organisation=tenant_a.organisation,
                documents=documents[:1],
                user=tenant_a.referent,
                ip_address=None,
            )
        new_sla = services.terms_document_publish(
            kind="sla", version="2026.2", file=pdf(), by=admin_user
        )
        assert services.pending_documents(organisation=tenant_a.organisation) == [new_sla]


def test_a_cancellation_is_recorded_with_its_reason(tenant_a, cstm):
    """SPEC C6."""
    contract = tenant_a.contract
    with scopes_disabled():
        with pytest.raises(ValidationError):
            services.cancellation_record(contract=contract, notice_on=TODAY(), reason=" ", by=cstm)
        notice = services.cancellation_record(
            contract=contract, notice_on=TODAY(), reason="Budget cut", by=cstm
        )
    assert notice.reason == "Budget cut"


def test_a_second_contract_overlapping_the_licence_years_is_refused(tenant_a):
    """Bad input: overlapping licence years of one customer; a renewal from the next day is fine."""
    existing = tenant_a.contract
    before = counts()
    with pytest.raises(ValidationError) as error:
        contract_for(
            tenant_a.organisation,
            starts_on=existing.expires_on - timedelta(days=30),
            expires_on=existing.expires_on + timedelta(days=300),
        )
    assert "starts_on" in error.value.message_dict
    assert counts() == before
    contract_for(
        tenant_a.organisation,
        signed_on=existing.starts_on,
        starts_on=existing.expires_on + timedelta(days=1),
        expires_on=existing.expires_on + timedelta(days=366),
    )
