"""The project report's satisfaction figures: on the page and in the workbook, worked out
by hand from the answers of the report scenario's attendees (tests/reports/scenario.py)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.accounts import helpers as h
from tests.feedback.helpers import answer
from tests.reports import scenario
from webapp.bookings.models import Participant
from webapp.db import db

PERIOD = "first=2026-03-01&last=2026-04-30"
EN = {"Accept-Language": "en"}


@pytest.fixture
def world(app, client):
    world = scenario.build()
    people = {
        (p.name, p.booking.event_id): p.id for p in db.session.scalars(db.select(Participant))
    }
    # E1: Anna 5/5, Bo 4/5, Dan 3/4; E2: Anna 2/2. Cecilia (absent) cannot answer.
    answer(people[("Anna Andersson", world.e1.id)], 5, 5, "Konkret")
    answer(people[("Bo Berg", world.e1.id)], 4, 5)
    answer(people[("Dan Dahl", world.e1.id)], 3, 4)
    answer(people[("Anna Andersson", world.e2.id)], 2, 2, None, "För långt")
    db.session.commit()
    h.login_session(client, world.organiser)
    return world


def _url(world, suffix: str = "") -> str:
    return f"/organisers/reports/projects/{world.project.id}{suffix}?{PERIOD}"


def test_the_report_page_shows_responses_and_averages(client, world):
    text = client.get(_url(world), headers=EN).text
    assert "<dt>Evaluation answers</dt><dd>4</dd>" in text
    assert "<dt>Average overall rating (1–5)</dt><dd>3.5</dd>" in text  # 14 / 4
    assert "<dt>Average usefulness for the company (1–5)</dt><dd>4.0</dd>" in text  # 16 / 4
    # Per event: E1 three answers, 12/3 and 14/3; E2 one.
    assert "<td>3</td><td>4.0</td><td>4.7</td></tr>" in text
    assert "<td>1</td><td>2.0</td><td>2.0</td></tr>" in text
    assert "Konkret" not in text, "free text stays on the event's own page"
    swedish = client.get(_url(world)).text
    assert "<dt>Genomsnittligt helhetsbetyg (1–5)</dt><dd>3,5</dd>" in swedish


def test_the_workbook_carries_them(client, world):
    response = client.get(_url(world, "/report.xlsx"), headers=EN)
    book = load_workbook(io.BytesIO(response.data))
    summary = {row[0].value: row[1].value for row in book["Summary"].iter_rows(min_row=2)}
    assert summary["Evaluation answers"] == 4
    assert summary["Average overall rating (1–5)"] == 3.5
    assert summary["Average usefulness for the company (1–5)"] == 4
    events = [[c.value for c in row] for row in book["Attendance per event"].iter_rows()]
    assert events[0][-3:] == ["Evaluation answers", "Overall (1–5)", "Usefulness (1–5)"]
    by_title = {row[0]: row[-3:] for row in events[1:]}
    assert by_title[world.e1.title] == [3, 4, 4.67]
    assert by_title[world.e2.title] == [1, 2, 2]


def test_the_organisations_report_counts_the_same_answers(client, world):
    text = client.get(
        f"/organisers/reports/organisations/{world.home.id}?{PERIOD}", headers=EN
    ).text
    assert "<dt>Evaluation answers</dt><dd>4</dd>" in text
