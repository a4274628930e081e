"""SPEC T1/T3: walk every URL pattern of the resolver (pages, allauth, admin and, as they land,
the API) as users of organisation A, with the ids of organisation B's objects, and prove that
nothing of B comes back: object routes answer 404 and no response contains B's data.

New routes are picked up automatically. A route with a URL argument the walk does not know
fails the test until the argument is mapped below, so no view escapes the walk.
"""

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import (
    CstmAssignment,
    Invitation,
    Membership,
    Organisation,
    OrganisationDomain,
)
from accounts.roles import Role
from activities import services as activity_services
from activities.models import Activity, ActivityRequest, RequestCharge, Statement, WorkSession
from contracts.models import CancellationNotice, Contract, HourPack, LedgerEntry
from tests.conftest import Tenant, client_for
from tests.onboarding.library.objects import (
    deliverable_of,
    library_title,
    meeting_of,
    with_library,
)
from tests.onboarding.siem.charter.objects import (
    decision_of,
    siem_workshop_of,
    with_siem,
    workshop_title,
)
from tests.onboarding.siem.objects import with_workshop
from tests.onboarding.siem.objects import workshop_of as sized_workshop_of
from tests.onboarding.siem.objects import workshop_title as sized_workshop_title
from tests.onboarding.siem.projects.objects import (
    choice_of,
    deficiency_of,
    duty_of,
    notice_of,
    project_of,
    siem_title,
    with_siem_projects,
)

# No character that HTML escapes: the marker must match pages as well as JSON.
B_REQUEST_DETAILS = "Bravo kick-off agenda: confidential board phishing drill"


def with_activity(tenant_b: Tenant) -> Tenant:
    """B's completed kick-off with its work session, charge and statement (SPEC H7), made
    through the services as B's referent and CSTM would."""
    with scopes_disabled():
        kickoff = activity_services.request_create(
            organisation=tenant_b.organisation,
            activity=Activity.objects.get(is_kickoff=True),
            by=tenant_b.referent,
            details=B_REQUEST_DETAILS,
        )
        b_cstm = tenant_b.assignment.cstm
        activity_services.work_log(
            request=kickoff, worked_on=timezone.localdate(), minutes=50, by=b_cstm
        )
        activity_services.request_complete(request=kickoff, by=b_cstm)
    with_tickets(tenant_b)
    with_prerequisites(tenant_b)
    with_library(tenant_b)
    with_siem(tenant_b)
    with_siem_projects(tenant_b)
    with_workshop(tenant_b)
    return tenant_b


def with_prerequisites(tenant: Tenant) -> None:
    """The tenant's applied user list (one listed person), its light logo and its whitelisting
    confirmation (SPEC O2), made through the services as its referent would."""
    from django.core.files.base import ContentFile

    from onboarding.userlist import services as userlist_services

    domain = tenant.referent.email.split("@")[1]
    with scopes_disabled():
        upload = userlist_services.user_list_upload(
            organisation=tenant.organisation,
            upload=ContentFile(
                f"email,first_name,last_name\nlisted@{domain},Listed,Person\n".encode(),
                name="users.csv",
            ),
            by=tenant.referent,
        )
        userlist_services.user_list_apply(upload=upload, by=tenant.referent)
        userlist_services.logo_upload(
            organisation=tenant.organisation,
            variant="light",
            upload=ContentFile(
                f'<svg xmlns="http://www.w3.org/2000/svg"><title>{domain}</title></svg>'.encode(),
                name="logo.svg",
            ),
            by=tenant.referent,
        )
        userlist_services.whitelisting_confirm(
            organisation=tenant.organisation,
            by=tenant.referent,
            phishing_mail=True,
            awareness_mail=True,
            channel_mail=True,
            videos_play=True,
            note=f"whitelisting of {domain}",
        )


def _b_prerequisite(b: Tenant, name: str) -> int:
    return (
        _model("onboarding", name)
        .objects.with_scopes_disabled()
        .get(organisation=b.organisation)
        .pk
    )


B_TICKET_SUBJECT = "Bravo vault outage in the board portal"


