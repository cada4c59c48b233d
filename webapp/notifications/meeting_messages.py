"""Messages about meetings between participants (webapp.meetings): queued by the meeting
signals, one per participant told, and their templates' context when sent.

Each goes to the participant it concerns, keyed by meeting and recipient so the same news
is never queued twice. The agenda is one message per participant and event, due at 16:00
Swedish time the day before their first accepted meeting; every acceptance, move and
cancellation re-plans it (a pending one moves, one that was sent stays sent), and it is
rendered when sent, so it lists the meetings as they are then. A participant left without
meetings gets none (NotWanted).

The link to the meetings page is the booking's manage link: it is put in only when the
recipient is the booking's contact person, as for every other message.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from flask import url_for
from sqlalchemy import update

from webapp.bookings.models import Participant
from webapp.bookings.services import manage_token
from webapp.db import db, utcnow
from webapp.i18n import STOCKHOLM, local
from webapp.meetings import services as meetings
from webapp.meetings.models import Meeting, MeetingStatus
from webapp.notifications import outbox
from webapp.notifications.models import MessageKind, MessageStatus, NotWanted, OutboxMessage

#: When the agenda goes out, the day before the first meeting (Swedish time).
AGENDA_AT = time(16, 0)


def _row(kind: MessageKind, key: str, meeting: Meeting, person: Participant, **payload: Any):
    return outbox.message_row(
        kind,
        key,
        meeting.event_id,
        person.email,
        person.name,
        utcnow(),
        booking_id=person.booking_id,
        participant_id=person.id,
        payload={"meeting_id": meeting.id, **payload},
    )


def on_requested(meeting: Meeting, **_: Any) -> None:
    outbox.queue_rows(
        [
            _row(
                MessageKind.MEETING_REQUESTED,
                f"meeting_requested:m{meeting.id}",
                meeting,
                meeting.invitee,
            )
        ]
    )


def on_answered(meeting: Meeting, *, accepted: bool, **_: Any) -> None:
    kind = MessageKind.MEETING_ACCEPTED if accepted else MessageKind.MEETING_DECLINED
    outbox.queue_rows([_row(kind, f"{kind}:m{meeting.id}", meeting, meeting.requester)])
    if accepted:
        plan_agenda(meeting.requester)
        plan_agenda(meeting.invitee)


def on_cancelled(meeting: Meeting, *, tell: list[int], by: str, **_: Any) -> None:
    people = [p for p in (meeting.requester, meeting.invitee) if p.id in tell]
    outbox.queue_rows(
        [
            _row(
                MessageKind.MEETING_CANCELLED,
                f"meeting_cancelled:m{meeting.id}:p{p.id}",
                meeting,
                p,
                by=by,
            )
            for p in people
        ]
    )
    for person in (meeting.requester, meeting.invitee):
        plan_agenda(person)


def on_moved(meeting: Meeting, **_: Any) -> None:
    outbox.queue_rows(
        [
            _row(
                MessageKind.MEETING_MOVED,
                f"meeting_moved:m{meeting.id}:p{p.id}:{meeting.sequence}",
                meeting,
                p,
            )
            for p in (meeting.requester, meeting.invitee)
        ]
    )
    for person in (meeting.requester, meeting.invitee):
        plan_agenda(person)


def agenda_due(first_start: datetime) -> datetime:
    """16:00 Swedish time the day before ``first_start``'s day."""
    day = local(first_start).date() - timedelta(days=1)
    return datetime.combine(day, AGENDA_AT, STOCKHOLM)


def plan_agenda(person: Participant, now: datetime | None = None) -> None:
    """Queue, move or cancel the participant's agenda (see the module docstring)."""
    now = now or utcnow()
    agenda = meetings.agenda(person.id)
    event_id = person.booking.event_id
    key = f"{MessageKind.MEETING_AGENDA}:e{event_id}:p{person.id}"
    table = OutboxMessage.__table__
    if not agenda:
        db.session.execute(
            update(table)
            .where(table.c.dedupe_key == key, table.c.status == MessageStatus.PENDING)
            .values(status=MessageStatus.CANCELLED)
        )
        return
    due = agenda_due(agenda[0].slot.starts_at)
    if due <= now:
        # Too late for the day before: the acceptance itself told them. A pending agenda
        # (for a later first meeting) goes out at its time with this one in it.
        return
    row = outbox.message_row(
        MessageKind.MEETING_AGENDA,
        key,
        event_id,
        person.email,
        person.name,
        due,
        booking_id=person.booking_id,
        participant_id=person.id,
    )
    stmt = outbox._insert()
    stmt = stmt.on_conflict_do_update(
        index_elements=["dedupe_key"],
        set_={
            "due_at": stmt.excluded.due_at,
            "next_attempt_at": stmt.excluded.due_at,
            "status": MessageStatus.PENDING,
        },
        where=(table.c.status == MessageStatus.PENDING)
        | (table.c.status == MessageStatus.CANCELLED),
    )
    db.session.execute(stmt, [row])


def _meetings_url(row: OutboxMessage, is_booker: bool) -> str | None:
    if not is_booker or row.booking is None:
        return None
    return url_for(
        "meetings.manage",
        token=manage_token(row.booking),
        participant=row.participant_id,
        _external=True,
    )


def context(row: OutboxMessage, is_booker: bool) -> dict[str, Any]:
    """What the meeting templates read besides the usual: the meeting (or the agenda), the
    other side's profile, their address when the meeting is accepted, the page's link."""
    me = row.participant_id
    found: dict[str, Any] = {"meetings_url": _meetings_url(row, is_booker)}
    if row.kind == MessageKind.MEETING_AGENDA:
        agenda = meetings.agenda(me)
        if not agenda:
            raise NotWanted("no accepted meetings left")
        profiles = meetings.profiles_by_participant(m.other(me).id for m in agenda)
        found["agenda"] = [(m, m.other(me), profiles.get(m.other(me).id)) for m in agenda]
        return found
    meeting = db.session.get(Meeting, (row.payload or {}).get("meeting_id"))
    if meeting is None:
        raise NotWanted("the meeting is gone")
    if row.kind == MessageKind.MEETING_REQUESTED and meeting.status != MeetingStatus.REQUESTED:
        raise NotWanted("the request was answered or withdrawn before it was sent")
    other = meeting.other(me)
    found.update(
        meeting=meeting,
        other=other,
        other_profile=meetings.profile_of(other.id),
        contact=other if meeting.status == MeetingStatus.ACCEPTED else None,
        by=(row.payload or {}).get("by"),
    )
    return found
