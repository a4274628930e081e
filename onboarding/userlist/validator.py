"""The provider's user-list CSV template and its validator (SPEC O2): a pure function with no ORM.

``validate(data, context)`` reads the whole file and returns either every row, parsed, or every
problem by row and column, in the active language: never both. A file with any problem loads
nothing. The caller checks the upload's size before reading it (``USER_LIST_MAX_BYTES``); the
validator checks it again on the bytes it is given.

What is accepted: UTF-8 with or without BOM, or Windows-1252 (Excel's "CSV" on Western
Windows); comma or semicolon as separator (semicolon is what Italian, French and Spanish
spreadsheets write); CRLF or LF line ends; quoted cells with separators or line breaks inside.
Rows are numbered as a spreadsheet shows them: the header is row 1.
"""

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

DEFAULT_MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    max_length: int
    description: object  # lazy translation
    example: str
    example_2: str


LANGUAGES = ("it", "en", "fr", "es", "de", "pt", "nl")

COLUMNS: tuple[Column, ...] = (
    Column(
        "email",
        True,
        254,
        gettext_lazy("Work e-mail address, on one of the organisation's domains; unique."),
        "mario.rossi@example.com",
        "giulia.bianchi@example.com",
    ),
    Column("first_name", True, 100, gettext_lazy("First name."), "Mario", "Giulia"),
    Column("last_name", True, 100, gettext_lazy("Last name."), "Rossi", "Bianchi"),
    Column(
        "department", False, 100, gettext_lazy("Department or office."), "Amministrazione", "IT"
    ),
    Column("job_title", False, 100, gettext_lazy("Job title."), "Contabile", "Sistemista"),
    Column(
        "manager_email",
        False,
        254,
        gettext_lazy("E-mail address of the person's manager (for supervisor reports)."),
        "anna.verdi@example.com",
        "",
    ),
    Column(
        "language",
        False,
        2,
        gettext_lazy(
            "Language of the training, two letters: it, en, fr, es, de, pt or nl; empty means "
            "Italian."
        ),
        "it",
        "en",
    ),
    Column("location", False, 100, gettext_lazy("Office or city."), "Milano", "Roma"),
)
NAMES = tuple(column.name for column in COLUMNS)
REQUIRED = tuple(column.name for column in COLUMNS if column.required)
BY_NAME = {column.name: column for column in COLUMNS}

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
UTF8 = "utf-8"
UTF8_BOM = "utf-8-sig"
CP1252 = "windows-1252"
# Not the e-mail RFC: the shape every mail platform accepts (Django's EmailValidator is ~5× slower
# on 50,000 rows and takes quoted local parts no awareness platform does).
EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,63}"
)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Problem:
    """One problem of the file: ``row`` 0 for the file as a whole, ``column`` "" for a row."""

    row: int
    column: str
    message: str


@dataclass(frozen=True)
class Context:
    domains: tuple[str, ...]
    licences: int | None  # None: no limit known (no running contract is checked elsewhere)
    max_bytes: int = DEFAULT_MAX_BYTES


@dataclass(frozen=True)
class Result:
    rows: tuple[dict[str, str], ...] = ()
    problems: tuple[Problem, ...] = ()
    encoding: str = ""
    delimiter: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Diff:
    added: tuple[dict[str, str], ...] = ()
    changed: tuple[tuple[dict[str, str], dict[str, str]], ...] = ()
    removed: tuple[dict[str, str], ...] = ()
    unchanged: int = 0
    changed_fields: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _refused(message: str, *, encoding: str = "", delimiter: str = "") -> Result:
    return Result(problems=(Problem(0, "", message),), encoding=encoding, delimiter=delimiter)


