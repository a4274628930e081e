"""Schemathesis against the live OpenAPI contract of /api/v1/, as every role (SPEC T1, T3).

For each role (provider admin, CSTM of A, L1 agent, referent of A, end user of A) the test starts
pytest-django's live server, loads the contract from ``/api/v1/schema/`` and, for every operation
in it, sends the cases schemathesis generates with the role's personal token:

- the schema's examples and the *coverage* cases (deterministic boundary and negative values of
  every parameter and body property, missing required fields, undeclared methods, wrong
  content types);
- ``MAX_EXAMPLES`` Hypothesis cases, valid and invalid, derandomized (same cases every run);
- the same again, fewer, for each ``{id}`` operation pinned to real objects of A and of B, so
  that detail routes answer with real data and A's users are shown to get 404 for B's objects.

Every response goes through schemathesis' checks (see ``CHECKS``) plus our own: a user scoped to
organisation A (its referent, its end user, its CSTM) never gets anything of organisation B in a
response, and gets 404 for B's objects. Failures are collected over the whole run and reported
together, grouped by operation and check, each with a curl line (token filtered) to reproduce.

Every HTTP request of the run is counted, the checks' own probes included, and summed up per
role on stdout and in ``test-artifacts/schemathesis-summary.txt``.
"""

import logging
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from urllib.parse import unquote

import hypothesis
import pytest
import requests
import schemathesis
from django.utils import timezone
from django_scopes import scopes_disabled
from hypothesis import HealthCheck, Phase
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.result import Err

# Schemathesis' per-operation test builder, as its pytest plugin uses it: the only way to get the
# coverage phase's cases as Hypothesis examples next to the fuzzed ones (version pinned by uv.lock).
from schemathesis.generation.hypothesis.builder import (
    HypothesisTestConfig,
    HypothesisTestMode,
    create_test,
)
from schemathesis.generation.overrides import Override
from schemathesis.specs.openapi.checks import ignored_auth

from accounts import services
from accounts.models import Membership
from activities import services as activity_services
from activities.models import Activity, Statement
from onboarding.models import LogSourceType
from tests.conftest import Tenant

ALL_ROLES = ("provider_admin", "cstm", "agent", "referent", "end_user")
# `make test` fuzzes the widest staff role and the widest customer role (about 3 minutes each);
# `make fuzz` runs every role. The cross-tenant walk covers every route for every scoped role.
ROLES = tuple(
    role
    for role in os.environ.get("FUZZ_ROLES", "provider_admin,referent").split(",")
    if role in ALL_ROLES
)
# Users whose scope is organisation A only: nothing of B may ever reach them.
SCOPED_TO_A = frozenset({"cstm", "referent", "end_user"})

# Generated cases per operation and role, on top of the coverage cases (every documented
# parameter's edge values), and per {id} operation, role and pinned object. `make test` keeps
# them small so the whole suite stays under 15 minutes; `make fuzz` runs the deep setting.
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
PINNED_MAX_EXAMPLES = int(os.environ.get("FUZZ_PINNED_EXAMPLES", "1"))

CHECKS = {
    # Enabled, as by default: not_a_server_error, status_code_conformance,
    # content_type_conformance, response_schema_conformance, response_headers_conformance,
    # negative_data_rejection, missing_required_header, ignored_auth, unsupported_method,
    # allow_header_conformance. use_after_free, ensure_resource_availability and
    # object_level_authorization stay enabled but only act on the stateful engine's scenarios
    # (this test sends single cases); the tenant checks below test object access directly.
    "positive_data_acceptance": {
        # Schema-valid input may still break a rule the schema cannot state: a name already in
        # use, an end user's address outside the customer's domains, an id that does not exist
        # (that one is a 404 anyway), a NUL byte. Such a request gets the documented 400 with
        # field errors, whose body response_schema_conformance validates. A generated
        # Idempotency-Key used again with another body is the documented 422 (SPEC L5). Every
        # other refusal of valid input (405, 406, 415, …) still fails the check.
        "expected-statuses": [
            "2xx",
            "3xx",
            "400",
            "401",
            "403",
            "404",
            "409",
            "422",
            "429",
            "5xx",
        ],
    },
    # max_response_time stays off: timings of a shared CI box would make the test flaky.
}


