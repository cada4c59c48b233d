"""Attendance per session: who was there, and the attendance rate per session and event.

Only participants of confirmed bookings are expected at a session. A session's rate is
present / expected, counted once someone has marked it (an unmarked session says nothing
yet, it is not 0 %); the event's rate is the same sum over its marked, not cancelled,
sessions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from webapp.accounts.models import Role, User
from webapp.bookings.models import Attendance, Booking, BookingStatus, Participant
from webapp.companies.models import Company
from webapp.db import begin_write, db, utcnow
from webapp.events.models import Event, EventSession
from webapp.organisations import audit
from webapp.organisations.services import NotAllowed, require_role


@dataclass(frozen=True)
class SessionRate:
    session: EventSession
    expected: int
    present: int
    marked: int

    @property
    def rate(self) -> float | None:
        """Share present, 0–1, or None while nobody has been marked."""
        if not self.marked or not self.expected:
            return None
        return self.present / self.expected


def expected_participants(event_id: int) -> list[Participant]:
    """Active participants of confirmed bookings, by company then name (one query)."""
    return list(
        db.session.scalars(
            select(Participant)
            .join(Participant.booking)
            .join(Booking.company)
            .where(
                Booking.event_id == event_id,
                Booking.status == BookingStatus.CONFIRMED,
                Participant.cancelled_at.is_(None),
            )
            .options(contains_eager(Participant.booking).contains_eager(Booking.company))
            .order_by(Company.name, Participant.name, Participant.id)
        ).unique()
    )


def present_ids(session_id: int) -> set[int]:
    """Participants marked present at the session."""
    return set(
        db.session.scalars(
            select(Attendance.participant_id).where(
                Attendance.session_id == session_id, Attendance.present.is_(True)
            )
        )
    )


def marks(event: Event) -> dict[tuple[int, int], bool]:
    """Every mark at the event's sessions, as (participant, session) → present (one query)."""
    return {
        (participant_id, session_id): present
        for participant_id, session_id, present in db.session.execute(
            select(Attendance.participant_id, Attendance.session_id, Attendance.present)
            .join(EventSession, EventSession.id == Attendance.session_id)
            .where(EventSession.event_id == event.id)
        )
    }


def mark(
    user: User,
    event: Event,
    session_id: int,
    present: Iterable[int],
    now: datetime | None = None,
) -> tuple[int, int]:
    """Record the door list of one session: the ``present`` participants were there, every
    other expected participant was not. Needs organiser. Returns (present, absent).

    Ids that are not expected participants of the event are ignored, so a stale page that
    still lists someone who cancelled cannot mark them.
    """
    require_role(user, event.organisation_id, Role.ORGANISER)
    session = db.session.get(EventSession, session_id)
    if session is None or session.event_id != event.id:
        raise NotAllowed()
    now = now or utcnow()
    begin_write()
    chosen = set(present)
    expected = [p.id for p in expected_participants(event.id)]
    existing = {
        a.participant_id: a
        for a in db.session.scalars(select(Attendance).where(Attendance.session_id == session_id))
    }
    for participant_id in expected:
        is_present = participant_id in chosen
        row = existing.get(participant_id)
        if row is None:
            db.session.add(
                Attendance(
                    participant_id=participant_id,
                    session_id=session_id,
                    present=is_present,
                    marked_at=now,
                )
            )
        elif row.present != is_present:
            row.present = is_present
            row.marked_at = now
    n_present = sum(1 for p in expected if p in chosen)
    audit.record(
        user,
        "attendance.marked",
        organisation_id=event.organisation_id,
        event_id=event.id,
        session=session_id,
        present=n_present,
        absent=len(expected) - n_present,
    )
    db.session.flush()
    return n_present, len(expected) - n_present


def rates(event: Event) -> tuple[list[SessionRate], float | None]:
    """Attendance per live session and for the whole event (two queries)."""
    expected_ids = {p.id for p in expected_participants(event.id)}
    marks: dict[int, list[Attendance]] = {}
    session_ids = [s.id for s in event.sessions]
    for row in db.session.scalars(select(Attendance).where(Attendance.session_id.in_(session_ids))):
        marks.setdefault(row.session_id, []).append(row)
    result = []
    for session in event.sessions:
        if session.cancelled_at is not None:
            continue
        rows = [a for a in marks.get(session.id, []) if a.participant_id in expected_ids]
        result.append(
            SessionRate(
                session=session,
                expected=len(expected_ids),
                present=sum(1 for a in rows if a.present),
                marked=len(rows),
            )
        )
    marked = [r for r in result if r.marked]
    total_expected = sum(r.expected for r in marked)
    overall = sum(r.present for r in marked) / total_expected if total_expected else None
    return result, overall
