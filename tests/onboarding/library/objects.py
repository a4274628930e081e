"""Objects of the library for the cross-tenant walks (tests/test_route_walk.py,
tests/test_api_fuzz.py): a tenant's kick-off meeting and a deliverable, made through the
services by the tenant's own CSTM, and a provider-wide document."""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_scopes import scopes_disabled

from onboarding.library import services
from onboarding.models import Deliverable, Meeting, ProviderDocument

PDF = b"%PDF-1.4\n%%EOF\n"


def library_title(tenant) -> str:
    return f"Library of {tenant.organisation.name}"


def with_library(tenant) -> tuple[Meeting, Deliverable]:
    cstm = tenant.assignment.cstm
    title = library_title(tenant)
    with scopes_disabled():
        meeting = services.meeting_schedule(
            organisation=tenant.organisation,
            kind=Meeting.Kind.OTHER,
            title=title,
            scheduled_at=timezone.now() + timedelta(days=2),
            attendees=[
                {"name": "CSTM", "email": cstm.email, "side": "provider", "role": ""},
                {"name": title, "email": tenant.referent.email, "side": "customer", "role": ""},
            ],
            agenda=title,
            by=cstm,
        )
        document = services.deliverable_upload(
            organisation=tenant.organisation,
            kind="faq",
            title=title,
            file=SimpleUploadedFile("faq.pdf", PDF),
            by=cstm,
        )
    return meeting, document


def provider_document(admin) -> ProviderDocument:
    with scopes_disabled():
        return services.provider_document_upload(
            kind="user_manual",
            title="Manuale utente",
            file=SimpleUploadedFile("manuale.pdf", PDF),
            by=admin,
        )


def meeting_of(tenant) -> Meeting:
    # The plan proposes SAL meetings of its own: this one is found by its title.
    return Meeting.objects.with_scopes_disabled().get(
        organisation=tenant.organisation, title=library_title(tenant)
    )


def deliverable_of(tenant) -> Deliverable:
    return Deliverable.objects.with_scopes_disabled().get(
        organisation=tenant.organisation, title=library_title(tenant)
    )
