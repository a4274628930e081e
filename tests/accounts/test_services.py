"""People, invitations and assignments: rules hold and bad input writes nothing."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from accounts import services
from accounts.models import CstmAssignment, Invitation, Membership, Organisation, User
from accounts.roles import Role
from tests.factories import invite, person

pytestmark = pytest.mark.django_db(transaction=True)


def _row_counts() -> tuple[int, int, int]:
    with scopes_disabled():
        return User.objects.count(), Membership.objects.count(), Invitation.objects.count()


def test_an_invitation_mails_a_one_time_link_and_never_a_password(tenant_a, admin_user):
    """SPEC C3 (no password by email) and the foundation's no-open-sign-up rule."""
    invitation, token = invite(
        tenant_a.organisation,
        "New.Referent@Alfa.example",
        by=admin_user,
        role=Role.REFERENT,
        language="en",
    )
    assert invitation.user.email == "new.referent@alfa.example"
    assert not invitation.user.has_usable_password()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.referent@alfa.example"]
    assert f"/welcome/{token}/" in message.body
    assert "password:" not in message.body.lower()
    assert "Choose your password" in message.body  # in the invitee's language (en)
    assert (
        Invitation.hash_token(token) == invitation.token_hash and token not in invitation.token_hash
    )


def test_bad_invitations_are_refused_and_write_nothing(tenant_a, provider_org, admin_user):
    before = _row_counts()
    bad = [
        dict(organisation=tenant_a.organisation, email=tenant_a.referent.email, role=Role.REFERENT),
        dict(organisation=tenant_a.organisation, email="x@alfa.example", role=Role.CSTM),
        dict(organisation=provider_org, email="x@provider.example", role=Role.REFERENT),
        dict(organisation=provider_org, email="y@provider.example", role=Role.AGENT),  # no level
        # SPEC S3: a licensed end user writes from a domain of the customer.
        dict(organisation=tenant_a.organisation, email="someone@gmail.example", role=Role.END_USER),
    ]
    for case in bad:
        with scope(organisation=None), pytest.raises(ValidationError):
            services.person_invite(
                first_name="A", last_name="B", language="it", invited_by=admin_user, **case
            )
    assert _row_counts() == before
    assert mail.outbox == []


def test_an_invitation_link_works_once(tenant_a, admin_user):
    invitation, token = invite(tenant_a.organisation, "once@alfa.example", by=admin_user)
    found = services.invitation_for_token(token)
    assert found == invitation
    user = services.invitation_accept(invitation=found, password="a-long-new-secret-42")
    assert user.check_password("a-long-new-secret-42")
    assert user.emailaddress_set.get().verified
    assert services.invitation_for_token(token) is None
    with pytest.raises(ValidationError):
        services.invitation_accept(invitation=found, password="another-long-secret-43")


def test_resending_an_invitation_kills_the_old_link(tenant_a, admin_user):
    invitation, old = invite(tenant_a.organisation, "re@alfa.example", by=admin_user)
    with scope(organisation=None):
        _, new = services.invitation_resend(invitation=invitation, by=admin_user)
    assert services.invitation_for_token(old) is None
    assert services.invitation_for_token(new) is not None


def test_an_expired_invitation_link_is_refused(tenant_a):
    tenant_a.invitation.expires_at = timezone.now() - timedelta(minutes=1)
    with scopes_disabled():
        tenant_a.invitation.save()
    token, token_hash = Invitation.new_token()
    with scopes_disabled():
        Invitation.objects.filter(pk=tenant_a.invitation.pk).update(token_hash=token_hash)
    assert services.invitation_for_token(token) is None


def test_a_permanent_replacement_closes_the_old_assignment_and_keeps_history(
    tenant_a, provider_org, cstm
):
    """SPEC T2: a CSTM can be replaced permanently; history is kept."""
    successor = person(provider_org, Role.CSTM)
    starts = timezone.localdate() + timedelta(days=10)
    with scope(organisation=None):
        services.cstm_assign(
            organisation=tenant_a.organisation,
            cstm=successor,
            starts_on=starts,
            ends_on=None,
            kind=CstmAssignment.Kind.PERMANENT,
        )
        rows = list(
            CstmAssignment.objects.filter(organisation=tenant_a.organisation).order_by("starts_on")
        )
    assert [r.cstm for r in rows] == [cstm, successor]
    assert rows[0].ends_on == starts - timedelta(days=1)
    assert rows[1].ends_on is None


def test_a_temporary_cover_runs_alongside_and_needs_an_end(tenant_a, provider_org, cstm):
    """SPEC T2: temporary replacement."""
    cover = person(provider_org, Role.CSTM)
    today = timezone.localdate()
    with scope(organisation=None):
        with pytest.raises(ValidationError):
            services.cstm_assign(
                organisation=tenant_a.organisation,
                cstm=cover,
                starts_on=today,
                ends_on=None,
                kind=CstmAssignment.Kind.TEMPORARY,
            )
        services.cstm_assign(
            organisation=tenant_a.organisation,
            cstm=cover,
            starts_on=today,
            ends_on=today + timedelta(days=14),
            kind=CstmAssignment.Kind.TEMPORARY,
        )
        active = CstmAssignment.objects.active_on(today).filter(organisation=tenant_a.organisation)
        assert {a.cstm for a in active} == {cstm, cover}


def test_only_cstms_can_be_assigned(tenant_a, agent):
    with scope(organisation=None), pytest.raises(ValidationError):
        services.cstm_assign(
            organisation=tenant_a.organisation,
            cstm=agent,
            starts_on=timezone.localdate(),
            ends_on=None,
            kind=CstmAssignment.Kind.PERMANENT,
        )


def test_organisation_domains_are_unique_across_organisations(tenant_a):
    with scope(organisation=None):
        with pytest.raises(ValidationError) as error:
            services.organisation_create(name="Clone", domains=["ALFA.example"], language="it")
        assert "domains" in error.value.message_dict
        assert not Organisation.objects.filter(name="Clone").exists()
        created = services.organisation_create(
            name="Charlie", domains=["charlie.example", " @c2.example"], language="fr"
        )
        assert sorted(created.domains.values_list("domain", flat=True)) == [
            "c2.example",
            "charlie.example",
        ]


def test_an_admin_cannot_disable_themselves(admin_user, provider_org):
    with scope(organisation=None):
        membership = Membership.objects.get(user=admin_user)
        with pytest.raises(ValidationError):
            services.person_set_active(membership=membership, active=False, by=admin_user)
