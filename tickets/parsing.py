"""Raw mail bytes → what the service desk needs (SPEC S1, S3). No ORM: tested on a corpus of
real-world messages. Tolerant by design: a broken charset, a malformed header or a missing part
degrades to the best readable text and never raises for ordinary damage."""

import functools
import hashlib
import mimetypes
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import EmailPolicy
from email.utils import getaddresses, parsedate_to_datetime

import nh3

from tickets.charsets import (
    decode_header_value,
    decode_payload,
    detect_multibyte,
)

# Added by the servers a message passes through, not by its author: a re-delivery differs in
# these only, so they are left out of the content hash (SPEC L4, docs/decisions.md).
TRACE_HEADERS = frozenset(
    [
        "received",
        "return-path",
        "delivered-to",
        "x-original-to",
        "envelope-to",
        "x-envelope-to",
        "x-envelope-from",
        "authentication-results",
        "received-spf",
        "dkim-signature",
        "x-google-dkim-signature",
        "x-received",
        "x-virus-scanned",
    ]
)
TRACE_PREFIXES = ("arc-", "x-spam-", "x-ms-exchange-organization-", "x-rspamd-")
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
LINE_BREAK = re.compile(r"\n|\r")  # what policy.default removes before parsing a header


@functools.lru_cache(maxsize=1024)
def _parsed_header(name: str, value: str):
    """A header value through the strict parser of ``policy.default``, once: the parts of a
    message ask for Content-Type and Content-Disposition again and again (content type, main
    type, charset, disposition, filename), and most messages carry the same few values. The
    parsed headers are immutable (str subclasses)."""
    return policy.default.header_factory(name, value)


class _Part(EmailMessage):
    """A parsed message or part that answers its content type from what it worked out the
    first time (parsing asks each part for it a dozen times, each a scan of its headers);
    forgotten whenever a header is set or removed."""

    def get_content_type(self):
        try:
            return self.__dict__["_content_type"]
        except KeyError:
            found = self.__dict__["_content_type"] = super().get_content_type()
            return found

    def _forget(self) -> None:
        self.__dict__.pop("_content_type", None)
        self.__dict__.pop("_first_headers", None)

    def set_raw(self, name, value):
        self._forget()
        super().set_raw(name, value)

    def __setitem__(self, name, val):
        self._forget()
        super().__setitem__(name, val)

    def __delitem__(self, name):
        self._forget()
        super().__delitem__(name)

    def replace_header(self, _name, _value):
        self._forget()
        super().replace_header(_name, _value)

    def set_default_type(self, ctype):
        self._forget()
        super().set_default_type(ctype)

    def set_boundary(self, boundary):
        self._forget()
        super().set_boundary(boundary)

    def clear(self):
        self._forget()
        super().clear()

    def clear_content(self):
        self._forget()
        super().clear_content()


class _OnceParsedHeaders(EmailPolicy):
    """``policy.default`` whose header objects are parsed once per distinct value."""

    def header_fetch_parse(self, name, value):
        if hasattr(value, "name"):
            return value
        return _parsed_header(name, LINE_BREAK.sub("", value))


POLICY = _OnceParsedHeaders(message_factory=_Part)


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
class Failure:
    """One recipient a delivery report says was not reached."""

    address: str
    diagnostic: str


@dataclass
class DeliveryReport:
    """A bounce or an automatic reply (SPEC S11): never a ticket, noted on the ticket it
    concerns."""

    kind: str  # "bounce" or "auto_reply"
    signals: list[str]
    failures: list[Failure] = field(default_factory=list)
    original_message_ids: list[str] = field(default_factory=list)
    original_subject: str = ""


@dataclass
class ParsedMessage:
    message_id: str
    key: str
    content_hash: str
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
    report: DeliveryReport | None = None
    # The Authentication-Results values of the message (SPEC S10), top (most recent) first.
    authentication_results: list[str] = field(default_factory=list)

    @property
    def ticket_numbers(self) -> list[str]:
        return TICKET_NUMBER.findall(self.subject)


