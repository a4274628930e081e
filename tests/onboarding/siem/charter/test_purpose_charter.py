"""SPEC W1 (purpose questionnaire), W3 (alignment charter) and the sizing sheet and charter
PDFs published as deliverables in the referent's language (O4, C5, T1, L5)."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import formats, timezone, translation
from django_scopes import scopes_disabled

from accounts.models import Organisation, User
from onboarding.models import Deliverable, SiemWorkshop
from onboarding.siem.charter import pdf, prefill, services
from onboarding.siem.charter.sections import CHARTER_KEYS
from tests.conftest import client_for
from tests.onboarding.siem.charter.objects import decided, workshop_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def services_called_like_jobs():
    """Services called directly here run unscoped, as a shell or a job would; the pages still
    open their own tenant scope (TenantMiddleware)."""
    with scopes_disabled():
        yield


ANSWERS = {
    "why": "Obbligo NIS2 e incidenti ripetuti.",
    "what_for": "Rilevare accessi anomali.",
    "challenges": "Troppi log, nessuna correlazione.",
    "legal_reporting": "Notifica entro 24 ore al CSIRT.",
    "gdpr_data": "Log con dati personali dei dipendenti.",
    "operated_by": "SOC del fornitore, IT del cliente.",
    "management_reporting": "Report mensile al CdA.",
}


def _charter(**overrides) -> dict:
    sections = {key: f"Testo di {key}" for key in CHARTER_KEYS}
    sections.update(overrides)
    return sections


def _reload(workshop: SiemWorkshop) -> SiemWorkshop:
    return SiemWorkshop.objects.with_scopes_disabled().get(pk=workshop.pk)


def _deliverables() -> list[Deliverable]:
    return list(Deliverable.objects.with_scopes_disabled().order_by("pk"))


def _token(client, url: str) -> str:
    return re.search(
        r'name="write_once" value="([A-Za-z0-9]{32})"', client.get(url).content.decode()
    ).group(1)


# --------------------------------------------------------------------------- W1


def test_w1_the_cstm_fills_in_the_purpose_and_the_referent_reads_it(tenant_a, cstm):
    workshop = workshop_of(tenant_a)
    url = f"/siem/workshops/{workshop.pk}/purpose/"
    response = client_for(cstm).post(url, ANSWERS)
    assert response.status_code == 302
    saved = _reload(workshop)
    assert saved.purpose == ANSWERS and saved.purpose_recorded_at is not None
    page = client_for(tenant_a.referent).get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Notifica entro 24 ore al CSIRT." in body and 'data-testid="purpose-form"' not in body


def test_w1_the_referent_cannot_write_the_purpose(tenant_a):
    workshop = workshop_of(tenant_a)
    url = f"/siem/workshops/{workshop.pk}/purpose/"
    assert client_for(tenant_a.referent).post(url, ANSWERS).status_code == 404
    assert client_for(tenant_a.end_user).get(url).status_code == 404
    assert _reload(workshop).purpose == {}
    with pytest.raises(ValidationError):
        services.workshop_purpose_record(workshop=workshop, answers=ANSWERS, by=tenant_a.referent)
    assert _reload(workshop).purpose == {}


def test_w1_an_empty_questionnaire_or_an_unknown_question_is_refused(tenant_a, cstm):
    workshop = workshop_of(tenant_a)
    for answers in ({key: " " for key in ANSWERS}, {"why": "x", "budget": "y"}):
        with pytest.raises(ValidationError):
            services.workshop_purpose_record(workshop=workshop, answers=answers, by=cstm)
    assert _reload(workshop).purpose_recorded_at is None


# --------------------------------------------------------------------------- W3


def test_w3_the_charter_draft_comes_from_purpose_sizing_and_decision(tenant_a, cstm):
    workshop = workshop_of(tenant_a)
    services.workshop_purpose_record(workshop=workshop, answers=ANSWERS, by=cstm)
    decided(workshop, cstm, months=13)
    draft = prefill.charter_draft(_reload(workshop))
    assert "Obbligo NIS2" in draft["purpose"] and "Rilevare accessi" in draft["purpose"]
    assert "SOC del fornitore" in draft["organisation"]
    assert "Firewall perimetrale: 4 devices" in draft["scope_in"]
    assert "13 months" in draft["economics"] and "EUR" in draft["economics"]
    assert "for 13 months" in draft["estimates"]
    assert draft["scope_out"] == ""


def test_w3_the_scope_out_must_be_written_explicitly(tenant_a, cstm):
    """A charter without what is out of scope is refused, nothing saved."""
    workshop = workshop_of(tenant_a)
    with pytest.raises(ValidationError) as refused:
        services.workshop_charter_record(
            workshop=workshop, sections=_charter(scope_out="  "), by=cstm
        )
    assert "scope_out" in refused.value.message_dict
    assert _reload(workshop).charter_recorded_at is None
    client = client_for(cstm)
    response = client.post(f"/siem/workshops/{workshop.pk}/charter/", _charter(scope_out=""))
    assert response.status_code == 200
    assert _reload(workshop).charter == {}


def test_w3_the_cstm_saves_the_eleven_sections_and_the_referent_reads_them(tenant_a, cstm):
    workshop = workshop_of(tenant_a)
    url = f"/siem/workshops/{workshop.pk}/charter/"
    sections = _charter(scope_out="Nessun monitoraggio OT.")
    assert client_for(cstm).post(url, sections).status_code == 302
    assert _reload(workshop).charter == sections
    page = client_for(tenant_a.referent).get(url)
    body = page.content.decode()
    assert "Nessun monitoraggio OT." in body and 'data-testid="charter-form"' not in body
    assert client_for(tenant_a.referent).post(url, _charter()).status_code == 404
    assert _reload(workshop).charter == sections


# --------------------------------------------------------------------------- PDFs


def test_w3_charter_pdf_is_published_in_the_referents_language_as_a_new_version(tenant_a, cstm):
    """The referent reads Spanish: the charter is rendered in Spanish (its HTML says so and
    carries Spanish dates), published as a PDF deliverable; publishing again is version 2."""
    with scopes_disabled():
        User.objects.filter(pk=tenant_a.referent.pk).update(language="es")
    workshop = workshop_of(tenant_a)
    services.workshop_purpose_record(workshop=workshop, answers=ANSWERS, by=cstm)
    decided(workshop, cstm, months=13)
    services.workshop_charter_record(
        workshop=workshop, sections=_charter(scope_out="Nessun monitoraggio OT."), by=cstm
    )
    html = pdf.charter_html(_reload(workshop), language="es")
    with translation.override("es"):
        today = formats.date_format(timezone.localdate(), "DATE_FORMAT")
    assert '<html lang="es">' in html and today in html
    assert "Nessun monitoraggio OT." in html and "Obbligo NIS2" in html
    assert "<strong>13" in html  # the decision's months, in its table
    first = services.charter_publish(workshop=workshop, by=cstm)
    second = services.charter_publish(workshop=workshop, by=cstm)
    assert (first.kind, first.version, second.version) == ("alignment_charter", 1, 2)
    assert first.title == second.title and first.content_type == "application/pdf"
    with second.file.open("rb") as stored:
        assert stored.read(5) == b"%PDF-"
    response = client_for(tenant_a.referent).get(f"/library/{second.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:5] == b"%PDF-"


def test_w2_sizing_sheet_shows_sources_constants_tiers_licences_splunk_and_formulas(tenant_a, cstm):
    workshop = workshop_of(tenant_a)
    decided(workshop, cstm, months=13)
    html = pdf.sizing_sheet_html(_reload(workshop), language="en")
    for text in (
        "Firewall perimetrale",
        "Server Windows",
        "Switch di rete",
        "Peak factor",
        "Splunk method: storage (GB)",
        "Licences",
        "(replicas + 1)",
        "On ",
        "<strong>13 months</strong>",
    ):
        assert text in html, text
    document = services.sizing_sheet_publish(workshop=workshop, by=cstm)
    assert (document.kind, document.version) == ("sizing_sheet", 1)


def test_o4_publish_buttons_publish_once_per_submit(tenant_a, cstm):
    """The button's one-time token: a double click publishes one version."""
    workshop = workshop_of(tenant_a)
    client = client_for(cstm)
    token = _token(client, f"/siem/workshops/{workshop.pk}/charter/")
    url = f"/siem/workshops/{workshop.pk}/publish/sizing-sheet/"
    assert client.post(url, {"write_once": token}).status_code == 302
    assert client.post(url, {"write_once": token}).status_code == 302
    assert [d.version for d in _deliverables()] == [1]


