"""Customers read plain sentences in their language, never the SPEC's rule codes ("H3",
"H4, H5", "S3"…), which mean nothing to them; staff may see the codes. And no doubled full stops.

The rendered check walks every route as the customer's own referent and licensed end user, with
their own objects, after each kind of charge (minimum, customer-caused overrun, absorbed overrun,
feasibility), and reads every e-mail and statement sent to the customer. The catalogue check reads
every translatable string of the code and templates, their translations and the pending ones."""

import ast
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from activities import services
from activities.models import ActivityRequest
from tests import test_route_walk
from tests.activities.conftest import activity
from tests.conftest import client_for
from tests.test_route_walk import build_url, routes, with_activity

# A rule of the SPEC: one letter of a rule family and one or two digits (ticket numbers, T and
# eight digits, and statement numbers are not codes).
RULE_CODE = re.compile(r"\b[CHLOSTW]\d{1,2}\b")
ROOT = Path(settings.BASE_DIR)
APPS = ["accounts", "activities", "contracts", "tickets", "onboarding", "csm_portal"]

# Messages only provider staff can ever read, where the rule code helps them.
STAFF_ONLY = {
    # A ticket is linked to a request by staff only.
    "This ticket was not written by the service referent (H8).",
    # Completing a request is for admins and CSTMs.
    "The referent has not confirmed this request in writing yet (H8).",
    "Record the estimate first: the referent must confirm it (H6).",
    # Kick-off minutes are recorded by the CSTM.
    "Name the service referent: confirm one or invite one (O1).",
    # A note on a ticket: notes are shown to staff only (tickets.selectors).
    "Not turned into an activity request: the mail was not authenticated (SPEC S10). The "
    "referent confirms the request in the portal or by an authenticated mail.",
    # Agent levels, in the people form of admins: not rule codes.
    "Choose the agent's level (L1, L2 or L3).",
    # The SLA policy form of admins: an agent level, not a rule code.
    "The SLA warning goes to the owner and the L2 leads this long before.",
}
# The API's reference pages document the rules for integrators; they are not messages.
DOCUMENTATION_ROUTES = ("api/v1/schema", "api/v1/docs", "api/v1/redoc")


def _customer_history(tenant, cstm) -> ActivityRequest:
    """Every kind of charge explanation, statements and an estimate for the tenant."""
    with_activity(tenant)  # the kick-off: the minimum charged; tickets, library, prerequisites
    today = timezone.localdate()
    with scopes_disabled():
        overrun = services.request_create(
            organisation=tenant.organisation,
            activity=activity("platform-support"),
            by=tenant.referent,
        )
        services.work_log(
            request=overrun,
            worked_on=today,
            minutes=75,
            by=cstm,
            customer_caused=True,
            overrun_reason="The referent changed the groups during the call.",
        )
        services.request_complete(request=ActivityRequest.objects.get(pk=overrun.pk), by=cstm)
        absorbed = services.request_create(
            organisation=tenant.organisation, activity=activity("sal-review"), by=tenant.referent
        )
        services.work_log(request=absorbed, worked_on=today, minutes=95, by=cstm)
        services.request_complete(request=ActivityRequest.objects.get(pk=absorbed.pk), by=cstm)
        ldap = services.request_create(
            organisation=tenant.organisation, activity=activity("ldap"), by=tenant.referent
        )
        services.work_log(request=ldap, worked_on=today, minutes=120, by=cstm)
        services.estimate_record(
            request=ActivityRequest.objects.get(pk=ldap.pk),
            hours=Decimal("16"),
            note="Two directories.",
            by=cstm,
        )
    return overrun


def _texts_of(response) -> str | None:
    """What the customer reads of a response; the API's ticket level (the desk level "L1", a
    value of the data, not a rule) is left out."""
    kind = response.get("Content-Type", "")
    if "html" in kind or "json" in kind or "text/plain" in kind:
        return re.sub(r'"level":\s*"L\d"', "", response.content.decode())
    return None


@pytest.mark.parametrize("who", ["referent", "end_user"])
def test_h7_customers_never_see_rule_codes_on_any_page_message_or_api_error(
    tenant_a, cstm, who, monkeypatch, django_capture_on_commit_callbacks
):
    """Every route, read and posted to by the customer with their own objects, after every kind
    of charge: no rule code and no doubled full stop anywhere in what comes back; the same for
    every e-mail and statement the customer receives."""
    statements: list[str] = []
    render_pdf = services.render_pdf

    def keep_html(html: str) -> bytes:  # the statement's content, read before it becomes a PDF
        statements.append(html)
        return render_pdf(html)

    monkeypatch.setattr(services, "render_pdf", keep_html)
    kicked_off = tenant_a
    with django_capture_on_commit_callbacks(execute=True):  # the e-mails are sent on commit
        overrun = _customer_history(kicked_off, cstm)
    # The walk's object arguments, pointed at the overrun request, its session and statement.
    with scopes_disabled():
        session = overrun.sessions.get()
        statement = ActivityRequest.objects.get(pk=overrun.pk).statement
    for table, name, value in [
        (test_route_walk.OBJECT_ARGUMENTS, "request_id", overrun.pk),
        (test_route_walk.OBJECT_ARGUMENTS, "statement_id", statement.pk),
        (test_route_walk.API_RESOURCES, "activity-requests", overrun.pk),
        (test_route_walk.API_RESOURCES, "work-sessions", session.pk),
        (test_route_walk.API_RESOURCES, "statements", statement.pk),
    ]:
        monkeypatch.setitem(table, name, lambda _tenant, value=value: value)
    user = getattr(kicked_off, who)
    seen = 0
    for route in routes():
        if route.startswith("admin/") or route.startswith(DOCUMENTATION_ROUTES):
            continue
        url, _names_object = build_url(route, kicked_off)
        for method in ("get", "post"):
            response = getattr(client_for(user), method)(url, follow=method == "post")
            text = _texts_of(response)
            if text is None:
                continue
            where = f"{method.upper()} {url} as the {who}"
            assert not RULE_CODE.search(text), f"{where}: {RULE_CODE.search(text).group()}"
            assert ".." not in re.sub(r"\.\.\.|\.\./|[\w/]\.\.[\w/]", "", text), where
            seen += 1
    assert seen > 60
    hours_page = client_for(kicked_off.referent).get(reverse("hours")).content.decode()
    assert "The referent changed the groups during the call" in hours_page  # explanations shown
    # Everything sent to the customer's people: statements, the estimate, ticket replies.
    domain = "@" + kicked_off.referent.email.split("@")[1]
    customer_mail = [m for m in mail.outbox if any(a.endswith(domain) for a in m.to)]
    assert len([m for m in customer_mail if kicked_off.referent.email in m.to]) >= 4
    assert len(statements) == 3
    for text in [*(m.subject + m.body for m in customer_mail), *statements]:
        assert not RULE_CODE.search(text), text
        assert ".." not in text, text


