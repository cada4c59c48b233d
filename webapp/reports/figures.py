"""The figures of one report, computed by aggregate queries in the database.

A report runs the same three statements whatever the number of events, companies and
participants (tests/reports/test_views.py counts a whole page's): each table below is one
``GROUP BY`` over the CTEs of :mod:`webapp.reports.sql`, and the small ones are joined
with ``UNION ALL`` into one statement, so the CTEs are built once for all of them. Python
only reshapes the aggregated rows into tables.

What counts (the definitions funders ask about):

- **Companies supported** (ERDF RCO01, by size; RCO04, non-financial support — all support
  given through events is non-financial): unique companies with at least one confirmed
  booking of an event held in the period, and of those, the ones with at least one
  participant marked present at a held session. Company data is the register's.
- **Participants**: unique persons (by email, case-insensitive, within the report) and
  participations (a person on a confirmed booking of one event). A person's gender is the
  one given on their latest participation that states one; their county is their latest
  participation's company's.
- **Hours**: each held session a participant attended counts its full length.
- **Attendance rate** of an event: present marks ÷ (participations × sessions marked so far);
  sessions nobody has marked yet say nothing and are left out.
- **Satisfaction**: the answers to the events' evaluations (webapp.feedback) — how many,
  and the average of each 1–5 rating over all answers (each answer weighs the same, not
  each event). Answers count whatever became of their participant since (anonymised).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    case,
    cast,
    distinct,
    exists,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.sql import Select

from webapp.bookings.models import Attendance, Booking, BookingStatus, Gender, Participant
from webapp.companies.models import Company, SizeClass
from webapp.db import db
from webapp.events.models import Event, EventKind
from webapp.feedback.models import FeedbackAnswer
from webapp.organisations.models import Project
from webapp.reports.sql import Rows, build_rows, cancelled_in_period, in_scope, sni_section

#: The dimensions companies are counted by, in the order the report shows them.
COMPANY_DIMENSIONS = ("size", "sme", "county", "sni", "country")
SIZE_ORDER = ("micro", "small", "medium", "large")
GENDER_ORDER = ("female", "male", "other", "undisclosed", None)


class _Hours:
    """Rows that carry attended ``minutes`` show them as hours."""

    minutes: int

    @property
    def hours(self) -> float:
        return self.minutes / 60


@dataclass(frozen=True)
class Count:
    """One row of a companies or participants table."""

    key: str | None
    total: int
    attended: int = 0


@dataclass(frozen=True)
class PersonCount:
    key: str | None
    persons: int
    participations: int


@dataclass(frozen=True)
class CompanyHours(_Hours):
    company_id: int
    name: str
    org_number: str
    country: str
    county: str | None
    size_class: SizeClass
    participations: int
    persons: int
    sessions: int
    minutes: int


@dataclass(frozen=True)
class EventRow(_Hours):
    event_id: int
    title: str
    kind: EventKind
    project: str | None
    first_session: datetime
    last_session: datetime
    sessions: int
    capacity: int | None
    seats_taken: int
    companies: int
    participations: int
    marked_sessions: int
    present: int
    minutes: int
    #: Evaluation answers, and the sums of their two ratings.
    responses: int = 0
    overall_sum: int = 0
    usefulness_sum: int = 0

    @property
    def attendance_rate(self) -> float | None:
        """Share present over the marked sessions, 0–1; None while nothing is marked."""
        expected = self.participations * self.marked_sessions
        return self.present / expected if expected else None

    @property
    def overall_average(self) -> float | None:
        return self.overall_sum / self.responses if self.responses else None

    @property
    def usefulness_average(self) -> float | None:
        return self.usefulness_sum / self.responses if self.responses else None


@dataclass(frozen=True)
class KindRow(_Hours):
    kind: EventKind
    held: int = 0
    sessions: int = 0
    cancelled: int = 0
    seats_offered: int = 0
    unlimited: int = 0
    seats_taken: int = 0
    waiting_bookings: int = 0
    waiting_participants: int = 0
    minutes: int = 0


@dataclass
class Figures:
    """Every table of one report."""

    companies: dict[str, list[Count]] = field(default_factory=dict)
    companies_total: Count = Count(None, 0, 0)
    persons_total: int = 0
    participations_total: int = 0
    by_gender: list[PersonCount] = field(default_factory=list)
    by_county: list[PersonCount] = field(default_factory=list)
    company_hours: list[CompanyHours] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)
    kinds: list[KindRow] = field(default_factory=list)
    months: list[tuple[str, int]] = field(default_factory=list)

    @property
    def minutes_total(self) -> int:
        return sum(row.minutes for row in self.kinds)

    @property
    def hours_total(self) -> float:
        return self.minutes_total / 60

    @property
    def sessions_total(self) -> int:
        return sum(row.sessions for row in self.kinds)

    @property
    def responses_total(self) -> int:
        """Evaluation answers about the report's events."""
        return sum(e.responses for e in self.events)

    @property
    def overall_average(self) -> float | None:
        """The average overall rating over every answer, 1–5; None without answers."""
        n = self.responses_total
        return sum(e.overall_sum for e in self.events) / n if n else None

    @property
    def usefulness_average(self) -> float | None:
        """The average usefulness for the company over every answer; None without answers."""
        n = self.responses_total
        return sum(e.usefulness_sum for e in self.events) / n if n else None


