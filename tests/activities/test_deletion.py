"""SPEC L3: the 90-day deletion removes the organisation's requests, time logged and statements,
their PDF files included, and keeps only counts."""

import pytest
from django.core.files.storage import default_storage
from django_scopes import scopes_disabled

from activities.models import ActivityRequest, Statement, WorkSession
from contracts import lifecycle
from contracts.models import DeletionRecord
from tests.activities.conftest import complete, log, requested

pytestmark = pytest.mark.django_db(transaction=True)


def test_l3_deletion_removes_requests_sessions_and_statement_files(tenant_a, tenant_b, cstm):
    req = requested(tenant_a, "kickoff")
    log(req, cstm, 45)
    complete(req, cstm)
    other = requested(tenant_b, "kickoff")
    with scopes_disabled():
        pdf_name = Statement.objects.get(request=req).pdf.name
    assert default_storage.exists(pdf_name)
    organisation_id = tenant_a.organisation.pk
    assert lifecycle.organisation_delete_data(organisation_id=organisation_id, job="test") is True
    with scopes_disabled():
        assert not ActivityRequest.objects.filter(organisation_id=organisation_id).exists()
        assert not WorkSession.objects.filter(organisation_id=organisation_id).exists()
        counts = DeletionRecord.objects.get(organisation_ref=organisation_id).counts
        assert ActivityRequest.objects.filter(pk=other.pk).exists()  # B untouched
    assert not default_storage.exists(pdf_name)
    assert counts["statements"] == 1 and counts["activity_requests"] == 1
    assert counts["work_sessions"] == 1
