"""SQL building blocks of the reports: the report's rows as CTEs, and portable expressions.

Every figure of a report is an aggregate over three relations, built here once per report
as common table expressions so each figure is one ``GROUP BY`` in the database:

- ``held_sessions``: sessions that took place in the period — the session starts inside it,
  neither it nor its event is cancelled, and the event is published (not a draft) and
  belongs to the report's organisation or project; with its length in minutes and the
  month (Europe/Stockholm) it started in.
- ``participations``: one row per person on a confirmed booking of an event with at least
  one held session; people removed from a booking, and cancelled, waitlisted, pending and
  declined bookings, do not count.
- ``attended``: one row per participation and held session marked present.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    CTE,
    ColumnElement,
    Integer,
    and_,
    case,
    cast,
    func,
    literal,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from webapp.bookings.models import Attendance, Booking, BookingStatus, Participant
from webapp.events.models import Event, EventSession, EventStatus


class minutes_between(FunctionElement[int]):  # noqa: N801 - an SQL function
    """Whole minutes from the first datetime to the second, on SQLite and PostgreSQL."""

    type = Integer()
    inherit_cache = True


@compiles(minutes_between)
def _minutes_postgresql(element: minutes_between, compiler: object, **kw: object) -> str:
    starts, ends = (compiler.process(arg, **kw) for arg in element.clauses)  # type: ignore[attr-defined]
    return f"CAST(ROUND(EXTRACT(EPOCH FROM ({ends} - {starts})) / 60) AS INTEGER)"


@compiles(minutes_between, "sqlite")
def _minutes_sqlite(element: minutes_between, compiler: object, **kw: object) -> str:
    starts, ends = (compiler.process(arg, **kw) for arg in element.clauses)  # type: ignore[attr-defined]
    return f"CAST(ROUND((julianday({ends}) - julianday({starts})) * 1440) AS INTEGER)"


# SNI 2007 (NACE rev. 2) sections by the first two digits of the code (the division).
_SNI_SECTIONS = (
    ("01", "03", "A"), ("05", "09", "B"), ("10", "33", "C"), ("35", "35", "D"),
    ("36", "39", "E"), ("41", "43", "F"), ("45", "47", "G"), ("49", "53", "H"),
    ("55", "56", "I"), ("58", "63", "J"), ("64", "66", "K"), ("68", "68", "L"),
    ("69", "75", "M"), ("77", "82", "N"), ("84", "84", "O"), ("85", "85", "P"),
    ("86", "88", "Q"), ("90", "93", "R"), ("94", "96", "S"), ("97", "98", "T"),
    ("99", "99", "U"),
)  # fmt: skip


def sni_section(code: ColumnElement[str | None]) -> ColumnElement[str | None]:
    """The SNI section letter of an industry code ("62010", "62.01", "C25"), or NULL.

    A code given with its letter keeps it; otherwise the two-digit division decides.
    """
    first = func.upper(func.substr(code, 1, 1))
    division = func.substr(code, 1, 2)
    two_digits = and_(
        func.substr(code, 1, 1).between("0", "9"), func.substr(code, 2, 1).between("0", "9")
    )
    return case(
        (first.between("A", "U"), first),
        *(
            (and_(two_digits, division.between(low, high)), letter)
            for low, high, letter in _SNI_SECTIONS
        ),
        else_=None,
    )


def month_of(moment: ColumnElement[datetime], boundaries: list[tuple[str, datetime]]) -> object:
    """The label of the month a moment falls in; ``boundaries`` are each month's end (UTC).

    Local months need a time zone SQLite does not have, so the months of the period are
    computed in Python and the database only compares instants.
    """
    return case(*((moment < end, literal(label)) for label, end in boundaries), else_=None)


@dataclass(frozen=True)
class Rows:
    """The three CTEs one report's figures are computed from."""

    held_sessions: CTE
    participations: CTE
    attended: CTE
    per_participation: CTE


def in_scope(project_id: int | None, organisation_id: int | None) -> ColumnElement[bool]:
    """Events of the report: a project's (whoever runs them) or an organisation's own."""
    if project_id is not None:
        return Event.project_id == project_id
    return Event.organisation_id == organisation_id


def build_rows(
    scope: ColumnElement[bool],
    start: datetime,
    end: datetime,
    months: list[tuple[str, datetime]],
) -> Rows:
    """The report's CTEs for events matching ``scope`` and the period [start, end)."""
    held_sessions = (
        select(
            EventSession.id.label("session_id"),
            EventSession.event_id,
            EventSession.starts_at,
            EventSession.ends_at,
            minutes_between(EventSession.starts_at, EventSession.ends_at).label("minutes"),
            month_of(EventSession.starts_at, months).label("month"),
        )
        .join(Event, Event.id == EventSession.event_id)
        .where(
            scope,
            Event.status == EventStatus.PUBLISHED,
            EventSession.cancelled_at.is_(None),
            EventSession.starts_at >= start,
            EventSession.starts_at < end,
        )
        .cte("held_sessions")
    )
    participations = (
        select(
            Participant.id.label("participant_id"),
            func.lower(Participant.email).label("email"),
            Participant.gender,
            Booking.event_id,
            Booking.company_id,
        )
        .join(Booking, Booking.id == Participant.booking_id)
        .where(
            Booking.status == BookingStatus.CONFIRMED,
            Participant.cancelled_at.is_(None),
            Booking.event_id.in_(select(held_sessions.c.event_id)),
        )
        .cte("participations")
    )
    # Joined, not ``participant_id IN (participations)``, and the booking tied to the
    # session's event: otherwise SQLite may plan a walk of every held session (or event)
    # against every participation or confirmed booking, which grows as their product.
    attended = (
        select(
            Attendance.participant_id,
            held_sessions.c.session_id,
            held_sessions.c.event_id,
            held_sessions.c.minutes,
            held_sessions.c.month,
        )
        .join(held_sessions, held_sessions.c.session_id == Attendance.session_id)
        .join(Participant, Participant.id == Attendance.participant_id)
        .join(
            Booking,
            (Booking.id == Participant.booking_id) & (Booking.event_id == held_sessions.c.event_id),
        )
        .where(
            Attendance.present.is_(True),
            Booking.status == BookingStatus.CONFIRMED,
            Participant.cancelled_at.is_(None),
        )
        .cte("attended")
    )
    per_participation = (
        select(
            attended.c.participant_id,
            func.count().label("sessions"),
            cast(func.sum(attended.c.minutes), Integer).label("minutes"),
        )
        .group_by(attended.c.participant_id)
        .cte("per_participation")
    )
    return Rows(held_sessions, participations, attended, per_participation)


def cancelled_in_period(scope: ColumnElement[bool], start: datetime, end: datetime) -> object:
    """Cancelled events of the report that had a session starting in the period."""
    return and_(
        scope,
        Event.status == EventStatus.CANCELLED,
        Event.id.in_(
            select(EventSession.event_id).where(
                EventSession.starts_at >= start, EventSession.starts_at < end
            )
        ),
    )
