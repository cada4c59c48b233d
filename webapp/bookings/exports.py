"""CSV and XLSX exports of an event's participants with their companies' data.

This is the list funders ask for: one row per participant, with the company's
organisation number and the participant's email as required columns. Every row names its
event, project and dates, so the lists of several events stack into one (the same columns
in the same order; the per-session attendance columns come last, because their number
depends on the event). Gender is there because funders ask for it per participant list;
attendance per session says "present" or "absent" (empty while not marked), and the hours
column adds up the lengths of the sessions the person attended.

Spreadsheets run formulas, so text that a company typed is never allowed to become one:
CSV cells starting with ``= + - @`` (or a tab or carriage return) get a leading apostrophe
(the OWASP advice; a phone number such as ``+46 …`` shows it too, which is the price), and
XLSX cells are written as inline strings (webapp.xlsx), which keeps the text exactly as
typed. :func:`to_csv_bytes` is shared with the reports' participant list.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp import xlsx
from webapp.bookings.forms import GENDER_LABELS
from webapp.bookings.models import Booking, Gender
from webapp.companies.models import SizeClass
from webapp.events.models import Event, EventSession
from webapp.i18n import current_language, format_date, format_datetime, format_span
from webapp.regions import county_name

XLSX_MIMETYPE = xlsx.MIMETYPE

Cell = xlsx.Cell

_DIETARY = _l("Dietary needs")
_ACCESSIBILITY = _l("Accessibility needs")
_PHONE = _l("Contact phone")

#: Column headers, in order, before one column per session.
COLUMNS = (
    _l("Event"),
    _l("Project"),
    _l("First day"),
    _l("Last day"),
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
    _l("Gender"),
    _l("Role"),
    _DIETARY,
    _ACCESSIBILITY,
    _l("Contact person"),
    _l("Contact email"),
    _PHONE,
    _l("Registered"),
    _l("Sessions attended"),
    _l("Hours"),
)
_WIDTHS = (30, 24, 11, 11, 9, 18, 30, 15, 8, 16, 10, 6, 10, 26, 32, 14, 20, 20, 20, 24, 30,
           16, 17, 10, 8)  # fmt: skip

#: Short size names for spreadsheet cells (the register's labels say "… enterprise").
SIZE_NAMES = {
    SizeClass.MICRO: _l("Micro"),
    SizeClass.SMALL: _l("Small"),
    SizeClass.MEDIUM: _l("Medium"),
    SizeClass.LARGE: _l("Large"),
}

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

#: Columns only organisers of the running organisation get (attendees.sees_needs).
_NEED_TO_KNOW = frozenset(
    i for i, c in enumerate(COLUMNS) if any(c is h for h in (_DIETARY, _ACCESSIBILITY, _PHONE))
)


def _visible(cells: list[Cell], private: bool) -> list[Cell]:
    """The row without the need-to-know columns unless ``private``."""
    if private:
        return cells
    return [cell for index, cell in enumerate(cells) if index not in _NEED_TO_KNOW]


#: (participant id, session id) → marked present?
Marks = dict[tuple[int, int], bool]


def gender_name(gender: Gender | None) -> str:
    return str(GENDER_LABELS[gender]) if gender else _("Not stated")


def hours(minutes: int) -> float:
    """Minutes as hours, to two decimals (a spreadsheet number)."""
    return round(minutes / 60, 2)


def session_headers(event: Event) -> list[str]:
    """One header per session that was not cancelled, with its time and length."""
    return [
        _(
            "Session %(num)s: %(time)s (%(hours)s h)",
            num=index,
            time=format_span(s.starts_at, s.ends_at),
            hours=f"{hours(_minutes(s)):g}",
        )
        for index, s in enumerate(_live_sessions(event), start=1)
    ]


def _live_sessions(event: Event) -> list[EventSession]:
    return [s for s in event.sessions if s.cancelled_at is None]


def _minutes(session: EventSession) -> int:
    return round((session.ends_at - session.starts_at).total_seconds() / 60)


def rows(
    event: Event,
    bookings: list[Booking],
    marks: Marks,
    private: bool = False,
    extras: Sequence[Any] = (),
) -> Iterator[list[Cell]]:
    """One row per active participant of each booking, in COLUMNS order, then sessions,
    then the columns of ``extras`` (signals.attendee_list_extras: one per question).

    ``bookings`` come from attendees.list_bookings (companies and participants loaded),
    ``marks`` from attendance.marks. Without ``private`` (attendees.sees_needs) the needs
    and the contact's phone are left out.
    """
    yes, no = _("Yes"), _("No")
    present, absent = _("Present"), _("Absent")
    sessions = _live_sessions(event)
    project = event.project.name if event.project else ""
    first, last = format_date(event.starts_at), format_date(event.ends_at)
    for booking in bookings:
        company = booking.company
        for participant in booking.active_participants:
            if not all(extra.keeps(participant) for extra in extras):
                continue  # filtered out on a participant's own answer
            attended = [marks.get((participant.id, s.id)) for s in sessions]
            minutes = sum(_minutes(s) for s, mark in zip(sessions, attended, strict=True) if mark)
            yield _visible(
                [
                    event.title,
                    project,
                    first,
                    last,
                    booking.id,
                    booking.status.label,
                    company.name,
                    company.org_number,
                    company.country,
                    county_name(company.county) if company.county else "",
                    str(SIZE_NAMES[company.size_class]),
                    yes if company.is_sme else no,
                    company.industry_code or "",
                    participant.name,
                    participant.email,
                    gender_name(participant.gender),
                    participant.role or "",
                    participant.dietary_needs or "",
                    participant.accessibility_needs or "",
                    booking.contact_name,
                    booking.contact_email,
                    booking.contact_phone or "",
                    format_datetime(booking.created_at),
                    sum(1 for mark in attended if mark),
                    hours(minutes),
                    *("" if mark is None else present if mark else absent for mark in attended),
                ],
                private,
            ) + [cell for extra in extras for cell in extra.cells(booking, participant)]


def headers(event: Event, private: bool = False, extras: Sequence[Any] = ()) -> list[str]:
    return (
        _visible([str(column) for column in COLUMNS], private)
        + session_headers(event)
        + [header for extra in extras for header in extra.headers()]
    )


def csv_safe(value: Cell) -> Cell:
    """A CSV cell that a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _csv_number(value: Cell, decimal: str) -> Cell:
    if isinstance(value, float):
        return f"{value:g}".replace(".", decimal)
    return csv_safe(value)


