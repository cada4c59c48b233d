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
four personal values their templates may use (``recipient_name``, ``contact_name``,
``company_name``, ``unsubscribe_url``, as plain text only: see the templates), then filled
in per recipient, escaped for HTML as the templates would; their plain text is tidied once
too, but for the lines that hold a placeholder. The booking contact's own reminder is
rendered alone: it carries the manage link. Calendar files are made once per event and
language. The dispatcher fills reminders in from :class:`Claimed` rows (plain values
from one SELECT, :func:`shared_rendered`), so the bulk of the mail needs no ORM object
at all; only the first reminder of each shared rendering is loaded as an OutboxMessage.
The result is the same as rendering each message alone
(tests/notifications/test_rendering.py compares them, byte for byte).

Plain text is tidied once rendered (:func:`tidy_text`): runs of blank lines the templates
leave collapse into one, and lines are wrapped at about 72 characters, links kept whole.

Senders: From carries the organisation's name before the site's own address (one domain
for SPF and DKIM), Reply-To the organisation's contact, both read through
:func:`organisation_sender`. Reminders and thank-yous to a participant carry a one-click
unsubscribe link (notifications.unsubscribe) in a header and in the text; a participant
who used it gets no more of them (NotWanted).

Language: the booking's (the one it was made in), else the row's own (account messages:
the requester's), through ``flask_babel.force_locale``.
Links: absolute, on ``PUBLIC_BASE_URL`` (see :func:`email_context`), because the request
that caused a message, if any, is long gone when it is sent.
"""

from __future__ import annotations

import base64
import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from markupsafe import escape

from webapp.aid import certificate
from webapp.aid.models import AidGrant
from webapp.bookings.models import Booking, BookingStatus, Participant
from webapp.bookings.services import manage_token
from webapp.checkin import qr
from webapp.checkin import services as checkin
from webapp.config import public_base_url
from webapp.db import db
from webapp.directory import services as directory
from webapp.directory.models import CompanyProfile
from webapp.events.models import Event, EventKind
from webapp.feedback import services as feedback
from webapp.i18n import format_date
from webapp.notifications import account_messages, meeting_messages, mime, unsubscribe
from webapp.notifications.models import (
    CONFIRMING_KINDS,
    MEETING_KINDS,
    UNSUBSCRIBABLE_KINDS,
    MessageKind,
    NotWanted,
    OutboxMessage,
)
from webapp.organisations.models import Organisation

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
    MessageKind.BOOKING_LINK: _l("Your company is already registered: %(title)s"),
    MessageKind.PASSWORD_RESET: _l("Set a new password for Träffpunkt"),
    MessageKind.INVITATION: _l("Invitation to %(organisation)s on Träffpunkt"),
    MessageKind.AID_CERTIFICATE: _l("Certificate of de minimis aid: %(title)s"),
    MessageKind.AID_WITHDRAWN: _l("De minimis aid withdrawn: %(title)s"),
    MessageKind.MEETING_REQUESTED: _l("Meeting request: %(title)s"),
    MessageKind.MEETING_ACCEPTED: _l("Meeting accepted: %(title)s"),
    MessageKind.MEETING_DECLINED: _l("Meeting declined: %(title)s"),
    MessageKind.MEETING_CANCELLED: _l("Meeting cancelled: %(title)s"),
    MessageKind.MEETING_MOVED: _l("Meeting moved: %(title)s"),
    MessageKind.MEETING_AGENDA: _l("Your meetings at %(title)s"),
    # ORGANISER_MESSAGE: the organiser's own subject (Message.text_in).
    MessageKind.DIRECTORY_INVITATION: _l("Show your company in the company directory"),
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
    #: (filename, content type with its parameters, data)
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)
    #: The one-click unsubscribe link (List-Unsubscribe), for messages that carry one.
    unsubscribe_url: str | None = None
    #: Images the HTML shows by cid: (Content-ID, filename, content type, data).
    inline: list[tuple[str, str, str, bytes]] = field(default_factory=list)

    def preview_html(self) -> str:
        """The HTML for a browser (the organisers' outbox pages): images shown by ``cid:``
        in the email come as ``data:`` URLs, which a page can show."""
        html = self.html
        for content_id, _filename, content_type, data in self.inline:
            encoded = base64.b64encode(data).decode("ascii")
            html = html.replace(f"cid:{content_id}", f"data:{content_type};base64,{encoded}")
        return html


#: Plain text is wrapped at this width; a word longer than that (a link) stays whole.
TEXT_WIDTH = 72
_BLANK_RUN = re.compile(r"\n(?:[ \t]*\n)+")
_SIGNATURE = "-- "


def _wrap(line: str) -> list[str]:
    """``line`` broken at spaces into lines of at most TEXT_WIDTH, each indented as it
    began; a longer word (a link) gets a line of its own, whole. (textwrap does the same
    at ten times the cost, and every reminder has a line or two to wrap.)"""
    body = line.lstrip(" ")
    indent = line[: len(line) - len(body)]
    lines: list[str] = []
    current = ""
    for word in body.split(" "):
        if not word:
            continue
        if current and len(indent) + len(current) + 1 + len(word) <= TEXT_WIDTH:
            current += " " + word
        else:
            if current:
                lines.append(indent + current)
            current = word
    lines.append(indent + current)
    return lines


def _lines(text: str) -> list[str]:
    """The lines of ``text`` with blank runs collapsed into one blank line."""
    return _BLANK_RUN.sub("\n\n", text.replace("\r\n", "\n")).strip("\n").split("\n")


def _fit(line: str) -> str:
    """One line without trailing blanks, wrapped (into several) when over TEXT_WIDTH."""
    if line == _SIGNATURE:  # the signature separator keeps its space (RFC 3676)
        return line
    if len(line) <= TEXT_WIDTH:
        return line.rstrip()
    return "\n".join(_wrap(line.rstrip()))


def tidy_text(text: str) -> str:
    """Plain text as it should go out: at most one blank line in a row, no trailing blanks,
    lines over TEXT_WIDTH wrapped at spaces (indented as they began), links never broken."""
    return "\n".join(_fit(line) for line in _lines(text)) + "\n"


def paragraphs(text: str | None) -> list[list[str]]:
    """What an organiser typed, as paragraphs (split at blank lines) of lines, for HTML."""
    return [block.split("\n") for block in re.split(r"\n[ \t]*\n", (text or "").strip()) if block]


@contextmanager
def email_context() -> Iterator[None]:
    """A request context on ``PUBLIC_BASE_URL``, so ``url_for(..., _external=True)`` in
    email templates points at the public site whatever request (if any) is running."""
    with current_app.test_request_context("/", base_url=public_base_url()):
        yield


def message_id(row: OutboxMessage) -> str:
    """The Message-ID of a row's email: stable across retries, new for each resend."""
    return _message_id(row.id, row.resends, None)


def _message_id(row_id: int, resends: int, cache: BatchCache | None) -> str:
    host = cache.host if cache is not None else None
    if host is None:
        host = urlsplit(public_base_url()).hostname or "localhost"
        if cache is not None:
            cache.host = host
    return f"<outbox.{row_id}.{resends}@{host}>"


def _same_address(a: str, b: str) -> bool:
    return a.strip().lower() == b.strip().lower()


def _is_booker(row: OutboxMessage, booking: Booking | None) -> bool:
    """Whether the recipient is the booking's contact (also as one of its participants)."""
    if booking is None:
        return False
    return row.participant_id is None or _same_address(row.recipient_email, booking.contact_email)


def _unsubscribe_url(row: OutboxMessage, cache: BatchCache | None = None) -> str | None:
    return _unsubscribe_url_for(row.kind, row.participant_id, cache)


def _unsubscribe_url_for(
    kind: MessageKind, participant_id: int | None, cache: BatchCache | None
) -> str | None:
    if kind not in UNSUBSCRIBABLE_KINDS or participant_id is None:
        return None
    token = unsubscribe.token(participant_id)
    if cache is None:
        return url_for("notifications.unsubscribe", token=token, _external=True)
    if cache.unsubscribe_base is None:
        # The URL up to the token, made once per batch: url_for is a good part of a
        # reminder's cost.
        cache.unsubscribe_base = url_for(
            "notifications.unsubscribe", token="-", _external=True
        ).removesuffix("-")
    return cache.unsubscribe_base + token


def _attends(row: OutboxMessage, booking: Booking | None) -> bool:
    """Whether the recipient takes part: a participant, or a contact who is one too."""
    if row.participant_id is not None:
        return True
    if booking is None:
        return False
    address = booking.contact_email.strip().lower()
    return any(p.email.strip().lower() == address for p in booking.active_participants)


def calendar_filename(event: Event) -> str:
    """``frukostmote-om-ai.ics``: the title in ASCII letters, digits and hyphens."""
    ascii_title = (
        unicodedata.normalize("NFKD", event.text("title")).encode("ascii", "ignore").decode()
    )
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60].strip("-")
    return f"{slug or 'event'}.ics"


#: The part's type: what the file holds (METHOD:PUBLISH, UTF-8), so mail clients and
#: parsers neither guess the charset nor offer to send a reply.
CALENDAR_TYPE = 'text/calendar; charset="utf-8"; method=PUBLISH'


def _calendar_attachment(event: Event, include_join_url: bool, language: str) -> bytes:
    """The event's sessions as an .ics file (webapp.events.ical, issue 4).

    Imported here rather than at the top so the notifications package does not depend on
    the calendar module at import time.
    """
    from webapp.events.ical import event_calendar

    return event_calendar(event, include_join_url=include_join_url, language=language)


def _join_url(row: OutboxMessage, attends: bool) -> str | None:
    """The webinar's join link, for those who attend, in confirmations and reminders."""
    return _join_url_of(row.kind, row.event, attends)


def _join_url_of(kind: MessageKind, event: Event, attends: bool) -> str | None:
    shows_join_url = (
        kind in CONFIRMING_KINDS or kind == MessageKind.REMINDER
    ) and event.kind == EventKind.WEBINAR
    return event.online_url if shows_join_url and attends else None


def _evaluation_url(row: OutboxMessage) -> str | None:
    """A thank-you's link to the built-in evaluation, for a participant marked present who
    has not answered yet (checked when it is sent, so late attendance marks count)."""
    participant = row.participant
    if row.kind != MessageKind.FOLLOW_UP or participant is None:
        return None
    if not (row.payload or {}).get("evaluation") or feedback.refusal(participant) is not None:
        return None
    return url_for("feedback_public.answer", token=feedback.token(participant.id), _external=True)


def _checkin_participant(row: OutboxMessage, booking: Booking | None) -> Participant | None:
    """Whose check-in QR code a confirmation carries: its participant's, or the contact's
    own when they take part too; None for events without check-in and other kinds."""
    if row.kind not in CONFIRMING_KINDS or booking is None or not checkin.has_checkin(row.event):
        return None
    if row.participant is not None:
        return row.participant if row.participant.cancelled_at is None else None
    address = booking.contact_email.strip().lower()
    return next(
        (p for p in booking.active_participants if p.email.strip().lower() == address), None
    )


def _checkin_cid(participant: Participant) -> str:
    host = urlsplit(public_base_url()).hostname or "localhost"
    return f"checkin-{participant.id}@{host}"


def _context(row: OutboxMessage) -> dict[str, Any]:
    event = row.event
    booking = row.booking
    attends = _attends(row, booking)
    checkin_participant = _checkin_participant(row, booking)
    sessions = [s for s in event.sessions if s.cancelled_at is None]
    language = language_of(row)
    text = (row.payload or {}).get("text")
    if row.organiser_message is not None:
        text = row.organiser_message.text_in(language)[1]
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
        # The contact's link, also in a reminder to the contact as a participant.
        "manage_url": (
            url_for("bookings.manage", token=manage_token(booking), _external=True)
            if booking is not None and _is_booker(row, booking)
            else None
        ),
        "unsubscribe_url": _unsubscribe_url(row),
        "evaluation_url": _evaluation_url(row),
        "payload": row.payload or {},
        "text": text,
        "paragraphs": paragraphs(text),
        # What to bring, how to get there: in confirmations and reminders.
        "practical_info": event.practical_info_for(language),
        "practical_paragraphs": paragraphs(event.practical_info_for(language)),
        "checkin_participant": checkin_participant,
        "checkin_code": checkin.code(checkin_participant) if checkin_participant else None,
        "checkin_cid": _checkin_cid(checkin_participant) if checkin_participant else None,
        "profile_url": _profile_url(row),
    }


