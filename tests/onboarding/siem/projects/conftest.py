import pytest
from django_scopes import scopes_disabled

from accounts.models import Organisation
from onboarding.models import SiemWorkshop


def set_access(tenant, access: str) -> None:
    with scopes_disabled():
        Organisation.objects.filter(pk=tenant.organisation.pk).update(access=access)
        tenant.organisation.refresh_from_db()


@pytest.fixture
def workshop(tenant_a) -> SiemWorkshop:
    with scopes_disabled():
        return SiemWorkshop.objects.create(organisation=tenant_a.organisation, title="SIEM Alfa")