@dataclass
class Report:
    """What one role's run sent and what failed."""

    requests: int = 0
    skipped: int = 0
    showed_a: int = 0  # answers with organisation A's name: the run reached real data
    statuses: Counter = field(default_factory=Counter)
    failures: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def fail(self, operation: str, title: str, detail: str) -> None:
        self.failures.setdefault((operation, title), []).append(detail)

    @property
    def failure_count(self) -> int:
        return sum(len(details) for details in self.failures.values())


def b_markers(tenant_b: Tenant) -> list[str]:
    """Strings that only organisation B's data contains."""
    b_cstm = tenant_b.assignment.cstm  # assigned to B only
    return [
        tenant_b.organisation.name,
        tenant_b.referent.email,
        tenant_b.end_user.email,
        tenant_b.invitation.user.email,
        b_cstm.email,
        "bravo-segreta.example",
    ]


def completed_kickoff(tenant: Tenant) -> Statement:
    """The tenant's kick-off, logged by its CSTM and completed, so that it has a work session
    and a statement (SPEC O1, H7)."""
    kickoff = activity_services.request_create(
        organisation=tenant.organisation,
        activity=Activity.objects.get(is_kickoff=True),
        by=tenant.referent,
    )
    cstm = tenant.assignment.cstm
    activity_services.work_log(request=kickoff, worked_on=timezone.localdate(), minutes=50, by=cstm)
    activity_services.request_complete(request=kickoff, by=cstm)
    return Statement.objects.get(request=kickoff)


def _admin():
    """The provider admin of the run (the test asks for the ``admin_user`` fixture)."""
    memberships = Membership.objects.with_scopes_disabled()
    return memberships.filter(role="provider_admin").select_related("user").first().user


