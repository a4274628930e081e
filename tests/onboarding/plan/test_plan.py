"""The shared onboarding plan (SPEC O1, C3, C4, L1, L4): services, pages, API and attacks."""

import json
from datetime import timedelta

import time_machine
from django.core import mail
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import Organisation
from accounts.roles import Role
from onboarding import steps as codes
from onboarding.models import Meeting, OnboardingPlan, PlanStep, PlanWarning
from onboarding.plan import services
from tests.activities.conftest import complete, log, once, requested
from tests.conftest import client_for
from tests.factories import person
from tests.onboarding.plan.conftest import accept_terms, activate, plan_of, publish_terms


def step(tenant, code, year=0) -> PlanStep:
    with scopes_disabled():
        return PlanStep.objects.get(plan__organisation=tenant.organisation, code=code, year=year)


def api(user):
    client = client_for(user)
    return client


# --------------------------------------------------------------------------- the plan (O1, C3)


def test_o1_activated_contract_gets_a_plan_with_the_sequence_and_target_one_month_later(
    tenant_a,
):
    """C3: the plan starts on the day of the activation e-mail, its target a month later; the
    O1 steps in order with owners; derived steps closed; one SAL review per licence year, each
    with a planned SAL meeting at mid-year."""
    activate(tenant_a, days_ago=3)
    publish_terms()
    plan = plan_of(tenant_a)
    started = timezone.localdate(tenant_a.contract.activated_at)
    assert plan.started_on == started
    assert plan.target_go_live_on.month != started.month
    with scopes_disabled():
        steps = list(plan.steps.order_by("position"))
        codes_in_order = [s.code for s in steps]
        assert codes_in_order[:8] == list(codes.SEQUENCE[:8])
        sal = [s for s in steps if s.code == codes.SAL]
        assert len(sal) == tenant_a.contract.licence_years.count() == 3
        assert all(s.meeting.kind == Meeting.Kind.SAL for s in sal)
        year1 = tenant_a.contract.licence_years.get(index=1)
        assert year1.starts_on < sal[0].due_on < year1.ends_on
        assert steps[0].state == "done" and steps[0].closed_at == tenant_a.contract.activated_at
        assert steps[1].state == "in_progress"  # terms pending: the current step
    again = plan_of(tenant_a)
    assert again.pk == plan.pk
    with scopes_disabled():
        assert OnboardingPlan.objects.count() == 1


def test_l4_plan_step_complete_is_idempotent_and_moves_the_plan_on(planned_a, cstm):
    """step_done twice closes once: the first closer and time stay; the next step is current."""
    with scopes_disabled():
        first = services.plan_step_complete(
            organisation=planned_a.organisation, code=codes.KICKOFF, by=cstm
        )
        closed_at = first.closed_at
        second = services.plan_step_complete(
            organisation=planned_a.organisation, code=codes.KICKOFF, by=planned_a.referent
        )
    assert second.pk == first.pk and second.closed_by == cstm and second.closed_at == closed_at
    assert step(planned_a, codes.LOGOS).state == "in_progress"


def test_c4_no_step_after_the_terms_closes_while_terms_are_pending(tenant_a, cstm):
    activate(tenant_a)
    publish_terms()
    plan_of(tenant_a)
    with scopes_disabled():
        try:
            services.plan_step_complete(
                organisation=tenant_a.organisation, code=codes.KICKOFF, by=cstm
            )
        except Exception as error:  # noqa: BLE001
            assert "terms" in str(error)
        else:
            raise AssertionError("the kick-off step closed while the terms were pending")
    assert step(tenant_a, codes.KICKOFF).state != "done"


# --------------------------------------------------------------------------- terms gate (C4)


