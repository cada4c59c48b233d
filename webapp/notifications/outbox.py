"""Writing to the outbox: queueing messages and planning reminders.

Everything here runs inside the transaction of the change that causes the message (signal
receivers run synchronously inside the services), so a message exists exactly when its
change committed. Rows are inserted with ``INSERT … ON CONFLICT (dedupe_key)``: queueing the
same logical message twice is a no-op rather than an error, because an IntegrityError would
roll back the booking that caused it.

Reminders (DESIGN.md, Outbox): one row per participant × session × offset, keyed
``reminder:p{participant}:s{session}:o{offset}``. Planning is an upsert that moves pending
(and revives cancelled) reminders to their new due time but never touches one that was sent,
is being sent or failed, so re-planning after a time change never sends a reminder twice.
Offsets are minutes, but whole days count on the Stockholm wall clock
(:func:`reminder_due`), and the plan (:func:`reminder_plan`) has offsets for every session
and for the first only, and drops a later session's reminder that would come before the
previous session is over. Offsets whose due time has passed are skipped: a booking two
days before the event gets no "7 days before" reminder, and a booking made after the last
reminder gets none. A participant who unsubscribed gets none.

Account messages (password reset, invitation) are queued by account_messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from webapp.bookings.models import Booking, Participant
from webapp.db import db, utcnow
from webapp.events.models import DAY_MINUTES, Event, EventKind, EventSession
from webapp.i18n import STOCKHOLM
from webapp.notifications.models import MessageKind, MessageStatus, OutboxMessage

_TABLE = OutboxMessage.__table__


def _insert() -> Any:
    """An INSERT for the session's database, which both know how to make ``ON CONFLICT``."""
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(_TABLE)


_STATEMENTS: dict[tuple[str, str], Any] = {}


def _statement(name: str, build: Callable[[], Any]) -> Any:
    """The statement ``build`` makes for the session's database, made once per process:
    building an upsert (its ``excluded`` columns) costs more than running it."""
    key = (name, db.session.get_bind().dialect.name)
    statement = _STATEMENTS.get(key)
    if statement is None:
        statement = _STATEMENTS[key] = build()
    return statement


def _queue_statement() -> Any:
    return _insert().on_conflict_do_nothing(index_elements=["dedupe_key"])


