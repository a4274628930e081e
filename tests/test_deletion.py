"""SPEC L3: on day 90 after expiry, nothing of the organisation remains (database rows, stored
files), every kind is counted in the deletion record, and every model that can hold an
organisation's data is covered by a registered deletion step (csm_portal.deletion)."""

import os
from datetime import datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts import services as account_services
from accounts.health_snapshots import snapshots_refresh
from accounts.models import Membership, Organisation, OrganisationDomain, User
from accounts.roles import Role
from activities import services as activity_services
from activities.models import Activity, Statement, UsageWarning
from contracts import lifecycle
from contracts import services as contract_services
from contracts.models import Contract, DeletionRecord, IdempotencyKey, PendingFileRemoval
from csm_portal import deletion
from onboarding.models import Deliverable, Meeting
from tests.conftest import make_tenant
from tests.factories import PASSWORD
from tests.tickets.conftest import authentication_passed, local_mailbox
from tickets import desk, outages
from tickets.ingest import ingest, record_failure
from tickets.models import InboundMessage, Mailbox, SlaPolicy, SlaWarning, Ticket

ROME = ZoneInfo("Europe/Rome")
A = "zqalfamrk"  # written in every kind of data of the organisation to delete
B = "zqbravomrk"  # the other organisation's, which must survive


# --------------------------------------------------------------------------- the registry


def _organisation_data_models() -> set[type[models.Model]]:
    """Models that can hold an organisation's data: a link to an organisation or a person (a
    foreign key, or a field naming the organisation without one), a stored file, an address
    (email, IP), or a link to any such model."""
    found: set[type[models.Model]] = {Organisation, User}
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(
                field, (models.FileField, models.EmailField, models.GenericIPAddressField)
            ) or field.name.startswith("organisation"):
                found.add(model)
    grew = True
    while grew:
        grew = False
        for model in apps.get_models():
            if model in found:
                continue
            if any(
                field.is_relation and field.related_model in found
                for field in model._meta.concrete_fields
            ):
                found.add(model)
                grew = True
    return found


def test_l3_every_model_holding_organisation_data_has_a_deletion_step():
    """SPEC L3: a model linked to an organisation or its people, or holding a file or an
    address, without a registered deletion step (or a commented exemption in
    csm_portal.deletion.EXEMPT) fails here; and each step removes every file of its model."""
    stepped = {step.label for step in deletion.steps()}
    missing = sorted(
        model._meta.label
        for model in _organisation_data_models()
        if model._meta.label not in stepped and model._meta.label not in deletion.EXEMPT
    )
    assert missing == []
    # Data tied to an organisation only by an address has its explicit step.
    assert {"tickets.AutoReply", "accounts.SecurityEvent", "tickets.InboundMessage"} <= stepped
    for label in stepped:
        model = apps.get_model(label)
        declared = {name for step in deletion.steps() if step.label == label for name in step.files}
        files = {f.name for f in model._meta.concrete_fields if isinstance(f, models.FileField)}
        assert declared == files, label
    assert all(apps.get_model(label) for label in deletion.EXEMPT)


# People are found through their membership: their memberships go with them, by cascade.
FOUND_THROUGH_CHILD = {("accounts.Membership", "accounts.User")}


def test_l3_deletion_steps_run_children_before_parents():
    """SPEC L3: a step runs before the steps of the rows it points at, so no row (and no file)
    of a registered kind vanishes by cascade uncounted or unjournaled, and nothing protected
    blocks a parent."""
    order: dict[str, list[int]] = {}
    for step in deletion.steps():
        order.setdefault(step.label, []).append(step.order)
    late = []
    for label, orders in order.items():
        for field in apps.get_model(label)._meta.concrete_fields:
            if not field.is_relation or field.remote_field.on_delete in (
                models.SET_NULL,
                models.SET_DEFAULT,
                models.DO_NOTHING,
            ):
                continue
            parent = field.related_model._meta.label
            if parent == label or parent not in order or (label, parent) in FOUND_THROUGH_CHILD:
                continue
            if max(orders) >= min(order[parent]):
                late.append(f"{label}.{field.name} -> {parent}")
    assert late == []


# --------------------------------------------------------------------------- day 90


def at(day, hour: int = 2) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=ROME)