def test_c4_cstm_cannot_log_time_on_the_kickoff_before_acceptance_portal(tenant_a, cstm):
    """Portal: the log form refuses the kick-off while the terms are pending (nothing charged);
    once the referent accepts, the same form logs the time."""
    publish_terms()
    kickoff = requested(tenant_a, "kickoff")
    client = client_for(cstm)
    data = once({"worked_on": timezone.localdate().isoformat(), "minutes": "50"})
    response = client.post(f"/activities/{kickoff.pk}/log/", data)
    assert response.status_code == 200
    assert "non ha ancora accettato le condizioni" in response.content.decode()  # in Italian
    with scopes_disabled():
        assert not kickoff.sessions.exists()
    accept_terms(tenant_a)
    data = once({"worked_on": timezone.localdate().isoformat(), "minutes": "50"})
    response = client.post(f"/activities/{kickoff.pk}/log/", data)
    assert response.status_code == 302
    with scopes_disabled():
        assert kickoff.sessions.count() == 1


def test_c4_cstm_cannot_schedule_log_or_complete_the_kickoff_before_acceptance_api(tenant_a, cstm):
    """API: schedule and log time on the kick-off are refused (400) while terms are pending;
    after acceptance both work."""
    publish_terms()
    kickoff = requested(tenant_a, "kickoff")
    client = client_for(cstm)
    today = timezone.localdate().isoformat()
    refused = client.post(
        f"/api/v1/activity-requests/{kickoff.pk}/schedule/",
        {"scheduled_on": today},
        content_type="application/json",
    )
    assert refused.status_code == 400, refused.content
    refused = client.post(
        f"/api/v1/activity-requests/{kickoff.pk}/log/",
        {"worked_on": today, "minutes": 50},
        content_type="application/json",
    )
    assert refused.status_code in (400, 404), refused.content
    with scopes_disabled():
        assert not kickoff.sessions.exists()
    accept_terms(tenant_a)
    done = client.post(
        f"/api/v1/activity-requests/{kickoff.pk}/schedule/",
        {"scheduled_on": today},
        content_type="application/json",
    )
    assert done.status_code == 200, done.content


# --------------------------------------------------------------------------- go-live


def test_go_live_before_the_kickoff_is_bad_input_and_nothing_is_written(planned_a, cstm):
    client = client_for(cstm)
    url = f"/onboarding/plan/{planned_a.organisation.pk}/go-live/"
    response = client.post(url, {"go_live_on": timezone.localdate().isoformat()})
    assert response.status_code == 200
    assert "kick-off" in response.content.decode().lower()
    with scopes_disabled():
        assert OnboardingPlan.objects.get().go_live_on is None
    kickoff = requested(planned_a, "kickoff")
    log(kickoff, cstm, 50)
    complete(kickoff, cstm)
    response = client.post(
        url, {"go_live_on": (timezone.localdate() - timedelta(days=1)).isoformat()}
    )
    assert response.status_code == 200
    with scopes_disabled():
        assert OnboardingPlan.objects.get().go_live_on is None
    late = timezone.localdate() + timedelta(days=60)
    response = client.post(url, {"go_live_on": late.isoformat()})
    assert response.status_code == 302
    with scopes_disabled():
        plan = OnboardingPlan.objects.get()
        assert plan.go_live_on == late
        assert (
            plan.releases.filter(needs_decision=False).order_by("position").first().starts_on
            == late
        )
        assert all(
            r.ends_on < plan.contract.expires_on for r in plan.releases.filter(needs_decision=False)
        )
    page = client.get(f"/onboarding/plan/{planned_a.organisation.pk}/releases/")
    assert "target" in page.content.decode() or "obiettivo" in page.content.decode()