def pinned_objects(user, tenant_a: Tenant, tenant_b: Tenant) -> dict[str, dict[str, int]]:
    """Real ids for every ``{id}`` route, by resource: one of A (or the user's own) and B's."""
    with scopes_disabled():
        membership_a = Membership.objects.get(user=tenant_a.referent).pk
        membership_b = Membership.objects.get(user=tenant_b.referent).pk
        statement_a, statement_b = completed_kickoff(tenant_a), completed_kickoff(tenant_b)
        # An open request of A after its kick-off: its transitions and charge preview can succeed.
        open_a = activity_services.request_create(
            organisation=tenant_a.organisation,
            activity=Activity.objects.get(code="platform-support"),
            by=tenant_a.referent,
        )
        session_a, session_b = (
            statement.request.sessions.get().pk for statement in (statement_a, statement_b)
        )
        support = Activity.objects.get(code="platform-support").pk
        from tests.test_route_walk import with_tickets
        from tests.tickets.conftest import sla_policy
        from tickets.models import InboundMessage, Ticket

        with_tickets(tenant_a)
        with_tickets(tenant_b)
        ticket_a, ticket_b = (
            Ticket.objects.get(organisation=t.organisation).pk for t in (tenant_a, tenant_b)
        )
        held_a, held_b = (
            InboundMessage.objects.get(organisation=t.organisation, outcome="held").pk
            for t in (tenant_a, tenant_b)
        )
        policy = sla_policy(
            name="Incident normal",
            ticket_type="incident",
            priority="normal",
            first_response_minutes=60,
            resolution_minutes=480,
        )
        from onboarding.models import ListedUser, Logo, UserListUpload, WhitelistingConfirmation
        from tests.test_route_walk import with_prerequisites

        with_prerequisites(tenant_a)
        with_prerequisites(tenant_b)
        prerequisites = {
            resource: {
                key: model.objects.get(organisation=t.organisation).pk
                for key, t in (("A", tenant_a), ("B", tenant_b))
            }
            for resource, model in (
                ("user-list-uploads", UserListUpload),
                ("listed-users", ListedUser),
                ("logos", Logo),
                ("whitelisting", WhitelistingConfirmation),
            )
        }
    from tests.onboarding.library.objects import provider_document, with_library

    (meeting_a, deliverable_a), (meeting_b, deliverable_b) = (
        with_library(tenant_a),
        with_library(tenant_b),
    )
    manual = provider_document(_admin())
    from tests.onboarding.siem.objects import with_workshop

    sized_a, sized_b = with_workshop(tenant_a), with_workshop(tenant_b)
    with scopes_disabled():
        firewall = LogSourceType.objects.get(name="Firewall").pk
    spare, _secret = services.api_token_create(user=user, name="spare, to be revoked")
    from tests.onboarding.siem.projects import objects as siem

    siem.with_siem_projects(tenant_a)
    siem.with_siem_projects(tenant_b)
    with scopes_disabled():
        siem_ids = {
            resource: {key: get(t).pk for key, t in (("A", tenant_a), ("B", tenant_b))}
            for resource, get in (
                ("siem-projects", siem.project_of),
                ("siem-deficiencies", siem.deficiency_of),
                ("siem-operations", siem.duty_of),
                ("siem-dashboard-choices", siem.choice_of),
                ("win-back", siem.notice_of),
            )
        }
    from tests.test_route_walk import _b_plan, _b_plan_step, _b_training

    plan_a, plan_b = _b_plan(tenant_a), _b_plan(tenant_b)
    step_a, step_b = _b_plan_step(tenant_a), _b_plan_step(tenant_b)
    training_a, training_b = _b_training(tenant_a), _b_training(tenant_b)
    from tests.onboarding.siem.charter.objects import with_siem

    (workshop_a, decision_a), (workshop_b, decision_b) = with_siem(tenant_a), with_siem(tenant_b)
    return {
        **prerequisites,
        **siem_ids,
        # The catalogue of dashboards is the provider's, shared by every customer: none is B's.
        "siem-dashboard-offers": {"A": siem.offer().pk, "B": 999_998},
        "organisations": {"A": tenant_a.organisation.pk, "B": tenant_b.organisation.pk},
        "people": {"A": membership_a, "B": membership_b},
        "cstm-assignments": {"A": tenant_a.assignment.pk, "B": tenant_b.assignment.pk},
        "tokens": {"A": spare.pk, "B": tenant_b.token.pk},
        "contracts": {"A": tenant_a.contract.pk, "B": tenant_b.contract.pk},
        "licence-years": {"A": tenant_a.entry.licence_year_id, "B": tenant_b.entry.licence_year_id},
        "ledger-entries": {"A": tenant_a.entry.pk, "B": tenant_b.entry.pk},
        # Terms documents are the provider's, shared by every customer; none is published here
        # (a published one would hold the referent at the acceptance gate), so both ids are absent.
        "terms-documents": {"A": 999_999, "B": 999_998},
        # The catalogue is the provider's, shared by every customer: no activity is B's.
        "activities": {"A": support, "B": 999_998},
        "activity-requests": {"A": open_a.pk, "B": statement_b.request_id},
        "work-sessions": {"A": session_a, "B": session_b},
        "statements": {"A": statement_a.pk, "B": statement_b.pk},
        "tickets": {"A": ticket_a, "B": ticket_b},
        "held-messages": {"A": held_a, "B": held_b},
        # SLA policies are the provider's, shared by every customer: none is B's.
        "sla-policies": {"A": policy.pk, "B": 999_998},
        "onboarding-plans": {"A": plan_a.pk, "B": plan_b.pk},
        "plan-steps": {"A": step_a.pk, "B": step_b.pk},
        "training-progress": {"A": training_a.pk, "B": training_b.pk},
        "meetings": {"A": meeting_a.pk, "B": meeting_b.pk},
        "deliverables": {"A": deliverable_a.pk, "B": deliverable_b.pk},
        # Provider-wide documents are shared by every customer: none is B's.
        "provider-documents": {"A": manual.pk, "B": 999_998},
        "siem-charters": {"A": workshop_a.pk, "B": workshop_b.pk},
        "siem-retention-decisions": {"A": decision_a.pk, "B": decision_b.pk},
        "siem-workshops": {"A": sized_a.pk, "B": sized_b.pk},
        # The log-source catalogue is the provider's, shared by every customer: none is B's.
        "siem-log-source-types": {"A": firewall, "B": 999_998},
    }


def resource_of(path: str) -> str:
    """``/api/v1/people/{id}/`` → ``people``."""
    return path.removeprefix("/api/v1/").split("/", 1)[0]


