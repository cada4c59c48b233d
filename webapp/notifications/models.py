"""The outbox: every email Träffpunkt sends is first a row here (see DESIGN.md, Outbox)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.accounts.models import Invitation, User
from webapp.bookings.models import Booking, Participant
from webapp.db import UTCDateTime, db, str_enum, utcnow
from webapp.events.models import Event, EventSession


class MessageKind(enum.StrEnum):
    """What a message is about; each kind has its own subject and templates."""

    CONFIRMED = "confirmed"  # a place is confirmed (registration that fitted, or to participants)
    PENDING = "pending"  # waits for the organisers' selection
    WAITLISTED = "waitlisted"  # on the waiting list (at registration or moved there)
    APPROVED = "approved"  # selected by the organisers
    DECLINED = "declined"  # not selected
    PROMOTED = "promoted"  # got seats from the waiting list
    CANCELLED = "cancelled"  # a booking, or one participant's place, was cancelled
    EVENT_CHANGED = "event_changed"  # times or place of the event changed
    EVENT_CANCELLED = "event_cancelled"
    REMINDER = "reminder"  # before a session, at one of the event's offsets
    FOLLOW_UP = "follow_up"  # thank-you after the event, text and link from the organiser
    BOOKING_LINK = "booking_link"  # the manage link again: the company tried to book twice
    # Account messages: about no event; each carries a secret link, derived when sent.
    PASSWORD_RESET = "password_reset"  # a link to set a new password (accounts.User)
    INVITATION = "invitation"  # a colleague's invitation to an organisation
    AID_CERTIFICATE = "aid_certificate"  # de minimis aid granted or changed, with the PDF
    AID_WITHDRAWN = "aid_withdrawn"  # that aid withdrawn before the event: certificate void
    # Meetings between participants (webapp.meetings), to one participant each.
    MEETING_REQUESTED = "meeting_requested"  # someone asks the recipient for a meeting
    MEETING_ACCEPTED = "meeting_accepted"  # the recipient's request was accepted
    MEETING_DECLINED = "meeting_declined"  # the recipient's request was declined
    MEETING_CANCELLED = "meeting_cancelled"  # cancelled by the other side, an organiser, ...
    MEETING_MOVED = "meeting_moved"  # an organiser moved it to another time or table
    MEETING_AGENDA = "meeting_agenda"  # the recipient's accepted meetings, the day before
    ORGANISER_MESSAGE = "organiser_message"  # an organiser's own message to a group (Message)
    # The edit link of the company's directory profile, once per company (webapp.directory).
    DIRECTORY_INVITATION = "directory_invitation"

    @property
    def is_account(self) -> bool:
        """Whether the message is about an account rather than an event."""
        return self in ACCOUNT_KINDS

    @property
    def label(self) -> str:
        return str(_KIND_LABELS[self])


_KIND_LABELS = {
    MessageKind.CONFIRMED: _l("Confirmation"),
    MessageKind.PENDING: _l("Awaiting approval"),
    MessageKind.WAITLISTED: _l("Waiting list"),
    MessageKind.APPROVED: _l("Approved"),
    MessageKind.DECLINED: _l("Not selected"),
    MessageKind.PROMOTED: _l("Promoted from the waiting list"),
    MessageKind.CANCELLED: _l("Cancellation"),
    MessageKind.EVENT_CHANGED: _l("Event changed"),
    MessageKind.EVENT_CANCELLED: _l("Event cancelled"),
    MessageKind.REMINDER: _l("Reminder"),
    MessageKind.FOLLOW_UP: _l("Follow-up"),
    MessageKind.BOOKING_LINK: _l("Link to an existing booking"),
    MessageKind.PASSWORD_RESET: _l("Password reset"),
    MessageKind.INVITATION: _l("Invitation"),
    MessageKind.AID_CERTIFICATE: _l("Certificate of de minimis aid"),
    MessageKind.AID_WITHDRAWN: _l("De minimis aid withdrawn"),
    MessageKind.MEETING_REQUESTED: _l("Meeting request"),
    MessageKind.MEETING_ACCEPTED: _l("Meeting accepted"),
    MessageKind.MEETING_DECLINED: _l("Meeting declined"),
    MessageKind.MEETING_CANCELLED: _l("Meeting cancelled"),
    MessageKind.MEETING_MOVED: _l("Meeting moved"),
    MessageKind.MEETING_AGENDA: _l("Meeting agenda"),
    MessageKind.ORGANISER_MESSAGE: _l("Message from the organisers"),
    MessageKind.DIRECTORY_INVITATION: _l("Invitation to the company directory"),
}

#: Kinds about one participant's meetings (webapp.meetings); their payload names the meeting.
MEETING_KINDS = frozenset(
    {
        MessageKind.MEETING_REQUESTED,
        MessageKind.MEETING_ACCEPTED,
        MessageKind.MEETING_DECLINED,
        MessageKind.MEETING_CANCELLED,
        MessageKind.MEETING_MOVED,
        MessageKind.MEETING_AGENDA,
    }
)

#: Kinds about an account, not an event: no event, booking or organiser page, and a link
#: that is a credential (shown only where whoever reads it may hold it).
ACCOUNT_KINDS = frozenset({MessageKind.PASSWORD_RESET, MessageKind.INVITATION})

#: Kinds that confirm a place: they carry the calendar file and, for webinars, the join link.
CONFIRMING_KINDS = frozenset({MessageKind.CONFIRMED, MessageKind.APPROVED, MessageKind.PROMOTED})


#: Kinds that go to many recipients at once (reminders, thank-yous): they carry a one-click
#: unsubscribe (RFC 8058), and a participant who used it gets no more of them.
UNSUBSCRIBABLE_KINDS = frozenset({MessageKind.REMINDER, MessageKind.FOLLOW_UP})


class NotWanted(Exception):
    """The message should no longer go out; ``str(error)`` says why (for the record)."""


class MessageStatus(enum.StrEnum):
    PENDING = "pending"  # waits for its due time (or its next retry)
    SENDING = "sending"  # claimed by a dispatcher; retried when the lease runs out
    SENT = "sent"
    FAILED = "failed"  # refused for good, or gave up after the last attempt; may be resent
    CANCELLED = "cancelled"  # no longer wanted (a reminder of a cancelled booking)

    @property
    def label(self) -> str:
        return str(_STATUS_LABELS[self])


_STATUS_LABELS = {
    MessageStatus.PENDING: _l("Pending"),
    MessageStatus.SENDING: _l("Sending"),
    MessageStatus.SENT: _l("Sent"),
    MessageStatus.FAILED: _l("Failed"),
    MessageStatus.CANCELLED: lazy_pgettext("message status", "Cancelled"),
}


class Audience(enum.StrEnum):
    """Whom an organiser's message goes to."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    PENDING = "pending"  # awaiting approval
    DECLINED = "declined"
    ATTENDED = "attended"  # participants marked present at one session
    NOT_ATTENDED = "not_attended"  # confirmed participants not marked present at one session
    EVERYONE = "everyone"  # every booking that is not cancelled

    @property
    def label(self) -> str:
        return str(_AUDIENCE_LABELS[self])

    @property
    def lazy_label(self) -> Any:
        return _AUDIENCE_LABELS[self]

    @property
    def needs_session(self) -> bool:
        return self in (Audience.ATTENDED, Audience.NOT_ATTENDED)