def _profile_url(row: OutboxMessage) -> str | None:
    """The directory profile's edit link, derived again (a revoked one is not sent)."""
    if row.kind != MessageKind.DIRECTORY_INVITATION:
        return None
    profile = db.session.get(CompanyProfile, (row.payload or {}).get("profile_id"))
    if profile is None:
        raise NotWanted("the directory profile is gone")
    if row.booking is None or row.booking.status != BookingStatus.CONFIRMED:
        raise NotWanted("the company did not take part through this booking")
    return url_for("directory.edit", token=directory.edit_token(profile), _external=True)


def _subject(row: OutboxMessage) -> str:
    if row.organiser_message is not None:
        return row.organiser_message.text_in(language_of(row))[0]
    starts = row.session.starts_at if row.session is not None else row.event.starts_at
    return str(
        _SUBJECTS[row.kind] % {"title": row.event.text("title"), "date": format_date(starts)}
    )


def _account_subject(row: OutboxMessage, context: dict[str, Any]) -> str:
    organisation = context.get("organisation")
    return str(_SUBJECTS[row.kind] % {"organisation": organisation.name if organisation else ""})


def language_of(row: OutboxMessage) -> str:
    """The language the booking was made in, else the row's own (account messages)."""
    return _language(row.booking.language if row.booking is not None else None, row.language)


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
            text=tidy_text(render_template(f"{name}.txt", **context)),
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
        if row.kind in MEETING_KINDS:
            context.update(meeting_messages.context(row, _is_booker(row, row.booking)))
        rendered = RenderedEmail(
            recipient=_recipient(row),
            subject=_subject(row),
            text=tidy_text(render_template(f"emails/{row.kind.value}.txt", **context)),
            html=render_template(f"emails/{row.kind.value}.html", **context),
            language=language,
            unsubscribe_url=context["unsubscribe_url"],
        )
        if row.kind in _CALENDAR_KINDS and context["attends"]:
            # The attached file replaces the entry the confirmation put in the calendar, so a
            # changed webinar keeps its join link there (the email text does not repeat it).
            keeps_join_url = context["join_url"] is not None or (
                row.kind == MessageKind.EVENT_CHANGED and row.event.kind == EventKind.WEBINAR
            )
            data = _calendar(row.event, keeps_join_url, language, cache)
            rendered.attachments.append((calendar_filename(row.event), CALENDAR_TYPE, data))
        if context["checkin_participant"] is not None:
            rendered.inline.append(
                (
                    context["checkin_cid"],
                    "check-in.png",
                    "image/png",
                    qr.png(checkin.link(context["checkin_participant"])),
                )
            )
        if row.kind == MessageKind.AID_CERTIFICATE:
            grant = db.session.get(AidGrant, row.payload["grant_id"])
            document = certificate.build(grant)
            rendered.attachments.append(
                (document.filename, "application/pdf", certificate.pdf(grant))
            )
    return rendered


