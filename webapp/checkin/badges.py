"""Name badges as PDF: A4 sheets of one of the common badge sizes, one badge per expected
participant (active, of a confirmed booking) with their name, company and the event.

Sheets fit the usual pre-cut badge and card stock: 90 × 55 mm (ten per sheet, two columns),
86 × 54 mm (credit-card size, ten per sheet) and A6 (four per sheet, for inserts in larger
holders). Each badge has a thin grey outline to cut along on plain paper. Text uses the core
Helvetica font in Windows-1252, as the aid certificates do (webapp.aid.certificate): Swedish
and the other Western European letters print as they are; a name too long for the badge is
set smaller, down to a floor, then shortened with "…".
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from fpdf import FPDF

from webapp.aid.certificate import _printable
from webapp.bookings.attendance import expected_participants
from webapp.events.models import Event

A4 = (210.0, 297.0)


@dataclass(frozen=True)
class Layout:
    """One badge size and how many fit on an A4 sheet (columns × rows, centred)."""

    label: object
    width: float
    height: float
    columns: int
    rows: int
    #: Font sizes (pt) of the name, the company and the event line.
    sizes: tuple[float, float, float]

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows


LAYOUTS = {
    "90x55": Layout(_l("90 × 55 mm, 10 per sheet"), 90, 55, 2, 5, (20, 12, 9)),
    "86x54": Layout(_l("86 × 54 mm (card size), 10 per sheet"), 86, 54, 2, 5, (19, 11, 8)),
    "a6": Layout(_l("A6 (105 × 148 mm), 4 per sheet"), 105, 148, 2, 2, (30, 18, 12)),
}

_PADDING = 5.0
_MIN_NAME_SIZE = 10.0


def _fit(document: FPDF, text: str, width: float, size: float, floor: float) -> str:
    """Sets the largest font size from ``size`` down to ``floor`` at which ``text`` fits
    ``width``; returns the text, shortened with "…" if it fits not even at ``floor``."""
    text = _printable(text)
    while size > floor and document.get_string_width(text) > width:
        size -= 1
        document.set_font_size(size)
    if document.get_string_width(text) <= width:
        return text
    while text and document.get_string_width(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _badge(document: FPDF, layout: Layout, x: float, y: float, lines: tuple[str, str, str]) -> None:
    name, company, event = lines
    name_size, company_size, event_size = layout.sizes
    inner = layout.width - 2 * _PADDING
    document.set_draw_color(190, 190, 190)
    document.rect(x, y, layout.width, layout.height)
    document.set_text_color(0, 0, 0)
    # The name in the middle, the company below it, the event along the bottom.
    document.set_font("helvetica", "B", name_size)
    name = _fit(document, name, inner, name_size, _MIN_NAME_SIZE)
    name_height = document.font_size
    document.set_xy(x + _PADDING, y + layout.height * 0.40 - name_height)
    document.cell(inner, name_height * 1.2, name, align="C")
    document.set_font("helvetica", "", company_size)
    company = _fit(document, company, inner, company_size, company_size - 3)
    document.set_xy(x + _PADDING, y + layout.height * 0.40 + 2)
    document.cell(inner, document.font_size * 1.2, company, align="C")
    document.set_font("helvetica", "", event_size)
    document.set_text_color(80, 80, 80)
    event = _fit(document, event, inner, event_size, event_size - 2)
    document.set_xy(x + _PADDING, y + layout.height - _PADDING - document.font_size * 1.2)
    document.cell(inner, document.font_size * 1.2, event, align="C")


def pdf(event: Event, layout_key: str) -> bytes:
    """The badges of the event's expected participants, in the order of the door list
    (company, then name). Raises KeyError for an unknown layout."""
    layout = LAYOUTS[layout_key]
    document = FPDF(format="A4", unit="mm")
    document.core_fonts_encoding = "windows-1252"
    document.set_title(_printable(event.title))
    document.set_creator("Träffpunkt")
    document.set_auto_page_break(False)
    document.set_margins(0, 0, 0)
    left = (A4[0] - layout.columns * layout.width) / 2
    top = (A4[1] - layout.rows * layout.height) / 2
    participants = expected_participants(event.id)
    for index, participant in enumerate(participants):
        slot = index % layout.per_sheet
        if slot == 0:
            document.add_page()
        row, column = divmod(slot, layout.columns)
        _badge(
            document,
            layout,
            left + column * layout.width,
            top + row * layout.height,
            (participant.name, participant.booking.company.name, event.title),
        )
    if not participants:
        document.add_page()
    return bytes(document.output())
