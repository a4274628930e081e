"""Parsing received mail (SPEC S1, S3): every message of the corpus — CPython's email test data
and our own damaged ones — is read without a crash, and the readable text survives charsets of
every kind."""

from pathlib import Path

import pytest

from tickets.parsing import is_automatic, parse, safe_filename

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


# --------------------------------------------------------------------------- charsets (issue 11)


def test_gb2312_declared_text_carrying_gbk_characters_is_read_through_gb18030():
    """Mailers label GBK text "gb2312": 镕 is not in GB2312, so a strict decoder fails and the
    old fallback produced cp1252 mojibake; the superset GB18030 reads body, subject and name."""
    parsed = own("30-gb2312-declared-gbk-text.eml")
    assert "朱镕基同志的账号被锁定了，请帮忙重置密码。" in parsed.text
    assert parsed.subject == "门户网站登录问题：镕"
    assert parsed.from_name == "王镕"


def test_iso_2022_jp_with_windows_extensions_is_decoded_not_left_as_escape_sequences():
    """Outlook's ISO-2022-JP (CP50221) carries NEC row 13 (①, ㈱), NEC-selected IBM kanji (髙)
    and half-width katakana, which Python's iso2022_jp refuses: the text used to come out as
    `\\x1b$B…`."""
    parsed = own("31-iso-2022-jp-extensions.eml")
    assert "お世話になっております。①ログインできません。㈱アルファ 髙橋ｶﾀｶﾅ" in parsed.text
    assert "\x1b" not in parsed.text and "\x1b" not in parsed.subject
    assert parsed.subject == "①ログイン不可（㈱アルファ）"


def test_iso_2022_jp_2_jis_x_0212_characters_are_decoded():
    """ISO-2022-JP-2 designates JIS X 0212 with ESC $ ( D; the declared ISO-2022-JP is read
    through its superset."""
    raw = (
        b"From: a@alfa.example\r\nSubject: x\r\nMessage-ID: <jp2@x>\r\n"
        b"Content-Type: text/plain; charset=iso-2022-jp\r\n\r\n"
        + "日本語と ".encode("iso2022_jp")
        + "丂".encode("iso2022_jp_2")
        + b"\r\n"
    )
    assert parse(raw).text == "日本語と 丂"


def test_raw_8bit_headers_are_read_as_utf8_or_in_the_charset_of_the_body():
    """Headers sent as raw 8-bit bytes (no RFC 2047): UTF-8 when they are UTF-8, otherwise the
    body's charset or detection (a GBK subject), and cp1252 last (a Latin-1 name)."""
    parsed = own("32-raw-8bit-headers.eml")
    assert parsed.subject == "Città di Forlì: accesso negato"
    assert parsed.from_name == "José Pérez" and parsed.from_address == "jose@alfa.example"
    chinese = own("33-raw-8bit-gbk-subject.eml")
    assert chinese.subject == "门户网站无法登录，请尽快帮忙处理"


def test_undeclared_multibyte_body_is_detected_before_falling_back_to_latin1():
    """No charset at all and GBK bytes: charset-normalizer recognises them (a single-byte guess
    would be mojibake)."""
    assert (
        own("33-raw-8bit-gbk-subject.eml").text
        == "您好，我们的门户网站无法登录，请尽快帮忙处理。谢谢！"
    )


def test_western_text_in_cp1252_is_not_mistaken_by_detection():
    """Detection decides only multibyte families: short Italian cp1252 text stays cp1252 (the
    detector alone reads it as mac_latin2)."""
    raw = (
        b"From: a@alfa.example\r\nSubject: x\r\n\r\n"
        + "Già provato, non riesco più ad accedere perché è bloccato".encode("cp1252")
    )
    assert parse(raw).text == "Già provato, non riesco più ad accedere perché è bloccato"


# --------------------------------------------------------------------------- parts (issue 11)


def test_a_forwarded_message_is_an_eml_attachment_not_merged_into_the_body():
    parsed = own("28-forward-of-a-bounce-by-a-person.eml")
    assert "non deve finire nel corpo" not in parsed.text
    assert parsed.text == "Perché la vostra risposta non arriva a Mario? Vi inoltro il messaggio."
    (forwarded,) = parsed.attachments
    assert forwarded.filename.endswith(".eml") and forwarded.content_type == "message/rfc822"
    inner = parse(forwarded.payload)
    assert inner.subject == "Undeliverable: [T000068] Errore report"
    assert "non deve finire nel corpo" in inner.text


def test_a_delivery_report_keeps_the_returned_message_and_status_as_attachments():
    """The message we sent, returned inside an Exchange report, is not body text of the
    report: the status and the returned message are attachments."""
    parsed = own("22-bounce-exchange-en.eml")
    assert "Abbiamo ricevuto la sua richiesta" not in parsed.text
    assert "couldn't be delivered" in parsed.text
    names = {a.content_type: a.filename for a in parsed.attachments}
    assert names["message/rfc822"].endswith(".eml")
    assert names["message/delivery-status"].endswith(".txt")
    headers = own("21-bounce-postfix.eml").attachments
    assert [a.content_type for a in headers] == ["message/delivery-status", "text/rfc822-headers"]
    assert (
        b"Message-ID: <176420000000.4242.1111@support.csm-portal.localhost>" in headers[1].payload
    )


def test_inline_parts_without_a_name_get_one_from_their_type():
    names = [a.filename for a in own("34-nameless-and-hostile-filenames.eml").attachments]
    assert names[:3] == ["image001.png", "image002.jpg", "part-4.pdf"]
    assert [a.filename for a in own("14-nested-alternative-inline-image.eml").attachments] == [
        "image001.png"
    ]


def test_control_characters_and_path_separators_are_stripped_from_file_names():
    """A right-to-left override hid `.exe` behind "fattura…pdf"; CR, LF, TAB, BEL and slashes
    reached the stored name."""
    by_type = {a.content_type: a for a in own("34-nameless-and-hostile-filenames.eml").attachments}
    executable = by_type["application/octet-stream"]
    assert executable.filename == "fatturafdp.exe" and executable.is_executable
    csv = by_type["text/csv"].filename
    assert "/" not in csv and "\\" not in csv and csv.endswith(".csv")
    assert all(ch.isprintable() for ch in csv) and not csv.startswith(".")
    assert safe_filename("..\u202e\x00a/b\\c\r\n.txt") == "a_b_c.txt"