_AUDIENCE_LABELS = {
    Audience.CONFIRMED: _l("Confirmed bookings"),
    Audience.WAITLISTED: _l("The waiting list"),
    Audience.PENDING: _l("Bookings awaiting approval"),
    Audience.DECLINED: _l("Declined bookings"),
    Audience.ATTENDED: _l("Participants who attended a session"),
    Audience.NOT_ATTENDED: _l("Participants who did not attend a session"),
    Audience.EVERYONE: _l("Everyone registered (not cancelled)"),
}


class Message(db.Model):
    """An organiser's own message to a group of an event's bookings or participants.

    Written once, sent as one outbox row per recipient (kind ``organiser_message``), each
    rendered in its booking's language: the text in that language, else the other one.
    """

    __tablename__ = "organiser_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    #: Who sent it; None once the account is gone.
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    audience: Mapped[Audience] = mapped_column(str_enum(Audience, "message_audience"))
    #: The session of an ``attended`` or ``not_attended`` audience.
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("event_sessions.id", ondelete="SET NULL")
    )
    #: Swedish text; empty when written in English only.
    subject_sv: Mapped[str] = mapped_column(String(200), default="")
    body_sv: Mapped[str] = mapped_column(Text, default="")
    #: English text; empty when written in Swedish only.
    subject_en: Mapped[str] = mapped_column(String(200), default="")
    body_en: Mapped[str] = mapped_column(Text, default="")
    #: How many emails were queued.
    recipient_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship()
    sender: Mapped[User | None] = relationship()
    session: Mapped[EventSession | None] = relationship()

    def text_in(self, language: str) -> tuple[str, str]:
        """(subject, body) in ``language``, else in the other language."""
        if language == "en" and self.subject_en:
            return self.subject_en, self.body_en
        if self.subject_sv:
            return self.subject_sv, self.body_sv
        return self.subject_en, self.body_en


