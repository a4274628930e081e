"""Bytes of a received message → text (SPEC S1, S8): declared charsets through their supersets
(GB2312 → GB18030, ISO-2022-JP with its Windows extensions, ISO-8859-1 → cp1252), detection of
multibyte families with charset-normalizer, then the Western fallbacks; RFC 2047 headers and raw
8-bit header bytes. Pure functions, no ORM; they never raise for damaged input."""

import base64
import binascii
import codecs
import quopri
import re

from charset_normalizer import from_bytes

# Declared charsets are tried through their supersets first: mailers label GBK text "gb2312",
# Windows' "ISO-2022-JP" carries NEC/IBM extensions, "iso-8859-1" is written by cp1252 software.
SUPERSETS: dict[str, tuple[str, ...]] = {
    "gb2312": ("gb18030",),
    "gbk": ("gb18030",),
    "cp936": ("gb18030",),
    "euc-cn": ("gb18030",),
    "x-gbk": ("gb18030",),
    "iso-2022-jp": ("iso2022_jp", "cp50221", "iso2022_jp_2", "iso2022_jp_3", "iso2022_jp_ext"),
    "shift_jis": ("cp932",),
    "x-sjis": ("cp932",),
    "euc-kr": ("cp949",),
    "ks_c_5601-1987": ("cp949",),
    "big5": ("big5hkscs",),
    "us-ascii": ("utf-8",),
    "ascii": ("utf-8",),
    "iso-8859-1": ("cp1252",),
    "latin1": ("cp1252",),
    "iso8859-1": ("cp1252",),
}
# What detection may decide alone: multibyte families. For Western text a single-byte guess
# is worse than cp1252 (charset-normalizer reads short Italian cp1252 as mac_latin2).
DETECTED_FAMILIES = ("gb", "big5", "cp932", "shift_jis", "euc_jp", "iso2022", "euc_kr", "cp949")
DETECTION_SAMPLE = 64 * 1024
FALLBACK_CHARSETS = ("cp1252", "latin-1")
ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")


def _cp50221(payload: bytes) -> str:
    """ISO-2022-JP as Windows writes it (CP50220/50221): JIS X 0208 with the NEC row 13 and
    NEC-selected IBM extensions (①, ㈱, 髙) and half-width katakana, which Python's iso2022 codecs
    refuse. Each two-byte JIS pair is turned into Shift_JIS and read as cp932."""
    out: list[str] = []
    mode = "ascii"
    i = 0
    while i < len(payload):
        byte = payload[i]
        if byte == 0x1B:
            sequence = payload[i + 1 : i + 3]
            if sequence in (b"(B", b"(J"):
                mode = "ascii"
            elif sequence == b"(I":
                mode = "kana"
            elif sequence in (b"$@", b"$B"):
                mode = "jis"
            else:
                raise UnicodeDecodeError("cp50221", payload, i, i + 3, "unknown escape")
            i += 3
            continue
        if byte in (0x0A, 0x0D) or mode == "ascii":
            if byte > 0x7F:
                raise UnicodeDecodeError("cp50221", payload, i, i + 1, "8-bit byte")
            out.append(chr(byte))
            i += 1
        elif mode == "kana":
            out.append(bytes([byte + 0x80]).decode("cp932"))
            i += 1
        else:
            if i + 1 >= len(payload):
                raise UnicodeDecodeError("cp50221", payload, i, i + 1, "truncated")
            j1, j2 = byte, payload[i + 1]
            s1 = ((j1 + 1) >> 1) + (0x70 if j1 <= 0x5E else 0xB0)
            s2 = (j2 + 0x1F + (j2 >= 0x60)) if j1 % 2 else j2 + 0x7E
            out.append(bytes([s1, s2]).decode("cp932"))
            i += 2
    return "".join(out)


def _decode_with(payload: bytes, charset: str) -> str:
    if charset == "cp50221":
        return _cp50221(payload)
    return payload.decode(charset)


def _candidates(charset: str | None) -> list[str]:
    declared = (charset or "").strip().strip('"').lower()
    try:
        canonical = codecs.lookup(declared).name if declared else ""
    except LookupError:
        canonical = ""
    names: list[str] = []
    for name in (declared, canonical):
        names += SUPERSETS.get(name, ())
    if canonical:
        names.append(declared)
    names.append("utf-8")
    return list(dict.fromkeys(names))


def detect_multibyte(payload: bytes) -> str | None:
    """charset-normalizer's guess on a sample, trusted only for the multibyte families."""
    try:
        best = from_bytes(payload[:DETECTION_SAMPLE]).best()
    except Exception:  # detection is a help, never a reason to fail
        return None
    if best is None or not best.encoding.lower().startswith(DETECTED_FAMILIES):
        return None
    return best.encoding


def _detected(payload: bytes) -> str | None:
    encoding = detect_multibyte(payload)
    if encoding is None:
        return None
    try:
        return payload.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        return None


def decode_payload(payload: bytes, charset: str | None) -> str:
    """The declared charset through its supersets, UTF-8, then detection (multibyte only),
    then cp1252 and Latin-1: always text, never an exception."""
    for candidate in _candidates(charset):
        try:
            return _decode_with(payload, candidate)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    detected = _detected(payload)
    if detected is not None:
        return detected
    for candidate in FALLBACK_CHARSETS:
        try:
            return payload.decode(candidate)
        except UnicodeDecodeError:
            continue
    return payload.decode("utf-8", errors="replace")


def _word_bytes(encoding: str, text: str) -> bytes:
    if encoding.lower() == "b":
        padded = text + "=" * (-len(text) % 4)
        try:
            return base64.b64decode(padded)
        except (binascii.Error, ValueError):
            return text.encode("ascii", "replace")
    return quopri.decodestring(text.replace("_", " ").encode("ascii", "replace"), header=False)


def decode_header_value(value: str, hint: str | None = None) -> str:
    """RFC 2047 words decoded with the same charsets as bodies (supersets, detection), and raw
    8-bit headers (which the parser hands over as surrogate escapes) read as UTF-8 or detected.
    Adjacent words in one charset are joined before decoding: mailers split multibyte
    characters across them."""
    pieces: list[tuple[bytes, str | None]] = []
    position = 0
    for match in ENCODED_WORD.finditer(value):
        between = value[position : match.start()]
        if between and not (between.isspace() and pieces and pieces[-1][1] is not None):
            pieces.append((between.encode("utf-8", "surrogateescape"), None))
        charset = match.group(1).split("*", 1)[0].lower()
        data = _word_bytes(match.group(2), match.group(3))
        if pieces and pieces[-1][1] == charset:
            pieces[-1] = (pieces[-1][0] + data, charset)
        else:
            pieces.append((data, charset))
        position = match.end()
    if position < len(value):
        pieces.append((value[position:].encode("utf-8", "surrogateescape"), None))
    return "".join(
        decode_payload(data, charset) if charset else decode_raw_header(data, hint)
        for data, charset in pieces
    )


def decode_raw_header(data: bytes, hint: str | None) -> str:
    """Undeclared header bytes: ASCII or UTF-8 (RFC 6532) first, then the charset of the body
    (a mailer that writes raw GBK headers writes a GBK body, a far better sample), then
    detection and cp1252."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return decode_payload(data, hint)