def _charset_hint(message: Message) -> str | None:
    """The charset of the first text part: declared, else detected (multibyte only)."""
    for part in _leaf_parts(message):
        if part.get_content_maintype() != "text":
            continue
        declared = part.get_content_charset()
        if declared and declared.lower() not in ("us-ascii", "ascii", "utf-8"):
            return declared
        payload = part.get_payload(decode=True) or b""
        if payload.isascii():
            continue
        try:
            payload.decode("utf-8")
            continue
        except UnicodeDecodeError:
            pass
        return detect_multibyte(payload)
    return None


def _raw_header(message: Message, name: str) -> str | None:
    """The first ``name`` header of ``message`` as it came, from a map of its headers made
    once per message part (a message is read for about twenty headers)."""
    try:
        first = message.__dict__["_first_headers"]
    except KeyError:
        first = {}
        for key, value in message.raw_items():
            first.setdefault(key.lower(), value)
        message.__dict__["_first_headers"] = first
    value = first.get(name.lower())
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _header(message: Message, name: str, hint: str | None = None) -> str:
    """A header as text; RFC 2047 words and raw 8-bit bytes decoded; never raises on a
    malformed one."""
    try:
        value = _raw_header(message, name)
        text = decode_header_value(value, hint) if value is not None else ""
    except Exception:  # a header beyond repair: whatever the policy makes of it
        try:
            text = str(message.get(name) or "")
        except Exception:
            text = ""
    # Folding, stray newlines and NUL bytes (which PostgreSQL refuses in text) removed.
    return " ".join(text.replace("\x00", " ").split())


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        inner = part.get_payload()
        return inner if isinstance(inner, str) else ""
    return decode_payload(payload, part.get_content_charset())


def safe_filename(name: str) -> str:
    """A stored file name: no control or format characters (a right-to-left override hides an
    .exe), no path separators, no leading dots; the extension kept when shortened."""
    name = unicodedata.normalize("NFC", name)
    name = "".join(
        "_" if char in "/\\" else char
        for char in name
        if unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Zl", "Zp")
    )
    name = " ".join(name.split()).strip(" .")
    if len(name) > 200:
        stem, dot, extension = name.rpartition(".")
        short = dot and len(extension) < 10
        name = f"{stem[: 199 - len(extension)]}.{extension}" if short else name[:200]
    return name


def _filename(part: Message) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if name and any("\udc80" <= char <= "\udcff" for char in name):
        name = decode_header_value(name)
    return safe_filename(name or "")


EXTENSIONS = {
    "message/rfc822": ".eml",
    "text/rfc822-headers": ".eml",
    "message/delivery-status": ".txt",
    "message/disposition-notification": ".txt",
    "image/jpeg": ".jpg",
    "text/plain": ".txt",
}


def _extension(content_type: str) -> str:
    return EXTENSIONS.get(content_type) or mimetypes.guess_extension(content_type) or ".bin"


def _ids(value: str) -> list[str]:
    return MESSAGE_ID.findall(value)


def content_hash(raw: bytes) -> str:
    """What makes a re-delivery a re-delivery (SPEC L4): the bytes with line endings made
    uniform (servers store CRLF what was sent with LF) and without the trace headers servers
    add on the way (TRACE_HEADERS: Received, Return-Path, Delivered-To, Authentication-Results,
    ARC-*, DKIM-Signature...). Two messages differing in anything else differ here."""
    normal = raw.replace(b"\r\n", b"\n")
    head, separator, body = normal.partition(b"\n\n")
    if not separator and not re.match(rb"[!-9;-~]+:", head):
        head, body = b"", normal  # no header block at all
    fields: list[bytes] = []
    for line in head.split(b"\n"):
        if fields and line[:1] in (b" ", b"\t"):
            fields[-1] += b"\n" + line
        else:
            fields.append(line)
    kept = []
    for field_bytes in fields:
        name = field_bytes.split(b":", 1)[0].strip().lower().decode("ascii", "replace")
        if name in TRACE_HEADERS or name.startswith(TRACE_PREFIXES):
            continue
        kept.append(field_bytes)
    content = b"\n".join(kept) + b"\n\n" + body.rstrip()
    return hashlib.sha256(content).hexdigest()


def content_key(raw: bytes) -> str:
    """The key of a message without Message-ID: its content hash (SPEC L4: same message, same
    key, whatever route it took)."""
    return "sha256:" + content_hash(raw)


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


