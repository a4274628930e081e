"""The demo data has a SIEM workshop (issue 13) for the Danish customer, loaded once."""

import pytest
from django_scopes import scopes_disabled

from csm_portal.demo.data import load_demo_data
from onboarding.models import SiemLogSource, SiemWorkshop

pytestmark = pytest.mark.django_db


def test_w2_the_demo_has_one_sized_siem_workshop_even_when_loaded_twice():
    """Loading the demo twice leaves one workshop with its four kinds of log sources."""
    load_demo_data()
    load_demo_data()
    with scopes_disabled():
        workshop = SiemWorkshop.objects.get()
        assert workshop.organisation.name == "Nordhavn Energi A/S"
        assert workshop.retention_months == 13
        assert SiemLogSource.objects.filter(workshop=workshop).count() == 4