def ticket_messages(domain: str) -> list[bytes]:
    """A referent's incident with a PDF attached (a ticket) and an end user's campaign request
    (held for triage with the customer's organisation, SPEC S3)."""
    return [
        (
            f"Authentication-Results: mx.walk.example; dmarc=pass header.from={domain}\r\n"
            f"From: referent@{domain}\r\nSubject: Errore: {B_TICKET_SUBJECT}\r\n"
            f"Message-ID: <walk-ticket@{domain}>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=W\r\n\r\n--W\r\n"
            "Content-Type: text/plain\r\n\r\nNon funziona.\r\n--W\r\n"
            "Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=log.pdf"
            "\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--W--\r\n"
        ).encode(),
        (
            f"Authentication-Results: mx.walk.example; dmarc=pass header.from={domain}\r\n"
            f"From: user@{domain}\r\nSubject: Campagna di Natale\r\n"
            f"Message-ID: <walk-held@{domain}>\r\nContent-Type: text/plain\r\n\r\nGrazie.\r\n"
        ).encode(),
    ]


def with_tickets(tenant: Tenant) -> None:
    from tickets import ingest as ticket_ingest
    from tickets.models import Mailbox

    domain = tenant.referent.email.split("@")[1]
    with scopes_disabled():
        mailbox, _created = Mailbox.objects.get_or_create(
            address="support@walk.example",
            defaults={
                "name": "Walk",
                "host": "127.0.0.1",
                "trusted_authserv_id": "mx.walk.example",
            },
        )
        for raw in ticket_messages(domain):
            ticket_ingest.ingest(mailbox, raw)


def _b_ticket(b: Tenant):
    from tickets.models import Ticket

    return Ticket.objects.with_scopes_disabled().get(organisation=b.organisation)


def _b_held(b: Tenant):
    from tickets.models import InboundMessage

    return InboundMessage.objects.with_scopes_disabled().get(
        organisation=b.organisation, outcome="held"
    )


def _b_attachment(b: Tenant):
    from tickets.models import Attachment

    return Attachment.objects.with_scopes_disabled().get(organisation=b.organisation)


def _b_outage(b: Tenant):
    from tickets.models import Outage

    ticket = _b_ticket(b)
    with scopes_disabled():
        outage = Outage.objects.filter(ticket=ticket).first()
        if outage is None:
            started = timezone.now() - timedelta(hours=2)
            outage = Outage.objects.create(
                organisation=b.organisation, ticket=ticket, service="Walk", started_at=started
            )
    return outage


def _model(app: str, name: str):
    from django.apps import apps

    return apps.get_model(app, name)


def _b_request(b: Tenant) -> ActivityRequest:
    return ActivityRequest.objects.with_scopes_disabled().get(organisation=b.organisation)


def _b_statement(b: Tenant) -> Statement:
    return Statement.objects.with_scopes_disabled().get(organisation=b.organisation)


def _b_session(b: Tenant) -> WorkSession:
    return WorkSession.objects.with_scopes_disabled().get(organisation=b.organisation)


def _b_plan(b: Tenant):
    """B's onboarding plan (issue 12), with training figures; made on first need."""
    from onboarding.models import OnboardingPlan, TrainingProgress
    from onboarding.plan import services as plan_services

    with scopes_disabled():
        plan = OnboardingPlan.objects.filter(organisation=b.organisation).first()
        if plan is None:
            Contract.objects.filter(pk=b.contract.pk).update(activated_at=timezone.now())
            plan = plan_services.plan_ensure(organisation=b.organisation)
            TrainingProgress.objects.create(
                organisation=b.organisation,
                plan=plan,
                module="Bravo phishing module",
                completed=1,
                total=4,
            )
        return plan


def _b_plan_step(b: Tenant):
    from onboarding.models import PlanStep

    return PlanStep.objects.with_scopes_disabled().get(plan=_b_plan(b), code="kickoff")


def _b_training(b: Tenant):
    from onboarding.models import TrainingProgress

    return TrainingProgress.objects.with_scopes_disabled().get(plan=_b_plan(b))