def _address_list(message: Message, name: str, hint: str | None = None) -> list[tuple[str, str]]:
    """(display name, address) pairs, split before decoding (a decoded name may hold a comma)."""
    raw = _raw_header(message, name)
    if raw is None:
        return []
    try:
        pairs = getaddresses([" ".join(raw.split())])
    except Exception:
        pairs = []
    if not any("@" in address for _, address in pairs):
        pairs = getaddresses([_header(message, name, hint)])
    result = []
    for display, address in pairs:
        address = decode_header_value(address, hint).strip()
        result.append((" ".join(decode_header_value(display, hint).split()), address))
    return result


def _addresses(message: Message, name: str, hint: str | None = None) -> list[str]:
    return [address.lower() for _, address in _address_list(message, name, hint) if "@" in address]


def _leaf_parts(message: Message):
    """The parts of a message, without descending into attached messages: a forwarded message
    or a delivery report is one attachment, not more body text."""
    if message.get_content_maintype() == "message" or not message.is_multipart():
        yield message
        return
    for part in message.get_payload():
        if isinstance(part, Message):
            yield from _leaf_parts(part)


def _message_payload(part: Message) -> bytes:
    """An attached message/* part as bytes (.eml), as close to what was sent as possible."""
    inner = part.get_payload()
    if isinstance(inner, list):
        if part.get_content_type() == "message/rfc822" and inner:
            try:
                return inner[0].as_bytes(policy=policy.compat32)
            except Exception:
                return inner[0].as_string(policy=policy.compat32).encode("utf-8", "replace")
        blocks = []
        for block in inner:
            try:
                blocks.append(block.as_bytes(policy=policy.compat32))
            except Exception:
                blocks.append(str(block).encode("utf-8", "replace"))
        return b"\n".join(blocks)
    decoded = part.get_payload(decode=True)
    return decoded if decoded is not None else str(inner).encode("utf-8", "replace")


def parse(raw: bytes) -> ParsedMessage:
    message: EmailMessage = BytesParser(policy=POLICY).parsebytes(raw)
    defects = [type(d).__name__ for d in getattr(message, "defects", [])]
    head = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0]
    hint = None if head.isascii() else _charset_hint(message)
    senders = _address_list(message, "From", hint)
    from_name, from_address = senders[0] if senders else ("", "")
    message_id_header = _header(message, "Message-ID")
    ids = _ids(message_id_header)
    message_id = ids[0] if ids else ""
    digest = content_hash(raw)
    key = message_id or "sha256:" + digest
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
    images = 0
    for index, part in enumerate(_leaf_parts(message), start=1):
        try:
            disposition = (part.get_content_disposition() or "").lower()
        except Exception:
            disposition = ""
        content_type = part.get_content_type()
        filename = _filename(part)
        if part.get_content_maintype() == "message" or content_type == "text/rfc822-headers":
            payload = _message_payload(part)
        elif disposition == "attachment" or (filename and content_type != "text/plain"):
            payload = part.get_payload(decode=True) or b""
        elif content_type == "text/plain":
            texts.append(_part_text(part))
            continue
        elif content_type == "text/html":
            htmls.append(_part_text(part))
            continue
        else:
            payload = part.get_payload(decode=True) or b""
            if not payload:
                continue
        if not filename:
            # Named from the type, as mail clients do (image001.png, part-2.pdf).
            if part.get_content_maintype() == "image":
                images += 1
                filename = f"image{images:03d}{_extension(content_type)}"
            elif content_type == "message/rfc822":
                filename = f"message-{index}.eml"
            else:
                filename = f"part-{index}{_extension(content_type)}"
        elif content_type == "message/rfc822" and not filename.lower().endswith(".eml"):
            filename = f"{filename[:195]}.eml"
        attachments.append(ParsedAttachment(filename, content_type, payload))
    html = sanitise_html("\n".join(htmls)) if htmls else ""
    text = "\n\n".join(t.strip() for t in texts if t.strip())
    if not text and htmls:
        text = html_to_text(html)
    auto_submitted_value = _header(message, "Auto-Submitted").lower()
    auto_submitted = auto_submitted_value not in ("", "no")
    loop_headers = {
        name: _header(message, name)
        for name in ("Precedence", "X-Loop", "X-Autoreply", "X-Autorespond", "List-Id")
        if _header(message, name)
    }
    subject = _header(message, "Subject", hint)[:300]
    from_address = from_address.lower() if "@" in from_address else ""
    report = delivery_report(
        message,
        sender=from_address,
        subject=subject,
        text="\n".join(texts),
        auto_submitted=auto_submitted_value,
    )
    return ParsedMessage(
        message_id=message_id,
        key=key[:300],
        content_hash=digest,
        from_address=from_address,
        from_name=from_name[:300],
        to=_addresses(message, "To", hint),
        cc=_addresses(message, "Cc", hint),
        subject=subject,
        sent_at=sent_at,
        in_reply_to=_ids(_header(message, "In-Reply-To")),
        references=_ids(_header(message, "References")),
        text=text.replace("\x00", ""),
        html=html.replace("\x00", ""),
        attachments=attachments,
        auto_submitted=auto_submitted,
        loop_headers=loop_headers,
        defects=defects,
        report=report,
        authentication_results=[
            " ".join(_text(value).split())
            for name, value in message.raw_items()
            if name.lower() == "authentication-results"
        ],
    )


