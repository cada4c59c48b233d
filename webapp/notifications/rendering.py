"""Turning an outbox row into an email: subject, plain text, HTML, calendar file.

Messages are rendered when they are sent, not when they are queued. The row holds only
references (booking, participant, session) and a small payload, so:

- an email shows the event as it is when it goes out: a reminder planned weeks ago carries
  the times and place after any later change, never stale ones;
- the manage link is derived again from the booking (webapp.tokens), so no secret is
  stored in the outbox, and a link revoked in between is not sent;
- the organiser and development pages show exactly what would go out now.

The price is that a message can only be rendered while its rows exist; bookings and
events are kept for the record (cancelled, not deleted), and a row whose references are
gone fails visibly rather than sending something half empty.

Account messages (password reset, invitation) are about no event. Their link is a
credential and is never stored: it is derived again here from the user (a fresh signed
reset token, bound to the current password hash) or the invitation (its HMAC), exactly as
webapp.accounts.services verifies it. A message whose link would no longer be wanted (an
invitation accepted or expired, a reset asked for longer ago than a reset link lives, an
inactive account) raises :class:`NotWanted`, and the dispatcher cancels it.

Language: the booking's (the one it was made in), else the row's own (account messages:
the requester's), through ``flask_babel.force_locale``.
Links: absolute, on ``PUBLIC_BASE_URL`` (see :func:`email_context`), because the request
that caused a message, if any, is long gone when it is sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_mail import Message

from webapp.accounts.services import RESET_LIFETIME, invitation_token, reset_token
from webapp.bookings.models import Booking
from webapp.bookings.services import manage_token
from webapp.db import utcnow
from webapp.events.models import Event, EventKind
from webapp.i18n import format_date
from webapp.notifications.models import CONFIRMING_KINDS, MessageKind, OutboxMessage

_SUBJECTS = {
    MessageKind.CONFIRMED: _l("Confirmed: %(title)s"),
    MessageKind.PENDING: _l("Registration received: %(title)s"),
    MessageKind.WAITLISTED: _l("Waiting list: %(title)s"),
    MessageKind.APPROVED: _l("You have a place: %(title)s"),
    MessageKind.DECLINED: _l("Not selected this time: %(title)s"),
    MessageKind.PROMOTED: _l("A place opened up: %(title)s"),
    MessageKind.CANCELLED: _l("Registration cancelled: %(title)s"),
    MessageKind.EVENT_CHANGED: _l("Changed: %(title)s"),
    MessageKind.EVENT_CANCELLED: _l("Cancelled: %(title)s"),
    MessageKind.REMINDER: _l("Reminder: %(title)s on %(date)s"),
    MessageKind.FOLLOW_UP: _l("Thank you for taking part in %(title)s"),
    MessageKind.PASSWORD_RESET: _l("Set a new password for Träffpunkt"),
    MessageKind.INVITATION: _l("Invitation to %(organisation)s on Träffpunkt"),
}

#: Kinds that carry the event's calendar file for people who attend.
_CALENDAR_KINDS = CONFIRMING_KINDS | {MessageKind.EVENT_CHANGED, MessageKind.EVENT_CANCELLED}


class NotWanted(Exception):
    """The message should no longer go out; ``str(error)`` says why (for the record)."""


@dataclass
class RenderedEmail:
    """A message ready to send or show."""

    recipient: str
    subject: str
    text: str
    html: str
    language: str
    #: (filename, content type, data)
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)


@contextmanager
def email_context() -> Iterator[None]:
    """A request context on ``PUBLIC_BASE_URL``, so ``url_for(..., _external=True)`` in
    email templates points at the public site whatever request (if any) is running."""
    base_url = current_app.config["PUBLIC_BASE_URL"]
    with current_app.test_request_context("/", base_url=base_url):
        yield


def message_id(row: OutboxMessage) -> str:
    """The Message-ID of a row's email: stable across retries, new for each resend."""
    host = urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "localhost"
    return f"<outbox.{row.id}.{row.resends}@{host}>"


def _attends(row: OutboxMessage, booking: Booking | None) -> bool:
    """Whether the recipient takes part: a participant, or a contact who is one too."""
    if row.participant_id is not None:
        return True
    if booking is None:
        return False
    address = booking.contact_email.strip().lower()
    return any(p.email.strip().lower() == address for p in booking.active_participants)


def _calendar_attachment(event: Event, include_join_url: bool, language: str) -> bytes:
    """The event's sessions as an .ics file (webapp.events.ical, issue 4).

    Imported here rather than at the top so the notifications package does not depend on
    the calendar module at import time.
    """
    from webapp.events.ical import event_calendar

    return event_calendar(event, include_join_url=include_join_url, language=language)