def message_row(
    kind: MessageKind,
    key: str,
    event_id: int | None,
    email: str,
    name: str,
    due_at: datetime,
    *,
    booking_id: int | None = None,
    participant_id: int | None = None,
    session_id: int | None = None,
    user_id: int | None = None,
    invitation_id: int | None = None,
    language: str | None = None,
    payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The values of a new pending outbox row, due at ``due_at``."""
    return {
        "dedupe_key": key,
        "kind": kind,
        "status": MessageStatus.PENDING,
        "recipient_email": email,
        "recipient_name": name,
        "event_id": event_id,
        "booking_id": booking_id,
        "participant_id": participant_id,
        "session_id": session_id,
        "user_id": user_id,
        "invitation_id": invitation_id,
        "language": language,
        "payload": payload or {},
        "due_at": due_at,
        "next_attempt_at": due_at,
        "attempts": 0,
        "resends": 0,
        "created_at": utcnow(),
    }


def queue_rows(rows: list[dict[str, Any]]) -> None:
    """Insert outbox rows (from :func:`message_row`); a row whose key exists is skipped."""
    if rows:
        db.session.execute(_statement("queue", _queue_statement), rows)


def _occurrences(booking: Booking, kinds: set[MessageKind]) -> dict[tuple[str, int | None], int]:
    """How many messages of each of ``kinds`` each recipient (None: the contact, else the
    participant's id) already has about this booking; one query for all of them.

    Booking transitions can repeat (promoted, moved back to the waiting list, promoted
    again); each is a new logical message, so its key carries its number. The services
    hold the event's lock, so two transactions cannot count the same number.
    """
    rows = db.session.execute(
        select(_TABLE.c.kind, _TABLE.c.participant_id, func.count())
        .where(_TABLE.c.booking_id == booking.id, _TABLE.c.kind.in_(sorted(kinds)))
        .group_by(_TABLE.c.kind, _TABLE.c.participant_id)
    )
    return {(str(kind), participant): count for kind, participant, count in rows}


def _same_address(a: str, b: str) -> bool:
    return a.strip().lower() == b.strip().lower()


def queue_for_booking(
    booking: Booking,
    kind: MessageKind,
    *,
    contact: bool = True,
    participants: Iterable[Participant] = (),
    participant_kind: MessageKind | None = None,
    payload: dict[str, Any] | None = None,
    now: datetime | None = None,
    placed_now: bool = False,
) -> None:
    """Queue ``kind`` to the booking's contact and ``participant_kind`` to ``participants``.

    One message per recipient. A participant whose address is the contact's gets no message
    of their own when the contact gets one: the contact's message then carries what a
    participant needs (see rendering), so nobody receives the same news twice.
    ``placed_now``: the booking was created in this transaction, so nobody has had a
    message about it yet and none is counted.
    """
    now = now or utcnow()
    personal = participant_kind or kind
    people = [
        person
        for person in participants
        if not (contact and _same_address(person.email, booking.contact_email))
    ]
    if not contact and not people:
        return
    earlier = {} if placed_now else _occurrences(booking, {kind, personal})
    rows = []
    if contact:
        number = earlier.get((str(kind), None), 0) + 1
        rows.append(
            message_row(
                kind,
                f"{kind}:b{booking.id}:c:{number}",
                booking.event_id,
                booking.contact_email,
                booking.contact_name,
                now,
                booking_id=booking.id,
                payload=payload,
            )
        )
    for person in people:
        number = earlier.get((str(personal), person.id), 0) + 1
        rows.append(
            message_row(
                personal,
                f"{personal}:b{booking.id}:p{person.id}:{number}",
                booking.event_id,
                person.email,
                person.name,
                now,
                booking_id=booking.id,
                participant_id=person.id,
                payload=payload,
            )
        )
    queue_rows(rows)


def queue_event_news(
    event: Event,
    kind: MessageKind,
    bookings: Sequence[Booking],
    attending: Sequence[Booking],
    *,
    version: str,
    payload: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """Queue news about an event: to the contact of each of ``bookings`` and to every active
    participant of ``attending`` (same rule about shared addresses as queue_for_booking).

    ``version`` makes the key unique per piece of news (the event's sequence for changes).
    """
    now = now or utcnow()
    rows = []
    for booking in bookings:
        rows.append(
            message_row(
                kind,
                f"{kind}:e{event.id}:{version}:b{booking.id}:c",
                event.id,
                booking.contact_email,
                booking.contact_name,
                now,
                booking_id=booking.id,
                payload=payload,
            )
        )
    told = {b.id for b in bookings}
    for booking in attending:
        for person in booking.active_participants:
            if booking.id in told and _same_address(person.email, booking.contact_email):
                continue
            rows.append(
                message_row(
                    kind,
                    f"{kind}:e{event.id}:{version}:b{booking.id}:p{person.id}",
                    event.id,
                    person.email,
                    person.name,
                    now,
                    booking_id=booking.id,
                    participant_id=person.id,
                    payload=payload,
                )
            )
    queue_rows(rows)


def queue_follow_up(
    event: Event,
    people: Sequence[Participant],
    *,
    text: str,
    feedback_url: str | None,
    send_at: datetime,
    evaluation: bool = False,
) -> int:
    """Queue the thank-you to each participant once (a second call for the event adds only
    participants who had none). Returns how many were new."""
    rows = [
        message_row(
            MessageKind.FOLLOW_UP,
            f"{MessageKind.FOLLOW_UP}:e{event.id}:p{person.id}",
            event.id,
            person.email,
            person.name,
            send_at,
            booking_id=person.booking_id,
            participant_id=person.id,
            payload={"text": text, "feedback_url": feedback_url, "evaluation": evaluation},
        )
        for person in people
    ]
    if not rows:
        return 0
    before = _count_keys([r["dedupe_key"] for r in rows])
    db.session.execute(_statement("queue", _queue_statement), rows)
    return len(rows) - before


def _count_keys(keys: list[str]) -> int:
    return db.session.scalar(select(func.count()).where(_TABLE.c.dedupe_key.in_(keys))) or 0


# --- reminders ---------------------------------------------------------------------------


def reminder_sessions(event: Event) -> list[EventSession]:
    """Sessions that get reminders: every session of a workshop series (attended
    separately), else only the first; sessions called off get none."""
    sessions = sorted(
        (s for s in event.sessions if s.cancelled_at is None), key=lambda s: s.starts_at
    )
    if event.kind == EventKind.WORKSHOP_SERIES:
        return sessions
    return sessions[:1]


def _reminder_key(participant_id: int, session_id: int, offset: int) -> str:
    return f"{MessageKind.REMINDER}:p{participant_id}:s{session_id}:o{offset}"


def reminder_due(starts_at: datetime, offset: int) -> datetime:
    """When a reminder ``offset`` minutes before ``starts_at`` is due, in people's terms:
    whole days on the Stockholm wall clock ("the day before" is at the same clock time,
    also across a change to or from summer time), the hours and minutes left over as
    elapsed time."""
    days, minutes = divmod(offset, DAY_MINUTES)
    local = starts_at.astimezone(STOCKHOLM)
    wall = datetime.combine(local.date() - timedelta(days=days), local.time(), tzinfo=STOCKHOLM)
    return wall.astimezone(UTC) - timedelta(minutes=minutes)


def reminder_plan(event: Event) -> list[tuple[EventSession, int, datetime]]:
    """Every (session, offset, due time) the event's plan asks for, past ones included.

    The event's offsets apply to each session that gets reminders, its first-session
    offsets to the first only. A reminder for a later session that would be due before
    the previous session is over is dropped: people are still on their way to, or sitting
    in, that session, and a reminder of the next one would only confuse (and a week-ahead
    reminder would otherwise jump over a session).
    """
    sessions = reminder_sessions(event)
    every = _offsets(event.reminder_offsets)
    first = _offsets(event.first_reminder_offsets)
    plan = []
    previous = None
    for index, session in enumerate(sessions):
        offsets = sorted(set(every) | set(first), reverse=True) if index == 0 else every
        for offset in offsets:
            due = reminder_due(session.starts_at, offset)
            if previous is not None and due < previous.ends_at:
                continue
            plan.append((session, offset, due))
        previous = session
    return plan


def _offsets(values: Iterable[int] | None) -> list[int]:
    return sorted({int(o) for o in (values or []) if int(o) > 0}, reverse=True)


def _wanted_reminders(
    event: Event, participants: Iterable[Participant], now: datetime
) -> list[dict[str, Any]]:
    rows = []
    plan = [(session, offset, due) for session, offset, due in reminder_plan(event) if due > now]
    for person in participants:
        if person.unsubscribed_at is not None:
            continue  # asked for no more reminders (notifications.unsubscribe)
        for session, offset, due in plan:
            rows.append(
                message_row(
                    MessageKind.REMINDER,
                    _reminder_key(person.id, session.id, offset),
                    event.id,
                    person.email,
                    person.name,
                    due,
                    booking_id=person.booking_id,
                    participant_id=person.id,
                    session_id=session.id,
                    payload={"offset": offset},
                )
            )
    return rows


def _upsert_reminders(rows: list[dict[str, Any]]) -> None:
    if rows:
        db.session.execute(_statement("reminders", _reminder_upsert), rows)


def _reminder_upsert() -> Any:
    stmt = _insert()
    # Only a pending or cancelled reminder may move or come back; sent, sending and failed
    # ones stay as they are (an organiser can resend one explicitly).
    stmt = stmt.on_conflict_do_update(
        index_elements=["dedupe_key"],
        set_={
            "due_at": stmt.excluded.due_at,
            "next_attempt_at": stmt.excluded.due_at,
            "status": MessageStatus.PENDING,
            "attempts": 0,
            "last_error": None,
            "recipient_email": stmt.excluded.recipient_email,
            "recipient_name": stmt.excluded.recipient_name,
        },
        # Two comparisons, not IN: an expanding IN cannot be used with executemany.
        where=(_TABLE.c.status == MessageStatus.PENDING)
        | (_TABLE.c.status == MessageStatus.CANCELLED),
    )
    return stmt


def plan_reminders(
    booking: Booking, participants: Iterable[Participant] | None = None, now: datetime | None = None
) -> None:
    """Plan reminders for the booking's active participants (or only ``participants``)."""
    people = booking.active_participants if participants is None else participants
    _upsert_reminders(_wanted_reminders(booking.event, people, now or utcnow()))


def cancel_reminders(
    *,
    event_id: int | None = None,
    booking_id: int | None = None,
    participant_ids: Sequence[int] = (),
) -> None:
    """Cancel pending reminders of an event, a booking or some participants."""
    stmt = update(_TABLE).where(
        _TABLE.c.kind == MessageKind.REMINDER, _TABLE.c.status == MessageStatus.PENDING
    )
    if event_id is not None:
        stmt = stmt.where(_TABLE.c.event_id == event_id)
    if booking_id is not None:
        stmt = stmt.where(_TABLE.c.booking_id == booking_id)
    if participant_ids:
        stmt = stmt.where(_TABLE.c.participant_id.in_(list(participant_ids)))
    db.session.execute(stmt.values(status=MessageStatus.CANCELLED))


def replan_event(event: Event, confirmed: Sequence[Booking], now: datetime | None = None) -> None:
    """After a time change: move pending reminders of the event's confirmed participants to
    the new times, cancel those no longer wanted (session gone, due time now past)."""
    now = now or utcnow()
    people = [p for booking in confirmed for p in booking.active_participants]
    wanted = _wanted_reminders(event, people, now)
    keys = [row["dedupe_key"] for row in wanted]
    stale = update(_TABLE).where(
        _TABLE.c.event_id == event.id,
        _TABLE.c.kind == MessageKind.REMINDER,
        _TABLE.c.status == MessageStatus.PENDING,
    )
    if keys:
        stale = stale.where(_TABLE.c.dedupe_key.not_in(keys))
    db.session.execute(stale.values(status=MessageStatus.CANCELLED))
    _upsert_reminders(wanted)
