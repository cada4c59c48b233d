"""Private calendar feeds: a participant's, and a booking contact's, with revocation.

A private feed holds exactly the sessions of one confirmed booking's event, with the
webinar join link that no public feed shows. It is reached by a secret token
(``webapp.tokens``): ``feed`` for a participant, ``booking-feed`` for the booking's contact,
each keyed by its own nonce, so revoking one (a new nonce) makes only that old URL 404 and
leaves the manage link alone. A URL is about 70 characters, far below Google Calendar's
limit.

A participant row belongs to one booking, so a participant's feed covers that one
booking; a person booked on several events has one feed per booking. When the booking is
cancelled or not (yet) confirmed, or the participant was removed, the feed stays valid but
empty, so subscribed clients delete the entries.

Validators (see ``webapp.events.feeds``) come from one aggregate query that also reads the
token's nonce. Besides the sessions' changes they include the booking's and participant's
state and changes, because those decide whether the sessions are in the feed at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask import Blueprint, Response, abort, current_app, flash, redirect, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Row, and_, func, null, select

from webapp import signals, tokens
from webapp.bookings.forms import ConfirmForm
from webapp.bookings.models import Booking, BookingStatus, Participant
from webapp.bookings.services import booking_for_token
from webapp.db import db, lock_row
from webapp.events import ical
from webapp.events.feeds import (
    FeedState,
    base_url,
    conditional_calendar,
    feed_sessions,
    in_window,
    newest,
    public_url,
    subscribe_links,
    window_start,
)
from webapp.events.models import Event, EventSession
from webapp.extensions import limiter
from webapp.formtools import parse_id

bp = Blueprint("calendars", __name__)

PARTICIPANT_PURPOSE = "feed"
BOOKING_PURPOSE = "booking-feed"


def participant_feed_token(participant: Participant) -> str:
    return tokens.make(PARTICIPANT_PURPOSE, participant.id, participant.feed_nonce)


def booking_feed_token(booking: Booking) -> str:
    return tokens.make(BOOKING_PURPOSE, booking.id, booking.feed_nonce)


def participant_feed_url(participant: Participant) -> str:
    """The absolute URL of a participant's feed (for emails and the manage page)."""
    return public_url("calendars.participant", token=participant_feed_token(participant))


def booking_feed_url(booking: Booking) -> str:
    """The absolute URL of the booking contact's feed."""
    return public_url("calendars.booking", token=booking_feed_token(booking))


# --- revocation --------------------------------------------------------------------------


def renew_booking_feed(booking_id: int) -> Booking:
    """Give the booking contact's feed a new URL; the old one answers 404 from now on."""
    booking = lock_row(Booking, booking_id)
    booking.feed_nonce = tokens.new_nonce()
    db.session.flush()
    return booking


class ParticipantNotOnBooking(LookupError):
    """The participant does not belong to the booking."""


def renew_participant_feed(booking_id: int, participant_id: int) -> Participant:
    """Give one participant's feed a new URL; the old one answers 404 from now on.

    Raises ParticipantNotOnBooking.
    """
    lock_row(Booking, booking_id)
    participant = db.session.get(Participant, participant_id)
    if participant is None or participant.booking_id != booking_id:
        raise ParticipantNotOnBooking()
    participant.feed_nonce = tokens.new_nonce()
    db.session.flush()
    return participant


# --- feeds -------------------------------------------------------------------------------


def _aggregate(
    owner: type[Participant] | type[Booking],
    owner_id: int,
    start: datetime,
    extra: Sequence[ColumnElement] = (),
) -> Row:
    """One row: the token's nonce, the owner's removal, the booking's state, the sessions',
    then the ``extra`` columns (what higher packages add to the feed changes with them)."""
    if owner is Participant:
        stmt = select(Participant.feed_nonce, Participant.cancelled_at).join(
            Booking, Participant.booking_id == Booking.id
        )
    else:
        stmt = select(Booking.feed_nonce, null())
    stmt = (
        stmt.add_columns(
            Booking.status,
            Booking.language,
            Booking.event_id,
            Booking.updated_at,
            Event.updated_at,
            func.count(EventSession.id),
            func.max(EventSession.updated_at),
            *extra,
        )
        .join(Event, Booking.event_id == Event.id)
        .outerjoin(EventSession, and_(EventSession.event_id == Event.id, in_window(start)))
        .where(owner.id == owner_id)
        .group_by(owner.id, Booking.id, Event.id)
    )
    return db.session.execute(stmt).one_or_none()


