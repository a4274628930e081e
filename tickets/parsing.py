"""Raw mail bytes → what the service desk needs (SPEC S1, S3). No ORM: tested on a corpus of
real-world messages. Tolerant by design: a broken charset, a malformed header or a missing part
degrades to the best readable text and never raises for ordinary damage."""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

import nh3

FALLBACK_CHARSETS = ("utf-8", "cp1252", "latin-1")
EXECUTABLE_EXTENSIONS = frozenset(
    [
        ".exe",
        ".com",
        ".bat",
        ".cmd",
        ".scr",
        ".pif",
        ".msi",
        ".msp",
        ".vbs",
        ".vbe",
        ".js",
        ".jse",
        ".wsf",
        ".wsh",
        ".ps1",
        ".psm1",
        ".jar",
        ".cpl",
        ".dll",
        ".hta",
        ".lnk",
        ".reg",
        ".sh",
        ".app",
        ".apk",
        ".iso",
        ".img",
    ]
)
EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"#!")
TICKET_NUMBER = re.compile(r"\[?\b(T\d{6,})\b\]?")
MESSAGE_ID = re.compile(r"<[^<>\s]+>")


@dataclass
class ParsedAttachment:
    filename: str
    content_type: str
    payload: bytes

    @property
    def size(self) -> int:
        return len(self.payload)

    @property
    def is_executable(self) -> bool:
        name = self.filename.lower()
        return any(name.endswith(ext) for ext in EXECUTABLE_EXTENSIONS) or self.payload.startswith(
            EXECUTABLE_MAGIC
        )


@dataclass
class ParsedMessage:
    message_id: str
    key: str
    from_address: str
    from_name: str
    to: list[str]
    cc: list[str]
    subject: str
    sent_at: datetime | None
    in_reply_to: list[str]
    references: list[str]
    text: str
    html: str
    attachments: list[ParsedAttachment] = field(default_factory=list)
    auto_submitted: bool = False
    loop_headers: dict[str, str] = field(default_factory=dict)
    defects: list[str] = field(default_factory=list)

    @property
    def ticket_numbers(self) -> list[str]:
        return TICKET_NUMBER.findall(self.subject)


def _header(message: Message, name: str) -> str:
    """A header as text; RFC 2047 words decoded; never raises on a malformed one."""
    try:
        value = message.get(name)
    except Exception:  # a header the policy cannot parse: fall back to the raw value
        value = message.get_all(name, [""])[0] if hasattr(message, "get_all") else ""
    if value is None:
        return ""
    try:
        text = str(value)
    except Exception:
        text = ""
    # Folding, stray newlines and NUL bytes (which PostgreSQL refuses in text) removed.
    return " ".join(text.replace("\x00", " ").split())


def _decode(payload: bytes, charset: str | None) -> str:
    for candidate in (charset, *FALLBACK_CHARSETS):
        if not candidate:
            continue
        try:
            return payload.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("utf-8", errors="replace")


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        inner = part.get_payload()
        return inner if isinstance(inner, str) else ""
    return _decode(payload, part.get_content_charset())


def _filename(part: Message) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    return (name or "").strip().replace("/", "_").replace("\\", "_")[:200]


def _addresses(message: Message, name: str) -> list[str]:
    values = [_header(message, name)]
    return [addr.lower() for _, addr in getaddresses(values) if "@" in addr]


def _ids(value: str) -> list[str]:
    return MESSAGE_ID.findall(value)


def content_key(raw: bytes) -> str:
    """The key of a message without Message-ID: a hash of its bytes with line endings made
    uniform, as servers store CRLF what was sent with LF (SPEC L4: same message, same key)."""
    normal = raw.replace(b"\r\n", b"\n").rstrip()
    return "sha256:" + hashlib.sha256(normal).hexdigest()


def sanitise_html(html: str) -> str:
    """Scripts, event handlers, styles and remote tricks removed (nh3, the maintained Rust
    sanitiser); links kept and made safe."""
    return nh3.clean(html, link_rel="noopener noreferrer nofollow")