def mime(sender: str, subject: str, body: str, attachment: tuple[str, bytes] | None = None):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@csm-test.example"
    message["Subject"] = subject
    message["Message-ID"] = f"<{abs(hash((sender, subject)))}@mail.example>"
    message["Authentication-Results"] = authentication_passed(sender).replace("\r\n", "")
    message.set_content(body)
    if attachment:
        message.add_attachment(
            attachment[1], maintype="text", subtype="plain", filename=attachment[0]
        )
    return message.as_bytes()


def fill(marker: str, *, cstm: User, agent: User, admin: User, mailbox: Mailbox):
    """An organisation with every kind of data, made through the real services, each carrying
    the marker. Returns the tenant."""
    tenant = make_tenant(f"{marker.title()} Assicurazioni S.p.A.", f"{marker}.example", cstm=cstm)
    organisation, referent = tenant.organisation, tenant.referent
    with scopes_disabled():
        Organisation.objects.filter(pk=organisation.pk).update(notes=f"notes {marker}")
        account_services.person_invite(
            organisation=organisation,
            email=f"newcomer@{marker}.example",
            first_name=marker,
            last_name="Newcomer",
            role=Role.END_USER,
            language="it",
            invited_by=admin,
        )
        EmailConfirmation.create(EmailAddress.objects.get(email=tenant.end_user.email))
        account_services.api_token_create(user=referent, name=f"script {marker}")
        TOTP.activate(referent, generate_totp_secret())
        contract = tenant.contract
        year = contract.licence_years.get(index=1)
        contract_services.ledger_reverse(entry=tenant.entry, reason=f"wrong {marker}", by=cstm)
        contract_services.cancellation_record(
            contract=contract, notice_on=timezone.localdate(), reason=f"budget {marker}", by=cstm
        )
        document = contract_services.current_documents()
        contract_services.terms_accept(
            organisation=organisation,
            documents=document,
            user=referent,
            ip_address="192.0.2.10",
            user_agent=f"Browser {marker}",
        )
        # Activities: a request, a session, a completed request with its statement PDF.
        request = activity_services.request_create(
            organisation=organisation,
            activity=Activity.objects.get(code="kickoff"),
            by=referent,
            details=f"details {marker}",
        )
        activity_services.work_log(
            request=request,
            worked_on=timezone.localdate(),
            minutes=45,
            notes=f"session {marker}",
            by=cstm,
        )
        activity_services.request_complete(request=request, by=cstm)
        # The stored answer of a referent's API write made once (SPEC L5).
        IdempotencyKey.objects.create(
            user=referent,
            scope="POST /api/v1/activity-requests/",
            key=f"key-{marker}",
            status_code=201,
            response={"details": f"details {marker}"},
        )
        UsageWarning.objects.create(licence_year=year, organisation=organisation, percent=80)
        # Onboarding: the kick-off meeting with its attendees and minutes, published as a
        # deliverable file (SPEC O1, O4).
        meeting = Meeting.objects.create(
            organisation=organisation,
            kind=Meeting.Kind.KICKOFF,
            title=f"Kick-off {marker}",
            scheduled_at=timezone.now(),
            attendees=[{"name": marker, "email": referent.email, "side": "customer"}],
            minutes=f"minutes {marker}",
            activity_request=request,
            created_by=cstm,
            named_referent=referent,
        )
        deliverable = Deliverable(
            organisation=organisation,
            kind="kickoff_minutes",
            title=f"Verbale {marker}",
            filename=f"verbale-{marker}.txt",
            content_type="text/plain",
            meeting=meeting,
            published_by=cstm,
        )
        deliverable.file.save("verbale.txt", ContentFile(f"verbale {marker}".encode()), save=False)
        deliverable.size = deliverable.file.size
        deliverable.save()
        # The customer prerequisites (SPEC O2): an applied user list (its CSV kept), two SVG
        # logos and the whitelisting confirmation.
        from onboarding.userlist import services as userlist_services

        listed = ContentFile(
            f"email,first_name,last_name\nlisted@{marker}.example,{marker},Rossi\n".encode(),
            name=f"utenti-{marker}.csv",
        )
        upload = userlist_services.user_list_upload(
            organisation=organisation, upload=listed, by=referent
        )
        userlist_services.user_list_apply(upload=upload, by=referent)
        for variant in ("light", "dark"):
            svg = f'<svg xmlns="http://www.w3.org/2000/svg"><title>{marker}</title></svg>'
            userlist_services.logo_upload(
                organisation=organisation,
                variant=variant,
                upload=ContentFile(svg.encode(), name=f"logo-{variant}.svg"),
                by=referent,
            )
        userlist_services.whitelisting_confirm(
            organisation=organisation,
            by=referent,
            phishing_mail=True,
            awareness_mail=True,
            channel_mail=True,
            videos_play=True,
            note=f"note {marker}",
        )
        # The onboarding plan: steps (one with a note), release items, training progress and the
        # over-a-month warning (SPEC O1, O3, L1).
        from onboarding.models import PlanStep, PlanWarning
        from onboarding.plan import services as plan_services

        Contract.objects.filter(pk=contract.pk).update(activated_at=timezone.now())
        plan = plan_services.plan_ensure(organisation=organisation)
        PlanStep.objects.filter(plan=plan, code="logos").update(note=f"logos {marker}")
        plan_services.training_progress_record(
            plan=plan, module=f"Phishing {marker}", completed=1, total=2, by=cstm
        )
        PlanWarning.objects.create(plan=plan, organisation=organisation, kind="over_month")
        # SIEM workshop (SPEC W1–W6): purpose, charter, a log source, a retention decision, a
        # project with a deficiency, a line of the operations model, a dashboard chosen and a
        # workshop meeting.
        from onboarding.models import (
            DashboardChoice,
            DashboardOffer,
            Deficiency,
            OperationsDuty,
            RetentionDecision,
            SiemLogSource,
            SiemProject,
            SiemWorkshop,
        )

        workshop = SiemWorkshop.objects.create(
            organisation=organisation,
            title=f"SIEM {marker}",
            created_by=cstm,
            purpose={"why": f"why {marker}"},
            charter={"scope_out": f"out {marker}"},
        )
        SiemLogSource.objects.create(
            organisation=organisation,
            workshop=workshop,
            name=f"Firewall {marker}",
            devices=2,
            eps_per_device=5,
            event_bytes=500,
        )
        RetentionDecision.objects.create(
            organisation=organisation,
            workshop=workshop,
            months=13,
            decided_on=timezone.localdate(),
            attendees=[{"name": marker}],
            recorded_by=cstm,
        )
        project = SiemProject.objects.create(
            organisation=organisation,
            workshop=workshop,
            title=f"Project {marker}",
            goals=f"goals {marker}",
            starts_on=timezone.localdate(),
            ends_on=timezone.localdate(),
        )
        Deficiency.objects.create(
            organisation=organisation, project=project, description=marker, owner=marker
        )
        OperationsDuty.objects.create(
            organisation=organisation,
            workshop=workshop,
            task=f"clean-up {marker}",
            provider="R",
            customer="I",
        )
        offer, _created = DashboardOffer.objects.get_or_create(kind="dashboard", name="Overview")
        DashboardChoice.objects.create(
            organisation=organisation, workshop=workshop, offer=offer, chosen_by=referent
        )
        Meeting.objects.create(
            organisation=organisation,
            kind=Meeting.Kind.SIEM,
            topic=Meeting.Topic.PURPOSE,
            workshop=workshop,
            title=f"Purpose {marker}",
            scheduled_at=timezone.now(),
            minutes=f"purpose {marker}",
        )
        # The cockpit's stored ranking of the customer (issue 15): its name and health facts.
        snapshots_refresh(organisation_ids=[organisation.pk])
        SlaPolicy.objects.create(
            name=f"Terms {marker}",
            ticket_type="incident",
            priority="urgent",
            contract=contract,
            first_response_minutes=60,
            resolution_minutes=240,
        )
    # Service desk: a ticket from a real MIME mail with an attachment (auto-reply sent), a
    # reply and a note; a held mail with an attachment; a mail held before the domain was
    # known (no organisation); a mail that failed to parse.
    domain = f"{marker}.example"
    inbound, _ = ingest(
        mailbox,
        mime(
            f"Referent <referent@{domain}>",
            f"Errore: non funziona {marker}",
            f"Body {marker}",
            (f"log-{marker}.txt", f"attached {marker}".encode()),
        ),
    )
    with scopes_disabled():
        ticket = Ticket.objects.get(pk=inbound.ticket_id)
        with transaction.atomic():
            desk.ticket_reply(ticket=ticket, body=f"reply {marker}", by=agent)
        with transaction.atomic():
            desk.ticket_reply(ticket=ticket, body=f"note {marker}", by=agent, internal=True)
        # An agent's reply with a file (issue 14) and an outage on the incident (SPEC S9).
        desk.ticket_reply(
            ticket=ticket,
            body=f"reply with a file {marker}",
            by=agent,
            attachments=[SimpleUploadedFile(f"guide-{marker}.txt", f"guide {marker}".encode())],
        )
        Ticket.objects.filter(pk=ticket.pk).update(type=Ticket.Type.INCIDENT)
        outages.outage_record(
            ticket=ticket,
            by=agent,
            service=f"Platform {marker}",
            started_at=timezone.now() - timedelta(hours=3),
            ended_at=timezone.now() - timedelta(hours=1),
        )
        SlaWarning.objects.create(
            ticket=ticket,
            organisation=organisation,
            target="resolution",
            stage="before",
            due=timezone.now(),
        )
        # Admin history of a ticket and of a membership (which goes with its person by cascade).
        LogEntry.objects.log_actions(
            user_id=admin.pk,
            queryset=[ticket, Membership.objects.get(user=referent)],
            action_flag=CHANGE,
            change_message=marker,
        )
    ingest(
        mailbox,
        mime(
            f"user@{domain}",
            f"Campagna di Natale {marker}",
            f"Held {marker}",
            (f"held-{marker}.txt", f"held attachment {marker}".encode()),
        ),
    )
    with scopes_disabled():
        OrganisationDomain.objects.filter(domain=domain).update(domain=f"{marker}.invalid")
    held_unknown, _ = ingest(mailbox, mime(f"early@{domain}", f"Prima {marker}", marker))
    with scopes_disabled():
        OrganisationDomain.objects.filter(domain=f"{marker}.invalid").update(domain=domain)
    assert held_unknown.organisation_id is None
    record_failure(
        mailbox,
        mime(f"referent@{domain}", f"Broken {marker}", f"failed {marker}"),
        None,
        ValueError("unparseable"),
    )
    # Sign-ins: a success (a session), a failure with a person's address, one with an unknown
    # address at its domain.
    client = Client()
    client.post(reverse("account_login"), {"login": tenant.end_user.email, "password": PASSWORD})
    assert "_auth_user_id" in client.session
    for login in (referent.email, f"ghost@{domain}"):
        Client().post(reverse("account_login"), {"login": login, "password": "wrong"})
    return tenant


