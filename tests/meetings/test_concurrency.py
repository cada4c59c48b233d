"""Acceptances racing for the last table, or for one person's time, cannot both win: real
concurrent requests through the pages, on SQLite (file) and PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from tests.conftest import Client, csrf_from
from tests.meetings.conftest import make_world
from webapp.bookings.services import manage_token
from webapp.db import db
from webapp.meetings import services
from webapp.meetings.models import Meeting, MeetingSeat, MeetingStatus

PAIRS = 8

pytestmark = pytest.mark.parametrize(
    "app_config",
    [
        {
            "SQLALCHEMY_ENGINE_OPTIONS": {
                "pool_size": PAIRS + 5,
                "max_overflow": 0,
                "pool_timeout": 60,
            }
        }
    ],
)


def _accept_all(app, answers: list[tuple[str, int, int]]) -> list[int]:
    """Each (manage token, participant, meeting) accepts from its own client, all at once."""
    barrier = threading.Barrier(len(answers))

    def attempt(answer: tuple[str, int, int]) -> int:
        token, participant, meeting = answer
        client = Client(app)
        page = client.get(f"/bookings/{token}/meetings?participant={participant}")
        csrf = csrf_from(page.text)
        barrier.wait()
        try:
            return client.post(
                f"/bookings/{token}/meetings/{meeting}/accept?participant={participant}",
                data={"csrf_token": csrf},
            ).status_code
        finally:
            with app.app_context():
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(answers)) as pool:
        return list(pool.map(attempt, answers))


def _accepted() -> list[Meeting]:
    db.session.rollback()  # read what the threads committed
    return list(db.session.scalars(select(Meeting).where(Meeting.status == MeetingStatus.ACCEPTED)))


@pytest.mark.slow
def test_acceptances_racing_for_the_last_table_give_it_to_one(app):
    world = make_world(tables=1, people=2 * PAIRS)
    slot = world.slots[0].id
    answers = []
    for i in range(PAIRS):
        a, b = 2 * i, 2 * i + 1
        meeting = services.request(
            world.bookings[a], world.person(a).id, world.person(b).id, slot, None
        )
        answers.append((manage_token(world.bookings[b]), world.person(b).id, meeting.id))
    db.session.commit()

    statuses = _accept_all(app, answers)

    assert statuses == [303] * PAIRS
    [winner] = _accepted()
    assert winner.table_id == world.slots[0].tables[0].id
    assert db.session.scalar(select(func.count(MeetingSeat.id))) == 2
    waiting = db.session.scalar(
        select(func.count(Meeting.id)).where(Meeting.status == MeetingStatus.REQUESTED)
    )
    assert waiting == PAIRS - 1  # the others' requests stay open


@pytest.mark.slow
def test_one_person_accepting_several_requests_for_one_time_at_once_gets_one(app):
    world = make_world(tables=PAIRS, people=PAIRS + 1)
    slot = world.slots[0].id
    host = world.bookings[0]
    token = manage_token(host)
    answers = []
    for i in range(1, PAIRS + 1):
        meeting = services.request(
            world.bookings[i], world.person(i).id, world.person(0).id, slot, None
        )
        answers.append((token, world.person(0).id, meeting.id))
    db.session.commit()

    _accept_all(app, answers)

    assert len(_accepted()) == 1
    seats = db.session.scalars(select(MeetingSeat.participant_id)).all()
    assert seats.count(world.person(0).id) == 1