# Arguments that name an object of B: the route must answer 404 to A.
OBJECT_ARGUMENTS = {
    "organisation_id": lambda b: b.organisation.pk,
    "membership_id": lambda b: Membership.objects.with_scopes_disabled().get(user=b.referent).pk,
    "assignment_id": lambda b: b.assignment.pk,
    "invitation_id": lambda b: b.invitation.pk,
    # Django admin: every model's change/delete/history pages get B's organisation's id.
    "object_id": lambda b: b.organisation.pk,
    "content_type_id": lambda b: ContentType.objects.get_for_model(Organisation).pk,
    "id": lambda b: b.referent.pk,  # admin: a user's password page
    "token_id": lambda b: b.token.pk,
    "contract_id": lambda b: b.contract.pk,
    "licence_year_id": lambda b: b.entry.licence_year_id,
    "entry_id": lambda b: b.entry.pk,
    "request_id": lambda b: _b_request(b).pk,
    "statement_id": lambda b: _b_statement(b).pk,
    # The catalogue is the provider's, shared by every customer: an absent id must be a 404.
    "activity_id": lambda b: 999_999,
    "ticket_id": lambda b: _b_ticket(b).pk,
    "inbound_id": lambda b: _b_held(b).pk,
    "attachment_id": lambda b: _b_attachment(b).pk,
    "outage_id": lambda b: _b_outage(b).pk,
    # Canned responses and SLA policies are the provider's, shared: an absent id must be a 404.
    "canned_id": lambda b: 999_999,
    "policy_id": lambda b: 999_999,
    "upload_id": lambda b: _b_prerequisite(b, "UserListUpload"),
    "logo_id": lambda b: _b_prerequisite(b, "Logo"),
    "step_id": lambda b: _b_plan_step(b).pk,
    "meeting_id": lambda b: meeting_of(b).pk,
    "deliverable_id": lambda b: deliverable_of(b).pk,
    # Provider-wide documents are shared by every customer: an absent id must be a 404.
    "provider_document_id": lambda b: 999_999,
    "workshop_id": lambda b: siem_workshop_of(b).pk,
    "decision_id": lambda b: decision_of(b).pk,
    "project_id": lambda b: project_of(b).pk,
    "deficiency_id": lambda b: deficiency_of(b).pk,
    "duty_id": lambda b: duty_of(b).pk,
    "notice_id": lambda b: notice_of(b).pk,
    # The log-source catalogue is the provider's (admins only): an absent id must be a 404.
    "log_source_type_id": lambda b: 999_999,
}
# The API router names every object argument "pk": which object is told by the resource.
API_RESOURCES = {
    "organisations": lambda b: b.organisation.pk,
    "people": lambda b: Membership.objects.with_scopes_disabled().get(user=b.referent).pk,
    "cstm-assignments": lambda b: b.assignment.pk,
    "tokens": lambda b: b.token.pk,
    "contracts": lambda b: b.contract.pk,
    "licence-years": lambda b: b.entry.licence_year_id,
    "ledger-entries": lambda b: b.entry.pk,
    # Shared by every customer: no B-owned id exists; an absent id must still be a 404.
    "terms-documents": lambda b: 999_999,
    "activities": lambda b: 999_999,
    "activity-requests": lambda b: _b_request(b).pk,
    "work-sessions": lambda b: _b_session(b).pk,
    "statements": lambda b: _b_statement(b).pk,
    "tickets": lambda b: _b_ticket(b).pk,
    "held-messages": lambda b: _b_held(b).pk,
    # SLA policies are the provider's, shared: an absent id must still be a 404.
    "sla-policies": lambda b: 999_999,
    "user-list-uploads": lambda b: _b_prerequisite(b, "UserListUpload"),
    "listed-users": lambda b: _b_prerequisite(b, "ListedUser"),
    "logos": lambda b: _b_prerequisite(b, "Logo"),
    "whitelisting": lambda b: _b_prerequisite(b, "WhitelistingConfirmation"),
    "onboarding-plans": lambda b: _b_plan(b).pk,
    "plan-steps": lambda b: _b_plan_step(b).pk,
    "training-progress": lambda b: _b_training(b).pk,
    "meetings": lambda b: meeting_of(b).pk,
    "deliverables": lambda b: deliverable_of(b).pk,
    # Shared by every customer: no B-owned id exists; an absent id must still be a 404.
    "provider-documents": lambda b: 999_999,
    "siem-retention-decisions": lambda b: decision_of(b).pk,
    "siem-charters": lambda b: siem_workshop_of(b).pk,
    "siem-projects": lambda b: project_of(b).pk,
    "siem-deficiencies": lambda b: deficiency_of(b).pk,
    "siem-operations": lambda b: duty_of(b).pk,
    # The catalogue of dashboards is the provider's, shared: an absent id must be a 404.
    "siem-dashboard-offers": lambda b: 999_999,
    "siem-dashboard-choices": lambda b: choice_of(b).pk,
    "win-back": lambda b: notice_of(b).pk,
    "siem-workshops": lambda b: sized_workshop_of(b).pk,
    # The catalogue is the provider's, shared by every customer: an absent id must be a 404.
    "siem-log-source-types": lambda b: 999_999,
}
# Arguments that are credentials or names rather than ids: no 404 is owed, but still no B data.
OPAQUE_ARGUMENTS = {
    "token": lambda b: "not-a-real-token",
    "key": lambda b: "not-a-real-key",
    "uidb36": lambda b: "1",
    "app_label": lambda b: "accounts",
    "url": lambda b: "nothing-here/",
    "type": lambda b: "totp",
    # Terms documents are the provider's, the same for every customer: not B's data.
    "document_id": lambda b: 0,
    # The name of a transition of an activity request; the request id is the object.
    "transition": lambda b: "complete",
    # What to do with a plan step (complete, skip); the step id is the object.
    "action": lambda b: "complete",
}
# Admin routes redirect anyone but a provider admin to sign-in: also "never data".
ADMIN_PREFIX = "admin/"


