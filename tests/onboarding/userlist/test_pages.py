"""SPEC O2, O3, C5, T1, L5: the user-list pages (template, upload, problems, diff, apply) as the
referent, the CSTM and the attackers around them."""

from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scopes_disabled

from accounts.models import Organisation
from onboarding.models import ListedUser, UserListUpload
from onboarding.userlist import services
from tests.conftest import client_for
from tests.onboarding.userlist.conftest import HEADER, csv_file, once, users

pytestmark = pytest.mark.django_db


def rows_of(organisation) -> list[str]:
    with scopes_disabled():
        return sorted(
            ListedUser.objects.filter(organisation=organisation).values_list("email", flat=True)
        )


def uploads_of(organisation) -> int:
    with scopes_disabled():
        return UserListUpload.objects.filter(organisation=organisation).count()


def test_o2_the_template_is_documented_and_downloadable_with_two_example_rows(tenant_a):
    """The page documents every column (required, format, example); the CSV download has the
    header and two example rows, as an attachment."""
    client = client_for(tenant_a.referent)
    page = client.get(reverse("user_list", args=[tenant_a.organisation.pk])).content.decode()
    for name in ("email", "first_name", "last_name", "department", "manager_email", "language"):
        assert f"<code>{name}</code>" in page
    response = client.get(reverse("user_list_template"))
    assert response["Content-Disposition"].startswith("attachment")
    lines = response.content.decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("email,first_name,last_name") and len(lines) == 3


def test_o2_a_file_with_problems_shows_every_row_and_column_and_stores_nothing(tenant_a):
    client = client_for(tenant_a.referent)
    url = reverse("user_list", args=[tenant_a.organisation.pk])
    bad = csv_file(
        HEADER, "a@alfa.example,A,B,", "nope,A,B,", "a@alfa.example,C,D,", "c@alfa.example,,D,"
    )
    page = client.post(url, {"file": bad}).content.decode()
    assert page.count('data-testid="problem"') == 3
    assert "<td>3</td><td>email</td>" in page and "<td>4</td><td>email</td>" in page
    assert "<td>5</td><td>first_name</td>" in page
    assert uploads_of(tenant_a.organisation) == 0 and rows_of(tenant_a.organisation) == []


