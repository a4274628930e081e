import pytest
from django_scopes import scopes_disabled

from onboarding.models import SiemWorkshop
from onboarding.siem import services


@pytest.fixture(autouse=True)
def log_source_catalogue(db):
    """Transactional tests flush the migration-seeded catalogue: seed it again."""
    services.log_source_types_seed()


def workshop_for(tenant, by, title: str = "SIEM Alfa") -> SiemWorkshop:
    with scopes_disabled():
        return services.workshop_create(organisation=tenant.organisation, title=title, by=by)