def to_csv_bytes(header: Sequence[str], body: Iterable[Sequence[Cell]]) -> bytes:
    """UTF-8 with a BOM and semicolons: what Excel in Swedish opens without an import dialog.

    Decimal numbers use the comma when the page is in Swedish, as Swedish Excel reads them.
    """
    decimal = "," if current_language() == "sv" else "."
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in body:
        writer.writerow([_csv_number(value, decimal) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_csv(
    event: Event,
    bookings: list[Booking],
    marks: Marks,
    private: bool = False,
    extras: Sequence[Any] = (),
) -> bytes:
    return to_csv_bytes(
        headers(event, private, extras), rows(event, bookings, marks, private, extras)
    )


def to_xlsx(
    event: Event,
    bookings: list[Booking],
    marks: Marks,
    generated: datetime,
    private: bool = False,
    extras: Sequence[Any] = (),
) -> bytes:
    """A workbook with one sheet of participants; sessions get 22-character columns, the
    extras' columns (answers) 30."""
    workbook = xlsx.Workbook(event.title, generated)
    header = headers(event, private, extras)
    extra_columns = len(header) - len(headers(event, private))
    widths = (
        *_visible(list(_WIDTHS), private),
        *([22] * len(session_headers(event))),
        *([30] * extra_columns),
    )
    body = rows(event, bookings, marks, private, extras)
    workbook.add_sheet(_("Participants"), header, body, widths)
    return workbook.close()
