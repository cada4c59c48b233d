"""The certificate of de minimis aid (intyg om stöd av mindre betydelse).

Article 6(1) of Regulation (EU) 2023/2831: the company must be told in writing the amount
of the aid as gross grant equivalent and its de minimis character, citing the regulation
by title and Official Journal reference. The certificate is in the booking's language and
made as a printable page and as a PDF (fpdf2). The PDF uses the core Helvetica font in the
Windows-1252 encoding, which covers Swedish and the other Western European languages, dashes,
quotes and the euro sign, so no font file is shipped; any other character (a Polish company
name) is printed without its accent, or as "?" (see :func:`_printable`).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _
from fpdf import FPDF
from sqlalchemy import select

from webapp.aid.models import REGULATION_EN, REGULATION_SV, AidGrant, AidGrantor
from webapp.aid.services import format_eur
from webapp.db import db
from webapp.i18n import format_amount, format_date


@dataclass(frozen=True)
class Certificate:
    """Everything the certificate says, in one language."""

    language: str
    title: str
    rows: list[tuple[str, str]]
    statement: str
    keep: str
    filename: str


def build(grant: AidGrant) -> Certificate:
    """The certificate of ``grant`` in its booking's language."""
    booking, event, project = grant.booking, grant.event, grant.project
    grantor = db.session.scalar(
        select(AidGrantor.org_number).where(AidGrantor.organisation_id == grant.organisation_id)
    )
    language = booking.language if booking.language in ("sv", "en") else "sv"
    with force_locale(language):
        dates = format_date(event.starts_at)
        if event.ends_at and format_date(event.ends_at) != dates:
            dates = f"{dates} - {format_date(event.ends_at)}"
        organisation = grant.organisation.name + (f" ({grantor})" if grantor else "")
        rows = [
            (_("Grantor"), organisation),
            (_("Project"), project.name if project else "-"),
            (_("Funder"), (project.funder if project else None) or "-"),
            (_("Funder's reference"), (project.funder_reference if project else None) or "-"),
            (_("Recipient"), f"{grant.company.name} ({grant.company.org_number})"),
            (_("Activity"), event.title),
            (_("Dates"), dates),
            (_("Amount (gross grant equivalent)"), f"{format_eur(grant.amount_sek)} SEK"),
            (_("Amount in euros"), f"EUR {format_eur(grant.amount_eur)}"),
            (
                _("Exchange rate"),
                _(
                    "%(rate)s SEK per EUR (applies from %(date)s)",
                    rate=format_amount(grant.sek_per_eur, 4),
                    date=grant.rate_valid_from.isoformat(),
                ),
            ),
            (_("Date of grant"), grant.granted_on.isoformat()),
        ]
        regulation = REGULATION_SV if language == "sv" else REGULATION_EN
        return Certificate(
            language=language,
            title=_("Certificate of de minimis aid"),
            rows=rows,
            statement=_(
                "The aid is de minimis aid granted under %(regulation)s.",
                regulation=regulation,
            ),
            keep=_(
                "Keep this certificate for three years: you will need it to declare the de "
                "minimis aid your company has received when applying for other aid."
            ),
            filename=_("de-minimis-certificate") + f"-{grant.id}.pdf",
        )


def _printable(text: str) -> str:
    """``text`` with each character Windows-1252 lacks replaced: Ł → L, ź → z, else "?"."""
    out = []
    for char in text:
        try:
            char.encode("cp1252")
        except UnicodeEncodeError:
            base = "".join(
                c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
            )
            char = _SUBSTITUTES.get(char) or (base if base.isascii() and base else "?")
        out.append(char)
    return "".join(out)


_SUBSTITUTES = {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ø": "O", "ø": "o"}


def pdf(grant: AidGrant) -> bytes:
    """The certificate as a one-page A4 PDF."""
    certificate = build(grant)
    document = FPDF(format="A4")
    document.core_fonts_encoding = "windows-1252"
    document.set_title(certificate.title)
    document.set_lang(certificate.language)
    document.set_creator("Träffpunkt")
    document.add_page()
    document.set_margins(20, 20, 20)
    document.set_font("helvetica", "B", 16)
    document.multi_cell(0, 9, _printable(certificate.title), new_x="LMARGIN", new_y="NEXT")
    document.ln(4)
    for label, value in certificate.rows:
        document.set_font("helvetica", "B", 10)
        document.cell(60, 6, _printable(label))
        document.set_font("helvetica", "", 10)
        document.multi_cell(0, 6, _printable(value), new_x="LMARGIN", new_y="NEXT")
    document.ln(4)
    document.set_font("helvetica", "", 10)
    document.multi_cell(0, 5, _printable(certificate.statement), new_x="LMARGIN", new_y="NEXT")
    document.ln(3)
    document.multi_cell(0, 5, _printable(certificate.keep), new_x="LMARGIN", new_y="NEXT")
    return bytes(document.output())