def test_o2_a_valid_file_shows_the_diff_before_it_is_applied(tenant_a):
    client = client_for(tenant_a.referent)
    response = client.post(
        reverse("user_list", args=[tenant_a.organisation.pk]),
        {"file": csv_file(*users("alfa.example", 3))},
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "3 persone aggiunte" in page and rows_of(tenant_a.organisation) == []  # Italian
    assert 'data-testid="apply"' in page


def test_o2_applying_loads_in_one_transaction_with_a_constant_number_of_queries(
    tenant_a, upload_of
):
    """Ten or ninety rows: the same number of queries (bulk delete + bulk insert)."""
    counts = []
    for size, day in ((1, date(2026, 12, 1)), (10, date(2027, 1, 5)), (90, date(2027, 2, 10))):
        with time_machine.travel(day, tick=False):
            upload = upload_of(users("alfa.example", size))
            with CaptureQueriesContext(connection) as queries, scopes_disabled():
                services.user_list_apply(upload=upload, by=tenant_a.referent)
        counts.append(len(queries))
    assert counts[1] == counts[2]
    assert len(rows_of(tenant_a.organisation)) == 90


def test_l5_a_double_submit_of_apply_applies_once(tenant_a, upload_of):
    """The same one-time token twice: one application, the second sees "already recorded"."""
    upload = upload_of(users("alfa.example", 2))
    client = client_for(tenant_a.referent)
    data = once()
    url = reverse("user_list_apply", args=[upload.pk])
    first, second = client.post(url, data), client.post(url, data)
    assert first.status_code == second.status_code == 302
    with scopes_disabled():
        upload.refresh_from_db()
        assert upload.status == UserListUpload.Status.APPLIED
        applied_at = upload.applied_at
    assert len(rows_of(tenant_a.organisation)) == 2
    # A new token on an applied upload is refused too: it applies once.
    client.post(url, once())
    with scopes_disabled():
        upload.refresh_from_db()
    assert upload.applied_at == applied_at and len(rows_of(tenant_a.organisation)) == 2


def apply_on(day: date, upload, by):
    with time_machine.travel(day, tick=False), scopes_disabled():
        return services.user_list_apply(upload=upload, by=by)


def test_o2_o3_a_later_change_applies_once_a_month_and_takes_effect_after_five_working_days(
    tenant_a, upload_of
):
    """The first list takes effect the day it is applied; a later one five working days after
    (Friday 5 March 2027 → Friday 12 March); a second later change that month is refused with
    the first day of next month."""
    from django.core.exceptions import ValidationError

    referent = tenant_a.referent
    first = apply_on(date(2027, 3, 1), upload_of(users("alfa.example", 2)), referent)
    assert first.is_first and first.effective_on == date(2027, 3, 1)
    later = apply_on(date(2027, 3, 5), upload_of(users("alfa.example", 3)), referent)
    assert later.effective_on == date(2027, 3, 12) and later.added == 1
    third = upload_of(users("alfa.example", 1))
    with pytest.raises(ValidationError, match="01/04/2027"):
        apply_on(date(2027, 3, 19), third, referent)
    assert len(rows_of(tenant_a.organisation)) == 3
    applied = apply_on(date(2027, 6, 1), third, referent)
    # 1 June 2027 + five working days, Republic Day (2 June) not counted.
    assert applied.removed == 2 and applied.effective_on == date(2027, 6, 9)


def test_t1_another_tenants_upload_is_a_404_on_every_route(tenant_a, tenant_b, upload_of):
    upload = upload_of(
        users("bravo-segreta.example", 2), by=tenant_b.referent, organisation=tenant_b.organisation
    )
    client = client_for(tenant_a.referent)
    for name in ("user_list_upload", "user_list_file"):
        assert client.get(reverse(name, args=[upload.pk])).status_code == 404
    assert client.post(reverse("user_list_apply", args=[upload.pk]), once()).status_code == 404
    assert client.get(reverse("user_list", args=[tenant_b.organisation.pk])).status_code == 404
    assert rows_of(tenant_b.organisation) == []


def test_t2_an_end_user_cannot_see_nor_upload_a_user_list(tenant_a):
    client = client_for(tenant_a.end_user)
    url = reverse("user_list", args=[tenant_a.organisation.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"file": csv_file(*users("alfa.example", 1))}).status_code == 404
    assert uploads_of(tenant_a.organisation) == 0


def test_c5_a_read_only_customer_can_view_but_not_upload(tenant_a, upload_of):
    upload = upload_of(users("alfa.example", 1))
    with scopes_disabled():
        Organisation.objects.filter(pk=tenant_a.organisation.pk).update(
            access=Organisation.Access.READ_ONLY
        )
    client = client_for(tenant_a.referent)
    url = reverse("user_list", args=[tenant_a.organisation.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="write-refusal"' in page and 'data-testid="upload"' not in page
    client.post(url, {"file": csv_file(*users("alfa.example", 2))})
    client.post(reverse("user_list_apply", args=[upload.pk]), once())
    assert uploads_of(tenant_a.organisation) == 1 and rows_of(tenant_a.organisation) == []
    assert client.get(reverse("user_list_file", args=[upload.pk])).status_code == 200


def test_t1_an_address_of_another_customers_domain_is_refused(tenant_a, tenant_b):
    client = client_for(tenant_a.referent)
    page = client.post(
        reverse("user_list", args=[tenant_a.organisation.pk]),
        {"file": csv_file(HEADER, "spy@bravo-segreta.example,S,P,")},
    ).content.decode()
    assert "<td>2</td><td>email</td>" in page and uploads_of(tenant_a.organisation) == 0


def test_o2_the_cstm_uploads_and_applies_for_the_referent(tenant_a, cstm):
    client = client_for(cstm)
    response = client.post(
        reverse("user_list", args=[tenant_a.organisation.pk]),
        {"file": csv_file(*users("alfa.example", 2))},
    )
    upload_id = int(response["Location"].rstrip("/").split("/")[-1])
    client.post(reverse("user_list_apply", args=[upload_id]), once())
    assert len(rows_of(tenant_a.organisation)) == 2


class HugeUpload:
    """A 200 MB upload that must never be read: only its declared size is looked at."""

    name = "huge.csv"
    size = 200 * 1024 * 1024

    def read(self, size: int = -1) -> bytes:
        raise AssertionError("a file over the cap was read")


def test_o2_a_200_mb_file_is_refused_without_being_read(tenant_a):
    from django.core.exceptions import ValidationError

    with scopes_disabled(), pytest.raises(ValidationError) as refused:
        services.user_list_upload(
            organisation=tenant_a.organisation, upload=HugeUpload(), by=tenant_a.referent
        )
    assert "20 MB" in " ".join(refused.value.messages)
    assert uploads_of(tenant_a.organisation) == 0


def test_o2_a_file_lying_about_its_size_is_read_only_up_to_the_cap(tenant_a, settings):
    """An upload whose declared size is small but holds more: at most cap + 1 bytes are read."""
    settings.USER_LIST_MAX_BYTES = 100
    from django.core.files.base import ContentFile

    lying = ContentFile(b"email,first_name,last_name\n" + b"x" * 1000, name="l.csv")
    lying.size = 10
    with scopes_disabled(), pytest.raises(services.InvalidUserList):
        services.user_list_upload(
            organisation=tenant_a.organisation, upload=lying, by=tenant_a.referent
        )


def test_csv_injection_in_the_exported_list_is_neutralised(tenant_a, upload_of):
    with scopes_disabled():
        services.user_list_apply(
            upload=upload_of([HEADER, 'x@alfa.example,"=HYPERLINK(""http://evil"")",B,+cmd']),
            by=tenant_a.referent,
        )
    response = client_for(tenant_a.referent).get(
        reverse("user_list_export", args=[tenant_a.organisation.pk])
    )
    body = response.content.decode("utf-8-sig")
    assert response["Content-Disposition"].startswith("attachment")
    assert "'=HYPERLINK" in body and "'+cmd" in body and ",=HYPERLINK" not in body


def test_o2_a_pending_upload_that_no_longer_passes_shows_why_and_no_diff(tenant_a, upload_of):
    """The organisation's domain was removed after the upload: the page and the API say the
    file no longer passes, show no diff (not "everyone removed"), and applying loads nothing."""
    from accounts.models import OrganisationDomain

    with scopes_disabled():
        services.user_list_apply(upload=upload_of(users("alfa.example", 2)), by=tenant_a.referent)
        pending = upload_of(users("alfa.example", 3))
        OrganisationDomain.objects.filter(organisation=tenant_a.organisation).delete()
    client = client_for(tenant_a.referent)
    page = client.get(reverse("user_list_upload", args=[pending.pk])).content.decode()
    assert 'data-testid="problems"' in page and 'data-testid="diff"' not in page
    diff = Client(HTTP_AUTHORIZATION=f"Bearer {tenant_a.token_secret}").get(
        f"/api/v1/user-list-uploads/{pending.pk}/diff/"
    )
    assert diff.status_code == 200
    assert diff.json()["valid"] is False and diff.json()["removed"] == []
    client.post(reverse("user_list_apply", args=[pending.pk]), once())
    assert len(rows_of(tenant_a.organisation)) == 2


def test_o2_the_user_list_page_makes_the_same_queries_for_five_or_fifty_people(tenant_a, upload_of):
    """No query per listed person or per upload: the page's queries do not grow with the list
    (one page of 25 people, the ten latest uploads with their people in one join)."""
    url = reverse("user_list", args=[tenant_a.organisation.pk])
    counts = []
    for size, day in ((5, date(2026, 12, 1)), (50, date(2027, 1, 5))):
        with time_machine.travel(day, tick=False):
            client = client_for(tenant_a.referent)
            apply_on(day, upload_of(users("alfa.example", size)), tenant_a.referent)
            upload_of(users("alfa.example", size + 1))  # one pending upload more each time
            client.get(url)  # warm caches (tenancy, terms), as a person's next page
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_o2_an_upload_over_the_cap_is_refused_on_the_page_and_nothing_stored(tenant_a, settings):
    settings.USER_LIST_MAX_BYTES = 1024 * 1024
    client = client_for(tenant_a.referent)
    big = csv_file(*users("alfa.example", 20000))  # ~1.3 MB
    page = client.post(reverse("user_list", args=[tenant_a.organisation.pk]), {"file": big})
    assert 'data-testid="problem"' in page.content.decode() and "1 MB" in page.content.decode()
    assert uploads_of(tenant_a.organisation) == 0


def test_c5_staff_cannot_upload_nor_apply_for_a_closed_organisation(tenant_a, cstm, upload_of):
    upload = upload_of(users("alfa.example", 1))
    with scopes_disabled():
        Organisation.objects.filter(pk=tenant_a.organisation.pk).update(
            access=Organisation.Access.CLOSED
        )
    client = client_for(cstm)
    client.post(
        reverse("user_list", args=[tenant_a.organisation.pk]),
        {"file": csv_file(*users("alfa.example", 2))},
    )
    client.post(reverse("user_list_apply", args=[upload.pk]), once())
    assert uploads_of(tenant_a.organisation) == 1 and rows_of(tenant_a.organisation) == []
