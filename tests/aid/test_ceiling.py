"""No aid over the ceiling without an organiser's reason, however a booking gets its seats;
organisers' bookings ask for the declaration; a withdrawal tells the company; the report
lists each company's aid and tally."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests import factories as f
from tests.accounts import helpers as h
from tests.bookings.test_views import open_form, registration_form
from webapp.aid import services
from webapp.aid.models import AidDeclaration, AidGrant, GrantStatus
from webapp.bookings import services as bookings
from webapp.bookings.models import Booking, BookingStatus
from webapp.db import db, utcnow
from webapp.notifications import dispatch
from webapp.notifications.models import MessageKind, OutboxMessage
from webapp.organisations.audit import AuditEntry

EN = {"Accept-Language": "en"}


def _grant(booking: Booking) -> AidGrant | None:
    return services.grant_for_booking(booking.id)


def _status(booking_id: int) -> BookingStatus:
    db.session.expire_all()
    return db.session.get(Booking, booking_id).status


def _audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_a_registration_over_the_ceiling_waits_for_the_organiser(client, aid):
    event = f.event(aid.org, project=aid.project, capacity=10)
    db.session.commit()
    token = open_form(client, event)
    # 299 000 EUR declared, and the place is worth 2 000 EUR: 1 000 EUR over.
    data = registration_form(
        token, **{"aid-received": "amount", "aid-amount_eur": "299000", "aid-confirm": "y"}
    )
    response = client.post(f"/events/{event.id}/register", data=data, headers=EN)
    assert response.status_code == 303
    booking = db.session.scalars(select(Booking)).one()
    assert booking.status == BookingStatus.PENDING and booking.seats_held == 0
    assert _grant(booking) is None
    assert db.session.get(type(event), event.id).seats_taken == 0
    # The declaration just given is what the review counted.
    assert db.session.scalar(select(AidDeclaration.amount_eur)) == Decimal("299000.00")
    [held] = _audit("aid.held_over_ceiling")
    assert held.details["excess_eur"] == "1000.00" and held.booking_id == booking.id
    page = client.get(response.headers["Location"], headers=EN).text
    assert "The organiser needs to confirm it" in page
    assert (
        db.session.scalar(select(OutboxMessage.kind).where(OutboxMessage.booking_id == booking.id))
        == MessageKind.PENDING
    )
    # The organiser may approve only with a reason; then the aid is granted.
    with pytest.raises(services.CeilingExceeded):
        bookings.approve(booking.id)
    db.session.rollback()
    services.approve_over_ceiling(aid.organiser, booking.id, "Styrgruppens beslut")
    db.session.commit()
    assert _status(booking.id) == BookingStatus.CONFIRMED
    assert _grant(booking).amount_eur == Decimal("2000.00")


def test_a_registration_within_the_ceiling_is_confirmed_as_before(client, aid):
    event = f.event(aid.org, project=aid.project, capacity=10)
    db.session.commit()
    token = open_form(client, event)
    data = registration_form(
        token, **{"aid-received": "amount", "aid-amount_eur": "298000", "aid-confirm": "y"}
    )
    assert client.post(f"/events/{event.id}/register", data=data, headers=EN).status_code == 303
    booking = db.session.scalars(select(Booking)).one()
    assert booking.status == BookingStatus.CONFIRMED  # exactly at the ceiling: allowed
    assert _grant(booking).amount_eur == Decimal("2000.00")
    assert _audit("aid.held_over_ceiling") == []


def test_promotion_skips_a_company_over_the_ceiling_to_the_organisers_decision(aid):
    event = f.event(aid.org, project=aid.project, capacity=1)
    first = f.book(event, 1)
    over = f.book(event, 1, company=2)  # waiting, then declares nearly the whole ceiling
    services.declare(over, Decimal("299000"), [], text="t", text_version="v")
    behind = f.book(event, 1, company=3)
    db.session.commit()
    assert {_status(over.id), _status(behind.id)} == {BookingStatus.WAITLISTED}
    bookings.cancel(first.id)
    db.session.commit()
    assert _status(over.id) == BookingStatus.PENDING  # an organiser decides
    assert _status(behind.id) == BookingStatus.CONFIRMED  # the seat went to the next
    assert _grant(db.session.get(Booking, over.id)) is None
    assert _audit("aid.held_over_ceiling")[0].booking_id == over.id


def test_adding_participants_over_the_ceiling_is_refused_and_changes_nothing(client, aid):
    event = f.event(aid.org, project=aid.project, capacity=10)
    booking = f.book(event, 1)
    services.declare(booking, Decimal("297000"), [], text="t", text_version="v")
    db.session.commit()
    assert _grant(booking).amount_eur == Decimal("2000.00")  # 299 000 in all
    with pytest.raises(services.AidError) as refused:
        bookings.add_participants(booking.id, f.people(1))
    assert "1 000,00" in str(refused.value)  # a Swedish message: a decimal comma
    db.session.rollback()
    assert len(db.session.get(Booking, booking.id).active_participants) == 1
    assert _grant(booking).amount_eur == Decimal("2000.00")
    assert db.session.get(type(event), event.id).seats_taken == 1


def _organiser_booking(org_number: str, **extra: str) -> dict[str, str]:
    return {
        "country": "SE",
        "org_number": org_number,
        "company_name": "Ringde AB",
        "county": "14",
        "staff_band": "under_10",
        "turnover_band": "up_to_2m",
        "contact_name": "Kim Kontakt",
        "contact_email": "kim@ringde.example.se",
        "participants-0-name": "Kim Kontakt",
        "participants-0-email": "kim@ringde.example.se",
        "participants-0-gender": "",
        "language": "sv",
        **extra,
    }


def test_an_organisers_booking_asks_for_the_declaration_the_company_gave(client, aid):
    event = f.event(aid.org, project=aid.project, capacity=10)
    db.session.commit()
    h.login(client, aid.organiser)
    url = f"/organisers/events/{event.id}/bookings/new"
    page = client.get(url, headers=EN).text
    assert 'name="aid-received"' in page
    assert "The contact person has confirmed that this declaration is true" in page
    missing = h.post_form(client, url, _organiser_booking(f.swedish_orgnr(77)))
    assert missing.status_code == 422
    assert 'id="aid-received-error"' in missing.text and 'id="aid-confirm-error"' in missing.text
    assert db.session.scalar(select(func.count(Booking.id))) == 0
    declared = {"aid-received": "amount", "aid-amount_eur": "1000", "aid-confirm": "y"}
    response = h.post_form(client, url, _organiser_booking(f.swedish_orgnr(77), **declared))
    assert response.status_code == 303, response.text
    booking = db.session.scalars(select(Booking)).one()
    assert booking.status == BookingStatus.CONFIRMED
    declaration = db.session.scalars(select(AidDeclaration)).one()
    assert declaration.booking_id == booking.id and declaration.amount_eur == Decimal("1000.00")
    assert declaration.text_version.endswith("/organiser")
    assert aid.organiser.name in declaration.text
    # Over the ceiling, the organiser's own booking waits too, for a decision with reason.
    over = {"aid-received": "amount", "aid-amount_eur": "299500", "aid-confirm": "y"}
    response = h.post_form(client, url, _organiser_booking(f.swedish_orgnr(78), **over))
    assert response.status_code == 303
    held = db.session.scalar(select(Booking).order_by(Booking.id.desc()).limit(1))
    assert held.status == BookingStatus.PENDING and _grant(held) is None


def test_a_withdrawal_before_the_event_emails_the_contact_and_after_it_nothing(aid, smtp_server):
    soon = f.event(aid.org, project=aid.project, title="Workshop om vätgas")
    booking = f.book(soon, 2, company=4, language="sv")
    db.session.commit()
    bookings.cancel(booking.id)
    db.session.commit()
    assert _grant(booking).status is GrantStatus.WITHDRAWN
    dispatch.dispatch_due()
    [told] = [
        r
        for r in smtp_server.to("contact4@example.se")
        if "återkallat" in str(r.message["Subject"])
    ]
    text = " ".join(told.part("text/plain").split())
    assert "Workshop om vätgas" in str(told.message["Subject"])
    assert "46 000,00 kr" in text and "4 000,00 euro" in text
    assert "gäller inte längre" in text

    started = f.event(aid.org, project=aid.project)
    later = f.book(started, 1, company=5, language="en")
    db.session.commit()
    for session in started.sessions:
        session.starts_at -= timedelta(days=400)
        session.ends_at -= timedelta(days=400)
    started.starts_at = min(s.starts_at for s in started.sessions)
    db.session.commit()
    bookings.cancel(later.id, by_organiser=True)
    db.session.commit()
    assert _grant(later).status is GrantStatus.GRANTED  # had the place: the aid stands
    kinds = db.session.scalars(
        select(OutboxMessage.kind).where(OutboxMessage.booking_id == later.id)
    ).all()
    assert MessageKind.AID_WITHDRAWN not in kinds


def test_the_project_report_lists_each_companys_aid_and_tally(client, aid, count_queries):
    event = f.event(aid.org, project=aid.project, capacity=50)
    first = f.book(event, 2, company=1)  # 4 000 EUR
    services.declare(first, Decimal("100000"), [], text="t", text_version="v")
    f.book(event, 1, company=2)  # 2 000 EUR
    gone = f.book(event, 1, company=3)
    bookings.cancel(gone.id)  # withdrawn: not in the report
    db.session.commit()
    h.login(client, aid.viewer)
    today = utcnow().date()
    url = f"/organisers/reports/projects/{aid.project.id}"
    period = f"?first={today.year}-01-01&last={today.year}-12-31"
    page = client.get(url + period, headers=EN).text
    assert "De minimis aid per company" in page
    section = page.split('id="aid-heading"')[1]
    first_row = section[section.index(">" + first.company.name + "<") :].split("</tr>")[0]
    assert "4 000.00" in first_row and "104 000.00" in first_row and "196 000.00" in first_row
    assert gone.company.name not in section

    body = client.get(url + "/report.xlsx" + period, headers=EN).data
    sheet = load_workbook(io.BytesIO(body))["De minimis aid"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:7] == [
        "Company", "Organisation number", "Grants", "Aid (SEK)", "Aid (EUR)",
        "Three-year total (EUR)", "Headroom (EUR)",
    ]  # fmt: skip
    assert rows[1][:7] == [
        first.company.name,
        first.company.org_number,
        1,
        46000,
        4000,
        104000,
        196000,
    ]
    assert rows[2][2:7] == [1, 23000, 2000, 2000, 298000]
    assert len(rows) == 3

    # As many statements for many companies as for few.
    db.session.commit()
    with count_queries() as few:
        client.get(url + period, headers=EN)
    for n in range(10, 30):
        f.book(event, 1, company=n)
    db.session.commit()
    with count_queries() as many:
        client.get(url + period, headers=EN)
    assert len(many) == len(few), "\n".join(sorted(set(many) - set(few)))


def test_a_report_without_aid_has_no_aid_section(client, aid):
    plain = f.project(aid.org)
    f.book(f.event(aid.org, project=plain), 1)
    db.session.commit()
    h.login(client, aid.viewer)
    page = client.get(f"/organisers/reports/projects/{plain.id}", headers=EN).text
    assert "De minimis aid per company" not in page