# --- what a batch shares ---------------------------------------------------------------------

#: Stand-ins for the personal values in a shared rendering: private-use characters, which
#: neither HTML escaping nor %-formatting changes.
_PERSONAL = ("recipient_name", "contact_name", "company_name", "unsubscribe_url")
_PLACEHOLDER = re.compile("\ue000(" + "|".join(_PERSONAL) + ")\ue001")


def _placeholder(name: str) -> str:
    return f"\ue000{name}\ue001"


@dataclass
class _Shared:
    subject: str
    #: The plain text in pieces: runs of lines without a placeholder joined and tidied
    #: already (see tidy_text), each line with one (True) to be tidied once filled in.
    text: list[tuple[str, bool]]
    #: The HTML split at its placeholders: text, name, text, name, ..., text.
    html: list[str]

    @classmethod
    def make(cls, subject: str, text: str, html: str) -> _Shared:
        pieces: list[tuple[str, bool]] = []
        run: list[str] = []
        for line in _lines(text):
            if _PLACEHOLDER.search(line):
                if run:
                    pieces.append(("\n".join(run), False))
                    run = []
                pieces.append((line, True))
            else:
                run.append(_fit(line))
        if run:
            pieces.append(("\n".join(run), False))
        return cls(subject=subject, text=pieces, html=_PLACEHOLDER.split(html))

    def fill_text(self, values: dict[str, str]) -> str:
        """The tidy plain text of one recipient: the same as tidy_text of the whole."""
        return (
            "\n".join(
                _fit(_PLACEHOLDER.sub(lambda m: values[m.group(1)], piece)) if personal else piece
                for piece, personal in self.text
            )
            + "\n"
        )

    def fill_html(self, values: dict[str, str]) -> str:
        """The HTML of one recipient, the values escaped as the templates would."""
        parts = self.html[:]
        for index in range(1, len(parts), 2):
            parts[index] = str(escape(values[parts[index]]))
        return "".join(parts)


