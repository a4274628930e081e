from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import Organisation
from onboarding.library import services
from onboarding.models import Deliverable, Meeting

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def attendees(tenant, cstm) -> list[dict]:
    return [
        {"name": "Carla CSTM", "email": cstm.email, "side": "provider", "role": "CSTM"},
        {
            "name": "Rita Referente",
            "email": tenant.referent.email,
            "side": "customer",
            "role": "Referente",
        },
    ]


def schedule(tenant, cstm, **overrides) -> Meeting:
    values = {
        "organisation": tenant.organisation,
        "kind": Meeting.Kind.KICKOFF,
        "title": "Kick-off Alfa",
        "scheduled_at": timezone.now() + timedelta(days=2),
        "attendees": attendees(tenant, cstm),
        "agenda": "Presentazioni\nPiano",
        "video_link": "https://meet.example/alfa",
        "by": cstm,
    }
    values.update(overrides)
    with scopes_disabled():
        return services.meeting_schedule(**values)


def held(meeting: Meeting) -> Meeting:
    """The meeting took place: its start moves an hour into the past."""
    with scopes_disabled():
        Meeting.objects.filter(pk=meeting.pk).update(
            scheduled_at=timezone.now() - timedelta(hours=1)
        )
        return Meeting.objects.get(pk=meeting.pk)


def upload(name: str, data: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def faq_uploaded(tenant, cstm) -> Deliverable:
    """The organisation's FAQ, uploaded by its CSTM (a PDF): the document most tests download."""
    return services.deliverable_upload(
        organisation=tenant.organisation,
        kind="faq",
        title="FAQ",
        file=upload("faq.pdf", PDF),
        by=cstm,
    )


def set_access(tenant, access: str) -> None:
    with scopes_disabled():
        Organisation.objects.filter(pk=tenant.organisation.pk).update(access=access)
        tenant.organisation.refresh_from_db()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
