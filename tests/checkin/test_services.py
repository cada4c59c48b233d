"""Check-in rules at the service level, on both databases: a code marks its own participant
at the chosen session of its own event, once; everything else is refused and stores nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from webapp.bookings.models import Attendance
from webapp.checkin import services
from webapp.db import db, utcnow
from webapp.events.models import EventKind
from webapp.i18n import format_time
from webapp.organisations.audit import AuditEntry
from webapp.organisations.services import NotAllowed


def _counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Attendance)),
        db.session.scalar(select(func.count()).select_from(AuditEntry)),
    )


def test_the_current_session_is_the_one_running_now(door):
    first, second = door.event.sessions
    assert services.current_session(door.event) == first
    assert services.current_session(door.event, now=first.ends_at + timedelta(minutes=1)) in (
        second,
        first,
    )
    # Before the event, the next session to come; after it, the last one held.
    assert services.current_session(door.event, now=first.starts_at - timedelta(days=3)) == first
    assert services.current_session(door.event, now=second.ends_at + timedelta(days=1)) == second


def test_a_code_marks_its_participant_present_at_the_session_and_is_logged(door):
    participant = door.booking.participants[0]
    session = door.event.sessions[0]
    done = services.check_in(
        door.organiser, door.event, session.id, code_text=services.code(participant)
    )
    db.session.commit()
    assert done.participant == participant and done.session == session
    [row] = db.session.scalars(select(Attendance)).all()
    assert (row.participant_id, row.session_id, row.present) == (participant.id, session.id, True)
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "attendance.checked_in")
    ).one()
    assert entry.event_id == door.event.id and entry.user_id == door.organiser.id


def test_the_link_in_the_qr_code_works_as_the_code(door, app):
    participant = door.booking.participants[1]
    with app.test_request_context("/"):
        link = services.link(participant)
    assert link.endswith("/organisers/check-in/" + services.code(participant))
    services.check_in(door.organiser, door.event, door.event.sessions[0].id, code_text=link)
    assert services.checked_in(door.event.sessions[0]).keys() == {participant.id}


def test_a_code_scanned_twice_says_when_and_stores_nothing_new(door):
    participant = door.booking.participants[0]
    session = door.event.sessions[0]
    code = services.code(participant)
    done = services.check_in(door.organiser, door.event, session.id, code_text=code)
    db.session.commit()
    before = _counts()
    with pytest.raises(services.AlreadyCheckedIn) as refused:
        services.check_in(door.organiser, door.event, session.id, code_text=code)
    db.session.rollback()
    with force_locale("en"):
        assert f"already checked in at {format_time(done.marked_at)}" in str(refused.value)
    assert _counts() == before
    # By name too.
    with pytest.raises(services.AlreadyCheckedIn):
        services.check_in(door.organiser, door.event, session.id, participant_id=participant.id)


def test_the_same_code_counts_at_each_session_of_its_own(door):
    code = services.code(door.booking.participants[0])
    for session in door.event.sessions:
        services.check_in(door.organiser, door.event, session.id, code_text=code)
    assert _counts()[0] == 2


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "hello",
        "12-abc",
        "999999-AAAAAAAAAAAAAAAAAAAAAAAA",
        "https://example.se/organisers/check-in/1-AAAAAAAAAAAAAAAAAAAAAAAA",
        "1-" + "A" * 24,
        "\u00e5\u00e4\u00f6-" + "x" * 500,
    ],
)
def test_garbage_is_refused_and_stores_nothing(door, bad):
    before = _counts()
    with pytest.raises(services.CheckinError) as refused:
        services.check_in(
            door.organiser, door.event, door.event.sessions[0].id, code_text=bad or " "
        )
    db.session.rollback()
    assert refused.value.field == "code"
    assert _counts() == before


def test_a_code_of_another_event_marks_nothing(door):
    code = services.code(door.other_booking.participants[0])
    with pytest.raises(services.OtherEventCode):
        services.check_in(door.organiser, door.event, door.event.sessions[0].id, code_text=code)
    # Nor does a participant of another event by id (a doctored mark button).
    with pytest.raises(services.NotExpected):
        services.check_in(
            door.organiser,
            door.event,
            door.event.sessions[0].id,
            participant_id=door.other_booking.participants[0].id,
        )
    db.session.rollback()
    assert _counts() == (0, 0)


def test_a_session_of_another_event_or_a_cancelled_one_marks_nothing(door):
    code = services.code(door.booking.participants[0])
    for session_id in (door.other_event.sessions[0].id, None, 999999):
        with pytest.raises(services.WrongSession):
            services.check_in(door.organiser, door.event, session_id, code_text=code)
    door.event.sessions[1].cancelled_at = utcnow()
    db.session.commit()
    with pytest.raises(services.WrongSession):
        services.check_in(door.organiser, door.event, door.event.sessions[1].id, code_text=code)
    db.session.rollback()
    assert _counts() == (0, 0)


def test_a_cancelled_participant_cannot_be_checked_in(door):
    participant = door.booking.participants[0]
    participant.cancelled_at = utcnow()
    db.session.commit()
    with pytest.raises(services.NotExpected):
        services.check_in(
            door.organiser,
            door.event,
            door.event.sessions[0].id,
            code_text=services.code(participant),
        )


def test_one_marked_absent_on_the_door_list_is_turned_present(door):
    from webapp.bookings import attendance

    session = door.event.sessions[0]
    attendance.mark(door.organiser, door.event, session.id, [])
    db.session.commit()
    participant = door.booking.participants[0]
    services.check_in(door.organiser, door.event, session.id, participant_id=participant.id)
    db.session.commit()
    assert services.checked_in(session).keys() == {participant.id}
    assert _counts()[0] == 2


def test_only_organisers_of_the_event_check_in(door):
    code = services.code(door.booking.participants[0])
    for user in (door.viewer, door.stranger):
        with pytest.raises(NotAllowed):
            services.check_in(user, door.event, door.event.sessions[0].id, code_text=code)
    assert _counts() == (0, 0)


def test_events_without_check_in_refuse(door):
    door.event.kind = EventKind.WEBINAR
    with pytest.raises(services.CheckinError):
        services.check_in(
            door.organiser,
            door.event,
            door.event.sessions[0].id,
            code_text=services.code(door.booking.participants[0]),
        )


def test_name_search_ignores_case_and_finds_companies(door):
    participant = door.booking.participants[0]
    participant.name = "Åsa Öberg"
    db.session.commit()
    assert services.search(door.event, "åsa") == [participant]
    assert services.search(door.event, "ÖBERG") == [participant]
    assert set(services.search(door.event, door.booking.company.name[:6])) == set(
        door.booking.participants
    )
    assert services.search(door.event, "nobody") == []
    assert services.search(door.event, "  ") == []