def _decode(data: bytes) -> tuple[str, str] | str:
    """(text, encoding) or the reason the bytes are not a text file we accept."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _('The file is encoded as UTF-16: save it again as "CSV UTF-8" (or plain CSV).')
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return _(
            'This is a spreadsheet (Excel) file, not a CSV: save it as "CSV UTF-8" and upload that.'
        )
    if b"\x00" in data:
        return _("This is not a text file (it contains binary data): upload a CSV file.")
    encoding = UTF8_BOM if data.startswith(b"\xef\xbb\xbf") else UTF8
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            return _(
                'The file\'s encoding is not recognised: save it as "CSV UTF-8" (UTF-8 or '
                "Windows-1252 are accepted)."
            )
        encoding = CP1252
    if CONTROL.search(text):
        return _("This is not a text file (it contains control characters): upload a CSV file.")
    return text, encoding


def _header_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip(" \t,;"):
            return line
    return ""


def _detect_delimiter(text: str) -> str:
    """The separator that splits the header into the most known column names (then the most
    cells): a header of one name only is read with a comma."""
    line = _header_line(text)
    best, best_score = ",", (-1, -1)
    for delimiter in DELIMITERS:
        try:
            cells = next(csv.reader([line], delimiter=delimiter), [])
        except csv.Error:
            continue
        names = {_normalise_name(cell) for cell in cells}
        score = (len(names & set(NAMES)), len(cells))
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _normalise_name(cell: str) -> str:
    return cell.strip().strip("\ufeff").strip().lower().replace(" ", "_").replace("-", "_")


def delimiter_label(delimiter: str) -> str:
    return {
        ",": _("comma"),
        ";": _("semicolon"),
        "\t": _("tab"),
    }.get(delimiter, delimiter)


def encoding_label(encoding: str) -> str:
    return {
        UTF8: _("UTF-8"),
        UTF8_BOM: _("UTF-8 with BOM"),
        CP1252: _("Windows-1252"),
    }.get(encoding, encoding)


def _domain_allowed(domain: str, domains: frozenset[str]) -> bool:
    if domain in domains:
        return True
    parts = domain.split(".")
    return any(".".join(parts[i:]) in domains for i in range(1, len(parts) - 1))


def validate(data: bytes, context: Context) -> Result:
    """SPEC O2: the whole file, every problem by row and column, or every row: never both."""
    if len(data) > context.max_bytes:
        return _refused(
            _("The file is larger than %(mb)s MB: split it or remove unused columns.")
            % {"mb": context.max_bytes // (1024 * 1024)}
        )
    if not data.strip(b" \t\r\n"):
        return _refused(_("The file is empty: use the template and add one row per user."))
    decoded = _decode(data)
    if isinstance(decoded, str):
        return _refused(decoded)
    text, encoding = decoded
    delimiter = _detect_delimiter(text)
    if delimiter == "\t":
        return _refused(
            _(
                "The columns are separated by tabs: save the file as CSV, with commas or "
                "semicolons between the columns."
            ),
            encoding=encoding,
            delimiter=delimiter,
        )
    problems: list[Problem] = []
    rows: list[dict[str, str]] = []
    try:
        records = _records(text, delimiter)
        header_row, header = next(records, (1, []))
        positions, header_problems = _read_header(header, header_row)
        problems += header_problems
        if header_problems:
            return Result(problems=tuple(problems), encoding=encoding, delimiter=delimiter)
        rows, row_problems = _read_rows(records, positions, len(header), context)
        problems += row_problems
    except csv.Error as error:
        problems.append(
            Problem(
                0,
                "",
                _("The file cannot be read as CSV (%(error)s): check its quotes.")
                % {"error": str(error)},
            )
        )
    if not problems and not rows:
        problems.append(
            Problem(0, "", _("The file has a header but no user: add one row per user."))
        )
    if not problems and context.licences is not None and len(rows) > context.licences:
        problems.append(
            Problem(
                0,
                "",
                _(
                    "The file lists %(rows)s users but %(licences)s licences were bought: remove "
                    "%(extra)s users or buy more licences."
                )
                % {
                    "rows": len(rows),
                    "licences": context.licences,
                    "extra": len(rows) - context.licences,
                },
            )
        )
    if problems:
        return Result(problems=tuple(problems), encoding=encoding, delimiter=delimiter)
    return Result(rows=tuple(rows), encoding=encoding, delimiter=delimiter)


def _records(text: str, delimiter: str) -> Iterable[tuple[int, list[str]]]:
    """(spreadsheet row number, cells), blank rows skipped but counted."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    for number, cells in enumerate(reader, start=1):
        if not any(cell.strip() for cell in cells):
            continue
        yield number, cells


def _read_header(header: list[str], row: int) -> tuple[dict[str, int], list[Problem]]:
    names = [_normalise_name(cell) for cell in header]
    problems: list[Problem] = []
    positions: dict[str, int] = {}
    unknown = []
    for index, name in enumerate(names):
        if not name:
            continue
        if name not in BY_NAME:
            unknown.append(header[index].strip())
        elif name in positions:
            problems.append(
                Problem(row, name, _("The column %(name)s appears twice.") % {"name": name})
            )
        else:
            positions[name] = index
    missing = [name for name in REQUIRED if name not in positions]
    if missing:
        problems.append(
            Problem(
                row,
                "",
                _("The header lacks the required columns: %(names)s (first row of the template).")
                % {"names": ", ".join(missing)},
            )
        )
    if unknown:
        problems.append(
            Problem(
                row,
                "",
                _(
                    "The header has columns the template does not know: %(names)s. The columns "
                    "are: %(known)s."
                )
                % {"names": ", ".join(unknown), "known": ", ".join(NAMES)},
            )
        )
    return positions, problems