def _context(row: OutboxMessage) -> dict[str, Any]:
    event = row.event
    booking = row.booking
    attends = _attends(row, booking)
    shows_join_url = (
        row.kind in CONFIRMING_KINDS or row.kind == MessageKind.REMINDER
    ) and event.kind == EventKind.WEBINAR
    sessions = [s for s in event.sessions if s.cancelled_at is None]
    return {
        "message": row,
        "kind": row.kind.value,
        "event": event,
        "organisation": event.organisation,
        "booking": booking,
        "participant": row.participant,
        "is_contact": row.participant_id is None,
        "attends": attends,
        "recipient_name": row.recipient_name,
        "sessions": sessions,
        "reminder_session": row.session,
        "join_url": event.online_url if shows_join_url and attends else None,
        "event_url": url_for("events.detail", event_id=event.id, _external=True),
        "manage_url": (
            url_for("bookings.manage", token=manage_token(booking), _external=True)
            if booking is not None and row.participant_id is None
            else None
        ),
        "payload": row.payload or {},
    }


def _subject(row: OutboxMessage) -> str:
    starts = row.session.starts_at if row.session is not None else row.event.starts_at
    return str(_SUBJECTS[row.kind] % {"title": row.event.title, "date": format_date(starts)})


def _reset_context(row: OutboxMessage) -> dict[str, Any]:
    user = row.user
    if user is None or not user.is_active:
        raise NotWanted("the account is inactive")
    if utcnow() - row.created_at > RESET_LIFETIME:
        # The link would outlive what the person was told when asking ("one hour").
        raise NotWanted("asked for longer ago than a reset link lives")
    return {
        "user": user,
        "reset_url": url_for("accounts.reset_password", token=reset_token(user), _external=True),
    }


def _invitation_context(row: OutboxMessage) -> dict[str, Any]:
    invitation = row.invitation
    if invitation is None or invitation.accepted_at is not None:
        raise NotWanted("the invitation has been accepted")
    if invitation.expires_at <= utcnow():
        raise NotWanted("the invitation has expired")
    return {
        "invitation": invitation,
        "organisation": invitation.organisation,
        "invited_by": invitation.invited_by,
        "invitation_url": url_for(
            "accounts.accept_invitation", token=invitation_token(invitation), _external=True
        ),
    }


def _account_context(row: OutboxMessage) -> dict[str, Any]:
    """What account templates need, with the link derived now; raises NotWanted."""
    if row.kind == MessageKind.PASSWORD_RESET:
        context = _reset_context(row)
    else:
        context = _invitation_context(row)
    return {
        "message": row,
        "kind": row.kind.value,
        "recipient_name": row.recipient_name,
        "recipient_email": row.recipient_email,
        **context,
    }


def _account_subject(row: OutboxMessage, context: dict[str, Any]) -> str:
    organisation = context.get("organisation")
    return str(_SUBJECTS[row.kind] % {"organisation": organisation.name if organisation else ""})


def language_of(row: OutboxMessage) -> str:
    """The language the booking was made in, else the row's own (account messages)."""
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    language = row.booking.language if row.booking is not None else (row.language or default)
    return language if language in current_app.config["LANGUAGES"] else default


def _recipient(row: OutboxMessage) -> str:
    if not row.recipient_name:
        return row.recipient_email
    return f"{row.recipient_name} <{row.recipient_email}>"


def _render_account(row: OutboxMessage, language: str) -> RenderedEmail:
    with force_locale(language):
        context = _account_context(row)
        name = f"emails/accounts/{row.kind.value}"
        return RenderedEmail(
            recipient=_recipient(row),
            subject=_account_subject(row, context),
            text=render_template(f"{name}.txt", **context),
            html=render_template(f"{name}.html", **context),
            language=language,
        )


def render(row: OutboxMessage) -> RenderedEmail:
    """Render one row in its language; needs :func:`email_context`.

    Raises NotWanted when the message should no longer go out, and whatever the templates
    or the calendar raise; the dispatcher records it.
    """
    language = language_of(row)
    if row.kind.is_account:
        return _render_account(row, language)
    with force_locale(language):
        context = _context(row)
        rendered = RenderedEmail(
            recipient=_recipient(row),
            subject=_subject(row),
            text=render_template(f"emails/{row.kind.value}.txt", **context),
            html=render_template(f"emails/{row.kind.value}.html", **context),
            language=language,
        )
        if row.kind in _CALENDAR_KINDS and context["attends"]:
            data = _calendar_attachment(row.event, context["join_url"] is not None, language)
            rendered.attachments.append(("event.ics", "text/calendar", data))
    return rendered


def reply_to(row: OutboxMessage) -> str | None:
    """The organisation's contact address: the event's, or the inviting organisation's."""
    if row.event is not None:
        organisation = row.event.organisation
    elif row.invitation is not None:
        organisation = row.invitation.organisation
    else:
        return None
    return organisation.contact_email or None


def to_mail(row: OutboxMessage, rendered: RenderedEmail) -> Message:
    """A Flask-Mail message with the row's single recipient and stable Message-ID."""
    message = Message(
        subject=rendered.subject,
        recipients=[
            (row.recipient_name, row.recipient_email) if row.recipient_name else row.recipient_email
        ],
        body=rendered.text,
        html=rendered.html,
        reply_to=reply_to(row),
        extra_headers={"Auto-Submitted": "auto-generated", "Content-Language": rendered.language},
    )
    message.msgId = message_id(row)
    for filename, content_type, data in rendered.attachments:
        message.attach(filename, content_type, data)
    return message