def database_rows_with(marker: str) -> dict[str, int]:
    """Every table of the database, every row as text, searched for the marker."""
    found = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            name = connection.ops.quote_name(table)
            cursor.execute(
                f"SELECT count(*) FROM {name} AS t WHERE t::text ILIKE %s", [f"%{marker}%"]
            )
            rows = cursor.fetchone()[0]
            if rows:
                found[table] = rows
    return found


def files_with(marker: str, root: Path) -> list[str]:
    found = []
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            if marker.encode() in path.read_bytes().lower() or marker in str(path).lower():
                found.append(str(path.relative_to(root)))
    return found


@pytest.mark.django_db(transaction=True)
def test_l3_day_90_leaves_nothing_of_the_organisation_in_the_database_or_the_media_root(
    settings, tmp_path, cstm, agent, admin_user
):
    """SPEC L3: an organisation filled with every kind of data (contract, licence years, packs,
    charges and a reversal, cancellation, acceptance, activity request, session, statement PDF,
    tickets with messages, events, attachments and SLA terms, held and failed mails, auto-replies,
    failed sign-ins, security events, sessions, MFA, invitations, API tokens, admin history…),
    each carrying a marker: after the day-90 job neither the database (every column of every
    table) nor the media root holds the marker, every registered kind is counted, and another
    organisation keeps all its data."""
    settings.MEDIA_ROOT = tmp_path / "media"
    mailbox = local_mailbox()
    with scopes_disabled():
        contract_services.terms_document_publish(
            kind="eula",
            version="1",
            file=SimpleUploadedFile("eula.pdf", b"%PDF-1.4\n%%EOF\n"),
            by=admin_user,
        )
    alfa = fill(A, cstm=cstm, agent=agent, admin=admin_user, mailbox=mailbox)
    bravo = fill(B, cstm=cstm, agent=agent, admin=admin_user, mailbox=mailbox)
    expiry = alfa.contract.expires_on
    with scopes_disabled():
        Contract.objects.filter(pk=bravo.contract.pk).update(
            expires_on=expiry + timedelta(days=400)
        )
        statement = Statement.objects.get(organisation=alfa.organisation).pdf.name
        bravo_statement = Statement.objects.get(organisation=bravo.organisation).pdf.name
    # Its files: the statement PDF, three attachments (one sent with an agent's reply), four raw
    # mails, the kick-off minutes, the user-list CSV and two logos (with the marker).
    alfa_files = {statement, *files_with(A, settings.MEDIA_ROOT)}
    bravo_files = {bravo_statement, *files_with(B, settings.MEDIA_ROOT)}
    bravo_rows = database_rows_with(B)
    assert database_rows_with(A) and files_with(A, settings.MEDIA_ROOT)
    assert len(alfa_files) == 12

    with time_machine.travel(at(expiry - timedelta(days=60)), tick=False):
        lifecycle.run_daily()  # the expiry warnings
    with time_machine.travel(at(expiry + timedelta(days=90)), tick=False):
        report = lifecycle.run_daily()

    assert report.organisations_deleted == 1
    assert database_rows_with(A) == {}
    assert files_with(A, settings.MEDIA_ROOT) == []
    assert not any((settings.MEDIA_ROOT / name).exists() for name in alfa_files)
    # The other organisation keeps every row and every file.
    kept = database_rows_with(B)
    assert kept == bravo_rows
    assert {"accounts_organisation", "tickets_inboundmessage", "tickets_autoreply"} <= set(kept)
    assert {"accounts_securityevent", "tickets_attachment", "activities_activityrequest"} <= set(
        kept
    )
    assert len(bravo_files) == 12
    assert all((settings.MEDIA_ROOT / name).exists() for name in bravo_files)
    with scopes_disabled():
        record = DeletionRecord.objects.get(organisation_ref=alfa.organisation.pk)
        assert not PendingFileRemoval.objects.exists()
    assert record.finished_at is not None
    # Every registered kind had data here and is counted: a kind a later feature registers
    # must get its data in this test.
    empty = [
        name
        for name in [*deletion.count_names(), "admin_log_entries"]
        if not record.counts[name] > 0
    ]
    assert empty == []
    assert record.counts["received_mails"] == 4
    assert record.counts["attachments"] == 3  # two came by mail, one with an agent's reply
    assert record.counts["people"] == 4 and record.counts["memberships"] == 4
    assert record.counts["admin_log_entries"] == 2
    assert A not in str(record.counts).lower() + str(record.contract_numbers).lower()