# --------------------------------------------------------------------------- the catalogue

GETTEXT = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy", "ngettext", "ngettext_lazy"}


def _python_msgids() -> set[str]:
    """Every literal string passed to a gettext function in the project's Python code."""
    found: set[str] = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name not in GETTEXT:
                    continue
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        found.add(arg.value)
    return found


def _template_texts() -> dict[Path, str]:
    """Every template, without its comments."""
    texts = {}
    for path in (ROOT / "templates").rglob("*"):
        if path.suffix in (".html", ".txt"):
            text = re.sub(r"\{#.*?#\}", "", path.read_text(), flags=re.S)
            text = re.sub(r"\{% comment %\}.*?\{% endcomment %\}", "", text, flags=re.S)
            texts[path] = text
    return texts


def _po_entries(language: str) -> dict[str, str]:
    """msgid → msgstr of a catalogue (plural forms: the first)."""
    text = (ROOT / "locale" / language / "LC_MESSAGES" / "django.po").read_text()
    entries = {}
    for block in text.split("\n\n"):
        if block.lstrip().startswith("#~"):
            continue  # obsolete
        parts = re.findall(r'^(msgid|msgid_plural|msgstr(?:\[0\])?) ((?:".*"\n?)+)', block, re.M)
        values = {
            key: "".join(json.loads(line) for line in raw.strip().split("\n")) for key, raw in parts
        }
        if values.get("msgid"):
            entries[values["msgid"]] = values.get("msgstr", values.get("msgstr[0]", ""))
    return entries


def _pending() -> list[dict]:
    entries = []
    for path in (ROOT / "docs" / "i18n-pending").glob("*.json"):
        entries += json.loads(path.read_text())
    return entries


def test_h7_no_translatable_message_carries_a_rule_code_unless_only_staff_read_it():
    """Every message of the code, and its Italian, English, French and Spanish translations
    (catalogues and pending ones), is free of rule codes, but for the listed staff-only ones."""
    live = _python_msgids()
    assert "The end must be after the start." in live  # the extraction sees the services
    coded = {m for m in live if RULE_CODE.search(m)}
    assert coded <= STAFF_ONLY, sorted(coded - STAFF_ONLY)
    for language in ("it", "en", "fr", "es"):
        for msgid, msgstr in _po_entries(language).items():
            if msgid in live and msgid not in STAFF_ONLY:
                assert not RULE_CODE.search(msgstr), (language, msgid, msgstr)
    for entry in _pending():
        if entry["msgid"] not in STAFF_ONLY:
            for value in (entry["msgid"], entry.get("it"), entry.get("fr"), entry.get("es")):
                assert not RULE_CODE.search(str(value)), entry


def test_h7_no_template_shows_a_rule_code():
    """The templates (comments aside) print no rule code in any language."""
    for path, text in _template_texts().items():
        match = RULE_CODE.search(re.sub(r'value="L\d"|>L\d<|"L\d"|"L1 L2 L3"', "", text))
        assert match is None, f"{path}: {match.group()}"


def test_no_message_has_a_doubled_full_stop():
    """No message, translation or pending translation ends a sentence with "..": an ellipsis
    is "…" (three dots are allowed), a doubled stop never."""
    doubled = re.compile(r"(?<!\.)\.\.(?!\.)")
    for msgid in _python_msgids():
        assert not doubled.search(msgid), msgid
    for language in ("it", "en", "fr", "es"):
        for msgid, msgstr in _po_entries(language).items():
            assert not doubled.search(msgid), (language, msgid)
            assert not doubled.search(msgstr), (language, msgstr)
    for entry in _pending():
        for value in (entry["msgid"], entry.get("it"), entry.get("fr"), entry.get("es")):
            assert not doubled.search(str(value)), entry


def test_h5_a_cause_ending_with_a_full_stop_gives_no_doubled_stop(kicked_off, cstm):
    """The CSTM's cause of an overrun often ends with a full stop: the explanation the
    referent reads still has single stops."""
    with scopes_disabled():
        req = services.request_create(
            organisation=kicked_off.organisation,
            activity=activity("platform-support"),
            by=kicked_off.referent,
        )
        plan = services.work_plan(
            request=req,
            worked_on=timezone.localdate(),
            minutes=75,
            customer_caused=True,
            overrun_reason="The VPN of the customer was down.",
            by=cstm,
        )
    assert "The VPN of the customer was down" in plan.explanation
    assert ".." not in plan.explanation
    assert not RULE_CODE.search(plan.explanation)