class BatchCache:
    """What the messages of one dispatcher batch share, each made once.

    Lives for one batch only: the rows and what they refer to are loaded once per batch,
    so nothing in it can be older than the batch's own data.
    """

    def __init__(self) -> None:
        self.shared: dict[tuple[Any, ...], _Shared] = {}
        self.calendars: dict[tuple[Any, ...], bytes] = {}
        self.senders: dict[tuple[Any, ...], _Sender] = {}
        self.unsubscribe_base: str | None = None
        self.host: str | None = None


@dataclass(frozen=True)
class Claimed:
    """A claimed row as the dispatcher reads it, in one SELECT without ORM objects: the
    row's own columns and the few of its booking, company and participant that a shared
    reminder (:func:`shares`) needs. Any other message is rendered from its OutboxMessage.
    """

    id: int
    kind: MessageKind
    attempts: int
    resends: int
    event_id: int | None
    session_id: int | None
    booking_id: int | None
    participant_id: int | None
    recipient_email: str
    recipient_name: str
    payload: dict[str, Any] | None
    #: The row's own language (account messages), and its booking's.
    language: str | None
    booking_language: str | None
    #: The booking's contact and company; None without a booking.
    contact_email: str | None
    contact_name: str | None
    company_name: str | None
    #: Whether the row's participant exists, and whether they unsubscribed.
    has_participant: bool
    unsubscribed: bool