def _read_rows(
    records: Iterable[tuple[int, list[str]]],
    positions: Mapping[str, int],
    width: int,
    context: Context,
) -> tuple[list[dict[str, str]], list[Problem]]:
    domains = frozenset(d.strip().lower().lstrip("@") for d in context.domains)
    problems: list[Problem] = []
    rows: list[dict[str, str]] = []
    seen: dict[str, int] = {}
    messages = {
        "required": _("Required: this cell is empty."),
        "email": _("Not a valid e-mail address."),
        "language": _("Unknown language: use one of %(codes)s.") % {"codes": ", ".join(LANGUAGES)},
    }
    for number, cells in records:
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            problems.append(
                Problem(
                    number,
                    "",
                    _(
                        "This row has %(cells)s cells but the header has %(width)s columns "
                        "(a separator inside a cell must be in quotes)."
                    )
                    % {"cells": len(cells), "width": width},
                )
            )
            continue
        row: dict[str, str] = {}
        for name, index in positions.items():
            row[name] = cells[index].strip() if index < len(cells) else ""
        for name in NAMES:
            row.setdefault(name, "")
        for name in REQUIRED:
            if not row[name]:
                problems.append(Problem(number, name, messages["required"]))
        for name, value in row.items():
            if len(value) > BY_NAME[name].max_length:
                problems.append(
                    Problem(
                        number,
                        name,
                        _("Too long: at most %(max)s characters.")
                        % {"max": BY_NAME[name].max_length},
                    )
                )
        email = row["email"].lower()
        row["email"] = email
        if email:
            if not EMAIL.fullmatch(email):
                problems.append(Problem(number, "email", messages["email"]))
            else:
                domain = email.rsplit("@", 1)[1]
                if not _domain_allowed(domain, domains):
                    problems.append(
                        Problem(
                            number,
                            "email",
                            _(
                                "%(email)s is not on one of the organisation's domains "
                                "(%(domains)s)."
                            )
                            % {
                                "email": email,
                                "domains": ", ".join(sorted(domains)) or _("none registered"),
                            },
                        )
                    )
                if email in seen:
                    problems.append(
                        Problem(
                            number,
                            "email",
                            _("%(email)s is already on row %(row)s.")
                            % {"email": email, "row": seen[email]},
                        )
                    )
                else:
                    seen[email] = number
        manager = row["manager_email"].lower()
        row["manager_email"] = manager
        if manager and not EMAIL.fullmatch(manager):
            problems.append(Problem(number, "manager_email", messages["email"]))
        language = row["language"].lower()
        row["language"] = language
        if language and language not in LANGUAGES:
            problems.append(Problem(number, "language", messages["language"]))
        if not problems:
            rows.append(row)
    return ([] if problems else rows), problems


def diff(rows: Iterable[Mapping[str, str]], current: Mapping[str, Mapping[str, str]]) -> Diff:
    """What applying ``rows`` changes in the current list (by e-mail address, case-insensitive)."""
    new = {row["email"]: dict(row) for row in rows}
    added, changed, unchanged = [], [], 0
    changed_fields: dict[str, tuple[str, ...]] = {}
    for email, row in new.items():
        old = current.get(email)
        if old is None:
            added.append(row)
            continue
        fields = tuple(name for name in NAMES if (old.get(name) or "") != (row.get(name) or ""))
        if fields:
            changed.append((dict(old), row))
            changed_fields[email] = fields
        else:
            unchanged += 1
    removed = [dict(old) for email, old in current.items() if email not in new]
    return Diff(
        added=tuple(added),
        changed=tuple(changed),
        removed=tuple(removed),
        unchanged=unchanged,
        changed_fields=changed_fields,
    )


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """A cell a spreadsheet would run as a formula (CSV injection) is kept as text."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def to_csv(rows: Iterable[Mapping[str, str]]) -> str:
    """The template's columns and ``rows``, comma-separated, every cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(NAMES)
    for row in rows:
        writer.writerow([neutralise(str(row.get(name) or "")) for name in NAMES])
    return out.getvalue()


def template_csv() -> str:
    return to_csv(
        [
            {column.name: column.example for column in COLUMNS},
            {column.name: column.example_2 for column in COLUMNS},
        ]
    )