def html_to_text(html: str) -> str:
    text = re.sub(r"(?is)<(script|style).*?</\1>", " ", html)
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>", "\n", text)
    text = re.sub(r"<[^>]+>", " ", text)
    import html as html_lib

    return re.sub(r"[ \t]+", " ", html_lib.unescape(text)).strip()


def parse(raw: bytes) -> ParsedMessage:
    message: EmailMessage = BytesParser(policy=policy.default).parsebytes(raw)
    defects = [type(d).__name__ for d in getattr(message, "defects", [])]
    from_name, from_address = parseaddr(_header(message, "From"))
    message_id_header = _header(message, "Message-ID")
    ids = _ids(message_id_header)
    message_id = ids[0] if ids else ""
    key = message_id or content_key(raw)
    sent_at = None
    try:
        date = _header(message, "Date")
        sent_at = parsedate_to_datetime(date) if date else None
        if sent_at is not None and sent_at.tzinfo is None:
            sent_at = None
    except (TypeError, ValueError, IndexError, OverflowError):
        sent_at = None
    texts: list[str] = []
    htmls: list[str] = []
    attachments: list[ParsedAttachment] = []
    for part in message.walk() if message.is_multipart() else [message]:
        if part.is_multipart():
            continue
        try:
            disposition = (part.get_content_disposition() or "").lower()
        except Exception:
            disposition = ""
        content_type = part.get_content_type()
        filename = _filename(part)
        if disposition == "attachment" or (filename and content_type not in ("text/plain",)):
            payload = part.get_payload(decode=True) or b""
            attachments.append(
                ParsedAttachment(filename or "attachment.bin", content_type, payload)
            )
        elif content_type == "text/plain":
            texts.append(_part_text(part))
        elif content_type == "text/html":
            htmls.append(_part_text(part))
        elif content_type == "message/rfc822":
            payload = part.get_payload(decode=True) or part.as_bytes()
            attachments.append(ParsedAttachment("forwarded.eml", content_type, payload))
        elif part.get_content_maintype() != "multipart":
            payload = part.get_payload(decode=True) or b""
            if payload:
                attachments.append(
                    ParsedAttachment(filename or "attachment.bin", content_type, payload)
                )
    html = sanitise_html("\n".join(htmls)) if htmls else ""
    text = "\n\n".join(t.strip() for t in texts if t.strip())
    if not text and htmls:
        text = html_to_text(html)
    auto_submitted = _header(message, "Auto-Submitted").lower() not in ("", "no")
    loop_headers = {
        name: _header(message, name)
        for name in ("Precedence", "X-Loop", "X-Autoreply", "X-Autorespond", "List-Id")
        if _header(message, name)
    }
    return ParsedMessage(
        message_id=message_id,
        key=key[:300],
        from_address=from_address.lower() if "@" in from_address else "",
        from_name=from_name[:300],
        to=_addresses(message, "To"),
        cc=_addresses(message, "Cc"),
        subject=_header(message, "Subject")[:300],
        sent_at=sent_at,
        in_reply_to=_ids(_header(message, "In-Reply-To")),
        references=_ids(_header(message, "References")),
        text=text.replace("\x00", ""),
        html=html.replace("\x00", ""),
        attachments=attachments,
        auto_submitted=auto_submitted,
        loop_headers=loop_headers,
        defects=defects,
    )


def is_automatic(parsed: ParsedMessage, own_domain: str) -> str:
    """Why no automatic reply may go to this message ("" if one may): auto-submitted, bulk or
    list mail, mailer-daemons, and our own messages coming back (SPEC: no mail loops)."""
    sender = parsed.from_address
    local = sender.split("@")[0]
    if not sender:
        return "no sender"
    if parsed.auto_submitted:
        return "Auto-Submitted"
    precedence = parsed.loop_headers.get("Precedence", "").lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    if "X-Loop" in parsed.loop_headers or "X-Autoreply" in parsed.loop_headers:
        return "X-Loop"
    if "List-Id" in parsed.loop_headers:
        return "mailing list"
    if local in ("mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply"):
        return "mailer-daemon"
    if parsed.message_id.endswith(f"@{own_domain}>") or sender.endswith(f"@{own_domain}"):
        return "our own message"
    return ""