def _shares(row: OutboxMessage) -> bool:
    """Reminders to participants: the same for everyone but four personal values. Not the
    contact's own (as a participant): that one carries the manage link."""
    return (
        row.kind == MessageKind.REMINDER
        and row.participant_id is not None
        and row.booking is not None
        and row.event is not None
        and not _same_address(row.recipient_email, row.booking.contact_email)
    )


def shares(row: Claimed) -> bool:
    """Whether a claimed row is a reminder rendered from its batch's shared rendering (the
    same test as for an OutboxMessage; the dispatcher also needs its event loaded)."""
    return (
        row.kind == MessageKind.REMINDER
        and row.participant_id is not None
        and row.has_participant
        and row.contact_email is not None
        and row.event_id is not None
        and not _same_address(row.recipient_email, row.contact_email)
    )


def _language(booking_language: str | None, own: str | None) -> str:
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    language = booking_language if booking_language is not None else (own or default)
    return language if language in current_app.config["LANGUAGES"] else default


def _shared_key(
    kind: MessageKind,
    event: Event,
    session_id: int | None,
    language: str,
    payload: dict[str, Any] | None,
) -> tuple[Any, ...]:
    # Everything the templates read, but the placeholders (a participant attends).
    join_url = _join_url_of(kind, event, attends=True)
    return (
        kind,
        event.id,
        event.sequence,
        session_id,
        language,
        join_url,
        json.dumps(payload or {}, sort_keys=True),
    )


