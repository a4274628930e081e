"""Checks of a logo file (SPEC O2), pure (no ORM): the type by its magic bytes (never by its
name), the size cap, the pixel dimensions, and an SVG's safety. An SVG is refused, with the
reason, when it has a DOCTYPE or entities, a <script>, an event-handler attribute, a
<foreignObject>, or a reference outside the file (href not starting with ``#`` or
``data:image/``; ``url(...)`` in styles likewise)."""

import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.parsers import expat

from django.utils.translation import gettext as _

MAX_BYTES = 2 * 1024 * 1024
MIN_SIDE = 64
MAX_SIDE = 4096

PNG = "image/png"
JPEG = "image/jpeg"
SVG = "image/svg+xml"
EXTENSIONS = {PNG: ".png", JPEG: ".jpg", SVG: ".svg"}


@dataclass(frozen=True)
class LogoCheck:
    content_type: str = ""
    width: int | None = None
    height: int | None = None
    problem: str = ""


def sniff(data: bytes) -> str:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype svg")) and b"<svg" in data.lower():
        return SVG
    return ""


def _raster_size(data: bytes) -> tuple[int, int] | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            return image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None


_EXTERNAL_URL = re.compile(r"url\(\s*['\"]?\s*(?!#|data:image/)", re.IGNORECASE)


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].lower()


class _DtdRefused(Exception):
    pass


def _refuse_dtd(*args: object) -> None:
    raise _DtdRefused


def _parse_without_dtd(data: bytes) -> ET.Element:
    """The standard library's parser with expat told to stop at any DOCTYPE or entity
    declaration (defusedxml is not locked): no entity is ever declared, so none expands, and
    no external DTD is fetched (whatever encoding the declaration hides behind)."""
    check = expat.ParserCreate()
    check.StartDoctypeDeclHandler = _refuse_dtd
    check.EntityDeclHandler = _refuse_dtd
    check.UnparsedEntityDeclHandler = _refuse_dtd
    check.ExternalEntityRefHandler = _refuse_dtd
    try:
        check.Parse(data, True)
    except expat.ExpatError as error:
        raise ET.ParseError(str(error)) from error
    # No DOCTYPE, hence no entity: the tree parser has nothing to expand or fetch.
    return ET.fromstring(data)  # noqa: S314


def svg_problem(data: bytes) -> str:
    """Why the SVG is refused, "" when it is safe to show."""
    lowered = data.lower()
    if b"<!doctype" in lowered or b"<!entity" in lowered:
        return _("The SVG declares a DOCTYPE or entities: save it again without them.")
    try:
        root = _parse_without_dtd(data)
    except _DtdRefused:
        return _("The SVG declares a DOCTYPE or entities: save it again without them.")
    except ET.ParseError:
        return _("The SVG file cannot be read (it is not well-formed XML).")
    if _local(root.tag) != "svg":
        return _("The file is not an SVG image.")
    for element in root.iter():
        tag = _local(element.tag)
        if tag == "script":
            return _("The SVG contains a script: logos may not run code.")
        if tag == "foreignobject":
            return _("The SVG contains a <foreignObject> (embedded HTML): it is not allowed.")
        for name, value in element.attrib.items():
            attribute = _local(name)
            if attribute.startswith("on"):
                return _("The SVG has an event handler (%(name)s): logos may not run code.") % {
                    "name": attribute
                }
            if attribute == "href":
                target = value.strip().lower()
                if not (target.startswith("#") or target.startswith("data:image/")):
                    return _(
                        "The SVG refers to a file outside itself (%(href)s): embed every "
                        "image in it."
                    ) % {"href": value.strip()[:80]}
            if attribute == "style" and _EXTERNAL_URL.search(value):
                return _("The SVG's styles load a file from outside it: embed every image in it.")
        if (
            tag == "style"
            and element.text
            and (_EXTERNAL_URL.search(element.text) or "@import" in element.text.lower())
        ):
            return _("The SVG's styles load a file from outside it: embed every image in it.")
    return ""


def check_logo(data: bytes, *, max_bytes: int = MAX_BYTES) -> LogoCheck:
    """SPEC O2: type by content, size, dimensions and safety of one logo file."""
    if not data:
        return LogoCheck(problem=_("The file is empty."))
    if len(data) > max_bytes:
        return LogoCheck(
            problem=_("The logo is larger than %(kb)s KB.") % {"kb": max_bytes // 1024}
        )
    content_type = sniff(data)
    if not content_type:
        return LogoCheck(problem=_("The logo must be a PNG, JPEG or SVG image."))
    if content_type == SVG:
        problem = svg_problem(data)
        return LogoCheck(content_type=SVG, problem=problem)
    size = _raster_size(data)
    if size is None:
        return LogoCheck(problem=_("The image cannot be read: it is damaged or not an image."))
    width, height = size
    if min(width, height) < MIN_SIDE or max(width, height) > MAX_SIDE:
        return LogoCheck(
            content_type=content_type,
            width=width,
            height=height,
            problem=_(
                "The logo is %(width)s×%(height)s pixels: each side must be between %(min)s and "
                "%(max)s pixels."
            )
            % {"width": width, "height": height, "min": MIN_SIDE, "max": MAX_SIDE},
        )
    return LogoCheck(content_type=content_type, width=width, height=height)