def _total(column: ColumnElement[int] | ColumnElement[int | None]) -> ColumnElement[int]:
    """SUM as an integer, 0 for no rows (PostgreSQL sums integers as NUMERIC)."""
    return cast(func.coalesce(func.sum(column), 0), Integer)


def compute(
    project_id: int | None,
    organisation_id: int | None,
    start: datetime,
    end: datetime,
    months: list[tuple[str, datetime]],
) -> Figures:
    """The figures for a project's (or else an organisation's) events in [start, end).

    ``months`` are the period's local months as (label, end instant), in order. Three
    statements: every small grouping at once (:func:`_groupings`), companies' hours, events.
    """
    scope = in_scope(project_id, organisation_id)
    rows = build_rows(scope, start, end, months)
    figures = Figures()
    found = _groupings(rows, scope, start, end)
    _read_companies(found, figures)
    _read_persons(found, figures)
    figures.kinds = _read_kinds(found)
    month_minutes = {key: values[0] for key, values in found["month"]}
    figures.months = [(label, month_minutes.get(label, 0)) for label, _end in months]
    figures.company_hours = _company_hours(rows)
    figures.events = _events(rows)
    return figures


Found = dict[str, list[tuple[str | None, list[int]]]]
_VALUES = 6


def _part(dimension: str, key: object, *values: object) -> list[object]:
    """The columns of one grouping in the shared UNION ALL: its name, key and six integers."""
    padded = [*values, *([literal(0)] * (_VALUES - len(values)))]
    return [
        literal(dimension).label("dimension"),
        cast(key, String).label("key"),
        *(cast(value, Integer) for value in padded),
    ]


def _groupings(rows: Rows, scope: object, start: datetime, end: datetime) -> Found:
    """Companies by dimension, people by gender and county, events by kind, minutes by
    month: one statement, so the databases build the report's CTEs once for all of them."""
    parts = [
        *_company_parts(rows),
        *_person_parts(rows),
        *_kind_parts(rows, scope, start, end),
        select(*_part("month", rows.attended.c.month, _total(rows.attended.c.minutes)))
        .group_by(rows.attended.c.month),
    ]  # fmt: skip
    found: Found = defaultdict(list)
    for dimension, key, *values in db.session.execute(union_all(*parts)):
        found[dimension].append((key, values))
    return found