def _text(value: object) -> str:
    """A raw header value as text (8-bit bytes, kept as surrogate escapes, replaced)."""
    return str(value).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


# --------------------------------------------------------------------------- reports (S11)

BOUNCE_SUBJECT = re.compile(
    r"^\s*(?:"
    # English (Exchange, Postfix, Exim, Gmail, qmail, Sendmail)
    r"undeliverable|undelivered mail|mail delivery failed|delivery status notification"
    r"|mail delivery failure|delivery failure|failure notice|returned mail"
    r"|message not delivered|delivery has failed|non[- ]?delivery"
    # Italian
    r"|non recapitabile|mancato recapito|impossibile recapitare|messaggio non recapitato"
    r"|notifica sullo stato (?:del|di) recapito|errore di recapito|posta non recapitata"
    # French
    r"|non remis|[ée]chec de (?:la )?remise|non distribuable|impossible de remettre"
    r"|notification d.[ée]tat de (?:la )?remise|message non d[ée]livr[ée]|rapport de non-remise"
    # Spanish
    r"|no se puede entregar|error en la entrega|no se pudo entregar|correo no entregado"
    r"|mensaje no entregado|notificaci[óo]n de estado de (?:la )?entrega|fallo en la entrega"
    r")",
    re.IGNORECASE,
)
AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(?:automatic reply|auto(?:matic)?[- ]?reply|out of (?:the )?office|risposta automatica"
    r"|fuori (?:sede|ufficio)|r[ée]ponse automatique|absence du bureau|absent du bureau"
    r"|respuesta autom[áa]tica|fuera de la oficina)",
    re.IGNORECASE,
)
DAEMON_LOCAL_PARTS = ("mailer-daemon", "postmaster", "mail-daemon", "maildaemon")
DIAGNOSTIC_LINE = re.compile(r"\b[245][.]\d{1,3}[.]\d{1,3}\b|\b[45]\d\d[ -]")
ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")


def _block_value(block: Message, name: str) -> str:
    value = _header(block, name)
    # "rfc822; someone@example.com", "smtp; 550 5.1.1 User unknown"
    kind, separator, rest = value.partition(";")
    return rest.strip() if separator and " " not in kind.strip() else value


def _status_failures(report_part: Message) -> list[Failure]:
    blocks = report_part.get_payload()
    if not isinstance(blocks, list):
        return []
    failures = []
    for block in blocks:
        if not isinstance(block, Message):
            continue
        address = _block_value(block, "Final-Recipient") or _block_value(
            block, "Original-Recipient"
        )
        action = _header(block, "Action").lower()
        if "@" not in address or action not in ("failed", ""):
            continue
        diagnostic = _block_value(block, "Diagnostic-Code") or _header(block, "Status")
        failures.append(Failure(address.strip("<>").lower(), diagnostic[:500]))
    return failures


def _text_failures(text: str, recipients: list[str]) -> list[Failure]:
    """Exim's and Exchange's human text: the address, then the server's words on the lines
    after it, up to the next blank line."""
    lines = text.splitlines()
    failures = []
    for address in recipients:
        diagnostic = ""
        for number, line in enumerate(lines):
            if address.lower() not in line.lower():
                continue
            block = []
            for following in lines[number : number + 8]:
                if block and not following.strip():
                    break
                block.append(following.strip())
            joined = " ".join(block)
            found = DIAGNOSTIC_LINE.search(joined)
            if found:
                diagnostic = joined[found.start() :]
                break
        failures.append(Failure(address.lower(), " ".join(diagnostic.split())[:500]))
    return failures