def tenant_checks(role: str, tenant_b: Tenant, b_ids: dict[str, int]) -> list:
    markers = [m.lower() for m in b_markers(tenant_b)]

    def no_data_of_organisation_b(ctx, response, case) -> None:
        """SPEC T1: nothing of organisation B in what a user of A gets back."""
        # Not response.text: a statement's PDF is binary (markers are searched as bytes would be).
        text = response.content.decode("utf-8", errors="replace")
        received = text.lower() + "\n" + repr(dict(response.headers)).lower()
        request = response.request
        body = request.body or ""
        if isinstance(body, bytes):
            body = body.decode(errors="replace")
        sent = (unquote(request.url) + "\n" + body).lower()
        # A value the request itself carried and the answer echoes is no leak.
        leaked = [m for m in markers if m in received and m not in sent]
        assert not leaked, f"The response shows organisation B's data: {leaked}"

    def foreign_object_is_not_found(ctx, response, case) -> None:
        """SPEC T1: B's object is a 404 for a user of A, whatever the method."""
        resource = resource_of(case.operation.path)
        if "id" in (case.path_parameters or {}) and str(case.path_parameters["id"]) == str(
            b_ids.get(resource)
        ):
            assert response.status_code in (404, 405), (
                f"{case.method} of organisation B's {resource} object answered "
                f"{response.status_code}, not 404"
            )

    return [no_data_of_organisation_b, foreign_object_is_not_found] if role in SCOPED_TO_A else []


def ignored_auth_once_per_operation(confirmed: set[str]):
    """Schemathesis' ``ignored_auth`` as its engine runs it: once an operation has refused a
    request without credentials and one with invalid credentials (401), later successes of the
    operation are not probed again. ``Case.validate_response`` alone would re-probe after every
    2xx, tripling the requests for nothing."""

    def ignored_auth_per_operation(ctx, response, case):
        ctx.auth_enforced_operations = confirmed
        return ignored_auth(ctx, response, case)

    return ignored_auth_per_operation


def count_requests(monkeypatch, report: Report, a_name: str) -> None:
    """Count every HTTP request of the run, the checks' own probes included."""
    send = requests.Session.send

    def counting_send(self, request, **kwargs):
        response = send(self, request, **kwargs)
        report.requests += 1
        report.statuses[response.status_code] += 1
        report.showed_a += a_name in response.text
        return response

    monkeypatch.setattr(requests.Session, "send", counting_send)


def hypothesis_settings(max_examples: int) -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=max_examples,
        derandomize=True,  # the same cases every run: a failure is reproducible, never flaky
        database=None,
        deadline=None,
        # Failures are collected, not raised, so there is nothing to shrink.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=hypothesis.Verbosity.quiet,
    )


def run_operation(
    operation,
    *,
    session: requests.Session,
    headers: dict[str, str],
    report: Report,
    extra_checks: list,
    max_examples: int,
    skip=lambda case: False,
    override: Override | None = None,
) -> None:
    def send(case) -> None:
        if skip(case):
            report.skipped += 1
            return
        try:
            case.call_and_validate(
                session=session,
                headers=headers,
                additional_checks=extra_checks,
                excluded_checks=[ignored_auth],  # run once per operation by extra_checks
            )
        except FailureGroup as group:
            curl = case.as_curl_command(headers=headers)  # the token is filtered out
            for failure in group.exceptions:
                report.fail(
                    operation.label, failure.title, f"{failure.message.strip()}\n    {curl}"
                )
        except requests.RequestException as exc:
            report.fail(operation.label, "Request failed", f"{exc!r}")

    test = create_test(
        operation=operation,
        test_func=send,
        config=HypothesisTestConfig(
            project=operation.schema.config,
            modes=[
                HypothesisTestMode.EXAMPLES,
                HypothesisTestMode.COVERAGE,
                HypothesisTestMode.FUZZING,
            ],
            settings=hypothesis_settings(max_examples),
            override=override or Override(),
        ),
    )
    test()


def write_summary(role: str, line: str) -> None:
    path = Path(os.environ.get("TEST_ARTIFACTS", "test-artifacts")) / "schemathesis-summary.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = path.read_text().splitlines() if path.exists() else []
    lines = [existing for existing in lines if f" role={role} " not in existing]
    lines.append(line)
    path.write_text("\n".join(sorted(lines)) + "\n")