# --------------------------------------------------------------------------- files and rollbacks


@pytest.mark.django_db(transaction=True)
def test_l3_a_file_saved_in_a_transaction_that_rolls_back_leaves_no_orphan(settings, tmp_path):
    """SPEC L3, L4: csm_portal.files removes a file saved in a block whose transaction rolls
    back (the ingestion of a mail that fails part way), and keeps it when the block commits."""
    from csm_portal.files import delete_file_on_rollback, files_removed_on_failure

    settings.MEDIA_ROOT = tmp_path / "media"
    failed = InboundMessage()
    with pytest.raises(ValueError), files_removed_on_failure(), transaction.atomic():
        failed.raw.save("message.eml", ContentFile(b"From: a@b.example\r\n\r\nx"), save=False)
        delete_file_on_rollback(failed.raw)
        assert (settings.MEDIA_ROOT / failed.raw.name).exists()
        raise ValueError("the parser gave up after the file was stored")
    assert not (settings.MEDIA_ROOT / failed.raw.name).exists()
    kept = InboundMessage()
    with files_removed_on_failure(), transaction.atomic():
        kept.raw.save("message.eml", ContentFile(b"From: a@b.example\r\n\r\nx"), save=False)
        delete_file_on_rollback(kept.raw)
    assert (settings.MEDIA_ROOT / kept.raw.name).exists()
    with pytest.raises(RuntimeError):
        delete_file_on_rollback(kept.raw)  # outside a block it would orphan silently
