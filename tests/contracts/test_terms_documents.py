"""SPEC C4: terms documents are real PDFs wherever they are uploaded from (the model field's
validator), including Django admin, which skipped the check of the terms page."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from contracts.models import TermsDocument
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

NOT_A_PDF = b"<html><script>alert(1)</script></html>"
A_PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_c4_admin_upload_of_a_terms_document_that_is_not_a_pdf_is_refused(admin_user):
    """Django admin's add view runs the model field's validator: an HTML file named .pdf is
    refused with a clear message and nothing is stored; a real PDF is accepted."""
    client = client_for(admin_user)
    url = "/admin/contracts/termsdocument/add/"
    response = client.post(
        url,
        {
            "kind": "eula",
            "version": "9",
            "file": SimpleUploadedFile("eula.pdf", NOT_A_PDF, content_type="application/pdf"),
            "published_at_0": "2026-11-26",
            "published_at_1": "10:00:00",
        },
    )
    assert response.status_code == 200
    assert "file" in response.context["adminform"].form.errors
    assert not TermsDocument.objects.exists()
    response = client.post(
        url,
        {
            "kind": "eula",
            "version": "9",
            "file": SimpleUploadedFile("eula.pdf", A_PDF, content_type="application/pdf"),
            "published_at_0": "2026-11-26",
            "published_at_1": "10:00:00",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert TermsDocument.objects.get().version == "9"


def test_c4_full_clean_refuses_a_terms_document_that_is_not_a_pdf(admin_user):
    """The shell and any other code path: ``full_clean`` refuses a non-PDF under a .pdf name."""
    document = TermsDocument(
        kind="sla",
        version="1",
        file=SimpleUploadedFile("sla.pdf", NOT_A_PDF),
        uploaded_by=admin_user,
    )
    with pytest.raises(ValidationError) as raised:
        document.full_clean()
    assert "file" in raised.value.message_dict
    TermsDocument(
        kind="sla", version="1", file=SimpleUploadedFile("sla.pdf", A_PDF), uploaded_by=admin_user
    ).full_clean()
