"""CSV and Excel exports of the portal's lists (issue 14), one helper for every list.

A list's export view takes the same filters as the page, asks the same selector (so the tenant
scope of SPEC T1–T3 applies as on the page) and hands the rows and its columns to ``export``.

Formats, chosen once for every list:

- **CSV**: UTF-8 with a byte-order mark (so Excel opens accents right), comma-separated (RFC 4180;
  a locale's semicolon would differ by user and break scripts), decimal point, ISO dates
  (2026-11-26) and times (2026-11-26 14:30, Europe/Rome). Streamed row by row
  (``StreamingHttpResponse``): a large export never sits in memory.
- **Excel** (openpyxl, write-only workbook written to a temporary file, then streamed): hours are
  numbers (exact Decimal, format ``0.00``), dates are dates, times are local times.
- **Formula injection**: a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
  return gets a leading apostrophe in both formats, so a spreadsheet never runs a customer's text
  as a formula (OWASP "CSV injection"). Numbers and dates are not text and are left alone.
- File names: ``<list>-<YYYY-MM-DD>.csv|xlsx`` (the day of the export).
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_scopes import get_scope, scope

CSV = "csv"
XLSX = "xlsx"
FORMATS = (CSV, XLSX)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 500

# Kinds of column, for Excel's number formats.
TEXT = "text"
HOURS = "hours"
NUMBER = "number"
DATE = "date"
DATETIME = "datetime"
EXCEL_FORMATS = {HOURS: "0.00", DATE: "yyyy-mm-dd", DATETIME: "yyyy-mm-dd hh:mm"}


@dataclass(frozen=True)
class Column:
    """One column: its header (translated when the export is made) and how to read a row."""

    header: Any
    value: Callable[[Any], Any]
    kind: str = TEXT


def neutralise(text: str) -> str:
    """A text cell a spreadsheet would read as a formula gets a leading apostrophe."""
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, Decimal | int | float):
        return str(value)
    if isinstance(value, datetime):
        return _local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(str(value))


def excel_cell(value: Any) -> Any:
    if value is None or isinstance(value, Decimal | int | float | bool):
        return value
    if isinstance(value, datetime):
        return _local(value).replace(tzinfo=None)  # Excel has no time zones
    if isinstance(value, date):
        return value
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def _rows(rows: Iterable) -> Iterator:
    if isinstance(rows, QuerySet):
        return rows.iterator(chunk_size=CHUNK)
    return iter(rows)


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def safe_name(name: str) -> str:
    """A list's name fit for a file name and an Excel sheet title: letters, digits, dot,
    hyphen and underscore (a contract number may hold a slash or a quote)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "export"


def filename(name: str, extension: str) -> str:
    return f"{safe_name(name)}-{timezone.localdate():%Y-%m-%d}.{extension}"


def export(
    request: HttpRequest, *, rows: Iterable, columns: Sequence[Column], name: str
) -> HttpResponseBase:
    """The rows as ``?format=csv`` (the default) or ``?format=xlsx``; anything else is a 404."""
    kind = request.GET.get("format", CSV)
    if kind not in FORMATS:
        raise Http404
    if kind == CSV:
        return csv_response(rows=rows, columns=columns, name=name)
    return excel_response(rows=rows, columns=columns, name=name)


def csv_response(*, rows: Iterable, columns: Sequence[Column], name: str) -> StreamingHttpResponse:
    headers = [str(column.header) for column in columns]
    # The body is produced after the view returned, outside the tenant scope and the request's
    # language: the generator opens the same scope again and speaks the same language.
    current_scope = dict(get_scope())
    language = translation.get_language()

    def lines() -> Iterator[str]:
        writer = csv.writer(_Echo())
        yield "\ufeff" + writer.writerow(headers)
        with scope(**current_scope), translation.override(language):
            for row in _rows(rows):
                yield writer.writerow([csv_cell(column.value(row)) for column in columns])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename(name, CSV)}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def excel_response(*, rows: Iterable, columns: Sequence[Column], name: str) -> FileResponse:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=safe_name(name)[:31])
    bold = Font(bold=True)
    header_cells = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=str(column.header))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in _rows(rows):
        cells = []
        for column in columns:
            cell = WriteOnlyCell(sheet, value=excel_cell(column.value(row)))
            if column.kind in EXCEL_FORMATS:
                cell.number_format = EXCEL_FORMATS[column.kind]
            cells.append(cell)
        sheet.append(cells)
    # Written to disk, then streamed from there: memory stays flat whatever the size.
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    workbook.save(handle)
    handle.seek(0)
    response = FileResponse(
        handle, as_attachment=True, filename=filename(name, XLSX), content_type=XLSX_TYPE
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
