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
credential and is never stored: it is derived again (account_messages) from the user (a fresh signed
reset token, bound to the current password hash) or the invitation (its HMAC), exactly as
webapp.accounts.services verifies it. A message whose link would no longer be wanted (an
invitation accepted or expired, a reset asked for longer ago than a reset link lives, an
inactive account) raises ``account_messages.NotWanted``, and the dispatcher cancels it.

A dispatcher batch renders through a :class:`BatchCache`: what its messages share is made
once per batch. Reminders to participants, the bulk of all mail, are rendered once per
(event, its sequence, session, language, join link, offset) with placeholders for the
three personal values their templates may use (``recipient_name``, ``contact_name``,
``company_name``, as plain text only: see the templates), then filled in per recipient,
escaped for HTML as the templates would; calendar files are made once per event and
language. The result is the same as rendering each message alone
(tests/notifications/test_rendering.py compares the two).

Language: the booking's (the one it was made in), else the row's own (account messages:
the requester's), through ``flask_babel.force_locale``.
Links: absolute, on ``PUBLIC_BASE_URL`` (see :func:`email_context`), because the request
that caused a message, if any, is long gone when it is sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from markupsafe import escape

from webapp.bookings.models import Booking
from webapp.bookings.services import manage_token
from webapp.config import public_base_url
from webapp.events.models import Event, EventKind
from webapp.i18n import format_date
from webapp.notifications import account_messages, mime
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
    with current_app.test_request_context("/", base_url=public_base_url()):
        yield


def message_id(row: OutboxMessage) -> str:
    """The Message-ID of a row's email: stable across retries, new for each resend."""
    host = urlsplit(public_base_url()).hostname or "localhost"
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


def _join_url(row: OutboxMessage, attends: bool) -> str | None:
    """The webinar's join link, for those who attend, in confirmations and reminders."""
    shows_join_url = (
        row.kind in CONFIRMING_KINDS or row.kind == MessageKind.REMINDER
    ) and row.event.kind == EventKind.WEBINAR
    return row.event.online_url if shows_join_url and attends else None


def _context(row: OutboxMessage) -> dict[str, Any]:
    event = row.event
    booking = row.booking
    attends = _attends(row, booking)
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
        "contact_name": booking.contact_name if booking is not None else "",
        "company_name": booking.company.name if booking is not None else "",
        "sessions": sessions,
        "reminder_session": row.session,
        "join_url": _join_url(row, attends),
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
        context = account_messages.context(row)
        name = f"emails/accounts/{row.kind.value}"
        return RenderedEmail(
            recipient=_recipient(row),
            subject=_account_subject(row, context),
            text=render_template(f"{name}.txt", **context),
            html=render_template(f"{name}.html", **context),
            language=language,
        )


def _calendar(
    event: Event, include_join_url: bool, language: str, cache: BatchCache | None
) -> bytes:
    if cache is None:
        return _calendar_attachment(event, include_join_url, language)
    key = (event.id, event.sequence, include_join_url, language)
    if key not in cache.calendars:
        cache.calendars[key] = _calendar_attachment(event, include_join_url, language)
    return cache.calendars[key]


def _render_event(row: OutboxMessage, language: str, cache: BatchCache | None) -> RenderedEmail:
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
            # The attached file replaces the entry the confirmation put in the calendar, so a
            # changed webinar keeps its join link there (the email text does not repeat it).
            keeps_join_url = context["join_url"] is not None or (
                row.kind == MessageKind.EVENT_CHANGED and row.event.kind == EventKind.WEBINAR
            )
            data = _calendar(row.event, keeps_join_url, language, cache)
            rendered.attachments.append(("event.ics", "text/calendar", data))
    return rendered


# --- what a batch shares ---------------------------------------------------------------------

#: Stand-ins for the personal values in a shared rendering: private-use characters, which
#: neither HTML escaping nor %-formatting changes.
_PERSONAL = ("recipient_name", "contact_name", "company_name")
_PLACEHOLDER = re.compile("\ue000(" + "|".join(_PERSONAL) + ")\ue001")


def _placeholder(name: str) -> str:
    return f"\ue000{name}\ue001"


@dataclass
class _Shared:
    subject: str
    text: str
    html: str


class BatchCache:
    """What the messages of one dispatcher batch share, each made once.

    Lives for one batch only: the rows and what they refer to are loaded once per batch,
    so nothing in it can be older than the batch's own data.
    """

    def __init__(self) -> None:
        self.shared: dict[tuple[Any, ...], _Shared] = {}
        self.calendars: dict[tuple[Any, ...], bytes] = {}
        self.sender: tuple[str, str] | None = None


def _shares(row: OutboxMessage) -> bool:
    """Reminders to participants: the same for everyone but three personal values."""
    return (
        row.kind == MessageKind.REMINDER
        and row.participant_id is not None
        and row.booking is not None
        and row.event is not None
    )


def _render_shared(row: OutboxMessage, language: str, cache: BatchCache) -> RenderedEmail:
    # Everything the templates read, but the placeholders (a participant attends).
    key = (
        row.kind,
        row.event_id,
        row.event.sequence,
        row.session_id,
        language,
        _join_url(row, attends=True),
        json.dumps(row.payload or {}, sort_keys=True),
    )
    shared = cache.shared.get(key)
    if shared is None:
        with force_locale(language):
            context = _context(row)
            # Nothing personal in the context: a template that reads more than the three
            # placeholders gets nothing of one recipient's to show another.
            context.update(
                {name: _placeholder(name) for name in _PERSONAL},
                message=None,
                booking=None,
                participant=None,
                manage_url=None,
            )
            shared = _Shared(
                subject=_subject(row),
                text=render_template(f"emails/{row.kind.value}.txt", **context),
                html=render_template(f"emails/{row.kind.value}.html", **context),
            )
        cache.shared[key] = shared
    values = {
        "recipient_name": row.recipient_name,
        "contact_name": row.booking.contact_name,
        "company_name": row.booking.company.name,
    }
    return RenderedEmail(
        recipient=_recipient(row),
        subject=shared.subject,
        text=_PLACEHOLDER.sub(lambda m: values[m.group(1)], shared.text),
        html=_PLACEHOLDER.sub(lambda m: str(escape(values[m.group(1)])), shared.html),
        language=language,
    )


def render(row: OutboxMessage, cache: BatchCache | None = None) -> RenderedEmail:
    """Render one row in its language; needs :func:`email_context`. With ``cache`` (one
    dispatcher batch), what the batch's messages share is rendered once.

    Raises account_messages.NotWanted when the message should no longer go out, and
    whatever the templates or the calendar raise; the dispatcher records it.
    """
    language = language_of(row)
    if row.kind.is_account:
        return _render_account(row, language)
    if cache is not None and _shares(row):
        return _render_shared(row, language, cache)
    return _render_event(row, language, cache)


def reply_to(row: OutboxMessage) -> str | None:
    """The organisation's contact address: the event's, or the inviting organisation's."""
    if row.event is not None:
        organisation = row.event.organisation
    elif row.invitation is not None:
        organisation = row.invitation.organisation
    else:
        return None
    return organisation.contact_email or None


def _sender() -> tuple[str, str]:
    """The From header and the envelope sender, from ``MAIL_DEFAULT_SENDER``."""
    sender = current_app.extensions["mail"].default_sender
    name, address = sender if isinstance(sender, tuple) else parseaddr(sender)
    return mime.encode_address(name, address), mime.ascii_address(address)


def to_outgoing(
    row: OutboxMessage, rendered: RenderedEmail, cache: BatchCache | None = None
) -> mime.Outgoing:
    """The email's bytes, to the row's single recipient, with its stable Message-ID.

    Raises ValueError when a header value holds a line break.
    """
    if cache is None:
        sender, envelope_from = _sender()
    else:
        sender, envelope_from = cache.sender = cache.sender or _sender()
    identifier = message_id(row)
    address = reply_to(row)
    data = mime.build(
        sender=sender,
        to=mime.encode_address(row.recipient_name, row.recipient_email),
        subject=rendered.subject,
        message_id=identifier,
        text=rendered.text,
        html=rendered.html,
        language=rendered.language,
        reply_to=mime.encode_address(None, address) if address else None,
        attachments=rendered.attachments,
    )
    return mime.Outgoing(
        envelope_from=envelope_from,
        recipient=mime.ascii_address(row.recipient_email),
        data=data,
        message_id=identifier,
    )
