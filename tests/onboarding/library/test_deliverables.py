"""The deliverables library (SPEC O4, C5): staff uploads checked by content, versions by kind
and title, provider-wide documents, downloads only as attachments to their organisation."""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_scopes import scopes_disabled

from accounts.models import Organisation
from onboarding.library import files, services
from onboarding.models import Deliverable, ProviderDocument
from tests.conftest import client_for
from tests.onboarding.library.conftest import PDF, faq_uploaded, set_access, upload

pytestmark = pytest.mark.django_db


def office(part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{part}document.xml", "<x/>")
    return buffer.getvalue()


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


@pytest.mark.parametrize(
    "name, data, content_type",
    [
        ("piano.pdf", PDF, "application/pdf"),
        ("piano.docx", office("word/"), files.DOCX.content_type),
        ("utenti.xlsx", office("xl/"), files.XLSX.content_type),
        ("slide.pptx", office("ppt/"), files.PPTX.content_type),
        ("logo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "image/png"),
        ("foto.JPG", b"\xff\xd8\xff\xe0" + b"\0" * 20, "image/jpeg"),
        ("note.txt", "Città e perché\r\n".encode(), "text/plain"),
        ("elenco.csv", b"email;nome\na@b.it;A\n", "text/csv"),
        ("faq.md", b"# FAQ\n", "text/markdown"),
    ],
)
def test_o4_accepted_types_are_recognised_by_their_content(name, data, content_type):
    filename, kind = files.check_file(name=name, data=data, max_bytes=1000)
    assert filename == name and kind.content_type == content_type


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("vuoto.pdf", b"", "empty"),
        ("finto.pdf", b"MZ\x90\x00binary", "content"),
        ("finto.docx", b"PK\x03\x04not a zip", "content"),
        ("foglio.xlsx", office("word/"), "content"),  # a Word file renamed .xlsx
        ("binario.txt", b"abc\x00\x01def", "content"),
        ("pagina.html", b"<html><script>alert(1)</script>", "type"),
        ("logo.svg", b"<svg onload='alert(1)'/>", "type"),
        ("programma.exe", b"MZ", "type"),
        ("grande.pdf", PDF + b"0" * 2000, "large"),
    ],
)
def test_o4_refused_files_say_why(name, data, reason):
    """Bad input: empty, too large, a type not accepted, or content that is not what the
    extension says (a binary renamed .pdf)."""
    with pytest.raises(files.FileRefused) as refused:
        files.check_file(name=name, data=data, max_bytes=1000)
    expected = {
        "empty": "empty",
        "content": "content",
        "type": "not accepted",
        "large": "too large",
    }[reason]
    assert expected in str(refused.value)


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\x\\verbale.pdf", "verbale.pdf"),
        ("ver\r\nbale\x00.pdf", "verbale.pdf"),
        ('a"; filename=evil.html.pdf', "a__ filename=evil.html.pdf"),
        ("\u202eevil\u202dfdp.pdf", "evilfdp.pdf"),
        ("...", "document"),
    ],
)
def test_o4_attack_file_names_lose_path_separators_and_control_characters(raw, clean):
    assert files.clean_filename(raw) == clean


def test_o4_the_same_kind_and_title_become_the_next_version(tenant_a, cstm):
    with scopes_disabled():
        first = services.deliverable_upload(
            organisation=tenant_a.organisation,
            kind="training_plan",
            title="Piano formativo Torino",
            file=upload("piano.pdf", PDF),
            by=cstm,
        )
        second = services.deliverable_upload(
            organisation=tenant_a.organisation,
            kind="training_plan",
            title="piano FORMATIVO torino",
            file=upload("piano-v2.pdf", PDF),
            by=cstm,
        )
    assert (first.version, second.version) == (1, 2)
    assert second.title == "Piano formativo Torino"
    client = client_for(tenant_a.referent)
    listing = client.get(reverse("deliverable_list")).content.decode()
    assert listing.count("Piano formativo Torino") == 1  # the latest version only
    history = client.get(reverse("deliverable_detail", args=[second.pk])).content.decode()
    assert "piano.pdf" in history and "piano-v2.pdf" in history


def test_o4_a_refused_upload_stores_nothing_and_shows_the_reason(tenant_a, cstm, media):
    """Bad input through the page: a binary renamed .pdf; the message, no row, no file."""
    response = client_for(cstm).post(
        reverse("deliverable_upload"),
        {
            "organisation": tenant_a.organisation.pk,
            "kind": "faq",
            "title": "FAQ",
            "file": upload("faq.pdf", b"\x7fELF\x02\x01binary"),
        },
    )
    assert response.status_code == 200
    assert "PDF" in response.content.decode()
    with scopes_disabled():
        assert Deliverable.objects.count() == 0
    assert stored_files(media) == []


def test_o4_a_file_above_the_cap_is_refused_before_it_is_read(tenant_a, cstm, settings):
    settings.DELIVERABLE_MAX_BYTES = 100
    with pytest.raises(ValidationError) as error, scopes_disabled():
        services.deliverable_upload(
            organisation=tenant_a.organisation,
            kind="faq",
            title="FAQ",
            file=upload("faq.pdf", PDF + b"x" * 200),
            by=cstm,
        )
    assert "file" in error.value.message_dict