def body_of(response) -> bytes:
    """The body of any response: exports stream theirs (StreamingHttpResponse, FileResponse),
    so the walk reads them to the end like a browser would."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def _walk(patterns, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def routes() -> list[str]:
    return sorted({route for route, _ in _walk(get_resolver().url_patterns)})


_ARG = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>|\(\?P<(?P<rname>\w+)>[^)]*\)")


def build_url(route: str, tenant_b: Tenant) -> tuple[str, bool]:
    """The concrete URL of a route filled with B's values, and whether it names B's objects."""
    names_object = False

    def fill(match: re.Match) -> str:
        nonlocal names_object
        name = match.group("name") or match.group("rname")
        if name == "pk":
            resource = route[: match.start()].rstrip("/").rsplit("/", 1)[-1].lstrip("^")
            if resource not in API_RESOURCES:
                pytest.fail(f"API route {route!r}: map the resource {resource!r} in API_RESOURCES.")
            names_object = True
            return str(API_RESOURCES[resource](tenant_b))
        if name in OBJECT_ARGUMENTS:
            names_object = True
            return str(OBJECT_ARGUMENTS[name](tenant_b))
        if name in OPAQUE_ARGUMENTS:
            return str(OPAQUE_ARGUMENTS[name](tenant_b))
        pytest.fail(
            f"Route {route!r} has the argument {name!r}, unknown to the tenant walk: map it here."
        )

    path = _ARG.sub(fill, route)
    path = path.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\", "")
    return "/" + path, names_object


def b_markers(tenant_b: Tenant) -> list[bytes]:
    return [
        tenant_b.organisation.name.encode(),
        tenant_b.referent.email.encode(),
        tenant_b.end_user.email.encode(),
        b"bravo-segreta.example",
        tenant_b.contract.number.encode(),
        b"Kick-off of Bravo",
        _b_statement(tenant_b).number.encode(),
        B_REQUEST_DETAILS.encode(),
        B_TICKET_SUBJECT.encode(),
        f"walk-held@{tenant_b.referent.email.split('@')[1]}".encode(),
        library_title(tenant_b).encode(),
        workshop_title(tenant_b).encode(),
        siem_title(tenant_b).encode(),
        sized_workshop_title(tenant_b).encode(),
    ]


def b_row_counts(tenant_b: Tenant) -> dict[str, int]:
    _b_plan(tenant_b)  # made before counting: the walk must not be what creates it
    with scopes_disabled():
        org = tenant_b.organisation
        return {
            "organisation": Organisation.objects.filter(
                pk=org.pk, name=org.name, is_active=True
            ).count(),
            "domains": OrganisationDomain.objects.filter(organisation=org).count(),
            "memberships": Membership.objects.filter(
                organisation=org, user__is_active=True
            ).count(),
            "pending_invitations": Invitation.objects.filter(
                organisation=org, revoked_at__isnull=True, accepted_at__isnull=True
            ).count(),
            "assignments": CstmAssignment.objects.filter(
                organisation=org, ends_on__isnull=True
            ).count(),
            "contracts": Contract.objects.filter(organisation=org, status="active").count(),
            "ledger": LedgerEntry.objects.filter(organisation=org).count(),
            "packs": HourPack.objects.filter(organisation=org).count(),
            "cancellations": CancellationNotice.objects.filter(organisation=org).count(),
            "completed_requests": ActivityRequest.objects.filter(
                organisation=org, status=ActivityRequest.Status.COMPLETED, details=B_REQUEST_DETAILS
            ).count(),
            "open_requests": ActivityRequest.objects.filter(
                organisation=org, status__in=ActivityRequest.OPEN_STATUSES
            ).count(),
            "work_sessions": WorkSession.objects.filter(organisation=org).count(),
            "plan_steps_closed": _model("onboarding", "PlanStep")
            .objects.filter(organisation=org, state__in=("done", "skipped"))
            .count(),
            "plan_go_live": _model("onboarding", "OnboardingPlan")
            .objects.filter(organisation=org, go_live_on__isnull=False)
            .count(),
            "training": _model("onboarding", "TrainingProgress")
            .objects.filter(organisation=org)
            .count(),
            "request_charges": RequestCharge.objects.filter(organisation=org).count(),
            "statements": Statement.objects.filter(organisation=org).count(),
            "tickets": _model("tickets", "Ticket").objects.filter(organisation=org).count(),
            "ticket_open": _model("tickets", "Ticket")
            .objects.filter(organisation=org, status="new")
            .count(),
            "ticket_messages": _model("tickets", "TicketMessage")
            .objects.filter(organisation=org)
            .count(),
            "held": _model("tickets", "InboundMessage")
            .objects.filter(organisation=org, outcome="held")
            .count(),
            "listed_users": _model("onboarding", "ListedUser")
            .objects.filter(organisation=org)
            .count(),
            "user_list_uploads": _model("onboarding", "UserListUpload")
            .objects.filter(organisation=org, status="applied")
            .count(),
            "meetings": _model("onboarding", "Meeting").objects.filter(organisation=org).count(),
            "deliverables": _model("onboarding", "Deliverable")
            .objects.filter(organisation=org)
            .count(),
            "siem_decisions": _model("onboarding", "RetentionDecision")
            .objects.filter(organisation=org)
            .count(),
            "siem_purpose": _model("onboarding", "SiemWorkshop")
            .objects.filter(organisation=org, purpose_recorded_at__isnull=True)
            .count(),
            "siem_projects": _model("onboarding", "SiemProject")
            .objects.filter(organisation=org, status="open")
            .count(),
            "deficiencies_open": _model("onboarding", "Deficiency")
            .objects.filter(organisation=org, status="open")
            .count(),
            "duties_customer_runs": _model("onboarding", "OperationsDuty")
            .objects.filter(organisation=org, customer="R")
            .count(),
            "duties": _model("onboarding", "OperationsDuty")
            .objects.filter(organisation=org)
            .count(),
            "dashboard_choices": _model("onboarding", "DashboardChoice")
            .objects.filter(organisation=org)
            .count(),
            "win_back_pending": CancellationNotice.objects.filter(
                organisation=org, outcome="pending"
            ).count(),
            "siem_workshops": _model("onboarding", "SiemWorkshop")
            .objects.filter(organisation=org, title=sized_workshop_title(tenant_b))
            .count(),
            "siem_sources": _model("onboarding", "SiemLogSource")
            .objects.filter(organisation=org)
            .count(),
        }


def test_the_walk_sees_the_routes_of_every_app():
    all_routes = routes()
    assert "organisations/<int:organisation_id>/" in all_routes
    assert any(r.startswith("accounts/") for r in all_routes)  # allauth
    assert any(r.startswith(ADMIN_PREFIX) for r in all_routes)
    assert any(r.startswith("api/v1/") and "(?P<pk>" in r for r in all_routes)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.REFERENT, Role.END_USER, Role.CSTM])
def test_no_route_gives_organisation_a_anything_of_organisation_b(role, tenant_a, tenant_b, cstm):
    """SPEC T1, T3: as A's referent, end user and CSTM, every route with B's ids."""
    user = {Role.REFERENT: tenant_a.referent, Role.END_USER: tenant_a.end_user, Role.CSTM: cstm}[
        role
    ]
    with_activity(tenant_b)
    markers = b_markers(tenant_b)
    before = b_row_counts(tenant_b)
    checked = 0
    for route in routes():
        url, names_object = build_url(route, tenant_b)
        for method in ("get", "post"):
            # A fresh session each time: the walk also POSTs to sign-out.
            client = client_for(user)
            response = getattr(client, method)(url)
            where = f"{method.upper()} {url} (route {route!r}) as {role}"
            assert response.status_code < 500, f"{where} crashed"
            body = body_of(response)
            for marker in markers:
                assert marker not in body, f"{where} shows B's data {marker!r}"
            if names_object:
                if route.startswith(ADMIN_PREFIX):
                    assert response.status_code == 302 and "/login/" in response["Location"], where
                else:
                    assert response.status_code in (404, 405), (
                        f"{where} answered {response.status_code}"
                    )
            checked += 1
    assert b_row_counts(tenant_b) == before, "a request of A changed B's data"
    assert checked > 60


@pytest.mark.django_db
def test_the_walk_reaches_b_for_b_itself(tenant_b):
    """The walk's URLs are real: B's own referent does get B's organisation page (so a 404 for A
    means isolation, not a wrong URL)."""
    with_activity(tenant_b)
    client = client_for(tenant_b.referent)
    url, _ = build_url("organisations/<int:organisation_id>/", tenant_b)
    response = client.get(url)
    assert response.status_code == 200
    assert tenant_b.organisation.name.encode() in response.content
    url, _ = build_url("activities/<int:request_id>/", tenant_b)
    assert B_REQUEST_DETAILS.encode() in client.get(url).content
    url, _ = build_url("statements/<int:statement_id>/pdf/", tenant_b)
    assert client.get(url).status_code == 200
    for resource, marker in (("activity-requests", B_REQUEST_DETAILS), ("statements", "ST-")):
        url, _ = build_url(f"api/v1/^{resource}/(?P<pk>[^/.]+)/$", tenant_b)
        response = client.get(url)
        assert response.status_code == 200 and marker in response.content.decode(), url


# --- SPEC T4: tokens authenticate the API only; staff need the second factor in this session ---

# What a staff session that skipped MFA may still reach: the MFA step itself and signing out.
MFA_STEP_ROUTES = {"accounts/2fa/reauthenticate/", "accounts/logout/"}


def _is_api(route: str) -> bool:
    return route.startswith("api/v1/")


@pytest.mark.django_db
def test_a_bearer_token_on_a_non_api_route_authenticates_nothing(admin_user, tenant_a, tenant_b):
    """SPEC T4: an admin's personal token (the strongest there is) on every route outside
    /api/v1/ gets exactly what an anonymous visitor gets (same status, same redirect), never a
    staff or tenant page, and writes nothing (the CSRF check stays on)."""
    from django.test import Client

    from accounts import services

    _token, secret = services.api_token_create(user=admin_user, name="walk")
    with_activity(tenant_b)
    markers = [*b_markers(tenant_b), tenant_a.organisation.name.encode()]
    before = b_row_counts(tenant_b)
    checked = 0
    for route in routes():
        if _is_api(route):
            continue
        url, _names_object = build_url(route, tenant_b)
        for method in ("get", "post"):
            anonymous = getattr(Client(enforce_csrf_checks=True), method)(url)
            with_token = getattr(Client(enforce_csrf_checks=True), method)(
                url, HTTP_AUTHORIZATION=f"Bearer {secret}"
            )
            where = f"{method.upper()} {url} (route {route!r}) with a Bearer token"
            assert with_token.status_code == anonymous.status_code, where
            assert with_token.get("Location") == anonymous.get("Location"), where
            for marker in markers:
                assert marker not in body_of(with_token), f"{where} shows {marker!r}"
            checked += 1
    assert b_row_counts(tenant_b) == before
    assert checked > 60


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.PROVIDER_ADMIN, Role.CSTM, Role.AGENT])
def test_no_staff_route_answers_a_session_that_skipped_mfa(
    role, admin_user, cstm, agent, tenant_a, tenant_b
):
    """SPEC T4: a staff session that passed the password only (Django admin's form did that)
    gets, on every route (pages, Django admin, API), a redirect to the MFA step or the sign-in,
    or a 401/403; only the MFA step and signing out answer."""
    user = {Role.PROVIDER_ADMIN: admin_user, Role.CSTM: cstm, Role.AGENT: agent}[role]
    with_activity(tenant_b)
    markers = [*b_markers(tenant_b), tenant_a.organisation.name.encode()]
    before = b_row_counts(tenant_b)
    allowed_redirects = ("/accounts/2fa/reauthenticate/", "/accounts/login/")
    checked = 0
    for route in routes():
        if route in MFA_STEP_ROUTES:
            continue
        url, _names_object = build_url(route, tenant_b)
        for method in ("get", "post"):
            client = client_for(user, mfa=False)
            response = getattr(client, method)(url)
            where = f"{method.upper()} {url} (route {route!r}) as {role} without MFA"
            if response.status_code == 302:
                assert response["Location"].startswith(allowed_redirects), (
                    f"{where} redirected to {response['Location']}"
                )
            else:
                assert response.status_code in (401, 403), (
                    f"{where} answered {response.status_code}"
                )
            for marker in markers:
                assert marker not in body_of(response), f"{where} shows {marker!r}"
            checked += 1
    assert b_row_counts(tenant_b) == before
    assert checked > 100