def _company_parts(rows: Rows) -> list[Select[tuple[object, ...]]]:
    """Companies per size class, SME or not, county, SNI section and country."""
    p, pp = rows.participations, rows.per_participation
    per_company = (
        select(
            p.c.company_id,
            func.max(case((pp.c.participant_id.is_not(None), 1), else_=0)).label("attended"),
        )
        .outerjoin(pp, pp.c.participant_id == p.c.participant_id)
        .group_by(p.c.company_id)
        .cte("per_company")
    )
    keys = {
        "size": Company.size_class,
        "sme": case((Company.size_class == "large", literal("no")), else_=literal("yes")),
        "county": Company.county,
        "sni": sni_section(Company.industry_code),
        "country": Company.country,
    }
    return [
        select(*_part(f"company:{name}", key, func.count(), _total(per_company.c.attended)))
        .select_from(per_company)
        .join(Company, Company.id == per_company.c.company_id)
        .group_by(key)
        for name, key in keys.items()
    ]


def _read_companies(found: Found, figures: Figures) -> None:
    order = {"size": SIZE_ORDER, "sme": ("yes", "no")}
    for dimension in COMPANY_DIMENSIONS:
        counts = [Count(key, v[0], v[1]) for key, v in found[f"company:{dimension}"]]
        if dimension in order:
            present = {c.key: c for c in counts}
            counts = [present.get(k, Count(k, 0, 0)) for k in order[dimension]]
        else:
            counts.sort(key=lambda c: (c.key is None, -c.total, c.key or ""))
        figures.companies[dimension] = counts
    sizes = figures.companies["size"]
    figures.companies_total = Count(
        None, sum(c.total for c in sizes), sum(c.attended for c in sizes)
    )


def _person_parts(rows: Rows) -> list[Select[tuple[object, ...]]]:
    """Participations and unique persons, by gender and by county."""
    p = rows.participations
    people = (
        select(
            p.c.email,
            p.c.gender,
            Company.county,
            func.row_number()
            .over(partition_by=p.c.email, order_by=p.c.participant_id.desc())
            .label("latest"),
            func.row_number()
            .over(
                partition_by=p.c.email,
                order_by=(case((p.c.gender.is_(None), 1), else_=0), p.c.participant_id.desc()),
            )
            .label("latest_stated"),
        )
        .join(Company, Company.id == p.c.company_id)
        .cte("people")
    )
    county_of_participation = (
        select(p.c.participant_id, Company.county)
        .join(Company, Company.id == p.c.company_id)
        .cte("participation_county")
    )
    return [
        select(*_part("gender:participations", p.c.gender, func.count())).group_by(p.c.gender),
        select(*_part("gender:persons", people.c.gender, func.count()))
        .where(people.c.latest_stated == 1)
        .group_by(people.c.gender),
        select(*_part("county:participations", county_of_participation.c.county, func.count()))
        .group_by(county_of_participation.c.county),
        select(*_part("county:persons", people.c.county, func.count()))
        .where(people.c.latest == 1)
        .group_by(people.c.county),
    ]  # fmt: skip


def _read_persons(found: Found, figures: Figures) -> None:
    def counts(name: str) -> dict[str | None, int]:
        return {key: values[0] for key, values in found[name]}

    persons_g, parts_g = counts("gender:persons"), counts("gender:participations")
    figures.by_gender = [
        PersonCount(key, persons_g.get(key, 0), parts_g.get(key, 0)) for key in GENDER_ORDER
    ]
    persons_c, parts_c = counts("county:persons"), counts("county:participations")
    figures.by_county = sorted(
        (PersonCount(key, persons_c.get(key, 0), n) for key, n in parts_c.items()),
        key=lambda c: (c.key is None, -c.participations, c.key or ""),
    )
    figures.persons_total = sum(persons_g.values())
    figures.participations_total = sum(parts_g.values())


