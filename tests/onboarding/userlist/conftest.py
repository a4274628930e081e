import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from csm_portal.idempotency import FORM_FIELD, new_form_token

HEADER = "email,first_name,last_name,department"


def csv_file(*lines: str, name: str = "utenti.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, "\n".join(lines).encode(encoding), content_type="text/csv")


def users(domain: str, count: int, *, department: str = "IT") -> list[str]:
    return [HEADER, *(f"u{i}@{domain},Nome{i},Cognome{i},{department}" for i in range(count))]


def png(width: int = 200, height: int = 100) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, format="PNG")
    return out.getvalue()


def once() -> dict:
    return {FORM_FIELD: new_form_token()}


@pytest.fixture
def upload_of(tenant_a):
    """A valid pending upload of tenant A's referent, through the service."""
    from django_scopes import scopes_disabled

    from onboarding.userlist import services

    def make(lines: list[str], by=None, organisation=None):
        with scopes_disabled():
            return services.user_list_upload(
                organisation=organisation or tenant_a.organisation,
                upload=csv_file(*lines),
                by=by or tenant_a.referent,
            )

    return make
