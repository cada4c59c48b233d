"""Check-in: a participant's own code, the session being checked in, marking one present.

Conferences and workshop series check people in at the door (:data:`CHECKIN_KINDS`). Each
participant of a confirmed booking has a check-in code of their own, sent as a QR code in
the confirmation email: ``{participant id}-{HMAC("checkin", id, "event{event id}")}``, derived
like the other secret links (webapp.tokens), nothing stored. It is not the manage link (it
opens nothing of the booking) and not the calendar feed's (revoking a feed leaves the code
in the email working). The code is carried in a link (:func:`link`), so a phone's own camera
app opens the organiser's check-in page with it filled in.

Rules, all checked here rather than in the view:

- only organisers of the event's organisation check people in;
- a code marks its own participant only, at the session the organiser chose, only when that
  session is a live one of the participant's own event: a code of another event, a session
  of another event or a cancelled one, a garbage code are refused and store nothing;
- a participant already marked present at that session is refused with the time they
  were checked in, and nothing new is stored; one marked absent (an earlier door list) is
  turned present;
- only active participants of confirmed bookings can be checked in, as on the door list.

Attendance rows are the door list's (webapp.bookings.attendance), so the rates and the
funders' reports count check-ins like any other mark.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webapp import tokens
from webapp.accounts.models import Role, User
from webapp.bookings.attendance import expected_participants
from webapp.bookings.models import Attendance, BookingStatus, Participant
from webapp.db import begin_write, db, utcnow
from webapp.errors import RuleViolation
from webapp.events.models import Event, EventKind, EventSession
from webapp.i18n import format_time, local
from webapp.organisations import audit
from webapp.organisations.services import require_role

#: Kinds of event whose participants check in at the door.
CHECKIN_KINDS = frozenset({EventKind.CONFERENCE, EventKind.WORKSHOP_SERIES})

PURPOSE = "checkin"

#: At most this many participants are listed for one name search.
SEARCH_LIMIT = 30


class CheckinError(RuleViolation):
    default = _l("The participant could not be checked in.")
    field = "code"


class UnknownCode(CheckinError):
    default = _l("This is not a check-in code of Träffpunkt. Try again, or search by name.")


class OtherEventCode(CheckinError):
    default = _l("This code is for another event. Nothing was marked.")


class WrongSession(CheckinError):
    default = _l("Choose a session of this event that is not cancelled.")
    #: The page's session chooser is a form of its own: the message is shown on the page.
    field = None


class NotExpected(CheckinError):
    default = _l("This participant has no confirmed place at this event.")


class AlreadyCheckedIn(CheckinError):
    default = _l("Already checked in.")


@dataclass(frozen=True)
class CheckIn:
    """A participant marked present at a session."""

    participant: Participant
    session: EventSession
    marked_at: datetime


def has_checkin(event: Event) -> bool:
    return event.kind in CHECKIN_KINDS


def _nonce(event_id: int) -> str:
    return f"event{event_id}"


def code(participant: Participant) -> str:
    """The participant's check-in code (the secret in their QR code)."""
    return tokens.make(PURPOSE, participant.id, _nonce(participant.booking.event_id))


def link(participant: Participant) -> str:
    """The absolute link the QR code carries; needs a request context (email_context)."""
    return url_for("checkin.link", token=code(participant), _external=True)


def token_of(text: str) -> str:
    """The token in what was scanned or typed: a bare code, or the link that carries it."""
    text = text.strip()
    path = urlsplit(text).path if "/" in text else text
    return path.rstrip("/").rsplit("/", 1)[-1]


def participant_of(text: str) -> Participant:
    """The participant whose code ``text`` (a code or its link) is.

    Raises UnknownCode when it is no current check-in code of anyone.
    """
    token = token_of(text)
    participant_id = tokens.parse_id(token)
    participant = db.session.get(Participant, participant_id) if participant_id else None
    if participant is None or not tokens.matches(
        PURPOSE, participant.id, _nonce(participant.booking.event_id), token
    ):
        raise UnknownCode()
    return participant


def live_sessions(event: Event) -> list[EventSession]:
    return [s for s in event.sessions if s.cancelled_at is None]