def _company_hours(rows: Rows) -> list[CompanyHours]:
    """Per company: participations, persons, attended sessions and hours (one query)."""
    p, pp = rows.participations, rows.per_participation
    company = (
        Company.id, Company.name, Company.org_number, Company.country, Company.county,
        Company.size_class,
    )  # fmt: skip
    stmt = (
        select(
            *company,
            func.count(),
            func.count(distinct(p.c.email)),
            _total(pp.c.sessions),
            _total(pp.c.minutes),
        )
        .select_from(p)
        .join(Company, Company.id == p.c.company_id)
        .outerjoin(pp, pp.c.participant_id == p.c.participant_id)
        .group_by(*company)
        .order_by(_total(pp.c.minutes).desc(), Company.name, Company.id)
    )
    return [CompanyHours(*row) for row in db.session.execute(stmt)]


def _events(rows: Rows) -> list[EventRow]:
    """Per held event: sessions, seats, companies, participations, attendance, hours and
    the evaluation's answers."""
    hs, p, att = rows.held_sessions, rows.participations, rows.attended
    sessions = (
        select(
            hs.c.event_id,
            func.count().label("sessions"),
            func.min(hs.c.starts_at).label("first"),
            func.max(hs.c.starts_at).label("last"),
            func.count(case((exists().where(Attendance.session_id == hs.c.session_id), 1))).label(
                "marked"
            ),
        )
        .group_by(hs.c.event_id)
        .subquery()
    )
    people = (
        select(
            p.c.event_id,
            func.count().label("participations"),
            func.count(distinct(p.c.company_id)).label("companies"),
        )
        .group_by(p.c.event_id)
        .subquery()
    )
    present = (
        select(att.c.event_id, func.count().label("present"), _total(att.c.minutes).label("m"))
        .group_by(att.c.event_id)
        .subquery()
    )
    answers = (
        select(
            FeedbackAnswer.event_id,
            func.count().label("responses"),
            _total(FeedbackAnswer.overall).label("overall"),
            _total(FeedbackAnswer.usefulness).label("usefulness"),
        )
        .where(FeedbackAnswer.event_id.in_(select(hs.c.event_id)))
        .group_by(FeedbackAnswer.event_id)
        .subquery()
    )
    stmt = (
        select(
            Event.id,
            Event.title,
            Event.kind,
            Project.name,
            sessions.c.first,
            sessions.c.last,
            sessions.c.sessions,
            Event.capacity,
            Event.seats_taken,
            func.coalesce(people.c.companies, 0),
            func.coalesce(people.c.participations, 0),
            sessions.c.marked,
            func.coalesce(present.c.present, 0),
            func.coalesce(present.c.m, 0),
            func.coalesce(answers.c.responses, 0),
            func.coalesce(answers.c.overall, 0),
            func.coalesce(answers.c.usefulness, 0),
        )
        .join(sessions, sessions.c.event_id == Event.id)
        .outerjoin(Project, Project.id == Event.project_id)
        .outerjoin(people, people.c.event_id == Event.id)
        .outerjoin(present, present.c.event_id == Event.id)
        .outerjoin(answers, answers.c.event_id == Event.id)
        .order_by(sessions.c.first, Event.id)
    )
    return [EventRow(*row) for row in db.session.execute(stmt)]