def test_go_live_communication_downloads_in_the_organisation_language(planned_a):
    response = client_for(planned_a.referent).get(
        f"/onboarding/plan/{planned_a.organisation.pk}/go-live/communication/"
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    body = response.content.decode()
    assert planned_a.organisation.name in body and "http" in body


# --------------------------------------------------------------------------- pages and attacks


def test_o1_referent_sees_the_current_step_and_whats_next(planned_a):
    page = client_for(planned_a.referent).get("/onboarding/plan/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'aria-current="step"' in html and 'data-testid="next-sentence"' in html
    assert 'data-testid="step-kickoff" data-state="in_progress" aria-current="step"' in html


def test_attack_another_tenants_plan_and_step_are_404(planned_a, tenant_b):
    activate(tenant_b)
    plan_of(tenant_b)
    b_step = step(tenant_b, codes.KICKOFF)
    for user in (planned_a.referent, planned_a.assignment.cstm):
        client = client_for(user)
        assert client.get(f"/onboarding/plan/{tenant_b.organisation.pk}/").status_code == 404
        assert client.post(f"/onboarding/plan/steps/{b_step.pk}/complete/").status_code == 404
        assert client.get(f"/api/v1/plan-steps/{b_step.pk}/").status_code == 404
        assert (
            client.post(
                f"/api/v1/plan-steps/{b_step.pk}/complete/", {}, content_type="application/json"
            ).status_code
            == 404
        )
    assert step(tenant_b, codes.KICKOFF).state != "done"


def test_attack_referent_cannot_close_provider_steps(planned_a):
    client = client_for(planned_a.referent)
    kickoff = step(planned_a, codes.KICKOFF)
    assert client.post(f"/onboarding/plan/steps/{kickoff.pk}/complete/").status_code == 403
    api_answer = client.post(
        f"/api/v1/plan-steps/{kickoff.pk}/complete/", {}, content_type="application/json"
    )
    assert api_answer.status_code == 403
    assert step(planned_a, codes.KICKOFF).state != "done"
    logos = step(planned_a, codes.LOGOS)
    ok = client.post(
        f"/api/v1/plan-steps/{logos.pk}/complete/", {}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["state"] == "done"


def test_attack_end_user_sees_nothing(planned_a):
    client = client_for(planned_a.end_user)
    plan_id = OnboardingPlan.objects.with_scopes_disabled().get().pk
    assert client.get("/onboarding/plan/").status_code == 404
    assert client.get(f"/onboarding/plan/{planned_a.organisation.pk}/").status_code == 404
    assert client.get(f"/api/v1/onboarding-plans/{plan_id}/").status_code == 404
    assert client.get("/api/v1/plan-steps/").status_code == 404


def test_c5_read_only_customer_sees_the_plan_but_cannot_write(planned_a):
    with scopes_disabled():
        Organisation.objects.filter(pk=planned_a.organisation.pk).update(
            access=Organisation.Access.READ_ONLY
        )
    client = client_for(planned_a.referent)
    assert client.get("/onboarding/plan/").status_code == 200
    logos = step(planned_a, codes.LOGOS)
    answer = client.post(
        f"/api/v1/plan-steps/{logos.pk}/complete/", {}, content_type="application/json"
    )
    assert answer.status_code == 400
    assert step(planned_a, codes.LOGOS).state != "done"


def test_l4_double_submit_of_a_step_completion_closes_once(planned_a, cstm):
    client = client_for(cstm)
    kickoff = step(planned_a, codes.KICKOFF)
    first = client.post(
        f"/api/v1/plan-steps/{kickoff.pk}/complete/", {}, content_type="application/json"
    )
    closed_at = step(planned_a, codes.KICKOFF).closed_at
    second = client.post(
        f"/api/v1/plan-steps/{kickoff.pk}/complete/", {}, content_type="application/json"
    )
    assert first.status_code == second.status_code == 200
    assert step(planned_a, codes.KICKOFF).closed_at == closed_at
    page = client.post(f"/onboarding/plan/steps/{kickoff.pk}/complete/")
    assert page.status_code == 302 and step(planned_a, codes.KICKOFF).closed_at == closed_at


def test_cstm_closes_a_step_and_the_plan_moves_on(planned_a, cstm):
    client = client_for(cstm)
    kickoff = step(planned_a, codes.KICKOFF)
    assert client.post(f"/onboarding/plan/steps/{kickoff.pk}/complete/").status_code == 302
    assert step(planned_a, codes.KICKOFF).closed_by == cstm
    assert step(planned_a, codes.LOGOS).state == "in_progress"
    skip = client.post(
        f"/onboarding/plan/steps/{step(planned_a, codes.LOGOS).pk}/skip/", {"note": ""}
    )
    assert skip.status_code == 302 and step(planned_a, codes.LOGOS).state != "skipped"


def test_log_time_link_opens_the_log_form_of_the_steps_request(planned_a, cstm):
    kickoff = requested(planned_a, "kickoff")
    html = client_for(cstm).get(f"/onboarding/plan/{planned_a.organisation.pk}/").content.decode()
    assert f'href="/activities/{kickoff.pk}/log/" data-testid="log-kickoff"' in html


def test_api_plans_release_plan_and_training(planned_a, cstm):
    client = client_for(cstm)
    plans = client.get("/api/v1/onboarding-plans/").json()
    plan_id = plans["results"][0]["id"]
    releases = client.get(f"/api/v1/onboarding-plans/{plan_id}/release-plan/").json()
    assert releases["items"] and releases["explanation"]
    created = client.post(
        "/api/v1/training-progress/",
        json.dumps({"plan": plan_id, "module": "Phishing 101", "completed": 3, "total": 10}),
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    bad = client.post(
        "/api/v1/training-progress/",
        json.dumps({"plan": plan_id, "module": "X", "completed": 11, "total": 10}),
        content_type="application/json",
    )
    assert bad.status_code == 400
    referent = client_for(planned_a.referent)
    assert referent.get(f"/api/v1/onboarding-plans/{plan_id}/").status_code == 200
    assert (
        referent.post(
            "/api/v1/training-progress/",
            json.dumps({"plan": plan_id, "module": "Y", "completed": 1, "total": 10}),
            content_type="application/json",
        ).status_code
        == 403
    )


# --------------------------------------------------------------------------- daily job (L1)


def test_l1_daily_job_flags_plans_over_a_month_and_warns_the_cstm_once(
    planned_a, django_capture_on_commit_callbacks
):
    """Time travel past the target: the plan is flagged on the CSTM's list and one mail goes to
    the CSTM, however many times the job runs."""
    with scopes_disabled():
        target = OnboardingPlan.objects.get().target_go_live_on
    services.plans_run_daily(today=target)
    with scopes_disabled():
        assert not PlanWarning.objects.exists()
    later = target + timedelta(days=2)
    with time_machine.travel(
        timezone.make_aware(timezone.datetime.combine(later, timezone.datetime.min.time()))
        + timedelta(hours=12)
    ):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            first = services.plans_run_daily()
            second = services.plans_run_daily()
        assert first.warnings_sent == 1 and second.warnings_sent == 0
        with scopes_disabled():
            assert PlanWarning.objects.count() == 1
        cstm = planned_a.assignment.cstm
        html = client_for(cstm).get("/onboarding/plan/").content.decode()
        assert 'data-testid="flag-over-a-month"' in html
    assert len([m for m in mail.outbox if cstm.email in m.to]) == 1


def test_l1_daily_job_creates_missing_plans(tenant_a):
    activate(tenant_a)
    report = services.plans_run_daily()
    assert report.plans_created == 1
    assert services.plans_run_daily().plans_created == 0


def test_training_progress_suggests_repositioning_when_slow_at_mid_term(planned_a, cstm):
    with scopes_disabled():
        plan = OnboardingPlan.objects.get()
        sal = plan.steps.filter(code=codes.SAL).order_by("due_on").first()
        services.training_progress_record(
            plan=plan, module="Phishing", completed=2, total=10, by=cstm
        )
    when = timezone.make_aware(
        timezone.datetime.combine(sal.due_on, timezone.datetime.min.time())
    ) + timedelta(hours=12)
    with time_machine.travel(when):
        html = (
            client_for(cstm).get(f"/onboarding/plan/{planned_a.organisation.pk}/").content.decode()
        )
    assert 'data-testid="training-slow"' in html


def test_staff_person_role_list(planned_a, provider_org):
    admin = person(provider_org, Role.PROVIDER_ADMIN)
    assert client_for(admin).get("/onboarding/plan/").status_code == 200


def test_go_live_checklist_derives_from_steps_and_staff_tick_manual_items(planned_a, cstm):
    """Derived items follow the steps; manual ones are ticked by staff only."""
    client = client_for(cstm)
    url = f"/onboarding/plan/{planned_a.organisation.pk}/go-live/checklist/"
    assert client.post(url, {"item": "communication_sent", "ticked": "on"}).status_code == 302
    with scopes_disabled():
        services.plan_step_complete(
            organisation=planned_a.organisation, code=codes.KICKOFF, by=cstm
        )
        services.plan_step_complete(organisation=planned_a.organisation, code=codes.LOGOS, by=cstm)
        assert "communication_sent" in OnboardingPlan.objects.get().checklist
    html = client.get(f"/onboarding/plan/{planned_a.organisation.pk}/go-live/").content.decode()
    assert 'data-testid="check-logos">✔' in html
    assert 'data-testid="check-user_list">○' in html
    referent = client_for(planned_a.referent)
    assert referent.post(url, {"item": "training_plan_agreed", "ticked": "on"}).status_code == 404


def test_api_staff_update_step_go_live_and_recompute(planned_a, cstm):
    client = client_for(cstm)
    logos = step(planned_a, codes.LOGOS)
    blocked = client.patch(
        f"/api/v1/plan-steps/{logos.pk}/",
        {"blocked_reason": "Waiting for the marketing team"},
        content_type="application/json",
    )
    assert blocked.status_code == 200 and blocked.json()["state"] == "blocked"
    plan_id = OnboardingPlan.objects.with_scopes_disabled().get().pk
    early = client.post(
        f"/api/v1/onboarding-plans/{plan_id}/go-live/",
        {"go_live_on": timezone.localdate().isoformat()},
        content_type="application/json",
    )
    assert early.status_code == 400  # the kick-off is not done
    with scopes_disabled():
        services.plan_step_complete(
            organisation=planned_a.organisation, code=codes.KICKOFF, by=cstm
        )
    late = timezone.localdate() + timedelta(days=90)
    ok = client.post(
        f"/api/v1/onboarding-plans/{plan_id}/go-live/",
        {"go_live_on": late.isoformat()},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["go_live_on"] == late.isoformat()
    again = client.post(f"/api/v1/onboarding-plans/{plan_id}/recompute/")
    assert again.status_code == 200
    assert again.json()["items"][0]["starts_on"] == late.isoformat()
    referent = client_for(planned_a.referent)
    assert (
        referent.patch(
            f"/api/v1/plan-steps/{logos.pk}/",
            {"blocked_reason": ""},
            content_type="application/json",
        ).status_code
        == 403
    )
    assert referent.post(f"/api/v1/onboarding-plans/{plan_id}/recompute/").status_code == 403


def test_plan_list_shows_every_plan_in_scope_in_a_constant_number_of_queries(
    planned_a, cstm, django_assert_num_queries
):
    """The CSTM's list: their organisations' plans (made on first need), never another CSTM's."""
    client = client_for(cstm)
    client.get("/onboarding/plan/")  # warm the session
    with django_assert_num_queries(7):
        # user, membership (tenancy), CSTM assignments, staff authenticator (MFA) (the session
        # comes from the cache: cached_db, issue 15),
        # contracts without a plan, plans with organisation and contract, their steps
        html = client.get("/onboarding/plan/").content.decode()
    assert f'data-testid="plan-row-{planned_a.organisation.pk}"' in html