def current_session(event: Event, now: datetime | None = None) -> EventSession | None:
    """The session being checked in: the one running now, else the next one today, else
    the next one to come, else the last one held; None without live sessions."""
    now = now or utcnow()
    live = live_sessions(event)
    if not live:
        return None
    running = [s for s in live if s.starts_at <= now < s.ends_at]
    if running:
        return running[0]
    ahead = [s for s in live if s.starts_at >= now]
    today = [s for s in ahead if local(s.starts_at).date() == local(now).date()]
    if today:
        return today[0]
    return ahead[0] if ahead else live[-1]


def search(event: Event, query: str) -> list[Participant]:
    """Expected participants whose name (or company's name) holds ``query``, case and
    accents as typed (Å is not A), at most SEARCH_LIMIT; one query whatever the event's size.

    Matched here rather than in SQL: SQLite's LOWER() folds ASCII letters only.
    """
    needle = query.strip().casefold()
    if not needle:
        return []
    found = [
        p
        for p in expected_participants(event.id)
        if needle in p.name.casefold() or needle in p.booking.company.name.casefold()
    ]
    return sorted(found, key=lambda p: (p.name.casefold(), p.id))[:SEARCH_LIMIT]


def checked_in(session: EventSession) -> dict[int, datetime]:
    """Participant id → when they were marked present at the session (one query)."""
    return dict(
        db.session.execute(
            select(Attendance.participant_id, Attendance.marked_at).where(
                Attendance.session_id == session.id, Attendance.present.is_(True)
            )
        ).all()
    )


def _session(event: Event, session_id: int | None) -> EventSession:
    session = db.session.get(EventSession, session_id) if session_id else None
    if session is None or session.event_id != event.id or session.cancelled_at is not None:
        raise WrongSession()
    return session


def check_in(
    user: User,
    event: Event,
    session_id: int | None,
    *,
    code_text: str | None = None,
    participant_id: int | None = None,
    now: datetime | None = None,
) -> CheckIn:
    """Mark one participant present at one live session of ``event``: the one whose code
    (or link) ``code_text`` is, else the one with ``participant_id`` (found by name).

    Needs organiser (NotAllowed). Raises WrongSession, UnknownCode, OtherEventCode,
    NotExpected or AlreadyCheckedIn, having stored nothing.
    """
    require_role(user, event.organisation_id, Role.ORGANISER)
    if not has_checkin(event):
        raise CheckinError()
    session = _session(event, session_id)
    if code_text:
        participant = participant_of(code_text)
        if participant.booking.event_id != event.id:
            raise OtherEventCode()
    else:
        participant = db.session.get(Participant, participant_id) if participant_id else None
        if participant is None or participant.booking.event_id != event.id:
            raise NotExpected(field="participant")
    if participant.cancelled_at is not None or participant.booking.status != (
        BookingStatus.CONFIRMED
    ):
        raise NotExpected(
            _l("%(name)s has no confirmed place at this event.", name=participant.name)
        )
    now = now or utcnow()
    begin_write()
    row = db.session.scalar(
        select(Attendance).where(
            Attendance.participant_id == participant.id, Attendance.session_id == session.id
        )
    )
    if row is not None and row.present:
        raise _already(participant, row.marked_at)
    if row is None:
        try:
            # Two phones scanning the same code at once: one row, the other is told.
            with db.session.begin_nested():
                row = Attendance(
                    participant_id=participant.id,
                    session_id=session.id,
                    present=True,
                    marked_at=now,
                )
                db.session.add(row)
        except IntegrityError:
            raise _already(participant, now) from None
    else:
        row.present = True
        row.marked_at = now
    audit.record(
        user,
        "attendance.checked_in",
        organisation_id=event.organisation_id,
        event_id=event.id,
        booking_id=participant.booking_id,
        session=session.id,
        participant=participant.id,
        by="code" if code_text else "name",
    )
    db.session.flush()
    return CheckIn(participant=participant, session=session, marked_at=now)


def _already(participant: Participant, when: datetime) -> AlreadyCheckedIn:
    return AlreadyCheckedIn(
        _l(
            "%(name)s is already checked in at %(time)s. Nothing was changed.",
            name=participant.name,
            time=format_time(when),
        )
    )
