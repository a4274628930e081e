"""Attacks on meetings and the library (SPEC T1, C5, O4): other tenants' ids, customers trying
to write, end users, read-only and closed customers, hostile files, double submits by API."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import Organisation
from accounts.roles import Role
from onboarding.library import services
from onboarding.models import Deliverable, Meeting
from tests.activities.conftest import once
from tests.conftest import client_for
from tests.factories import PASSWORD, person, provider
from tests.onboarding.library.conftest import (
    PDF,
    attendees,
    faq_uploaded,
    schedule,
    set_access,
    upload,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def b_library(tenant_b):
    """Tenant B's meeting and deliverable, made by B's own CSTM."""
    b_cstm = tenant_b.assignment.cstm
    meeting = schedule(tenant_b, b_cstm, title="Bravo segreto")
    with scopes_disabled():
        document = services.deliverable_upload(
            organisation=tenant_b.organisation,
            kind="faq",
            title="Bravo segreto",
            file=upload("bravo.pdf", PDF),
            by=b_cstm,
        )
    return meeting, document


def b_urls(meeting: Meeting, document: Deliverable) -> list[tuple[str, set[str]]]:
    """B's object routes with the methods each has (another method is a 405 for anybody)."""
    both = {"get", "post"}
    return [
        (reverse("meeting_detail", args=[meeting.pk]), both),
        (reverse("meeting_edit", args=[meeting.pk]), both),
        (reverse("meeting_minutes", args=[meeting.pk]), both),
        (reverse("deliverable_detail", args=[document.pk]), both),
        (reverse("deliverable_download", args=[document.pk]), both),
        (f"/api/v1/meetings/{meeting.pk}/", {"get"}),
        (f"/api/v1/meetings/{meeting.pk}/record-minutes/", {"post"}),
        (f"/api/v1/deliverables/{document.pk}/", {"get"}),
        (f"/api/v1/deliverables/{document.pk}/download/", {"get"}),
        (f"/api/v1/deliverables/{document.pk}/versions/", {"get"}),
    ]


@pytest.mark.parametrize("who", ["referent", "end_user", "unassigned_cstm"])
def test_t1_another_tenants_meeting_deliverable_and_download_are_404(
    who, tenant_a, tenant_b, b_library
):
    """A's referent, A's end user and a CSTM not assigned to B get 404 for every id of B, on
    pages and API, reading or writing; B's title appears nowhere."""
    user = {
        "referent": tenant_a.referent,
        "end_user": tenant_a.end_user,
        "unassigned_cstm": person(provider(), Role.CSTM, email="other-cstm@provider.example"),
    }[who]
    client = client_for(user)
    for url, methods in b_urls(*b_library):
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            expected = (404,) if method in methods else (404, 405)
            assert response.status_code in expected, f"{method} {url} as {who}"
            assert b"Bravo segreto" not in response.content
    for url in (reverse("meeting_list"), reverse("deliverable_list"), "/api/v1/meetings/"):
        assert b"Bravo segreto" not in client.get(url).content


def test_t1_a_referent_cannot_create_edit_record_minutes_or_upload(tenant_a, cstm):
    """Pages answer 404 to the referent's writes; the API 404 (no write role) or 403 (an own
    object), and nothing is written."""
    meeting = schedule(tenant_a, cstm)
    mail.outbox.clear()
    client = client_for(tenant_a.referent)
    for url in (
        reverse("meeting_create"),
        reverse("meeting_edit", args=[meeting.pk]),
        reverse("meeting_minutes", args=[meeting.pk]),
        reverse("deliverable_upload"),
        reverse("provider_document_upload"),
    ):
        assert client.post(url, once({"minutes": "x", "title": "x"})).status_code == 404, url
    api = client.post(
        "/api/v1/meetings/",
        {"organisation": tenant_a.organisation.pk, "kind": "kickoff"},
        content_type="application/json",
    )
    assert api.status_code == 403
    minutes = client.post(
        f"/api/v1/meetings/{meeting.pk}/record-minutes/",
        {"minutes": "x"},
        content_type="application/json",
    )
    assert minutes.status_code == 403
    patch = client.patch(
        f"/api/v1/meetings/{meeting.pk}/", {"title": "Mio"}, content_type="application/json"
    )
    assert patch.status_code == 403
    upload_response = client.post(
        "/api/v1/deliverables/",
        {
            "organisation": tenant_a.organisation.pk,
            "kind": "faq",
            "title": "x",
            "file": upload("x.pdf", PDF),
        },
    )
    assert upload_response.status_code == 403
    with scopes_disabled():
        assert Meeting.objects.get().title == "Kick-off Alfa"
        assert Deliverable.objects.count() == 0
    assert mail.outbox == []