@pytest.mark.django_db(transaction=True)  # the live server's thread must see the test's data
@pytest.mark.parametrize("role", ROLES)
def test_api_conforms_to_its_contract_for_every_role(
    role, live_server, monkeypatch, capsys, request, admin_user, cstm, agent, tenant_a, tenant_b
):
    # A role sends a couple of thousand requests within a minute or two with one token: the
    # production limit (600/min per token) would answer 429 and stop the run from exercising
    # anything. The throttle still runs on every request, with a ceiling it never reaches.
    from csm_portal.api_auth import TokenRateThrottle

    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"api": "100000/min"})
    # The live server writes headers and body in separate small packets; with Nagle's algorithm
    # each answer then waits for the client's delayed ACK (~40 ms): 4x the run time.
    from django.test.testcases import QuietWSGIRequestHandler

    monkeypatch.setattr(QuietWSGIRequestHandler, "disable_nagle_algorithm", True)
    # One warning line per 4xx would bury a failure's report; errors (tracebacks) still show.
    request_log = logging.getLogger("django.request")
    request.addfinalizer(lambda level=request_log.level: request_log.setLevel(level))
    request_log.setLevel(logging.ERROR)

    user = {
        "provider_admin": admin_user,
        "cstm": cstm,
        "agent": agent,
        "referent": tenant_a.referent,
        "end_user": tenant_a.end_user,
    }[role]
    token, secret = services.api_token_create(user=user, name="schemathesis")
    headers = {"Authorization": f"Bearer {secret}"}
    objects = pinned_objects(user, tenant_a, tenant_b)
    b_ids = {resource: ids["B"] for resource, ids in objects.items()}

    def revokes_own_token(case) -> bool:
        # Revoking the token the run signs in with would turn everything after it into 401s.
        return (
            case.method == "DELETE"
            and resource_of(case.operation.path) == "tokens"
            and str(case.path_parameters.get("id")) == str(token.pk)
        )

    def skip_pinned(case) -> bool:
        # With the id pinned, a case generated to carry an invalid id carries a valid one: its
        # invalid id was sent by the unpinned run already.
        return revokes_own_token(case) or (
            case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH)
        )

    config = schemathesis.Config.from_dict(
        {
            "generation": {"mode": "all", "deterministic": True, "database": "none"},
            "checks": CHECKS,
        }
    )
    schema = schemathesis.openapi.from_url(live_server.url + "/api/v1/schema/", config=config)
    report = Report()
    count_requests(monkeypatch, report, tenant_a.organisation.name)
    session = requests.Session()
    # Each case stands alone: no cookie of one answer rides along with the next request.
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    extra_checks = [
        ignored_auth_once_per_operation(set()),
        *tenant_checks(role, tenant_b, b_ids),
    ]
    started = time.monotonic()
    operations = 0
    for result in schema.get_all_operations():
        if isinstance(result, Err):  # an operation the contract cannot describe
            report.fail("schema", "Invalid operation", str(result.err()))
            continue
        operation = result.ok()
        operations += 1
        kwargs = {
            "session": session,
            "headers": headers,
            "report": report,
            "extra_checks": extra_checks,
            "skip": revokes_own_token,
        }
        run_operation(operation, max_examples=MAX_EXAMPLES, **kwargs)
        if "{id}" in operation.path:
            resource = resource_of(operation.path)
            assert resource in objects, f"{operation.label}: map {resource!r} in pinned_objects"
            for pk in objects[resource].values():
                override = Override(path_parameters={"id": str(pk)})
                run_operation(
                    operation,
                    max_examples=PINNED_MAX_EXAMPLES,
                    override=override,
                    **{**kwargs, "skip": skip_pinned},
                )
    elapsed = time.monotonic() - started

    line = (
        f"schemathesis role={role} requests={report.requests} failures={report.failure_count} "
        f"operations={operations} skipped={report.skipped} seconds={elapsed:.0f} "
        f"statuses={dict(sorted(report.statuses.items()))} "
        f"at={datetime.now().isoformat(timespec='seconds')}"
    )
    with capsys.disabled():
        print(f"\n{line}")
    write_summary(role, line)

    assert operations >= 15, "the contract lost operations"
    assert report.requests > 40 * operations, "too few requests to mean anything"
    assert report.showed_a, "no answer showed organisation A's data: nothing real was tested"
    if report.failures:
        lines = [f"{report.failure_count} failed checks as {role}:"]
        for (operation, title), details in sorted(report.failures.items()):
            lines.append(f"\n{operation}: {title} (x{len(details)}), first:\n  {details[0]}")
        pytest.fail("\n".join(lines)[:20000], pytrace=False)
