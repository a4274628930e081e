"""Issue 15, SPEC S1: what the parser remembers of a message part while it reads it (its content
type, its headers by name) is forgotten as soon as a header changes: never a stale answer."""

from email.parser import BytesParser

from tickets import parsing

RAW = (
    b"From: Mario <mario@alfa.example>\r\nSubject: Errore\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nTesto.\r\n"
)


def test_s1_a_parts_remembered_content_type_and_headers_follow_a_changed_header():
    """The content type and the header map a part works out once are recomputed after a
    header is replaced, set, removed or the default type changes."""
    part = BytesParser(policy=parsing.POLICY).parsebytes(RAW)
    assert part.get_content_type() == "text/plain"
    assert parsing._raw_header(part, "Subject") == "Errore"
    part.replace_header("Content-Type", "text/html; charset=utf-8")
    assert part.get_content_type() == "text/html"
    del part["Content-Type"]
    assert part.get_content_type() == "text/plain"  # the default type
    part.set_default_type("message/rfc822")
    assert part.get_content_type() == "message/rfc822"
    part["Content-Type"] = "application/pdf"
    assert part.get_content_type() == "application/pdf"
    del part["Subject"]
    part["Subject"] = "Nuovo"
    assert parsing._raw_header(part, "Subject") == "Nuovo"


def test_s1_the_parsed_message_is_the_same_with_the_remembered_answers():
    """A multipart message with an attachment reads the same through the remembering parser
    as its parts say one by one (text, attachment name and type)."""
    raw = (
        b"From: Mario <mario@alfa.example>\r\nTo: support@csm-test.example\r\n"
        b"Subject: Errore\r\nMessage-ID: <m@alfa.example>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nTesto.\r\n--B\r\n"
        b"Content-Type: application/pdf; name=a.pdf\r\n"
        b"Content-Disposition: attachment; filename=a.pdf\r\n\r\n%PDF-1.4\r\n--B--\r\n"
    )
    parsed = parsing.parse(raw)
    assert parsed.text == "Testo."
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [
        ("a.pdf", "application/pdf")
    ]
    assert parsed.from_address == "mario@alfa.example" and parsed.to == ["support@csm-test.example"]