def test_o4_an_end_user_sees_provider_documents_only(tenant_a, cstm, admin_user):
    """Decision: licensed end users see the provider's manuals and FAQ, nothing of their
    organisation's meetings or deliverables (those are the referent's)."""
    meeting = schedule(tenant_a, cstm, title="Kick-off riservato")
    with scopes_disabled():
        own = services.deliverable_upload(
            organisation=tenant_a.organisation,
            kind="communication_plan",
            title="Piano riservato",
            file=upload("piano.pdf", PDF),
            by=cstm,
        )
        services.provider_document_upload(
            kind="user_manual", title="Manuale utente", file=upload("m.pdf", PDF), by=admin_user
        )
    client = client_for(tenant_a.end_user)
    listing = client.get(reverse("deliverable_list")).content.decode()
    assert "Manuale utente" in listing and "Piano riservato" not in listing
    assert client.get(reverse("meeting_list")).status_code == 404
    assert client.get(reverse("meeting_detail", args=[meeting.pk])).status_code == 404
    assert client.get(reverse("deliverable_download", args=[own.pk])).status_code == 404
    assert client.get("/api/v1/deliverables/").status_code == 404
    assert client.get("/api/v1/meetings/").status_code == 404
    assert client.get("/api/v1/provider-documents/").status_code == 200


def test_c5_a_read_only_customer_downloads_but_staff_cannot_write_for_it(tenant_a, cstm):
    """SPEC C5: read-only days: the referent reads the meeting and downloads; the CSTM's
    schedule, minutes and upload are refused with the reason, nothing written."""
    meeting = schedule(tenant_a, cstm)
    with scopes_disabled():
        document = faq_uploaded(tenant_a, cstm)
    set_access(tenant_a, Organisation.Access.READ_ONLY)
    referent = client_for(tenant_a.referent)
    assert referent.get(reverse("meeting_detail", args=[meeting.pk])).status_code == 200
    assert referent.get(reverse("deliverable_download", args=[document.pk])).status_code == 200
    assert referent.get(f"/api/v1/deliverables/{document.pk}/download/").status_code == 200
    staff = client_for(cstm)
    response = staff.post(
        reverse("deliverable_upload"),
        {
            "organisation": tenant_a.organisation.pk,
            "kind": "faq",
            "title": "FAQ",
            "file": upload("faq.pdf", PDF),
        },
    )
    assert response.status_code == 200 and "scaduto" in response.content.decode()
    api = staff.post(
        "/api/v1/meetings/",
        {
            "organisation": tenant_a.organisation.pk,
            "kind": "other",
            "title": "Dopo la scadenza",
            "scheduled_at": (timezone.now() + timedelta(days=1)).isoformat(),
            "attendees": attendees(tenant_a, cstm),
        },
        content_type="application/json",
    )
    assert api.status_code == 400
    with scopes_disabled():
        assert Deliverable.objects.count() == 1 and Meeting.objects.count() == 1


def test_c5_a_closed_customer_cannot_sign_in(tenant_a):
    """SPEC C5: from day 31 the referent's password no longer opens the library."""
    set_access(tenant_a, Organisation.Access.CLOSED)
    client = Client()
    client.post(reverse("account_login"), {"login": tenant_a.referent.email, "password": PASSWORD})
    response = client.get(reverse("deliverable_list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    "name, data", [("logo.svg", b"<svg><script>alert(1)</script></svg>"), ("x.html", b"<h1>x</h1>")]
)
def test_o4_svg_and_html_cannot_be_uploaded_so_never_served_inline(tenant_a, cstm, name, data):
    """An SVG or HTML file is refused (not an accepted type); renamed .txt it is served as
    text/plain attachment with nosniff, so the browser never renders it."""
    response = client_for(cstm).post(
        reverse("deliverable_upload"),
        {
            "organisation": tenant_a.organisation.pk,
            "kind": "faq",
            "title": "x",
            "file": upload(name, data, "image/svg+xml"),
        },
    )
    assert response.status_code == 200
    with scopes_disabled():
        assert Deliverable.objects.count() == 0
        renamed = services.deliverable_upload(
            organisation=tenant_a.organisation,
            kind="faq",
            title="x",
            file=upload(name + ".txt", data, "image/svg+xml"),
            by=cstm,
        )
    served = client_for(tenant_a.referent).get(reverse("deliverable_download", args=[renamed.pk]))
    assert served["Content-Disposition"].startswith("attachment;")
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Type"].startswith("text/plain")


def test_o4_a_file_name_with_path_separators_and_control_characters_is_cleaned(tenant_a, cstm):
    with scopes_disabled():
        document = services.deliverable_upload(
            organisation=tenant_a.organisation,
            kind="faq",
            title="FAQ",
            file=upload("..\\../tmp/evil\r\nname\x07.pdf", PDF),
            by=cstm,
        )
    assert document.filename == "evilname.pdf"
    served = client_for(tenant_a.referent).get(reverse("deliverable_download", args=[document.pk]))
    assert 'filename="evilname.pdf"' in served["Content-Disposition"]


def test_l5_a_retried_api_schedule_with_the_same_key_invites_once(tenant_a, cstm):
    """SPEC L5: the same Idempotency-Key twice: one meeting, one invitation per attendee, the
    stored answer replayed."""
    client = client_for(cstm)
    body = {
        "organisation": tenant_a.organisation.pk,
        "kind": "kickoff",
        "title": "Kick-off via API",
        "scheduled_at": (timezone.now() + timedelta(days=1)).isoformat(),
        "attendees": attendees(tenant_a, cstm),
    }
    answers = [
        client.post(
            "/api/v1/meetings/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1"
        )
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[1]["Idempotent-Replayed"] == "true"
    with scopes_disabled():
        assert Meeting.objects.count() == 1
    assert len(mail.outbox) == 2