class OutboxMessage(db.Model):
    """One email to one recipient, queued in the transaction of the change that causes it.

    Only references and a small payload are stored: the message is rendered when it is
    sent (see :mod:`webapp.notifications.rendering`).
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        # The dispatcher's claim: due rows of a status, oldest first.
        Index("ix_outbox_messages_status_next_attempt", "status", "next_attempt_at"),
        # Organiser pages list one event's messages by status.
        Index("ix_outbox_messages_event_status", "event_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The logical message, e.g. ``reminder:p12:s3:o1440``; a second queueing is ignored.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    #: What the message is about; picks subject and templates.
    kind: Mapped[MessageKind] = mapped_column(str_enum(MessageKind, "message_kind"))
    #: Where it is in its life; only ``pending`` and lease-expired ``sending`` rows are claimed.
    status: Mapped[MessageStatus] = mapped_column(
        str_enum(MessageStatus, "message_status"), default=MessageStatus.PENDING
    )
    #: The one address in To (never anyone else's on the same message).
    recipient_email: Mapped[str] = mapped_column(String(254))
    recipient_name: Mapped[str] = mapped_column(String(200))
    #: The event the message is about; None for account messages (ACCOUNT_KINDS).
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    #: The language to write in when no booking decides it (account messages: the
    #: requester's language at the time); None otherwise.
    language: Mapped[str | None] = mapped_column(String(10))
    #: The booking it concerns; the language and the manage link come from it.
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    #: Set when the recipient is a participant; None when it is the booking's contact.
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    #: The session a reminder is for.
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("event_sessions.id", ondelete="CASCADE"), index=True
    )
    #: The user a password reset is for; the link is derived from it when sent.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    #: The invitation an invitation message carries; the link is derived from it when sent.
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitations.id", ondelete="CASCADE"), index=True
    )
    #: The organiser's message this row sends (kind ``organiser_message``).
    organiser_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("organiser_messages.id", ondelete="CASCADE"), index=True
    )
    #: Small extras the templates need (reminder offset, what changed, follow-up text).
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: When it should go out (for reminders: session start minus the offset).
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When a dispatcher may take it next: the due time, a retry time, or the lease's end.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Sending attempts so far (a claim counts as one).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: Times an organiser asked for it again; part of the Message-ID, so a resend is a new
    #: email to mail clients while a retry after a crash is recognisably the same one.
    resends: Mapped[int] = mapped_column(Integer, default=0)
    #: Random id of the dispatcher run holding the claim; only it may record the outcome.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    #: The SMTP server's last complaint, shown to organisers.
    last_error: Mapped[str | None] = mapped_column(Text)
    #: The Message-ID header of the email that went out.
    message_id: Mapped[str | None] = mapped_column(String(250))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the recipient's address (all but its domain), name, payload and error text were
    #: erased (webapp.privacy.retention); the row then only says what kind went where, when.
    content_erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event | None] = relationship()
    booking: Mapped[Booking | None] = relationship()
    participant: Mapped[Participant | None] = relationship()
    session: Mapped[EventSession | None] = relationship()
    user: Mapped[User | None] = relationship()
    invitation: Mapped[Invitation | None] = relationship()
    organiser_message: Mapped[Message | None] = relationship()
