"""Reading the public catalogue, and keeping an event's derived time span."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import joinedload, selectinload

from webapp import signals
from webapp.db import db, lock_row, utcnow
from webapp.events.models import Event, EventKind, EventStatus
from webapp.organisations.models import Organisation, Project

PUBLIC_STATUSES = (EventStatus.PUBLISHED, EventStatus.CANCELLED)


@dataclass(frozen=True)
class EventFilter:
    """What a visitor narrowed the list to; unknown values simply match nothing."""

    kind: EventKind | None = None
    organisation: str | None = None  # slug
    project: str | None = None  # slug
    county: str | None = None
    past: bool = False


def sync_span(event: Event) -> None:
    """Copy the first start and last end of the event's sessions onto the event.

    Sessions called off do not count (a webinar moved to a new session starts then), unless
    all of them are, so a cancelled event keeps its dates.
    """
    sessions = [s for s in event.sessions if s.cancelled_at is None] or event.sessions
    if sessions:
        event.starts_at = min(s.starts_at for s in sessions)
        event.ends_at = max(s.ends_at for s in sessions)
    else:
        event.starts_at = event.ends_at = None


def record_change(event: Event, *, times_changed: bool, place_changed: bool) -> None:
    """After an organiser edited an event: keep its span, bump SEQUENCE, tell listeners.

    Call it after the edit is applied, in the same transaction. Nothing happens when
    neither times nor place changed (a typo fix in the description is not news). A
    published event whose start moved remembers the start it had (``previous_starts_at``),
    so search engines are told it was rescheduled.
    """
    before = event.starts_at
    sync_span(event)
    if event.status == EventStatus.PUBLISHED and before and event.starts_at != before:
        event.previous_starts_at = before
    if not (times_changed or place_changed):
        return
    event.sequence += 1
    db.session.flush()
    signals.event_changed.send(event, times_changed=times_changed, place_changed=place_changed)


class EventAlreadyCancelled(Exception):
    """The event was cancelled before."""


def cancel_event(event_id: int, now: datetime | None = None) -> Event:
    """Cancel an event: it stays visible as cancelled, bookings are kept for the record.

    Listeners cancel pending reminders and tell every booked company.
    Raises EventAlreadyCancelled.
    """
    event = lock_row(Event, event_id)
    if event.status == EventStatus.CANCELLED:
        raise EventAlreadyCancelled()
    event.status = EventStatus.CANCELLED
    event.cancelled_at = now or utcnow()
    event.sequence += 1
    db.session.flush()
    signals.event_cancelled.send(event)
    return event


def registration_phase(event: Event, now: datetime | None = None) -> str:
    """Where an event's registration (a trip's applications) stands: ``"not_yet"`` before
    it opens, ``"open"``, or ``"closed"`` (also when the event is not published)."""
    now = now or utcnow()
    if (
        event.status == EventStatus.PUBLISHED
        and event.registration_opens_at
        and (now < event.registration_opens_at)
    ):
        return "not_yet"
    return "open" if registration_open(event, now) else "closed"


def registration_open(event: Event, now: datetime | None = None) -> bool:
    """Whether companies may register now: published, window open, not yet started."""
    now = now or utcnow()
    if event.status != EventStatus.PUBLISHED:
        return False
    if event.registration_opens_at and now < event.registration_opens_at:
        return False
    closes = event.closes_at()
    return not (closes and now >= closes)


def _public_listing(filters: EventFilter, now: datetime) -> Select[tuple[Event]]:
    stmt = select(Event).where(Event.status == EventStatus.PUBLISHED)
    if filters.past:
        stmt = stmt.where(Event.ends_at < now).order_by(Event.starts_at.desc(), Event.id.desc())
    else:
        stmt = stmt.where(Event.ends_at >= now).order_by(Event.starts_at, Event.id)
    if filters.kind:
        stmt = stmt.where(Event.kind == filters.kind)
    if filters.county:
        stmt = stmt.where(Event.county == filters.county)
    if filters.organisation:
        stmt = stmt.join(Event.organisation).where(Organisation.slug == filters.organisation)
    if filters.project:
        stmt = stmt.join(Event.project).where(Project.slug == filters.project)
    return stmt.options(joinedload(Event.organisation), joinedload(Event.project))


def list_public_events(
    filters: EventFilter, page: int, per_page: int, now: datetime | None = None
) -> Pagination:
    """One page of published events, upcoming (or past) first; two queries whatever the size."""
    return db.paginate(
        _public_listing(filters, now or utcnow()),
        page=page,
        per_page=per_page,
        error_out=False,
        count=True,
    )


def filter_options() -> tuple[list[Organisation], list[Project]]:
    """Organisations and projects to offer as filters (two queries)."""
    organisations = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    projects = db.session.scalars(select(Project).order_by(Project.name)).all()
    return list(organisations), list(projects)


def get_public_event(event_id: int, *, with_page: bool = True) -> Event | None:
    """A published or cancelled event with what its page shows, or None (drafts are hidden).

    ``with_page=False`` loads the event alone, its organisation, project and sessions on
    first use: a registration POST reads the event again under its lock and renders no page
    unless the form has errors.
    """
    return db.session.scalars(_public_event_statement(with_page), {"id": event_id}).first()


@cache
def _public_event_statement(with_page: bool) -> Select[tuple[Event]]:
    stmt = select(Event).where(Event.id == bindparam("id"), Event.status.in_(PUBLIC_STATUSES))
    if with_page:
        stmt = stmt.options(
            joinedload(Event.organisation),
            joinedload(Event.project),
            selectinload(Event.sessions),
        )
    return stmt


def project_events(project_id: int, now: datetime | None = None) -> tuple[list[Event], list[Event]]:
    """A project's public events: upcoming (soonest first) and past (latest first)."""
    now = now or utcnow()
    stmt = (
        select(Event)
        .where(Event.project_id == project_id, Event.status.in_(PUBLIC_STATUSES))
        .options(joinedload(Event.organisation))
    )
    upcoming = db.session.scalars(
        stmt.where(Event.ends_at >= now).order_by(Event.starts_at, Event.id)
    ).all()
    past = db.session.scalars(
        stmt.where(Event.ends_at < now).order_by(Event.starts_at.desc(), Event.id.desc())
    ).all()
    return list(upcoming), list(past)
