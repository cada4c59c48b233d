"""Phones at two doors scanning the same code at the same moment: one mark, the others are
told it is already there, on SQLite (file) and PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from webapp.accounts.models import User
from webapp.bookings.models import Attendance
from webapp.checkin import services
from webapp.db import db
from webapp.events.models import Event

THREADS = 8

pytestmark = pytest.mark.parametrize(
    "app_config",
    [{"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": THREADS + 2, "max_overflow": 0}}],
)


def test_the_same_code_scanned_at_once_marks_one_row(app, door):
    code = services.code(door.booking.participants[0])
    event_id, session_id, user_id = door.event.id, door.event.sessions[0].id, door.organiser.id
    db.session.commit()
    barrier = threading.Barrier(THREADS)

    def scan(_: int) -> str:
        with app.app_context():
            try:
                user, event = db.session.get(User, user_id), db.session.get(Event, event_id)
                event.sessions  # noqa: B018 - loaded before the race, as the page does
                barrier.wait()
                services.check_in(user, event, session_id, code_text=code)
                db.session.commit()
                return "marked"
            except services.AlreadyCheckedIn:
                db.session.rollback()
                return "already"
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(scan, range(THREADS)))
    assert sorted(results) == ["already"] * (THREADS - 1) + ["marked"]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Attendance)) == 1
