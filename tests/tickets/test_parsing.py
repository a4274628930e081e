"""Parsing received mail (SPEC S1, S3): every message of the corpus — CPython's email test data
and our own damaged ones — is read without a crash, and the readable text survives charsets of
every kind."""

from pathlib import Path

import pytest

from tickets.parsing import is_automatic, parse

CORPUS = Path(__file__).parent / "corpus"
MESSAGES = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".txt", ".eml"))


def own(name: str):
    return parse((CORPUS / "own" / name).read_bytes())


def test_the_corpus_has_at_least_60_real_world_messages():
    assert len(MESSAGES) >= 60


@pytest.mark.parametrize("path", MESSAGES, ids=lambda p: p.name)
def test_every_message_of_the_corpus_parses(path):
    parsed = parse(path.read_bytes())
    assert parsed.key  # Message-ID or a hash: always something to deduplicate on (L4)
    assert "\x00" not in parsed.text


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("01-utf8-qp-accents.eml", "metà anno. Perché no giovedì? Città: Forlì"),
        ("02-windows-1252.eml", "più ad accedere ai corsi – compare “errore 500” €"),
        ("03-iso-8859-15.eml", "è un problema noto? Costo 10 €"),
        ("04-broken-charset.eml", "potete reimpostarla? Già provato"),
        ("13-rfc2047-b-subject-french.eml", "Le portail ne fonctionne pas"),
        ("17-spanish-latin1-header.eml", "No puedo cambiar la contraseña"),
    ],
)
def test_s8_charsets_of_any_kind_give_readable_text(name, expected):
    assert expected in own(name).text


def test_rfc2047_encoded_subjects_are_decoded():
    assert own("01-utf8-qp-accents.eml").subject == "Richiesta attività: riunione di SAL"
    assert own("13-rfc2047-b-subject-french.eml").subject == "Problème de connexion"
    assert own("17-spanish-latin1-header.eml").subject == "Contraseña olvidada"


def test_invalid_utf8_is_replaced_not_fatal():
    text = own("05-invalid-utf8.eml").text
    assert "Accesso negato" in text and "al portale" in text


def test_html_is_sanitised():
    parsed = own("07-html-script.eml")
    assert "<script" not in parsed.html and "onclick" not in parsed.html
    assert "onerror" not in parsed.html and "javascript:" not in parsed.html
    assert "<b>campagna</b>" in parsed.html
    assert "campagna di Natale" in parsed.text


def test_executable_attachments_are_recognised():
    parsed = own("08-executable-attachment.eml")
    by_name = {a.filename: a for a in parsed.attachments}
    assert by_name["setup.exe"].is_executable
    assert not by_name["metadata.pdf"].is_executable


def test_missing_sender_and_missing_message_id():
    assert own("06-no-from.eml").from_address == ""
    assert own("12-no-message-id.eml").key.startswith("sha256:")


@pytest.mark.parametrize(
    ("name", "automatic"),
    [
        ("09-auto-submitted.eml", True),
        ("10-mailer-daemon.eml", True),
        ("15-precedence-bulk.eml", True),
        ("02-windows-1252.eml", False),
    ],
)
def test_no_auto_reply_to_automatic_mail(name, automatic):
    assert bool(is_automatic(own(name), "support.csm-portal.localhost")) is automatic