def _make_shared(row: OutboxMessage, language: str) -> _Shared:
    with force_locale(language):
        context = _context(row)
        # Nothing personal in the context: a template that reads more than the four
        # placeholders gets nothing of one recipient's to show another.
        context.update(
            {name: _placeholder(name) for name in _PERSONAL},
            message=None,
            booking=None,
            participant=None,
            manage_url=None,
        )
        return _Shared.make(
            _subject(row),
            render_template(f"emails/{row.kind.value}.txt", **context),
            render_template(f"emails/{row.kind.value}.html", **context),
        )


def _filled(
    shared: _Shared, values: dict[str, str], recipient: str, language: str
) -> RenderedEmail:
    return RenderedEmail(
        recipient=recipient,
        subject=shared.subject,
        text=shared.fill_text(values),
        html=shared.fill_html(values),
        language=language,
        unsubscribe_url=values["unsubscribe_url"] or None,
    )


def _render_shared(row: OutboxMessage, language: str, cache: BatchCache) -> RenderedEmail:
    assert row.event is not None and row.booking is not None  # _shares
    key = _shared_key(row.kind, row.event, row.session_id, language, row.payload)
    shared = cache.shared.get(key)
    if shared is None:
        shared = cache.shared[key] = _make_shared(row, language)
    values = {
        "recipient_name": row.recipient_name,
        "contact_name": row.booking.contact_name,
        "company_name": row.booking.company.name,
        "unsubscribe_url": _unsubscribe_url(row, cache) or "",
    }
    return _filled(shared, values, _recipient(row), language)


def shared_rendered(
    row: Claimed, event: Event, cache: BatchCache, load: Callable[[int], OutboxMessage]
) -> RenderedEmail:
    """The email of a claimed row that :func:`shares`, filled in from the batch's shared
    rendering, made the first time from ``load(row.id)`` (its OutboxMessage): the same
    as ``render(load(row.id), cache)``. Needs :func:`email_context`.

    Raises NotWanted when the participant unsubscribed.
    """
    if row.unsubscribed:
        raise NotWanted("the participant unsubscribed")
    language = _language(row.booking_language, row.language)
    key = _shared_key(row.kind, event, row.session_id, language, row.payload)
    shared = cache.shared.get(key)
    if shared is None:
        shared = cache.shared[key] = _make_shared(load(row.id), language)
    values = {
        "recipient_name": row.recipient_name,
        "contact_name": row.contact_name or "",
        "company_name": row.company_name or "",
        "unsubscribe_url": _unsubscribe_url_for(row.kind, row.participant_id, cache) or "",
    }
    recipient = (
        f"{row.recipient_name} <{row.recipient_email}>"
        if row.recipient_name
        else row.recipient_email
    )
    return _filled(shared, values, recipient, language)


def claimed_outgoing(
    row: Claimed, event: Event, rendered: RenderedEmail, cache: BatchCache
) -> mime.Outgoing:
    """:func:`to_outgoing` for a claimed row about ``event`` (sent in its organisation's
    name). Raises mime.BadHeader when a header value (a name) holds a line break."""
    origin = _cached_sender(row.kind, event.organisation, True, cache)
    return _outgoing(origin, _message_id(row.id, row.resends, cache), row, rendered)


def render(row: OutboxMessage, cache: BatchCache | None = None) -> RenderedEmail:
    """Render one row in its language; needs :func:`email_context`. With ``cache`` (one
    dispatcher batch), what the batch's messages share is rendered once.

    Raises NotWanted when the message should no longer go out (an account message's link
    is stale, the participant unsubscribed), and whatever the templates or the calendar
    raise; the dispatcher records it.
    """
    if (
        row.kind in UNSUBSCRIBABLE_KINDS
        and row.participant is not None
        and row.participant.unsubscribed_at is not None
    ):
        raise NotWanted("the participant unsubscribed")
    language = language_of(row)
    if row.kind.is_account:
        return _render_account(row, language)
    if cache is not None and _shares(row):
        return _render_shared(row, language, cache)
    return _render_event(row, language, cache)


