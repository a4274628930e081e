"""What a deliverable file may be (SPEC O4): pure checks on the bytes, no ORM.

The type is decided by the content (magic bytes, and for Office files the parts inside the
zip), never by the extension or the browser's Content-Type alone: a binary renamed ``.pdf`` is
refused. The stored content type is the one detected here, so a download is never served as
something the file claimed to be."""

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class FileType:
    extensions: tuple[str, ...]
    content_type: str


PDF = FileType((".pdf",), "application/pdf")
DOCX = FileType(
    (".docx",), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
)
XLSX = FileType((".xlsx",), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
PPTX = FileType(
    (".pptx",), "application/vnd.openxmlformats-officedocument.presentationml.presentation"
)
PNG = FileType((".png",), "image/png")
JPEG = FileType((".jpg", ".jpeg"), "image/jpeg")
TXT = FileType((".txt",), "text/plain")
CSV = FileType((".csv",), "text/csv")
MD = FileType((".md",), "text/markdown")
ALLOWED = (PDF, DOCX, XLSX, PPTX, PNG, JPEG, TXT, CSV, MD)
OFFICE_PARTS = {DOCX: "word/", XLSX: "xl/", PPTX: "ppt/"}
TEXT_TYPES = (TXT, CSV, MD)


class FileRefused(ValueError):
    """Why a file cannot be a deliverable, in the active language."""


def allowed_extensions() -> str:
    return ", ".join(e.lstrip(".").upper() for t in ALLOWED for e in t.extensions)


def clean_filename(name: str, *, default: str = "document") -> str:
    """The last component of the name a browser sent, without path separators, control
    characters or anything that would break a Content-Disposition header; at most 150
    characters, the extension kept."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = re.sub(r'["<>:|?*;]', "_", name).strip(" .")
    if not name:
        return default
    path = PurePosixPath(name)
    suffix = path.suffix[:10]
    stem = path.stem[: 150 - len(suffix)] or default
    return f"{stem}{suffix}"


def _is_office(data: bytes, kind: FileType) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return False
    prefix = OFFICE_PARTS[kind]
    return "[Content_Types].xml" in names and any(n.startswith(prefix) for n in names)


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\t\r\n\f")
        return controls == 0
    return False


def _matches(kind: FileType, data: bytes) -> bool:
    if kind is PDF:
        return data.startswith(b"%PDF-")
    if kind is PNG:
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if kind is JPEG:
        return data.startswith(b"\xff\xd8\xff")
    if kind in OFFICE_PARTS:
        return data.startswith(b"PK\x03\x04") and _is_office(data, kind)
    return _is_text(data)


def check_file(*, name: str, data: bytes, max_bytes: int) -> tuple[str, FileType]:
    """The cleaned file name and its type, or :class:`FileRefused` with why."""
    filename = clean_filename(name)
    if not data:
        raise FileRefused(_("The file is empty."))
    if len(data) > max_bytes:
        raise FileRefused(
            _("The file is too large: at most %(mb)s MB.") % {"mb": max_bytes // (1024 * 1024)}
        )
    suffix = PurePosixPath(filename).suffix.lower()
    kind = next((t for t in ALLOWED if suffix in t.extensions), None)
    if kind is None:
        raise FileRefused(
            _("This type of file is not accepted. Accepted: %(types)s.")
            % {"types": allowed_extensions()}
        )
    if not _matches(kind, data):
        raise FileRefused(
            _("The content of the file is not a %(type)s file, whatever its name says.")
            % {"type": suffix.lstrip(".").upper()}
        )
    return filename, kind
