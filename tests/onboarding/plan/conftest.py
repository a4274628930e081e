from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from django_scopes import scopes_disabled

from contracts.models import Acceptance, Contract, TermsDocument
from onboarding.plan import services


def publish_terms() -> list[TermsDocument]:
    documents = []
    with scopes_disabled():
        for kind in ("eula", "sla", "dpa"):
            document = TermsDocument(kind=kind, version="1")
            document.file.save(f"{kind}.pdf", ContentFile(b"%PDF-1.4 terms"), save=False)
            document.save()
            documents.append(document)
    return documents


def accept_terms(tenant) -> None:
    with scopes_disabled():
        for document in TermsDocument.objects.all():
            Acceptance.objects.get_or_create(
                organisation=tenant.organisation,
                document=document,
                defaults={"accepted_by": tenant.referent},
            )


def activate(tenant, days_ago: int = 3) -> None:
    with scopes_disabled():
        Contract.objects.filter(pk=tenant.contract.pk).update(
            activated_at=timezone.now() - timedelta(days=days_ago)
        )
        tenant.contract.refresh_from_db()


def plan_of(tenant):
    with scopes_disabled():
        plan = services.plan_ensure(organisation=tenant.organisation)
        return services.plan_sync(plan=plan)


@pytest.fixture
def planned_a(tenant_a):
    """Tenant A, activated three days ago, terms accepted, with its plan."""
    activate(tenant_a)
    accept_terms(tenant_a)
    plan_of(tenant_a)
    return tenant_a
