"""The report page, its XLSX workbook and participant CSV, bad periods, and query counts."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

from tests import factories as f
from tests.accounts import helpers as h
from tests.organisers import bulk
from tests.reports import scenario
from webapp.bookings.models import Attendance, Booking, Participant
from webapp.db import db
from webapp.events.models import EventKind
from webapp.i18n import STOCKHOLM
from webapp.organisations.models import Project, Role

PERIOD = "first=2026-03-01&last=2026-04-30"
EN = {"Accept-Language": "en"}


@pytest.fixture
def world(app, client):
    world = scenario.build()
    h.login_session(client, world.organiser)
    return world


def _url(world, suffix: str = "", query: str = PERIOD) -> str:
    return f"/organisers/reports/projects/{world.project.id}{suffix}?{query}"


def test_report_page_shows_the_figures_with_charts_and_tables(client, world):
    page = client.get(_url(world), headers=EN)
    assert page.status_code == 200
    text = page.text
    assert "RCO01 Enterprises supported" in text
    assert "RCO04 Enterprises with non-financial support" in text
    assert "3 with a confirmed booking" in text
    # Every chart is an image named by its figures, with a table of the same figures beside.
    assert text.count('<svg role="img"') == 7
    assert (
        "Companies, By size class (RCO01): Micro Confirmed booking 1, Attended 1; "
        "Small Confirmed booking 1, Attended 0; Medium Confirmed booking 0, Attended 0; "
        "Large Confirmed booking 1, Attended 1" in text
    )
    assert (
        "Unique persons by gender: Woman 1; Man 2; Other / non-binary 0; Prefer not to say 0; "
        "Not stated 1" in text
    )
    assert "J – Information and communication" in text
    assert "Norway" in text
    assert "50 %" in text and "100 %" in text
    # The five company charts have a legend and two bars per row (4 sizes, 2, 3 counties,
    # 3 sections, 2 countries); gender (5 rows) and months (2) have one series.
    assert text.count('class="chart-bar chart-series-0"') == 5 + 14
    assert text.count('class="chart-bar chart-series-1"') == 5 + 14 + 5 + 2
    assert world.trip.title not in text  # Home's own trip is not in the project


def test_report_page_in_swedish(client, world):
    text = client.get(_url(world), headers={"Accept-Language": "sv"}).text
    assert "RCO01 Företag som får stöd" in text
    assert "Per storleksklass (RCO01)" in text
    assert "Kvinna" in text and "Ej angivet" in text
    assert "12,0" in text  # hours with a decimal comma


def test_organisation_report_includes_events_outside_projects(client, world):
    text = client.get(
        f"/organisers/reports/organisations/{world.home.id}?{PERIOD}", headers=EN
    ).text
    assert world.trip.title in text
    assert "20.0" in text


@pytest.mark.parametrize("query", ["", "utm_source=newsletter"])
def test_default_period_is_this_calendar_year(client, world, query):
    page = client.get(_url(world, query=query), headers=EN)
    assert page.status_code == 200
    year = datetime.now(STOCKHOLM).year
    assert f'value="{year}-01-01"' in page.text and f'value="{year}-12-31"' in page.text


def test_a_project_report_opens_with_the_projects_funded_period(client, world):
    project = db.session.get(Project, world.project.id)
    project.starts_on, project.ends_on = date(2025, 3, 1), date(2027, 2, 28)
    db.session.commit()
    page = client.get(f"/organisers/reports/projects/{project.id}", headers=EN)
    assert 'value="2025-03-01"' in page.text and 'value="2027-02-28"' in page.text
    project.ends_on = None  # open-ended: up to the end of this year
    db.session.commit()
    page = client.get(f"/organisers/reports/projects/{project.id}", headers=EN)
    year = datetime.now(STOCKHOLM).year
    assert 'value="2025-03-01"' in page.text and f'value="{year}-12-31"' in page.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("first=2026-13-01&last=2026-12-31", "Enter a date as YYYY-MM-DD."),
        ("first=yesterday&last=2026-12-31", "Enter a date as YYYY-MM-DD."),
        ("first=2026-05-01&last=2026-04-01", "The period ends before it starts."),
        ("first=2000-01-01&last=2026-01-01", "A report covers at most ten years."),
        ("first=0026-01-01&last=2026-01-01", "Enter a date between 2000 and 2100."),
        ("last=2026-01-01", "Enter a date as YYYY-MM-DD."),
    ],
)
def test_a_wrong_period_is_explained_not_an_error(client, world, query, message):
    page = client.get(_url(world, query=query), headers=EN)
    assert page.status_code == 422
    assert message in page.text
    assert "RCO01" not in page.text
    download = client.get(_url(world, "/report.xlsx", query), headers=EN)
    assert download.status_code == 400
    assert message in download.text


def test_wrong_period_message_in_swedish(client, world):
    page = client.get(
        _url(world, query="first=2026-05-01&last=2026-04-01"), headers={"Accept-Language": "sv"}
    )
    assert "Perioden slutar innan den börjar." in page.text


def _sheet(book, title):
    return [[cell.value for cell in row] for row in book[title].iter_rows()]


def test_xlsx_workbook_cell_by_cell(client, world):
    response = client.get(_url(world, "/report.xlsx"), headers=EN)
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == [
        "Summary",
        "Companies by size (RCO01)",
        "Companies SME or not",
        "Companies by county",
        "Companies by SNI section",
        "Companies by country",
        "Participants by gender",
        "Participants by county",
        "Hours per company",
        "Hours per month",
        "Events by kind",
        "Attendance per event",
        "Participants",
    ]
    summary = dict(_sheet(book, "Summary")[1:])
    assert summary["Report"] == world.project.name
    assert summary["Period"] == "2026-03-01 – 2026-04-30"
    assert summary["Lead organisation"] == "Home"
    assert summary["RCO01 Enterprises supported"] == 2
    assert summary["Companies with a confirmed booking"] == 3
    assert summary["RCO04 Enterprises with non-financial support"] == 2
    assert summary["Participants (unique persons)"] == 4
    assert summary["Participations"] == 5
    assert summary["Participant hours"] == 12
    assert (summary["Events held"], summary["Sessions held"], summary["Cancelled events"]) == (
        2,
        3,
        1,
    )
    assert book["Summary"]["A1"].font.bold
    assert _sheet(book, "Companies by size (RCO01)") == [
        ["Size class", "Confirmed booking", "Attended at least one session"],
        ["Micro", 1, 1],
        ["Small", 1, 0],
        ["Medium", 0, 0],
        ["Large", 1, 1],
    ]
    assert _sheet(book, "Companies SME or not")[1:] == [["SME", 2, 1], ["Not an SME (large)", 1, 1]]
    assert _sheet(book, "Companies by country")[1:] == [["Sweden", 2, 1], ["Norway", 1, 1]]
    assert _sheet(book, "Participants by gender") == [
        ["Gender", "Unique persons", "Participations"],
        ["Woman", 1, 2],
        ["Man", 2, 2],
        ["Other / non-binary", 0, 0],
        ["Prefer not to say", 0, 0],
        ["Not stated", 1, 1],
    ]
    assert _sheet(book, "Hours per company")[1] == [
        "Alfa Verkstad AB",
        world.booking_a1.company.org_number,
        "SE",
        "Västra Götalands län",
        "Micro",
        3,
        2,
        4,
        10,
    ]
    assert _sheet(book, "Hours per month")[1:] == [["2026-03", 6], ["2026-04", 6]]
    kinds = {row[0]: row[1:] for row in _sheet(book, "Events by kind")[1:]}
    assert kinds[EventKind.WEBINAR.label] == [1, 1, 0, 4, 0, 3, 1, 2, 6]
    assert kinds[EventKind.CONFERENCE.label] == [0, 0, 1, 0, 0, 0, 0, 0, 0]
    events = _sheet(book, "Attendance per event")
    assert events[2] == [
        world.e2.title,
        "Workshop series",
        world.project.name,
        "2026-04-07",
        "2026-04-21",
        2,
        2,
        2,
        2,
        2,
        0.5,
        6,
        0,
        None,
        None,
    ]
    people = _sheet(book, "Participants")
    assert people[0] == [
        "Project",
        "Event",
        "Kind",
        "Session dates",
        "Company",
        "Organisation number",
        "County",
        "Size class",
        "Participant",
        "Email",
        "Gender",
        "Sessions attended",
        "Hours",
    ]
    assert len(people) == 1 + 5
    assert people[4] == [
        world.project.name,
        world.e2.title,
        "Workshop series",
        "2026-04-07, 2026-04-21",
        "Alfa Verkstad AB",
        world.booking_a1.company.org_number,
        "Västra Götalands län",
        "Micro",
        "Anna Andersson",
        "ANNA@alfa.example",
        "Woman",
        2,
        6,
    ]
    assert people[3][4:] == [
        "Caspar Industri AS",
        "923609016",
        "No county (abroad or not stated)",
        "Large",
        "Dan Dahl",
        "dan@caspar.example",
        "Man",
        1,
        2,
    ]


def test_participant_csv(client, world):
    response = client.get(_url(world, "/participants.csv"), headers=EN)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8")[1:]), delimiter=";"))
    assert rows[0][0] == "Project" and len(rows) == 6
    assert rows[5][-5:] == ["Cecilia Carlsson", "cecilia@beta.example", "Not stated", "0", "0"]


def _grow(world, companies: int, offset: int) -> None:
    """Add ``companies`` confirmed bookings of two to both project events, all present."""
    for event in (world.e1, world.e2):
        event.capacity = None
        bulk.bookings(event, companies, participants_each=2, offset=offset)
        offset += companies
    ids = db.session.execute(
        select(Participant.id, Booking.event_id)
        .join(Booking)
        .where(Booking.event_id.in_([world.e1.id, world.e2.id]))
    ).all()
    sessions = {world.e1.id: world.e1.sessions, world.e2.id: world.e2.sessions}
    marked = select(Attendance.participant_id, Attendance.session_id)
    have = set(db.session.execute(marked).all())
    db.session.execute(
        insert(Attendance),
        [
            {
                "participant_id": pid,
                "session_id": s.id,
                "present": True,
                "marked_at": datetime(2026, 5, 10, tzinfo=UTC),
            }
            for pid, event_id in ids
            for s in sessions[event_id]
            if (pid, s.id) not in have
        ],
    )
    db.session.commit()


def test_statements_stay_the_same_as_the_report_grows(client, world, count_queries):
    counted = {}
    for size, offset in ((0, 0), (5, 60_000), (200, 61_000)):
        if size:
            _grow(world, size, offset)
        db.session.expire_all()
        with count_queries() as page:
            assert client.get(_url(world)).status_code == 200
        with count_queries() as workbook:
            response = client.get(_url(world, "/report.xlsx"), headers=EN)
        assert response.status_code == 200
        counted[size] = (len(page), len(workbook))
    assert counted[0] == counted[5] == counted[200], counted
    assert counted[200][0] <= 12
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    assert sum(1 for _row in book["Participants"].iter_rows()) == 1 + 5 + 2 * 2 * 205


def test_hours_count_only_sessions_held_in_the_period(client, world):
    # Moving E2's last session into the period makes Anna's third attendance count.
    last = world.e2.sessions[2]
    last.starts_at -= timedelta(days=10)
    last.ends_at -= timedelta(days=10)
    db.session.commit()
    people = load_workbook(io.BytesIO(client.get(_url(world, "/report.xlsx"), headers=EN).data))
    anna = _sheet(people, "Participants")[4]
    assert anna[-2:] == [3, 9]


def test_partner_sees_the_whole_project(client, world):
    partner = f.organisation("Partner två")
    world.project.partners.append(partner)
    reader = h.user(partner, Role.VIEWER)
    db.session.commit()
    h.login_session(client, reader)
    page = client.get(_url(world), headers=EN)
    assert page.status_code == 200
    assert world.e1.title in page.text and world.e2.title in page.text
    assert client.get(f"/organisers/reports/organisations/{world.home.id}").status_code == 403
    index = client.get("/organisers/reports/", headers=EN).text
    assert world.project.name in index and "Home" not in index.split("<h2>Projects</h2>")[0]
