"""The register's pages through the test client: list, company page, correction, merge."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests import factories as f
from tests.accounts import helpers as h
from tests.conftest import csrf_from
from tests.organisers import bulk
from webapp.bookings import services as bookings
from webapp.bookings.models import Attendance, Booking
from webapp.companies.models import ChangeKind, Company, CompanyChange, SizeClass
from webapp.db import db
from webapp.organisations.models import Role

EN = {"Accept-Language": "en"}


def _book(event, company: int = 1, n: int = 1, **fields: object) -> Booking:
    booking = bookings.register(
        event.id,
        f.company_data(company, **fields),
        bookings.ContactData("K", "k@example.se"),
        f.people(n),
        consent_version="test",
        by_organiser=True,
    )
    db.session.commit()
    return booking


def test_the_list_shows_the_companies_with_filters_and_pages(client, register):
    _book(register.event, 1, name="Alfa AB")
    _book(register.event, 2, name="Beta AB", county="12")
    _book(register.other_event, 3, name="Gamma AB")
    h.login_session(client, register.viewer)
    text = client.get("/organisers/companies", headers=EN).text
    assert "Alfa AB" in text and "Beta AB" in text and "Gamma AB" not in text
    assert "2 companies" in text and "Small enterprise" in text
    text = client.get("/organisers/companies?county=12", headers=EN).text
    assert "Beta AB" in text and "Alfa AB" not in text
    text = client.get("/organisers/companies?q=alfa&size=nonsense&page=x", headers=EN).text
    assert "Alfa AB" in text and "Beta AB" not in text
    assert "Inga företag matchar" in client.get("/organisers/companies?q=zzz").text


def test_the_list_keeps_its_query_count_as_the_register_grows(app, client, count_queries):
    org = f.organisation()
    user = h.user(org, Role.VIEWER)
    event = f.event(org, capacity=None)
    bulk.bookings(event, 5, offset=50_000)
    db.session.commit()
    h.login_session(client, user)
    counted = {}
    for n in (5, 400):
        if n == 400:
            bulk.bookings(f.event(org, capacity=None), 395, offset=60_000)
            db.session.commit()
        db.session.expire_all()
        with count_queries() as statements:
            response = client.get("/organisers/companies?page=2")
        assert response.status_code == 200
        counted[n] = len(statements)
    assert "Page 2 of 8" in client.get("/organisers/companies?page=2", headers=EN).text
    assert counted[5] == counted[400], counted
    assert counted[5] <= 6


def _attend(booking: Booking) -> None:
    for participant in booking.participants:
        for session in booking.event.sessions:
            db.session.add(Attendance(participant=participant, session=session, present=True))
    db.session.commit()


def test_the_company_page_shows_events_participants_hours_and_statuses(client, register):
    booking = _book(register.event, 4, n=2)
    _attend(booking)  # two sessions of three hours each
    # Another event of the organisation: a company has one active booking per event.
    cancelled = _book(f.event(register.event.organisation), 4, name="Annat Namn AB")
    bookings.cancel(cancelled.id, by_organiser=True)
    _book(register.other_event, 4)  # not the home organisation's: not shown
    db.session.commit()
    h.login_session(client, register.viewer)
    response = client.get(f"/organisers/companies/{booking.company_id}", headers=EN)
    assert response.status_code == 200
    text = response.text
    assert register.event.title in text and register.other_event.title not in text
    assert register.event.project.name in text
    assert "Confirmed" in text and "Cancelled" in text
    assert booking.participants[0].name in text
    assert "2 / 2" in text and "6.0" in text
    assert "Attended: 12.0 hours" in text
    # What the cancelled booking declared differs from the register, and is shown so.
    assert "Declared on this booking, differing from the register" in text
    assert "Annat Namn AB" in text
    assert "Created by the first registration" in text
    # Viewers cannot correct.
    assert "Correct the details" not in text
    # The booking page shows the organiser the same differences next to the master data.
    h.login_session(client, register.organiser)
    page = client.get(f"/organisers/bookings/{cancelled.id}", headers=EN).text
    assert "Declared on this booking, differing from the register" in page
    assert "Annat Namn AB" in page and "Företag 4 AB" in page
    assert (
        "Declared on this booking"
        not in client.get(f"/organisers/bookings/{booking.id}", headers=EN).text
    )


def test_the_company_page_keeps_its_query_count_with_more_bookings(client, register, count_queries):
    h.login_session(client, register.organiser)
    counted = {}
    first = None
    for n in (1, 8):
        while True:
            event = f.event(
                register.home, sessions=3, capacity=None, starts_at=f.now() - timedelta(days=n)
            )
            booking = _book(event, 5, n=2)
            _attend(booking)
            first = first or booking
            if (
                len(
                    db.session.scalars(
                        select(Booking.id).where(Booking.company_id == first.company_id)
                    ).all()
                )
                >= n
            ):
                break
        db.session.expire_all()
        with count_queries() as statements:
            response = client.get(f"/organisers/companies/{first.company_id}")
        assert response.status_code == 200
        counted[n] = len(statements)
    assert counted[1] == counted[8], counted


def test_an_organiser_corrects_the_details_and_sees_the_history(client, register):
    company = _book(register.event, 6).company
    h.login_session(client, register.organiser)
    url = f"/organisers/companies/{company.id}/edit"
    form = client.get(url, headers=EN)
    assert 'value="Företag 6 AB"' in form.text
    response = client.post(
        url,
        headers=EN,
        data={
            "csrf_token": csrf_from(form.text),
            "name": "Rättat Namn AB",
            "country": "SE",
            "org_number": company.org_number.replace("-", ""),
            "county": "12",
            "size_class": "medium",
            "industry_code": "62010",
            "reason": "Bolagsverket",
        },
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"], headers=EN).text
    assert "The correction has been saved" in page
    assert "Företag 6 AB → Rättat Namn AB" in page and "Bolagsverket" in page
    assert "Small enterprise → Medium-sized enterprise" in page
    company = db.session.get(Company, company.id)
    assert (company.name, company.county, company.size_class) == (
        "Rättat Namn AB",
        "12",
        SizeClass.MEDIUM,
    )


def test_bad_corrections_get_messages_and_change_nothing(client, register):
    company = _book(register.event, 7).company
    other = _book(register.event, 8).company
    h.login_session(client, register.organiser)
    url = f"/organisers/companies/{company.id}/edit"
    token = csrf_from(client.get(url).text)
    base = {
        "csrf_token": token,
        "name": "X AB",
        "country": "SE",
        "county": "14",
        "size_class": "small",
    }
    cases = [
        ({"org_number": "123"}, "wrong number of digits"),
        ({"org_number": company.org_number, "county": ""}, "Choose the county where"),
        ({"org_number": company.org_number, "size_class": "huge"}, "Not a valid choice"),
        ({"org_number": company.org_number, "country": ""}, "Not a valid choice"),
        ({"org_number": other.org_number}, "merge the two records instead"),
    ]
    for data, message in cases:
        response = client.post(url, data={**base, **data}, headers=EN)
        assert response.status_code == 422, data
        assert message in response.text, data
    swedish = client.post(url, data={**base, "org_number": other.org_number})
    assert "slå samman de två posterna" in swedish.text
    db.session.expire_all()
    assert db.session.get(Company, company.id).name == "Företag 7 AB"
    assert client.get("/organisers/companies/999999/edit").status_code == 404


def test_merging_through_the_pages(client, register):
    kept = _book(register.event, 9).company
    duplicate = _book(
        register.event, 0, country="NO", org_number="974 760 673", name="Fjord AS", county=None
    ).company
    h.login_session(client, register.organiser)
    url = f"/organisers/companies/{kept.id}/merge"
    assert "Find the duplicate" in client.get(url, headers=EN).text
    missing = client.get(f"{url}?country=SE&org_number=5560360793", headers=EN)
    assert missing.status_code == 422 and "No company with that number" in missing.text
    invalid = client.get(f"{url}?country=SE&org_number=12", headers=EN)
    assert invalid.status_code == 422 and "wrong number of digits" in invalid.text
    found = client.get(f"{url}?country=NO&org_number=974760673", headers=EN)
    assert found.status_code == 200 and "Merged away: Fjord AS" in found.text
    response = client.post(
        url,
        headers=EN,
        data={
            "csrf_token": csrf_from(found.text),
            "duplicate": str(duplicate.id),
        },
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"], headers=EN).text
    assert "1 booking moved to this company" in page
    assert "Merged into this record: Fjord AS (974 760 673)" in page
    assert db.session.get(Company, duplicate.id).merged_into_id == kept.id
    # The merged record's page says where it went; the list shows the company once.
    gone = client.get(f"/organisers/companies/{duplicate.id}", headers=EN).text
    assert "This record was merged into another record" in gone
    assert "Fjord AS" not in client.get("/organisers/companies", headers=EN).text
    # Merging again is refused with a message, nothing changes.
    again = client.post(
        url,
        headers=EN,
        data={
            "csrf_token": csrf_from(found.text),
            "duplicate": str(duplicate.id),
        },
        follow_redirects=True,
    )
    assert "already been merged" in again.text
    assert (
        client.post(url, data={"csrf_token": csrf_from(found.text), "duplicate": "x"}).status_code
        == 400
    )
    kinds = db.session.scalars(
        select(CompanyChange.kind).where(CompanyChange.company_id == kept.id)
    ).all()
    assert kinds.count(ChangeKind.MERGED) == 1


def test_the_registration_form_derives_the_size_class(client, app):
    event = f.event(capacity=10)
    db.session.commit()
    page = client.get(f"/events/{event.id}/register", headers=EN)
    assert "How many people work in the company?" in page.text
    response = client.post(
        f"/events/{event.id}/register",
        headers=EN,
        data={
            "csrf_token": csrf_from(page.text),
            "submission_key": "k-size",
            "country": "SE",
            "org_number": "5560360793",
            "company_name": "Norrfors AB",
            "county": "23",
            "staff_band": "under_10",
            "turnover_band": "10m_50m",
            "balance_band": "up_to_2m",
            "contact_name": "Anna",
            "contact_email": "anna@norrfors.example.se",
            "consent": "y",
            "participants-0-name": "Anna",
            "participants-0-email": "anna@norrfors.example.se",
            "submit": "Register",
        },
    )
    assert response.status_code == 303, response.text
    booking = db.session.scalars(select(Booking)).one()
    assert booking.company.size_class is SizeClass.MICRO  # the balance sheet is within
    assert booking.declared_size_class is SizeClass.MICRO
    assert booking.declared_turnover_band.value == "10m_50m"
    missing = client.post(
        f"/events/{event.id}/register",
        headers=EN,
        data={
            "csrf_token": csrf_from(page.text),
            "submission_key": "k-size-2",
            "country": "SE",
            "org_number": "5560360793",
            "company_name": "Norrfors AB",
            "county": "23",
            "contact_name": "Anna",
            "contact_email": "anna@norrfors.example.se",
            "consent": "y",
            "participants-0-name": "Bo",
            "participants-0-email": "bo@norrfors.example.se",
        },
    )
    assert missing.status_code == 422
    assert "Choose how many people work in the company." in missing.text
    assert "annual turnover." in missing.text