def _kind_parts(
    rows: Rows, scope: object, start: datetime, end: datetime
) -> list[Select[tuple[object, ...]]]:
    """Per kind of event: held, sessions, cancelled, seats, waiting list, hours."""
    hs, att = rows.held_sessions, rows.attended
    held_events = select(hs.c.event_id).distinct().subquery()
    waiting = (
        select(
            Booking.event_id,
            func.count(distinct(Booking.id)).label("bookings"),
            func.count(Participant.id).label("people"),
        )
        .join(
            Participant, (Participant.booking_id == Booking.id) & Participant.cancelled_at.is_(None)
        )
        .where(Booking.status == BookingStatus.WAITLISTED)
        .group_by(Booking.event_id)
        .subquery()
    )
    return [
        # Held events: count, seats offered (limited ones), unlimited ones, seats taken, queue.
        select(
            *_part(
                "kind:held",
                Event.kind,
                func.count(),
                _total(Event.capacity),
                func.count(case((Event.capacity.is_(None), 1))),
                _total(Event.seats_taken),
                _total(waiting.c.bookings),
                _total(waiting.c.people),
            )
        )
        .select_from(held_events)
        .join(Event, Event.id == held_events.c.event_id)
        .outerjoin(waiting, waiting.c.event_id == Event.id)
        .group_by(Event.kind),
        select(*_part("kind:sessions", Event.kind, func.count()))
        .select_from(hs)
        .join(Event, Event.id == hs.c.event_id)
        .group_by(Event.kind),
        select(*_part("kind:cancelled", Event.kind, func.count()))
        .where(cancelled_in_period(scope, start, end))
        .group_by(Event.kind),
        select(*_part("kind:minutes", Event.kind, _total(att.c.minutes)))
        .select_from(att)
        .join(Event, Event.id == att.c.event_id)
        .group_by(Event.kind),
    ]


def _read_kinds(found: Found) -> list[KindRow]:
    values: dict[EventKind, dict[str, int]] = {kind: {} for kind in EventKind}
    for key, (n, offered, unlimited, taken, w_bookings, w_people) in found["kind:held"]:
        values[EventKind(key)].update(
            held=n,
            seats_offered=offered,
            unlimited=unlimited,
            seats_taken=taken,
            waiting_bookings=w_bookings,
            waiting_participants=w_people,
        )
    for part in ("sessions", "cancelled", "minutes"):
        for key, numbers in found[f"kind:{part}"]:
            values[EventKind(key)][part] = numbers[0]
    return [KindRow(kind, **fields) for kind, fields in values.items()]


@dataclass(frozen=True)
class ParticipantRow(_Hours):
    """One line of the participant sheet: a person on a confirmed booking of a held event."""

    project: str | None
    event_id: int
    event: str
    kind: EventKind
    company: str
    org_number: str
    country: str
    county: str | None
    size_class: SizeClass
    name: str
    email: str
    gender: Gender | None
    sessions: int
    minutes: int


def participant_sheet(
    project_id: int | None,
    organisation_id: int | None,
    start: datetime,
    end: datetime,
    months: list[tuple[str, datetime]],
) -> tuple[list[ParticipantRow], dict[int, list[datetime]]]:
    """Every participation of the report with its attended sessions and hours, by event,
    company and name; and each event's held session starts (two queries)."""
    rows = build_rows(in_scope(project_id, organisation_id), start, end, months)
    p, pp, hs = rows.participations, rows.per_participation, rows.held_sessions
    stmt = (
        select(
            Project.name,
            Event.id,
            Event.title,
            Event.kind,
            Company.name,
            Company.org_number,
            Company.country,
            Company.county,
            Company.size_class,
            Participant.name,
            Participant.email,
            Participant.gender,
            func.coalesce(pp.c.sessions, 0),
            func.coalesce(pp.c.minutes, 0),
        )
        .select_from(p)
        .join(Participant, Participant.id == p.c.participant_id)
        .join(Event, Event.id == p.c.event_id)
        .outerjoin(Project, Project.id == Event.project_id)
        .join(Company, Company.id == p.c.company_id)
        .outerjoin(pp, pp.c.participant_id == p.c.participant_id)
        .order_by(Event.starts_at, Event.id, Company.name, Participant.name, Participant.id)
    )
    result = [ParticipantRow(*row) for row in db.session.execute(stmt)]
    dates: dict[int, list[datetime]] = defaultdict(list)
    for event_id, starts_at in db.session.execute(
        select(hs.c.event_id, hs.c.starts_at).order_by(hs.c.event_id, hs.c.starts_at)
    ):
        dates[event_id].append(starts_at)
    return result, dates