def test_o4_the_charter_is_not_published_before_it_is_written(tenant_a, cstm):
    workshop = workshop_of(tenant_a)
    with pytest.raises(ValidationError):
        services.charter_publish(workshop=workshop, by=cstm)
    empty = workshop_of(tenant_a, sources=0)
    with pytest.raises(ValidationError):
        services.sizing_sheet_publish(workshop=empty, by=cstm)
    assert _deliverables() == []


def test_o4_customers_cannot_publish_and_read_only_customers_get_nothing_new(tenant_a, cstm):
    workshop = workshop_of(tenant_a)
    url = f"/siem/workshops/{workshop.pk}/publish/sizing-sheet/"
    assert client_for(tenant_a.referent).post(url, {}).status_code == 404
    with pytest.raises(ValidationError):
        services.sizing_sheet_publish(workshop=workshop, by=tenant_a.referent)
    with scopes_disabled():
        Organisation.objects.filter(pk=tenant_a.organisation.pk).update(access="read_only")
    workshop = _reload(workshop)
    for write in (
        lambda: services.sizing_sheet_publish(workshop=workshop, by=cstm),
        lambda: services.workshop_purpose_record(workshop=workshop, answers=ANSWERS, by=cstm),
        lambda: services.workshop_charter_record(workshop=workshop, sections=_charter(), by=cstm),
    ):
        with pytest.raises(ValidationError):
            write()
    assert _deliverables() == [] and _reload(workshop).purpose == {}
    page = client_for(cstm).get(f"/siem/workshops/{workshop.pk}/charter/").content.decode()
    assert 'data-testid="publish-charter"' not in page


