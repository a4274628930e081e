"""Numbers and dates follow the reader's language in messages, e-mails and PDFs (SPEC S8, H7,
H10): 1,5 h and 26 novembre 2026 in Italian; English users, in Europe, read 26 November 2026 and
26/11/2026, never the American month-day order."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.utils import timezone, translation
from django_scopes import scopes_disabled

from accounts.models import User
from activities import services
from activities.models import ActivityRequest
from contracts import services as contract_services
from csm_portal import formatting
from csm_portal.business_calendar import add_working_days
from tests.activities.conftest import activity, complete, log, requested

pytestmark = pytest.mark.django_db

LANGUAGES = ["it", "en", "fr", "es"]
ONE_AND_A_HALF = {"it": "1,5", "en": "1.5", "fr": "1,5", "es": "1,5"}
NOVEMBER_26 = {
    "it": "26 novembre 2026",
    "en": "26 November 2026",
    "fr": "26 novembre 2026",
    "es": "26 de noviembre de 2026",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_s8_one_helper_formats_hours_in_the_readers_language(language):
    """Decimal hours, exact and without useless zeros, with the language's decimal separator."""
    comma = "." if language == "en" else ","
    with translation.override(language):
        assert formatting.hours(Decimal("1.50")) == ONE_AND_A_HALF[language]
        assert formatting.hours(Decimal("20.5")) == f"20{comma}5"
        assert formatting.hours(Decimal("10.00")) == "10"
        assert formatting.hours(Decimal("0.34")) == f"0{comma}34"
        assert formatting.hours(None) == "—"
        # The template filter is the same helper.
        rendered = Template("{% load hours %}{{ v|hours }} h").render(
            Context({"v": Decimal("1.5")})
        )
        assert rendered == f"{ONE_AND_A_HALF[language]} h"


@pytest.mark.parametrize("language", LANGUAGES)
def test_s8_dates_are_written_day_month_in_every_language(language):
    """26 novembre 2026 in words; in figures 26/11/2026 (English included: users in Europe)."""
    day = date(2026, 11, 26)
    with translation.override(language):
        assert formatting.day(day) == NOVEMBER_26[language]
        assert formatting.day(day, short=True).startswith("26")
        assert formatting.day(day, short=True) == "26/11/2026"
        assert (
            Template("{% load hours %}{{ d|day }}").render(Context({"d": day}))
            == (NOVEMBER_26[language])
        )


def test_s8_english_users_in_europe_get_day_month_dates_and_parse_them():
    """English uses the portal's own formats: day before month, also when typed."""
    from django import forms

    with translation.override("en"):
        assert formatting.day(date(2026, 11, 26), short=True) == "26/11/2026"
        day = date(2026, 11, 26)
        assert Template('{{ d|date:"DATE_FORMAT" }}').render(Context({"d": day})) == (
            "26 November 2026"
        )
        assert Template('{{ d|date:"SHORT_DATE_FORMAT" }}').render(Context({"d": day})) == (
            "26/11/2026"
        )
        field = forms.DateField(localize=True)
        assert field.clean("03/11/2026") == date(2026, 11, 3)  # 3 November, not 11 March
        assert field.clean("2026-11-03") == date(2026, 11, 3)


@pytest.mark.parametrize("language", LANGUAGES)
def test_s8_the_lead_time_message_gives_the_date_in_the_readers_language(kicked_off, language):
    """A request too early for the activity's notice names the earliest date in words of the
    referent's language, not 2026-12-03."""
    today = timezone.localdate()
    earliest = add_working_days(today, 5)
    with (
        translation.override(language),
        scopes_disabled(),
        pytest.raises(ValidationError) as error,
    ):
        services.request_create(
            organisation=kicked_off.organisation,
            activity=activity("user-list-by-cst"),
            by=kicked_off.referent,
            preferred_on=today + timedelta(days=1),
        )
    with translation.override(language):
        expected = formatting.day(earliest)
    message = " ".join(error.value.messages)
    assert expected in message and earliest.isoformat() not in message


@pytest.mark.parametrize("language", LANGUAGES)
def test_s8_statement_email_and_pdf_use_the_referents_numbers_and_dates(
    kicked_off, cstm, language, monkeypatch, django_capture_on_commit_callbacks
):
    """The explanation, the e-mail and the PDF of a statement write 1,5 h (1.5 h in English)
    and the work date in words of the referent's language."""
    User.objects.filter(pk=kicked_off.referent.pk).update(language=language)
    pages: list[str] = []
    render_pdf = services.render_pdf
    monkeypatch.setattr(services, "render_pdf", lambda html: pages.append(html) or render_pdf(html))
    req = requested(kicked_off, "platform-support")
    _, plan = log(req, cstm, 75, caused=True, reason="VPN down")
    with django_capture_on_commit_callbacks(execute=True):
        complete(req, cstm)
    hours = f"{ONE_AND_A_HALF[language]} h"
    assert hours in plan.explanation
    with translation.override(language):
        worked = formatting.day(timezone.localdate())
    body = mail.outbox[-1].body
    assert mail.outbox[-1].to == [kicked_off.referent.email]
    assert ONE_AND_A_HALF[language] in body and worked in body
    assert hours in pages[-1] and worked in pages[-1]
    with scopes_disabled():
        assert ActivityRequest.objects.get(pk=req.pk).statement.explanation == plan.explanation


def test_s8_the_overdraft_refusal_gives_hours_in_the_readers_language(kicked_off):
    """The refusal of a charge past the balance writes 30,5 h, not 30.50 h."""
    with scopes_disabled():
        year = kicked_off.contract.licence_years.get(index=1)
        with translation.override("it"), pytest.raises(ValidationError) as error:
            contract_services.ledger_charge(
                licence_year=year,
                hours=Decimal("30.50"),
                description="Too much",
                occurred_on=timezone.localdate(),
                by=None,
                overdraft_allowed=Decimal("0"),
            )
    message = " ".join(error.value.messages)
    assert "30,5 h" in message and "30.50" not in message


@pytest.mark.parametrize("language", LANGUAGES)
def test_s8_the_activation_email_writes_its_dates_in_the_referents_language(
    tenant_a, admin_user, language, django_capture_on_commit_callbacks
):
    """SPEC C3's e-mail: activation and expiry dates in words of the referent's language
    (lower-case months in Italian, day before month in English)."""
    from contracts import services as contracts
    from contracts.models import Contract
    from tests.factories import contract_for

    with scopes_disabled():
        User.objects.filter(pk=tenant_a.referent.pk).update(language=language)
        Contract.objects.filter(pk=tenant_a.contract.pk).update(status=Contract.Status.CLOSED)
        contract = contract_for(tenant_a.organisation)
        with django_capture_on_commit_callbacks(execute=True):
            contracts.contract_activate(contract=contract, by=admin_user)
    with translation.override(language):
        starts, expires = formatting.day(contract.starts_on), formatting.day(contract.expires_on)
    body = mail.outbox[-1].body
    assert starts in body and expires in body