def test_o4_downloads_are_attachments_with_nosniff_and_the_detected_type(tenant_a, cstm):
    """A text file uploaded with a browser type of text/html is served as text/plain, as an
    attachment, with nosniff: nothing is rendered inline in the portal's origin."""
    with scopes_disabled():
        document = services.deliverable_upload(
            organisation=tenant_a.organisation,
            kind="faq",
            title="Note",
            file=upload("note.txt", b"<script>alert(1)</script>", "text/html"),
            by=cstm,
        )
    response = client_for(tenant_a.referent).get(
        reverse("deliverable_download", args=[document.pk])
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"].startswith("text/plain")
    assert b"".join(response.streaming_content) == b"<script>alert(1)</script>"


def test_o4_the_stored_file_name_is_random_not_guessable(tenant_a, cstm):
    with scopes_disabled():
        document = faq_uploaded(tenant_a, cstm)
    assert "faq" not in document.file.name and len(Path(document.file.name).stem) == 32


def test_o4_provider_documents_are_seen_by_every_customer_at_once(
    tenant_a, tenant_b, admin_user, cstm
):
    """An admin publishes a manual: both customers' referents and end users see it; a CSTM
    cannot publish one."""
    with scopes_disabled():
        manual = services.provider_document_upload(
            kind="user_manual",
            title="Manuale utente",
            file=upload("manuale.pdf", PDF),
            by=admin_user,
        )
        with pytest.raises(ValidationError):
            services.provider_document_upload(
                kind="faq", title="FAQ", file=upload("faq.pdf", PDF), by=cstm
            )
    for person in (tenant_a.referent, tenant_b.referent, tenant_a.end_user):
        client = client_for(person)
        assert "Manuale utente" in client.get(reverse("deliverable_list")).content.decode()
        download = client.get(reverse("provider_document_download", args=[manual.pk]))
        assert download.status_code == 200
    with scopes_disabled():
        assert ProviderDocument.objects.count() == 1


def test_o4_the_library_has_a_useful_empty_state_search_and_kind_filter(tenant_a, cstm):
    client = client_for(tenant_a.referent)
    empty = client.get(reverse("deliverable_list")).content.decode()
    assert "Nessun" in empty or "No document yet" in empty
    with scopes_disabled():
        # Titles that are no kind's label (the kind filter lists the labels).
        for title, kind in (("Piano comunicazione 2027", "communication_plan"), ("Domande", "faq")):
            services.deliverable_upload(
                organisation=tenant_a.organisation,
                kind=kind,
                title=title,
                file=upload("x.pdf", PDF),
                by=cstm,
            )
    found = client.get(reverse("deliverable_list"), {"q": "comunicazione"}).content.decode()
    assert "Piano comunicazione 2027" in found and "Domande" not in found
    by_kind = client.get(reverse("deliverable_list"), {"kind": "faq"}).content.decode()
    assert "Domande" in by_kind and "Piano comunicazione 2027" not in by_kind


def test_c5_a_read_only_referent_downloads_and_staff_can_no_longer_upload(tenant_a, cstm):
    """SPEC C5: during the 30 read-only days the referent still downloads; nothing new is
    written for the organisation."""
    with scopes_disabled():
        document = faq_uploaded(tenant_a, cstm)
    set_access(tenant_a, Organisation.Access.READ_ONLY)
    response = client_for(tenant_a.referent).get(
        reverse("deliverable_download", args=[document.pk])
    )
    assert response.status_code == 200
    with pytest.raises(ValidationError), scopes_disabled():
        faq_uploaded(tenant_a, cstm)


def test_o4_the_list_pages_keep_the_filter_and_make_a_fixed_number_of_queries(tenant_a, cstm):
    """30 documents of one kind: page 2 keeps the kind filter; the page costs the same number of
    queries whatever the number of documents (no query per row)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(n: int) -> None:
        with scopes_disabled():
            for i in range(n):
                services.deliverable_upload(
                    organisation=tenant_a.organisation,
                    kind="faq",
                    title=f"Documento {i:02d} {n}",
                    file=upload("x.pdf", PDF),
                    by=cstm,
                )

    client = client_for(tenant_a.referent)
    add(2)
    client.get(reverse("deliverable_list"), {"kind": "faq"})  # warm caches (tenancy, support)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("deliverable_list"), {"kind": "faq"})
    add(28)
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("deliverable_list"), {"kind": "faq"}).content.decode()
    assert "?kind=faq&amp;page=2" in page
    assert len(many.captured_queries) == len(few.captured_queries)


def test_o4_an_empty_file_is_refused_in_italian_and_nothing_is_stored(tenant_a, cstm, media):
    """Bad input: a 0-byte file; the page answers in Italian (the default language)."""
    response = client_for(cstm).post(
        reverse("deliverable_upload"),
        {
            "organisation": tenant_a.organisation.pk,
            "kind": "faq",
            "title": "FAQ",
            "file": upload("faq.pdf", b""),
        },
    )
    assert response.status_code == 200
    assert "vuoto" in response.content.decode()
    with scopes_disabled():
        assert Deliverable.objects.count() == 0
    assert stored_files(media) == []
