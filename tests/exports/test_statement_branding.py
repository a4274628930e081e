"""The statement PDF carries the provider's name and logo, configured by admins (issue 14,
"Exports and charts"); the logo is a checked image stored under a random name."""

import io
import re
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from PIL import Image

from accounts.branding import letterhead
from accounts.models import ProviderBranding
from activities import services as activity_services
from activities.models import Activity
from tests.conftest import client_for


def pdf_metadata(pdf: bytes) -> str:
    """The PDF's document information (/Author …), which WeasyPrint writes inside compressed
    object streams: every stream inflated, text strings decoded (literal or UTF-16 hex)."""
    found = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, flags=re.S):
        try:
            found.append(zlib.decompress(raw))
        except zlib.error:
            continue
    text = b"\n".join(found)
    decoded = [m.decode("latin-1") for m in re.findall(rb"/Author\s*\(([^)]*)\)", text)]
    for hexed in re.findall(rb"/Author\s*<([0-9A-Fa-f]+)>", text):
        decoded.append(bytes.fromhex(hexed.decode()).decode("utf-16"))
    return " ".join(decoded)


def png(width: int = 120, height: int = 40) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (11, 92, 173)).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(
    client,
    *,
    name: str = "Sicurezza Provider S.r.l.",
    content: bytes | None = None,
    filename: str = "our logo.png",
):
    data = {"name": name}
    if content is not None:
        data["logo"] = SimpleUploadedFile(filename, content, content_type="image/png")
    return client.post(reverse("provider_branding"), data)


@pytest.mark.django_db
def test_an_admin_sets_the_provider_name_and_logo_stored_under_a_random_name(admin_user):
    """The logo is kept under a random name (never the uploader's) with its detected type."""
    response = upload(client_for(admin_user), content=png())
    assert response.status_code == 302
    branding = ProviderBranding.objects.get()
    assert branding.name == "Sicurezza Provider S.r.l."
    assert branding.logo.name.startswith("branding/")
    assert "logo" not in branding.logo.name.removeprefix("branding/")
    assert branding.logo_type == "image/png"
    assert letterhead().logo_src.startswith("data:image/png;base64,")


@pytest.mark.django_db
def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_written(admin_user):
    """Bad input: a PDF named .png is refused with a sentence; no row, no file."""
    response = upload(client_for(admin_user), content=b"%PDF-1.4 not an image")
    assert response.status_code == 200
    assert "PNG" in response.content.decode()
    assert not ProviderBranding.objects.exists()


@pytest.mark.django_db
def test_an_oversized_logo_is_refused(admin_user):
    """More than 4096 pixels a side is refused (a decompression bomb stays out)."""
    response = upload(client_for(admin_user), content=png(5000, 10))
    assert response.status_code == 200
    assert not ProviderBranding.objects.exists()


@pytest.mark.django_db
def test_only_admins_reach_the_branding_page(tenant_a, cstm, agent):
    """CSTMs, agents and customers get a 404 (SPEC T1: no confirmation that it exists)."""
    for user in (cstm, agent, tenant_a.referent):
        assert client_for(user).get(reverse("provider_branding")).status_code == 404
        assert upload(client_for(user), content=png()).status_code == 404
    assert not ProviderBranding.objects.exists()


@pytest.mark.django_db
def test_a_new_logo_replaces_the_old_file_once_committed(
    admin_user, django_capture_on_commit_callbacks
):
    """The previous logo file is removed after the change is committed (no orphan file)."""
    client = client_for(admin_user)
    upload(client, content=png())
    first = ProviderBranding.objects.get().logo
    storage, old_name = first.storage, first.name
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, content=png(64, 64))
    assert not storage.exists(old_name)
    assert storage.exists(ProviderBranding.objects.get().logo.name)


@pytest.mark.django_db
def test_the_statement_pdf_carries_the_provider_name_and_logo(tenant_a, admin_user):
    """SPEC H7 + issue 14: the statement made on completion prints the configured provider
    name (the PDF's author) and embeds the logo image."""
    upload(client_for(admin_user), name="Sicurezza Provider S.r.l.", content=png())
    with scopes_disabled():
        kickoff = activity_services.request_create(
            organisation=tenant_a.organisation,
            activity=Activity.objects.get(is_kickoff=True),
            by=tenant_a.referent,
            details="Kick-off",
        )
        cstm = tenant_a.assignment.cstm
        activity_services.work_log(
            request=kickoff, worked_on=timezone.localdate(), minutes=50, by=cstm
        )
        completed = activity_services.request_complete(request=kickoff, by=cstm)
        pdf = completed.statement.pdf.read()
    assert pdf.startswith(b"%PDF-")
    assert b"/Subtype /Image" in pdf
    assert "Sicurezza Provider S.r.l." in pdf_metadata(pdf)


def test_a_decompression_bomb_is_refused_as_too_many_pixels():
    """A small file declaring a huge picture is refused before it is decoded."""
    from django.core.exceptions import ValidationError

    from accounts.models import validate_logo

    buffer = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(buffer, format="PNG")
    bomb = SimpleUploadedFile("bomb.png", buffer.getvalue(), content_type="image/png")
    assert bomb.size < 1024 * 1024
    with pytest.raises(ValidationError) as refused:
        validate_logo(bomb)
    assert refused.value.code == "too_many_pixels"
