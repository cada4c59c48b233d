"""CSV and XLSX exports of an event's participants with their companies' data.

This is the list funders ask for: one row per participant, with the company's
organisation number and the participant's email as required columns. Gender is left out:
it is collected only for aggregate statistics, never for lists of named people.

Spreadsheets run formulas, so text that a company typed is never allowed to become one:
CSV cells starting with ``= + - @`` (or a tab or carriage return) get a leading apostrophe
(the OWASP advice; a phone number such as ``+46 …`` shows it too, which is the price), and
XLSX cells are written with an explicit string type, which keeps the text exactly as typed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from webapp.bookings.models import Booking
from webapp.i18n import format_datetime
from webapp.regions import county_name

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: Column headers, in order; the first two after the company are the required ones.
COLUMNS = (
    _l("Booking"),
    _l("Status"),
    _l("Company"),
    _l("Organisation number"),
    _l("Country"),
    _l("County"),
    _l("Size class"),
    _l("SME"),
    _l("Industry code (SNI)"),
    _l("Participant"),
    _l("Email"),
    _l("Role"),
    _l("Dietary needs"),
    _l("Accessibility needs"),
    _l("Contact person"),
    _l("Contact email"),
    _l("Contact phone"),
    _l("Registered"),
)

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def rows(bookings: list[Booking]) -> Iterator[list[str | int]]:
    """One row per active participant of each booking, in COLUMNS order.

    ``bookings`` come from attendees.list_bookings: companies and participants loaded.
    """
    yes, no = _("Yes"), _("No")
    for booking in bookings:
        company = booking.company
        for participant in booking.active_participants:
            yield [
                booking.id,
                booking.status.label,
                company.name,
                company.org_number,
                company.country,
                county_name(company.county) if company.county else "",
                company.size_class.label,
                yes if company.is_sme else no,
                company.industry_code or "",
                participant.name,
                participant.email,
                participant.role or "",
                participant.dietary_needs or "",
                participant.accessibility_needs or "",
                booking.contact_name,
                booking.contact_email,
                booking.contact_phone or "",
                format_datetime(booking.created_at),
            ]


def headers() -> list[str]:
    return [str(column) for column in COLUMNS]


def csv_safe(value: str | int) -> str | int:
    """A CSV cell that a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(bookings: list[Booking]) -> bytes:
    """UTF-8 with a BOM and semicolons: what Excel in Swedish opens without an import dialog."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers())
    for row in rows(bookings):
        writer.writerow([csv_safe(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xlsx_value(sheet: object, value: str | int) -> str | int | WriteOnlyCell:
    """A value openpyxl writes as it is: control characters XML cannot hold are dropped."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith("="):
        # openpyxl takes any string starting with "=" for a formula unless told otherwise.
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def to_xlsx(bookings: list[Booking], title: str, generated: datetime) -> bytes:
    """A workbook with one sheet: a bold header row, frozen, then one row per participant."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Participants"))
    sheet.freeze_panes = "A2"
    for letter, width in zip(
        "ABCDEFGHIJKLMNOPQR",
        (9, 18, 30, 15, 8, 16, 10, 6, 10, 26, 32, 20, 20, 20, 24, 30, 16, 17),
        strict=True,
    ):
        sheet.column_dimensions[letter].width = width
    bold = Font(bold=True)
    header_cells = []
    for header in headers():
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows(bookings):
        sheet.append([_xlsx_value(sheet, value) for value in row])
    workbook.properties.title = title[:200]
    workbook.properties.created = generated.replace(tzinfo=None)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