def delivery_report(
    message: Message, *, sender: str, subject: str, text: str, auto_submitted: str
) -> DeliveryReport | None:
    """SPEC S11: a bounce (RFC 3464 multipart/report, X-Failed-Recipients, a mailer-daemon or
    postmaster sender, a bounce subject in the four languages with an automatic mark or the
    returned message attached) or an automatic reply, else None. A subject alone is not enough
    (a customer may write "Non recapitabile?"), and "Fwd: Undeliverable" is a person asking."""
    signals: list[str] = []
    content_type = message.get_content_type()
    report_type = (message.get_param("report-type") or "").lower() if content_type else ""
    parts = list(_leaf_parts(message))
    status_parts = [p for p in parts if p.get_content_type() == "message/delivery-status"]
    returned = [
        p for p in parts if p.get_content_type() in ("message/rfc822", "text/rfc822-headers")
    ]
    failed_header = _header(message, "X-Failed-Recipients")
    local = sender.split("@")[0]
    if content_type == "multipart/report" and report_type == "delivery-status":
        signals.append("multipart/report")
    if status_parts:
        signals.append("message/delivery-status")
    if failed_header:
        signals.append("X-Failed-Recipients")
    if local in DAEMON_LOCAL_PARTS:
        signals.append("mailer-daemon")
    bounce_subject = bool(BOUNCE_SUBJECT.match(subject))
    automatic = auto_submitted not in ("", "no")
    null_sender = _header(message, "Return-Path").strip() == "<>"
    if bounce_subject and (automatic or null_sender or returned):
        signals.append("subject")
    kind = "bounce" if signals else ""
    if not kind:
        precedence = _header(message, "Precedence").lower()
        if auto_submitted.startswith("auto-replied"):
            signals.append("Auto-Submitted: auto-replied")
        elif _header(message, "X-Autoreply") or _header(message, "X-Autorespond"):
            signals.append("X-Autoreply")
        elif precedence == "auto_reply":
            signals.append("Precedence: auto_reply")
        elif AUTO_REPLY_SUBJECT.match(subject) and (automatic or null_sender):
            signals.append("subject")
        kind = "auto_reply" if signals else ""
    if not kind:
        return None
    failures: list[Failure] = []
    for part in status_parts:
        failures += _status_failures(part)
    if not failures and kind == "bounce":
        recipients = ADDRESS.findall(failed_header)
        if not recipients:
            # No machine-readable list: the addresses the human text names before the copy of
            # the message (Exchange and Exim print them on their own line).
            human = re.split(r"(?im)^-+.*(?:copy of|original message|headers)", text)[0]
            recipients = list(dict.fromkeys(a.lower() for a in ADDRESS.findall(human)))[:5]
            recipients = [a for a in recipients if a.split("@")[0] not in DAEMON_LOCAL_PARTS]
        failures = _text_failures(text, recipients)
    original_ids: list[str] = []
    original_subject = ""
    for part in returned:
        inner = part.get_payload()
        headers = inner[0] if isinstance(inner, list) and inner else None
        if headers is None:
            raw_headers = part.get_payload(decode=True) or b""
            headers = BytesParser(policy=policy.default).parsebytes(raw_headers, headersonly=True)
        original_ids += _ids(_header(headers, "Message-ID"))
        original_subject = original_subject or _header(headers, "Subject")
    if not original_ids and kind == "bounce":
        # Exim's plain bounce quotes the message after "------ This is a copy of the message".
        original_ids = _ids(" ".join(re.findall(r"(?im)^\s*message-id:\s*(<[^>]+>)", text)))
    seen = set()
    unique_failures = []
    for failure in failures:
        if failure.address not in seen:
            seen.add(failure.address)
            unique_failures.append(failure)
    return DeliveryReport(
        kind=kind,
        signals=signals,
        failures=unique_failures,
        original_message_ids=list(dict.fromkeys(original_ids)),
        original_subject=original_subject[:300],
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
