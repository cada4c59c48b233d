"""The attendee list, its filters and counts, the print view and the exports."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from tests import factories as f
from tests.accounts import helpers as h
from tests.organisers import bulk
from webapp.accounts.models import Role
from webapp.bookings import attendance, services
from webapp.bookings.exports import COLUMNS, csv_safe
from webapp.bookings.models import BookingStatus, Gender
from webapp.db import db
from webapp.i18n import format_date, format_span


@pytest.fixture
def listed(app, client):
    """An event with a confirmed, a waitlisted and a cancelled booking; an organiser logged in."""
    org = f.organisation()
    project = f.project(org)
    project.name = "Energilyftet"
    event = f.event(org, capacity=3, sessions=2, project=project)
    confirmed = services.register(
        event.id,
        f.company_data(1, name="Norrfors Mekaniska AB"),
        services.ContactData("Karin Kontakt", "karin@norrfors.example.se", "+46 70 123 45 67"),
        [
            services.ParticipantData(
                "Anna Lindqvist",
                "anna@norrfors.example.se",
                role="VD",
                dietary_needs='=HYPERLINK("http://evil")',
                gender=Gender.FEMALE,
            ),
            services.ParticipantData(
                "Johan Berg", "johan@norrfors.example.se", accessibility_needs="Rullstol"
            ),
        ],
        consent_version="test",
    )
    waiting = f.book(event, 2, company=2)
    cancelled = f.book(event, 1, company=3)
    services.cancel(cancelled.id)
    user = h.user(org, Role.ORGANISER)
    # Anna was there at the first session, Johan was not; the second is not marked yet.
    attendance.mark(user, event, event.sessions[0].id, [confirmed.participants[0].id])
    db.session.commit()
    h.login_session(client, user)
    return event, confirmed, waiting, cancelled


def test_list_shows_bookings_with_company_data_and_counts(client, listed):
    event, confirmed, waiting, _cancelled = listed
    page = client.get(f"/organisers/events/{event.id}/attendees?lang=en")
    assert page.status_code == 200
    text = page.text
    assert "Norrfors Mekaniska AB" in text
    assert confirmed.company.org_number in text
    assert "anna@norrfors.example.se" in text and "Rullstol" in text
    assert waiting.company.name in text
    # Seats taken 2 of 3; one booking of 2 on the waiting list.
    assert "2 / 3" in text


FILTERS = [
    ("status=waitlisted", ["Företag 2 AB"], ["Norrfors"]),
    ("status=confirmed", ["Norrfors"], ["Företag 2 AB", "Företag 3 AB"]),
    ("q=johan", ["Norrfors"], ["Företag 2 AB"]),
    ("q=NORRFORS", ["Norrfors"], ["Företag 2 AB"]),
    ("q=karin%40norrfors", ["Norrfors"], ["Företag 2 AB"]),
    ("q=nobody-matches", [], ["Norrfors", "Företag 2 AB"]),
    ("status=bogus", ["Norrfors", "Företag 2 AB"], []),
]


def test_filters_and_search(client, listed):
    event = listed[0]
    for query, present, absent in FILTERS:
        text = client.get(f"/organisers/events/{event.id}/attendees?{query}").text
        for name in present:
            assert name in text, query
        for name in absent:
            assert name not in text, query


def test_print_view_lists_one_row_per_participant(client, listed):
    event = listed[0]
    text = client.get(f"/organisers/events/{event.id}/attendees/print?status=confirmed").text
    assert text.count("<tr>") == 3  # header + Anna + Johan
    assert "@media print" not in text  # the print rules live in the stylesheet


def test_csv_export_cell_by_cell(client, listed):
    event, confirmed, _waiting, _cancelled = listed
    response = client.get(
        f"/organisers/events/{event.id}/attendees.csv?status=confirmed",
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.data.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:]), delimiter=";"))
    header = rows[0]
    first, second = event.sessions
    session_columns = [
        f"Session 1: {format_span(first.starts_at, first.ends_at)} (3 h)",
        f"Session 2: {format_span(second.starts_at, second.ends_at)} (3 h)",
    ]
    # The fixed columns first, so lists of several events stack; then one per session.
    assert header == [str(c) for c in COLUMNS] + session_columns
    assert len(rows) == 3
    anna = dict(zip(header, rows[1], strict=True))
    assert anna["Event"] == event.title
    assert anna["Project"] == "Energilyftet"
    assert anna["First day"] == format_date(first.starts_at)
    assert anna["Last day"] == format_date(second.ends_at)
    assert anna["Gender"] == "Woman"
    assert anna["Sessions attended"] == "1"
    assert anna["Hours"] == "3"
    assert [anna[c] for c in session_columns] == ["Present", ""]
    assert anna["Booking"] == str(confirmed.id)
    assert anna["Status"] == "Confirmed"
    assert anna["Company"] == "Norrfors Mekaniska AB"
    assert anna["Organisation number"] == confirmed.company.org_number
    assert anna["Country"] == "SE"
    assert anna["Size class"] == "Small"
    assert anna["SME"] == "Yes"
    assert anna["Participant"] == "Anna Lindqvist"
    assert anna["Email"] == "anna@norrfors.example.se"
    assert anna["Role"] == "VD"
    # A formula typed into a form never reaches a spreadsheet as one.
    assert anna["Dietary needs"] == '\'=HYPERLINK("http://evil")'
    assert anna["Contact phone"] == "'+46 70 123 45 67"
    johan = dict(zip(header, rows[2], strict=True))
    assert johan["Participant"] == "Johan Berg"
    assert johan["Accessibility needs"] == "Rullstol"
    assert (johan["Gender"], johan["Sessions attended"], johan["Hours"]) == ("Not stated", "0", "0")
    assert [johan[c] for c in session_columns] == ["Absent", ""]


def test_xlsx_export_cell_by_cell(client, listed):
    event, confirmed, waiting, _cancelled = listed
    response = client.get(
        f"/organisers/events/{event.id}/attendees.xlsx", headers={"Accept-Language": "en"}
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = values[0]
    assert header[: len(COLUMNS)] == [str(c) for c in COLUMNS]
    assert header[len(COLUMNS) :] == [
        f"Session {n}: {format_span(s.starts_at, s.ends_at)} (3 h)"
        for n, s in enumerate(event.sessions, start=1)
    ]
    assert sheet["A1"].font.bold
    assert sheet.freeze_panes == "A2"
    # Every participant of every booking, cancelled ones included when no filter is set.
    assert len(values) == 1 + 2 + 2 + 1
    anna = dict(zip(header, values[1], strict=True))
    assert anna["Booking"] == confirmed.id
    assert anna["Organisation number"] == confirmed.company.org_number
    assert anna["Email"] == "anna@norrfors.example.se"
    # Kept exactly as typed, and stored as text rather than a formula.
    assert anna["Dietary needs"] == '=HYPERLINK("http://evil")'
    assert sheet.cell(row=2, column=header.index("Dietary needs") + 1).data_type == "s"
    assert anna["Contact phone"] == "+46 70 123 45 67"
    assert (anna["Event"], anna["Project"], anna["Gender"]) == (
        event.title,
        "Energilyftet",
        "Woman",
    )
    assert (anna["Sessions attended"], anna["Hours"]) == (1, 3)
    assert values[1][len(COLUMNS) :] == ["Present", None]
    assert values[2][len(COLUMNS) :] == ["Absent", None]
    waiting_rows = [
        dict(zip(header, v, strict=True))
        for v in values[1:]
        if v[header.index("Booking")] == waiting.id
    ]
    assert {r["Status"] for r in waiting_rows} == {"On the waiting list"}
    assert {r["Hours"] for r in waiting_rows} == {0}


def test_csv_safe_prefixes_only_formula_starts():
    assert csv_safe("=1+2") == "'=1+2"
    assert csv_safe("-5") == "'-5"
    assert csv_safe("@SUM(A1)") == "'@SUM(A1)"
    assert csv_safe("556036-0793") == "556036-0793"
    assert csv_safe(12) == 12


def test_attendee_list_runs_the_same_number_of_queries_for_10_and_1000_bookings(
    app, client, count_queries
):
    org = f.organisation()
    small = f.event(org, capacity=None)
    large = f.event(org, capacity=None)
    bulk.bookings(small, 10, offset=20_000)
    bulk.bookings(large, 1000, participants_each=2, offset=30_000)
    user = h.user(org, Role.ORGANISER)
    db.session.commit()
    h.login_session(client, user)
    counted = {}
    for event, n in ((small, 10), (large, 1000)):
        db.session.expire_all()
        with count_queries() as statements:
            response = client.get(f"/organisers/events/{event.id}/attendees")
        assert response.status_code == 200
        assert response.text.count("<tr>") == n + 1
        counted[n] = len(statements)
    assert counted[10] == counted[1000], counted
    assert counted[10] <= 11  # 10, and one for the event's registration questions


def test_exports_keep_their_query_count_too(app, client, count_queries):
    org = f.organisation()
    event = f.event(org, capacity=None)
    bulk.bookings(event, 600, offset=40_000)
    user = h.user(org, Role.VIEWER)
    db.session.commit()
    h.login_session(client, user)
    with count_queries() as statements:
        response = client.get(f"/organisers/events/{event.id}/attendees.xlsx")
    assert response.status_code == 200
    assert len(statements) <= 10
    assert load_workbook(io.BytesIO(response.data)).active.max_row == 601


def test_cancelled_booking_status_is_listed(client, listed):
    event, _confirmed, _waiting, cancelled = listed
    text = client.get(f"/organisers/events/{event.id}/attendees?status=cancelled").text
    assert cancelled.company.name in text
    assert BookingStatus.CANCELLED.label in text or "Avbokad" in text or "Cancelled" in text
