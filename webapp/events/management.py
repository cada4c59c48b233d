"""Organisers' event operations: create, edit, publish, unpublish, cancel, duplicate.

Every operation checks the acting user's role first (:func:`require_role`) and writes an
audit entry in the same transaction. Edits keep session rows (and so their iCal UIDs) when
a session is moved; a session removed from a draft is deleted, one removed from a published
event is kept as cancelled, because calendars that imported it must see it cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import column, func, select, table
from sqlalchemy.orm import joinedload, selectinload

from webapp import signals
from webapp.accounts.models import Role, User
from webapp.db import begin_write, db, lock_row, utcnow
from webapp.errors import RuleViolation
from webapp.events.models import (
    TRANSLATION_LANGUAGE,
    Event,
    EventKind,
    EventSession,
    EventStatus,
)
from webapp.events.services import EventAlreadyCancelled, cancel_event, record_change, sync_span
from webapp.organisations import audit
from webapp.organisations.services import (
    NotAllowed,
    partner_project_ids,
    project_choices,
    require_role,
)


class EventError(RuleViolation):
    default = _l("The event could not be changed.")


class CapacityBelowSeatsTaken(EventError):
    """The new capacity is lower than the seats confirmed bookings hold."""

    field = "capacity"


@dataclass(frozen=True)
class SessionData:
    """One session as the form gives it; ``id`` is None for a new one."""

    starts_at: datetime
    ends_at: datetime
    id: int | None = None
    title: str | None = None
    venue: str | None = None
    title_en: str | None = None


@dataclass(frozen=True)
class EventData:
    """Everything an organiser edits on an event, times already in UTC."""

    kind: EventKind
    title: str
    sessions: list[SessionData]
    summary: str = ""
    description: str = ""
    venue: str | None = None
    city: str | None = None
    county: str | None = None
    country: str = "SE"
    online_url: str | None = None
    capacity: int | None = None
    max_per_company: int | None = None
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    requires_approval: bool = False
    reminder_offsets: list[int] = field(default_factory=list)
    first_reminder_offsets: list[int] = field(default_factory=list)
    practical_info: str = ""
    practical_info_en: str = ""
    project_id: int | None = None
    title_en: str | None = None
    summary_en: str | None = None
    description_en: str | None = None
    venue_en: str | None = None


# Bookings by table name: events must not import the bookings package (it depends on us).
_bookings = table("bookings", column("id"), column("event_id"), column("status"))
_ACTIVE_BOOKING = ("pending", "confirmed", "waitlisted")

_PLACE_FIELDS = ("venue", "city", "country", "online_url")
_PLAIN_FIELDS = (
    "kind",
    "title",
    "summary",
    "description",
    "county",
    "max_per_company",
    "registration_opens_at",
    "registration_closes_at",
    "requires_approval",
    "project_id",
    "practical_info",
    "practical_info_en",
    # A translation is no change of place: it neither bumps the sequence nor emails anyone.
    "title_en",
    "summary_en",
    "description_en",
    "venue_en",
)
_REMINDER_FIELDS = ("reminder_offsets", "first_reminder_offsets")


# --- reading -----------------------------------------------------------------------------


def get_event(event_id: int) -> Event | None:
    """An event with its organisation, project and sessions, or None."""
    return db.session.scalars(
        select(Event)
        .where(Event.id == event_id)
        .options(
            joinedload(Event.organisation),
            joinedload(Event.project),
            selectinload(Event.sessions),
        )
    ).first()


def dashboard_events(user: User) -> tuple[list[Event], list[Event]]:
    """The events of the user's organisations, and co-hosted events they may read as partners.

    Newest first; a handful of queries whatever the number of events (the sessions come
    along for the list's "Missing in English" notes).
    """
    own_ids = [m.organisation_id for m in user.memberships]
    if not own_ids:
        return [], []
    options = (
        joinedload(Event.organisation),
        joinedload(Event.project),
        selectinload(Event.sessions),
    )
    order = (Event.starts_at.desc().nulls_first(), Event.id.desc())
    own = db.session.scalars(
        select(Event).where(Event.organisation_id.in_(own_ids)).order_by(*order).options(*options)
    ).all()
    partner_projects = partner_project_ids(own_ids)
    partner = db.session.scalars(
        select(Event)
        .where(
            Event.project_id.in_(partner_projects),
            Event.organisation_id.not_in(own_ids),
            Event.status != EventStatus.DRAFT,
        )
        .order_by(*order)
        .options(*options)
    ).all()
    return list(own), list(partner)


# The outbox by table name too: notifications is imported by nobody.
_outbox = table("outbox_messages", column("event_id"), column("status"))


@dataclass(frozen=True)
class EventFigures:
    """What the dashboard shows beside an event: who waits for what."""

    waitlisted: int = 0
    pending: int = 0
    failed_emails: int = 0


def dashboard_figures(event_ids: list[int]) -> dict[int, EventFigures]:
    """Waiting list, pending approvals and failed emails per event (two queries)."""
    if not event_ids:
        return {}
    bookings = db.session.execute(
        select(_bookings.c.event_id, _bookings.c.status, func.count())
        .where(
            _bookings.c.event_id.in_(event_ids), _bookings.c.status.in_(("waitlisted", "pending"))
        )
        .group_by(_bookings.c.event_id, _bookings.c.status)
    ).all()
    failed = db.session.execute(
        select(_outbox.c.event_id, func.count())
        .where(_outbox.c.event_id.in_(event_ids), _outbox.c.status == "failed")
        .group_by(_outbox.c.event_id)
    ).all()
    counts: dict[int, dict[str, int]] = {}
    for event_id, status, count in bookings:
        counts.setdefault(event_id, {})[status] = count
    for event_id, count in failed:
        counts.setdefault(event_id, {})["failed"] = count
    return {
        event_id: EventFigures(c.get("waitlisted", 0), c.get("pending", 0), c.get("failed", 0))
        for event_id, c in counts.items()
    }


# --- rules -------------------------------------------------------------------------------


def _check_project(organisation_id: int, project_id: int | None, keep: int | None = None) -> None:
    """The project must be active and led or partnered by the organisation (an event may
    stay in the closed project it already belongs to)."""
    if project_id is None:
        return
    if project_id not in {p.id for p in project_choices(organisation_id, keep=keep)}:
        raise EventError(
            _l("Choose an active project your organisation leads or is a partner in."),
            field="project",
        )


def _check_data(data: EventData) -> None:
    if not data.sessions:
        raise EventError(_l("An event needs at least one session."))
    if any(s.ends_at <= s.starts_at for s in data.sessions):
        raise EventError(_l("Every session must end after it starts."))
    if (
        data.registration_opens_at
        and data.registration_closes_at
        and data.registration_closes_at <= data.registration_opens_at
    ):
        raise EventError(_l("Registration must close after it opens."))


def _same_minute(stored: datetime, entered: datetime) -> bool:
    # Forms give minutes; a stored time with seconds (imported data) is not "moved" by an
    # edit that leaves it alone.
    return stored.replace(second=0, microsecond=0) == entered


def _apply_sessions(event: Event, sessions: list[SessionData], now: datetime) -> tuple[bool, bool]:
    """Make the event's live sessions match ``sessions``; (times changed, place changed)."""
    live = {s.id: s for s in event.sessions if s.cancelled_at is None}
    times_changed = place_changed = False
    kept: set[int] = set()
    for data in sessions:
        row = live.get(data.id) if data.id is not None else None
        if row is None:
            event.sessions.append(
                EventSession(
                    starts_at=data.starts_at,
                    ends_at=data.ends_at,
                    title=data.title or None,
                    title_en=data.title_en or None,
                    venue=data.venue or None,
                )
            )
            times_changed = True
            continue
        kept.add(row.id)
        if not (
            _same_minute(row.starts_at, data.starts_at) and _same_minute(row.ends_at, data.ends_at)
        ):
            row.starts_at, row.ends_at = data.starts_at, data.ends_at
            times_changed = True
        if (row.venue or None) != (data.venue or None):
            row.venue = data.venue or None
            place_changed = True
        row.title = data.title or None
        row.title_en = data.title_en or None
    for session_id, row in live.items():
        if session_id in kept:
            continue
        times_changed = True
        if event.status == EventStatus.DRAFT:
            event.sessions.remove(row)
        else:
            row.cancelled_at = now
    return times_changed, place_changed


# --- operations --------------------------------------------------------------------------


def create_event(user: User, organisation_id: int, data: EventData) -> Event:
    """A new draft event of the organisation. Needs organiser. Raises EventError."""
    require_role(user, organisation_id, Role.ORGANISER)
    _check_data(data)
    _check_project(organisation_id, data.project_id)
    begin_write()
    event = Event(organisation_id=organisation_id, status=EventStatus.DRAFT, sequence=0)
    for name in (*_PLAIN_FIELDS, *_PLACE_FIELDS):
        setattr(event, name, getattr(data, name))
    event.capacity = data.capacity
    event.reminder_offsets = list(data.reminder_offsets)
    event.first_reminder_offsets = list(data.first_reminder_offsets)
    event.sessions = [
        EventSession(
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            title=s.title,
            title_en=s.title_en,
            venue=s.venue,
        )
        for s in data.sessions
    ]
    sync_span(event)
    db.session.add(event)
    db.session.flush()
    audit.record(
        user,
        "event.created",
        organisation_id=organisation_id,
        event_id=event.id,
        title=event.title,
    )
    signals.event_created.send(event, source=None)
    return event


def _locked_event(user: User, event_id: int, role: Role) -> Event:
    event = lock_row(Event, event_id)
    if event is None:
        raise NotAllowed()
    require_role(user, event.organisation_id, role)
    return event


def _reminder_plan_of(event: Event) -> tuple[list[int], list[int]]:
    return list(event.reminder_offsets or []), list(event.first_reminder_offsets or [])


def update_event(user: User, event_id: int, data: EventData, now: datetime | None = None) -> Event:
    """Apply an organiser's edit. Needs organiser.

    Moving, adding or removing sessions or changing the place bumps the event's sequence
    and tells booked companies (events.services.record_change). Raises
    CapacityBelowSeatsTaken when the capacity would be lower than the seats taken, and
    EventError for a cancelled event or inconsistent data; nothing is changed then.
    """
    now = now or utcnow()
    event = _locked_event(user, event_id, Role.ORGANISER)
    if event.status == EventStatus.CANCELLED:
        raise EventError(_l("A cancelled event cannot be edited."))
    _check_data(data)
    _check_project(event.organisation_id, data.project_id, keep=event.project_id)
    if data.capacity is not None and data.capacity < event.seats_taken:
        raise CapacityBelowSeatsTaken(
            _l(
                "%(taken)s seats are taken, so the capacity cannot be lower than that. "
                "Cancel bookings or move them to the waiting list first.",
                taken=event.seats_taken,
            )
        )
    changed = sorted(
        name
        for name in (*_PLAIN_FIELDS, *_PLACE_FIELDS, "capacity")
        if getattr(event, name) != getattr(data, name)
    )
    old_plan = _reminder_plan_of(event)
    new_plan = (list(data.reminder_offsets), list(data.first_reminder_offsets))
    if old_plan != new_plan:
        changed.append("reminder_offsets")
    place_changed = any(getattr(event, n) != getattr(data, n) for n in _PLACE_FIELDS)
    capacity_raised = event.capacity is not None and (
        data.capacity is None or data.capacity > event.capacity
    )
    for name in (*_PLAIN_FIELDS, *_PLACE_FIELDS):
        setattr(event, name, getattr(data, name))
    event.capacity = data.capacity
    event.reminder_offsets, event.first_reminder_offsets = new_plan
    times_changed, session_place_changed = _apply_sessions(event, data.sessions, now)
    if times_changed:
        changed.append("sessions")
    db.session.flush()
    record_change(
        event, times_changed=times_changed, place_changed=place_changed or session_place_changed
    )
    if capacity_raised:
        signals.event_capacity_raised.send(event)
    if old_plan != new_plan:
        # Pending reminders follow the new plan (sent ones are never sent again).
        signals.reminder_offsets_changed.send(event, old=old_plan[0], new=new_plan[0])
    if changed:
        audit.record(
            user,
            "event.edited",
            organisation_id=event.organisation_id,
            event_id=event.id,
            fields=changed,
        )
    db.session.flush()
    return event


def publish(user: User, event_id: int) -> Event:
    """Make a draft visible and open for registration. Needs organiser."""
    event = _locked_event(user, event_id, Role.ORGANISER)
    if event.status != EventStatus.DRAFT:
        raise EventError(_l("Only a draft can be published."))
    if not any(s.cancelled_at is None for s in event.sessions):
        raise EventError(_l("Add a session before publishing."))
    event.status = EventStatus.PUBLISHED
    event.sequence += 1
    audit.record(user, "event.published", organisation_id=event.organisation_id, event_id=event.id)
    db.session.flush()
    return event


def unpublish(user: User, event_id: int) -> Event:
    """Take a published event without bookings back to draft. Needs organiser.

    An event with active bookings cannot be hidden from the companies that booked it:
    cancel it instead (EventError).
    """
    event = _locked_event(user, event_id, Role.ORGANISER)
    if event.status != EventStatus.PUBLISHED:
        raise EventError(_l("Only a published event can be unpublished."))
    has_bookings = db.session.scalar(
        select(_bookings.c.id)
        .where(_bookings.c.event_id == event.id, _bookings.c.status.in_(_ACTIVE_BOOKING))
        .limit(1)
    )
    if has_bookings:
        raise EventError(
            _l("Companies have booked this event, so it cannot be unpublished. Cancel it instead.")
        )
    event.status = EventStatus.DRAFT
    event.sequence += 1
    audit.record(
        user, "event.unpublished", organisation_id=event.organisation_id, event_id=event.id
    )
    db.session.flush()
    return event


def cancel(user: User, event_id: int) -> Event:
    """Cancel the event, keeping its bookings; listeners tell booked companies. Needs organiser."""
    event = db.session.get(Event, event_id)
    if event is None:
        raise NotAllowed()
    require_role(user, event.organisation_id, Role.ORGANISER)
    try:
        event = cancel_event(event_id)
    except EventAlreadyCancelled:
        raise EventError(_l("The event is cancelled already.")) from None
    audit.record(user, "event.cancelled", organisation_id=event.organisation_id, event_id=event.id)
    db.session.flush()
    return event


def duplicate(user: User, event_id: int) -> Event:
    """A draft copy of the event with the same sessions, for the organiser to move. Needs
    organiser."""
    source = get_event(event_id)
    if source is None:
        raise NotAllowed()
    require_role(user, source.organisation_id, Role.ORGANISER)
    begin_write()
    copy = Event(
        organisation_id=source.organisation_id,
        status=EventStatus.DRAFT,
        sequence=0,
        capacity=source.capacity,
        reminder_offsets=list(source.reminder_offsets or []),
        first_reminder_offsets=list(source.first_reminder_offsets or []),
    )
    for name in (*_PLAIN_FIELDS, *_PLACE_FIELDS):
        setattr(copy, name, getattr(source, name))
    copy.title = _("Copy of %(title)s", title=source.title)[:200]
    if source.title_en:
        with force_locale(TRANSLATION_LANGUAGE):
            copy.title_en = _("Copy of %(title)s", title=source.title_en)[:200]
    copy.sessions = [
        EventSession(
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            title=s.title,
            title_en=s.title_en,
            venue=s.venue,
        )
        for s in source.sessions
        if s.cancelled_at is None
    ]
    sync_span(copy)
    db.session.add(copy)
    db.session.flush()
    audit.record(
        user,
        "event.duplicated",
        organisation_id=copy.organisation_id,
        event_id=copy.id,
        source=source.id,
    )
    signals.event_created.send(copy, source=source)
    return copy


def leave_project(user: User, event_id: int) -> Event:
    """Take an event out of its project. Needs admin of the project's lead organisation.

    How the lead moves the events of a partner it removed (or any event it no longer wants
    reported under the project); the event stays its organisation's.
    """
    event = db.session.get(Event, event_id)
    if event is None or event.project is None:
        raise NotAllowed()
    require_role(user, event.project.organisation_id, Role.ADMIN)
    event = lock_row(Event, event_id)
    project = event.project
    event.project_id = None
    for organisation_id in {project.organisation_id, event.organisation_id}:
        audit.record(
            user,
            "event.left_project",
            organisation_id=organisation_id,
            event_id=event.id,
            project=project.slug,
        )
    db.session.flush()
    return event
