"""Anonymisation (the retention job, erasure on request) keeps the satisfaction figures:
answers keep their event and ratings, lose their participant and free text."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from tests.accounts import helpers as h
from tests.feedback.helpers import answer
from tests.privacy.helpers import cells_containing
from tests.reports import scenario
from webapp.accounts.models import Role
from webapp.bookings.models import Participant
from webapp.db import db
from webapp.feedback import services
from webapp.feedback.models import FeedbackAnswer
from webapp.privacy import retention
from webapp.reports import services as reports
from webapp.reports.services import Period


def _answer_all(world) -> dict[str, int]:
    people = {(p.name, p.booking.event_id): p.id for p in db.session.scalars(select(Participant))}
    ids = {
        "anna": people[("Anna Andersson", world.e1.id)],
        "bo": people[("Bo Berg", world.e1.id)],
        "anna2": people[("Anna Andersson", world.e2.id)],
    }
    answer(ids["anna"], 5, 4, "Anna tyckte om Bo Bergs föredrag", "Mer fika")
    answer(ids["bo"], 3, 3, None, "Kortare")
    answer(ids["anna2"], 4, 2)
    db.session.commit()
    return ids


def test_the_retention_job_keeps_the_figures_and_erases_the_free_text(app):
    world = scenario.build()
    ids = _answer_all(world)
    period = Period(date(2026, 3, 1), date(2026, 4, 30))
    scope = reports.project_scope(world.organiser, world.project.id)
    before = asdict(reports.report(scope, period).figures)
    results_before = services.results(world.organiser, world.e1)
    now = datetime(2037, 1, 1, tzinfo=UTC)
    retention.run(now)
    db.session.expire_all()
    stored = db.session.scalars(select(FeedbackAnswer).order_by(FeedbackAnswer.id)).all()
    assert [(a.event_id, a.overall, a.usefulness) for a in stored] == [
        (world.e1.id, 5, 4),
        (world.e1.id, 3, 3),
        (world.e2.id, 4, 2),
    ]
    assert all(a.participant_id is None and a.anonymised_at == now for a in stored)
    assert all(a.answer_1 is None and a.answer_2 is None for a in stored)
    assert cells_containing("Mer fika") == [] and cells_containing("Bo Bergs") == []
    # The report and the event's figures are as they were; the free text is gone.
    assert asdict(reports.report(scope, period).figures) == before
    assert before["events"][0]["responses"] == 2
    after = services.results(world.organiser, world.e1)
    assert (after.responses, after.overall, after.usefulness) == (
        results_before.responses,
        results_before.overall,
        results_before.usefulness,
    )
    assert after.texts == ([], [])
    # The anonymised participant's link answers no more, and stores nothing.
    participant = db.session.get(Participant, ids["anna"])
    assert isinstance(services.refusal(participant), services.Closed)
    with pytest.raises(services.Closed):
        answer(ids["anna"], 1, 1)
    db.session.rollback()
    assert len(db.session.scalars(select(FeedbackAnswer)).all()) == 3


def test_an_erasure_on_request_unlinks_that_persons_answer_only(app):
    from webapp.privacy import requests

    world = scenario.build()
    ids = _answer_all(world)
    admin = h.user(world.home, Role.ADMIN)
    # The person's copy holds their answer while it is theirs.
    copy = requests.export(requests.find_person(admin, world.home.id, "bo@alfa.example"))
    assert [(a["overall"], a["answer_2"]) for a in copy["evaluation_answers"]] == [(3, "Kortare")]
    requests.erase(admin, world.home.id, "bo@alfa.example", now=datetime(2026, 6, 1, tzinfo=UTC))
    db.session.commit()
    db.session.expire_all()
    rows = {a.overall: a for a in db.session.scalars(select(FeedbackAnswer))}
    assert rows[3].participant_id is None and rows[3].answer_2 is None
    assert rows[5].participant_id == ids["anna"] and rows[5].answer_2 == "Mer fika"