def _private_feed(purpose: str, token: str) -> Response:
    owner = Participant if purpose == PARTICIPANT_PURPOSE else Booking
    owner_id = tokens.parse_id(token)
    start = window_start()
    # What higher packages add to a participant's feed (accepted meetings): entries whose
    # version columns join the one aggregate query, so a 304 still costs one statement.
    extras = (
        [e for _r, e in signals.participant_feed_entries.send(owner_id) if e is not None]
        if owner is Participant and owner_id is not None
        else []
    )
    columns = [c for e in extras for c in e.version_columns]
    row = _aggregate(owner, owner_id, start, columns) if owner_id is not None else None
    if row is None or not tokens.matches(purpose, owner_id, row[0], token):
        abort(404)
    versions = tuple(row[len(row) - len(columns) :])
    parts, at = [], 0  # each entry's own version values
    for entry in extras:
        parts.append(versions[at : at + len(entry.version_columns)])
        at += len(entry.version_columns)
    row = row[: len(row) - len(columns)]
    _nonce, removed_at, status, language, event_id, *changes, count, session_changed = row
    included = status == BookingStatus.CONFIRMED and removed_at is None
    state = FeedState(
        (purpose, owner_id, included, status, language, base_url(), *versions),
        count if included else 0,
        newest(removed_at, *changes, session_changed),
        start,
    )

    def build() -> bytes:
        sessions = (
            feed_sessions(EventSession.event_id == event_id, in_window(start)) if included else []
        )
        with force_locale(language):
            return ical.build_calendar(
                sessions,
                name=_("Träffpunkt: my bookings"),
                base_url=base_url(),
                include_join_url=True,
                language=language,
                extra=[
                    v
                    for e, seen in zip(extras, parts, strict=True)
                    for v in e.vevents(base_url(), seen)
                ],
            )

    return conditional_calendar(state, build, private=True)


@bp.get("/feeds/p/<token>.ics")
def participant(token: str):
    """A participant's own feed: the sessions they are booked on, with the join link."""
    return _private_feed(PARTICIPANT_PURPOSE, token)


@bp.get("/feeds/b/<token>.ics")
def booking(token: str):
    """The booking contact's feed: the booked event's sessions, with the join link."""
    return _private_feed(BOOKING_PURPOSE, token)


@bp.post("/bookings/<token>/calendar/revoke")
@limiter.limit(lambda: current_app.config["PUBLIC_POST_LIMIT"])
def revoke(token: str):
    """Replace a calendar link (the contact's, or one participant's) from the manage page."""
    found = booking_for_token(token)
    if found is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    participant_id = request.form.get("participant", type=parse_id)
    try:
        if participant_id is None:
            renew_booking_feed(found.id)
        else:
            renew_participant_feed(found.id, participant_id)
    except ParticipantNotOnBooking:
        abort(404)
    db.session.commit()
    flash(_("A new calendar link has been made. The old link no longer works."), "success")
    return redirect(url_for("bookings.manage", token=token, _anchor="calendar"), code=303)


@bp.app_template_global()
def booking_feed_links(booking: Booking) -> dict[str, str]:
    """Subscribe links for the booking contact's private feed."""
    return subscribe_links(booking_feed_url(booking))


@bp.app_template_global()
def participant_feed_links(participant: Participant) -> dict[str, str]:
    """Subscribe links for one participant's private feed."""
    return subscribe_links(participant_feed_url(participant))