def test_t1_another_organisation_s_purpose_charter_and_publish_are_404(tenant_a, tenant_b, cstm):
    workshop_b = workshop_of(tenant_b)
    for user in (cstm, tenant_a.referent):
        client = client_for(user)
        for page in ("purpose", "charter"):
            assert client.get(f"/siem/workshops/{workshop_b.pk}/{page}/").status_code == 404
    client = client_for(cstm)
    assert client.post(f"/siem/workshops/{workshop_b.pk}/purpose/", ANSWERS).status_code == 404
    for document in ("sizing-sheet", "charter"):
        url = f"/siem/workshops/{workshop_b.pk}/publish/{document}/"
        assert client.post(url, {}).status_code == 404
    assert _reload(workshop_b).purpose == {} and _deliverables() == []


def test_w5_the_panel_links_the_hub_to_purpose_retention_and_charter(tenant_a):
    """The panel the workshop's hub includes: every reader reaches the retention page; the
    purpose and the charter are not offered to the organisation's end users."""
    from django.template.loader import render_to_string

    from accounts.tenancy import tenancy_for

    workshop = workshop_of(tenant_a)
    for user, charter_shown in ((tenant_a.referent, True), (tenant_a.end_user, False)):
        html = render_to_string(
            "onboarding/siem/charter/panel.html",
            {"workshop": workshop, "tenancy": tenancy_for(user)},
        )
        assert f"/siem/workshops/{workshop.pk}/retention/" in html
        assert (f"/siem/workshops/{workshop.pk}/charter/" in html) is charter_shown
        assert ("/library/?kind=alignment_charter" in html) is charter_shown
