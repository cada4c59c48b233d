"""Certificates: the PDF's text in both languages, the pages, the email with the PDF
through the real SMTP server, and the register export cell by cell."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from tests import factories as f
from tests.accounts import helpers as h
from webapp.aid import certificate, services
from webapp.bookings import services as bookings
from webapp.db import db
from webapp.i18n import STOCKHOLM
from webapp.notifications import dispatch
from webapp.notifications.models import MessageKind, OutboxMessage


def swedish_today() -> date:
    """Grants are dated by the Swedish day, which from 23:00 UTC in winter is tomorrow's."""
    return datetime.now(STOCKHOLM).date()


def _pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages
    )


@pytest.fixture
def granted(aid):
    event = f.event(aid.org, project=aid.project, title="Studieresa till Melbourne")
    booking = f.book(event, 2, company=4, language="sv")
    db.session.commit()
    return services.grant_for_booking(booking.id)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "sv",
            [
                "Intyg om stöd av mindre betydelse",
                "Kommissionens förordning (EU) 2023/2831 av den 13 december 2023 om "
                "tillämpningen av artiklarna 107 och 108 i fördraget om Europeiska unionens "
                "funktionssätt på stöd av mindre betydelse (EUT L, 2023/2831, 15.12.2023)",
                "Spara intyget i tre år",
                "Stödgivare Teknikparken (556036-0793)",
                "Finansiär Europeiska regionala utvecklingsfonden",
                "20201234",
            ],
        ),
        (
            "en",
            [
                "Certificate of de minimis aid",
                "Commission Regulation (EU) 2023/2831 of 13 December 2023",
                "(OJ L, 2023/2831, 15.12.2023)",
                "Keep this certificate for three years",
                "Grantor Teknikparken (556036-0793)",
            ],
        ),
    ],
)
def test_the_pdf_says_everything_in_the_bookings_language(aid, granted, language, expected):
    granted.booking.language = language
    text = _pdf_text(certificate.pdf(granted))
    for phrase in expected:
        assert phrase in text, phrase
    company = granted.company
    assert f"{company.name} ({company.org_number})" in text
    mark = "," if language == "sv" else "."  # the decimal sign as the language writes it
    assert f"46 000{mark}00 SEK" in text and f"EUR 4 000{mark}00" in text
    assert f"11{mark}5000" in text and "2020-01-01" in text
    assert granted.granted_on.isoformat() in text
    assert "Studieresa till Melbourne" in text and aid.project.name in text


def test_names_beyond_western_european_letters_still_print(aid, granted):
    aid.project.name = "Grön omställning 2026–2028"
    granted.company.name = "Łódź Trading sp. z o.o."
    text = _pdf_text(certificate.pdf(granted))
    assert (
        "Grön omställning 2026–2028" in text and "Lódz Trading sp. z o.o." in text
    )  # ó is in Windows-1252


def test_the_certificate_email_carries_the_pdf_through_smtp(aid, granted, smtp_server):
    row = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.kind == MessageKind.AID_CERTIFICATE)
    )
    assert row.booking_id == granted.booking_id and row.recipient_email == "contact4@example.se"
    dispatch.dispatch_due()
    [received] = [
        r
        for r in smtp_server.to("contact4@example.se")
        if "Intyg om stöd av mindre betydelse" in str(r.message["Subject"])
    ]
    [(name, data)] = [(n, d) for n, d in received.attachments().items() if n.endswith(".pdf")]
    assert name == f"intyg-stod-av-mindre-betydelse-{granted.id}.pdf"
    text = _pdf_text(data)
    assert "EUR 4 000,00" in text and "2023/2831" in text
    assert "Spara intyget i tre år" in received.part("text/plain")


def test_a_correction_sends_a_corrected_certificate(aid, granted):
    services.correct(aid.organiser, granted.id, Decimal("11500"), "Halv dag")
    db.session.commit()
    kinds = db.session.scalars(
        select(OutboxMessage.dedupe_key).where(OutboxMessage.kind == MessageKind.AID_CERTIFICATE)
    ).all()
    assert len(kinds) == 2 and any(":changed:" in k for k in kinds)


def test_the_manage_link_shows_and_downloads_the_certificate(client, granted):
    token = bookings.manage_token(granted.booking)
    manage = client.get(f"/bookings/{token}")
    assert f"/bookings/{token}/aid/certificate" in manage.text
    page = client.get(f"/bookings/{token}/aid/certificate")
    assert page.status_code == 200 and "2023/2831" in page.text and 'lang="sv"' in page.text
    pdf = client.get(f"/bookings/{token}/aid/certificate.pdf")
    assert pdf.mimetype == "application/pdf" and "EUR 4 000,00" in _pdf_text(pdf.data)
    assert client.get(f"/bookings/{token}x/aid/certificate.pdf").status_code == 404


def test_a_withdrawn_grant_has_no_certificate(client, granted):
    token = bookings.manage_token(granted.booking)
    bookings.cancel(granted.booking_id)
    db.session.commit()
    assert client.get(f"/bookings/{token}/aid/certificate.pdf").status_code == 404
    assert "/aid/certificate" not in client.get(f"/bookings/{token}").text


def test_the_register_export_cell_by_cell(client, aid, granted):
    other = f.book(granted.event, 1, company=5)
    bookings.cancel(other.id)
    outside = f.book(f.event(aid.org, project=aid.project), 1, company=6)
    services.grant_for_booking(outside.id).granted_on = swedish_today() - timedelta(days=400)
    db.session.commit()
    h.login_session(client, aid.viewer)
    today = swedish_today().isoformat()
    start = (swedish_today() - timedelta(days=30)).isoformat()
    for url in (
        f"/organisers/organisations/{aid.org.id}/aid.xlsx?start={start}&end={today}",
        f"/organisers/projects/{aid.project.id}/aid/register.xlsx?start={start}&end={today}",
    ):
        response = client.get(url, headers={"Accept-Language": "en"})
        assert response.status_code == 200, url
        sheet = load_workbook(io.BytesIO(response.data)).active
        rows = [[c.value for c in row] for row in sheet.iter_rows()]
        company = granted.company
        withdrawn = services.grant_for_booking(other.id)
        assert rows == [
            [
                "Company",
                "Organisation number",
                "Event",
                "Date granted",
                "Amount (SEK)",
                "Amount (EUR)",
                "SEK per EUR",
                "Status",
            ],
            [
                company.name,
                company.org_number,
                "Studieresa till Melbourne",
                today,
                46000,
                4000,
                11.5,
                "Granted",
            ],
            [
                withdrawn.company.name,
                withdrawn.company.org_number,
                "Studieresa till Melbourne",
                today,
                23000,
                2000,
                11.5,
                "Withdrawn",
            ],
        ]


def test_the_register_page_refuses_a_bad_period(client, aid):
    h.login_session(client, aid.viewer)
    response = client.get(
        f"/organisers/organisations/{aid.org.id}/aid?start=2026-12-01&end=2026-01-01",
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert "must not be before the start date" in response.text
    bad = client.get(f"/organisers/organisations/{aid.org.id}/aid.xlsx?start=x&end=y")
    # WTForms' own message, in the page's language (Swedish: no Accept-Language).
    assert bad.status_code == 422 and "Inte ett giltigt datum" in bad.text