def organisation_sender(organisation: Organisation) -> tuple[str, str | None]:
    """The display name for From and the Reply-To address of an organisation's emails.

    The one place that reads them (the organisation's settings: its sender name, else its
    name; its reply-to address, else its contact address).
    """
    return organisation.email_sender_name, organisation.email_reply_to or None


def _display(name: str) -> str:
    # An organisation's name is shown as typed, but never breaks a header.
    return " ".join(name.split())


@dataclass(frozen=True)
class _Sender:
    """From, the envelope sender and Reply-To, encoded for the headers."""

    from_header: str
    envelope_from: str
    reply_to: str | None


def _site_sender() -> tuple[str, str]:
    """The site's own display name and address, from ``MAIL_DEFAULT_SENDER``."""
    sender = current_app.extensions["mail"].default_sender
    name, address = sender if isinstance(sender, tuple) else parseaddr(sender)
    return name, address


def _sender_organisation(row: OutboxMessage) -> tuple[Organisation | None, bool]:
    """Whose emails a row's is, and whether it goes out in that organisation's name.

    An event's and an invitation's go out in the organisation's name. A password reset
    comes from the site; its replies go to the organisation the user joined first.
    """
    if row.event is not None:
        return row.event.organisation, True
    if row.invitation is not None:
        return row.invitation.organisation, True
    if row.user is not None and row.user.memberships:
        return min(row.user.memberships, key=lambda m: m.id).organisation, False
    return None, False


def _make_sender(kind: MessageKind, organisation: Organisation | None, named: bool) -> _Sender:
    site_name, address = _site_sender()
    name, reply = organisation_sender(organisation) if organisation else (site_name, None)
    support = current_app.config.get("MAIL_REPLY_TO")
    if support and (not reply or (kind.is_account and not named)):
        # Whoever runs the site answers account questions, and what no organisation would.
        support_name, reply = parseaddr(support)
        name = support_name or site_name
    return _Sender(
        from_header=mime.encode_address(_display(name if named else site_name), address),
        envelope_from=mime.ascii_address(address),
        reply_to=mime.encode_address(_display(name), reply) if reply else None,
    )


def sender(row: OutboxMessage, cache: BatchCache | None = None) -> _Sender:
    """From, envelope sender and Reply-To of a row's email (made once per organisation in
    a batch)."""
    organisation, named = _sender_organisation(row)
    return _cached_sender(row.kind, organisation, named, cache)


def _cached_sender(
    kind: MessageKind, organisation: Organisation | None, named: bool, cache: BatchCache | None
) -> _Sender:
    key = (organisation.id if organisation else None, named, kind.is_account)
    if cache is None:
        return _make_sender(kind, organisation, named)
    if key not in cache.senders:
        cache.senders[key] = _make_sender(kind, organisation, named)
    return cache.senders[key]


def to_outgoing(
    row: OutboxMessage, rendered: RenderedEmail, cache: BatchCache | None = None
) -> mime.Outgoing:
    """The email's bytes, to the row's single recipient, with its stable Message-ID.

    Raises mime.BadHeader when a header value (a name) holds a line break.
    """
    return _outgoing(sender(row, cache), _message_id(row.id, row.resends, cache), row, rendered)


def _outgoing(
    origin: _Sender, identifier: str, row: OutboxMessage | Claimed, rendered: RenderedEmail
) -> mime.Outgoing:
    data = mime.build(
        sender=origin.from_header,
        to=mime.encode_address(row.recipient_name, row.recipient_email),
        subject=rendered.subject,
        message_id=identifier,
        text=rendered.text,
        html=rendered.html,
        language=rendered.language,
        reply_to=origin.reply_to,
        unsubscribe_url=rendered.unsubscribe_url,
        attachments=rendered.attachments,
        inline=rendered.inline,
    )
    return mime.Outgoing(
        envelope_from=origin.envelope_from,
        recipient=mime.ascii_address(row.recipient_email),
        data=data,
        message_id=identifier,
    )
