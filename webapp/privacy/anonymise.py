"""Replacing personal data in place: what retention and erasure on request both do.

A participant or contact is anonymised, never deleted: the row keeps its gender, company,
booking status and attendance, so the funders' reports (webapp.reports) and the de
minimis tallies count them exactly as before. What identifies the person goes: name,
email, role, phone, dietary and accessibility needs, the company's message, the secret
parts of their links (a new nonce revokes the manage link and the calendar feeds), the
content of the emails sent to them (only the recipient's domain stays) and their name or
address where an audit entry quoted it. Their evaluation answer (webapp.feedback) keeps its
event and ratings, so the satisfaction figures stay; its link to them and its free text,
which may name people, go. Their registration answers (webapp.questions) go too, but for
choices (single, multiple, yes/no), which the attendee list's figures keep. A contact who
was invited to the company directory loses the profile's edit link (a new nonce): the
profile is the company's and stays as it is, and the company's next confirmed booking
invites its new contact (webapp.directory).

Every function works on sets of ids with a few ``UPDATE`` statements and only flushes:
the caller commits (or, for a dry run, rolls back).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection
from datetime import datetime

from flask import current_app
from sqlalchemy import bindparam, delete, func, or_, select, update

from webapp import signals
from webapp.bookings.models import Booking, Participant
from webapp.db import db
from webapp.directory import services as directory
from webapp.feedback.models import FeedbackAnswer
from webapp.notifications.models import MessageKind, MessageStatus, OutboxMessage
from webapp.organisations.audit import AuditEntry
from webapp.questions.models import Answer, Question, QuestionKind
from webapp.tokens import new_nonce

#: What an anonymised participant or contact is called (a name is required).
ANONYMOUS = "—"

_P = Participant.__table__
_B = Booking.__table__
_O = OutboxMessage.__table__
_F = FeedbackAnswer.__table__
_A = Answer.__table__


def erased_address(email: str) -> str:
    """What replaces an address: the same for the same address (any case), so the reports'
    count of unique participants stays as it was, yet not the address, and undeliverable
    (``.invalid``). It is a keyed hash (``SECRET_KEY``): without the key nobody can even
    test a guess; note that with it a guessed address can be confirmed, so the key must
    stay secret as it must for every link already.
    """
    key = current_app.config["SECRET_KEY"].encode()
    normal = email.strip().lower().encode()
    digest = hmac.new(key, b"anonymised:" + normal, hashlib.sha256).hexdigest()[:24]
    return f"anonymised-{digest}@anonymised.invalid"


def erase_needs(participant_ids: Collection[int], booking_ids: Collection[int]) -> None:
    """Dietary and accessibility needs of the participants, the message of the bookings."""
    if participant_ids:
        db.session.execute(
            update(_P)
            .where(_P.c.id.in_(list(participant_ids)))
            .values(dietary_needs=None, accessibility_needs=None)
        )
    if booking_ids:
        db.session.execute(update(_B).where(_B.c.id.in_(list(booking_ids))).values(message=None))


def _scrub_audit(booking_ids: Collection[int], values: set[str]) -> None:
    """Replace quoted names and addresses in the audit entries about these bookings."""
    if not booking_ids or not values:
        return
    lowered = {v.strip().lower() for v in values if v}
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.booking_id.in_(list(booking_ids)))
    )
    for entry in entries:
        details = dict(entry.details or {})
        changed = False
        for key, value in details.items():
            if isinstance(value, str) and value.strip().lower() in lowered:
                details[key] = ANONYMOUS
                changed = True
        if changed:
            entry.details = details


def erase_outbox(message_ids: Collection[int], now: datetime) -> None:
    """Keep kind, recipient domain, status and times; erase who it was to and what it said.

    Messages not yet sent are cancelled: there is nobody left to send them to.
    """
    if not message_ids:
        return
    ids = list(message_ids)
    domain = func.substr(_O.c.recipient_email, func.instr(_O.c.recipient_email, "@"))
    if db.session.get_bind().dialect.name == "postgresql":
        domain = func.substr(_O.c.recipient_email, func.strpos(_O.c.recipient_email, "@"))
    db.session.execute(
        update(_O)
        .where(_O.c.id.in_(ids), _O.c.status == MessageStatus.PENDING)
        .values(status=MessageStatus.CANCELLED)
    )
    db.session.execute(
        update(_O)
        .where(_O.c.id.in_(ids))
        .values(
            recipient_email=domain,
            recipient_name="",
            payload={},
            last_error=None,
            content_erased_at=now,
        )
    )


def erase_feedback(participant_ids: Collection[int], now: datetime) -> None:
    """Unlink the participants' evaluation answers and erase their free text; the event
    and both ratings stay for the figures."""
    db.session.execute(
        update(_F)
        .where(_F.c.participant_id.in_(list(participant_ids)))
        .values(participant_id=None, answer_1=None, answer_2=None, anonymised_at=now)
    )


#: Registration answers that are kept when their person is anonymised: choices, which say
#: nothing of a person on their own. Text, numbers and dates may, so they go.
KEPT_ANSWER_KINDS = (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE, QuestionKind.YES_NO)


def erase_answers(participant_ids: Collection[int], booking_ids: Collection[int]) -> None:
    """Delete the registration answers (webapp.questions) the participants gave, and the
    bookings' own (asked once per booking) when their contact is anonymised, but for choices."""
    owners = []
    if participant_ids:
        owners.append(_A.c.participant_id.in_(list(participant_ids)))
    if booking_ids:
        owners.append(_A.c.booking_id.in_(list(booking_ids)) & _A.c.participant_id.is_(None))
    if not owners:
        return
    erased = select(Question.id).where(Question.kind.not_in(KEPT_ANSWER_KINDS))
    db.session.execute(delete(_A).where(or_(*owners), _A.c.question_id.in_(erased)))


def anonymise(
    participant_ids: Collection[int], booking_ids: Collection[int], now: datetime
) -> None:
    """Anonymise the participants and the contacts of the bookings (see the module)."""
    participant_ids, booking_ids = sorted(set(participant_ids)), sorted(set(booking_ids))
    quoted: set[str] = set()
    participant_emails: dict[int, str] = {}
    contact_emails: dict[int, str] = {}
    if participant_ids:
        for pid, name, email, done in db.session.execute(
            select(
                Participant.id, Participant.name, Participant.email, Participant.anonymised_at
            ).where(Participant.id.in_(participant_ids))
        ):
            quoted.update((name, email))
            participant_emails[pid] = email if done is not None else erased_address(email)
    if booking_ids:
        for bid, name, email, done in db.session.execute(
            select(
                Booking.id, Booking.contact_name, Booking.contact_email, Booking.anonymised_at
            ).where(Booking.id.in_(booking_ids))
        ):
            quoted.update((name, email))
            contact_emails[bid] = email if done is not None else erased_address(email)
    audit_bookings = set(booking_ids) | set(
        db.session.scalars(
            select(Participant.booking_id).where(Participant.id.in_(participant_ids))
        )
    )
    _scrub_audit(
        audit_bookings, quoted - {ANONYMOUS} - {v for v in quoted if v.endswith(".invalid")}
    )
    # One executemany per table: each row gets its own replacement address and nonces.
    if participant_emails:
        db.session.execute(
            update(_P)
            .where(_P.c.id == bindparam("row_id"))
            .values(
                name=ANONYMOUS,
                email=bindparam("new_email"),
                role=None,
                dietary_needs=None,
                accessibility_needs=None,
                feed_nonce=bindparam("new_feed"),
                anonymised_at=func.coalesce(_P.c.anonymised_at, now),
            ),
            [
                {"row_id": pid, "new_email": email, "new_feed": new_nonce()}
                for pid, email in participant_emails.items()
            ],
        )
    if contact_emails:
        db.session.execute(
            update(_B)
            .where(_B.c.id == bindparam("row_id"))
            .values(
                contact_name=ANONYMOUS,
                contact_email=bindparam("new_email"),
                contact_phone=None,
                message=None,
                token_nonce=bindparam("new_token"),
                feed_nonce=bindparam("new_feed"),
                invitations_opt_in=False,
                anonymised_at=func.coalesce(_B.c.anonymised_at, now),
            ),
            [
                {
                    "row_id": bid,
                    "new_email": email,
                    "new_token": new_nonce(),
                    "new_feed": new_nonce(),
                }
                for bid, email in contact_emails.items()
            ],
        )
    if participant_ids:
        erase_feedback(participant_ids, now)
    erase_answers(participant_ids, booking_ids)
    conditions = []
    if participant_ids:
        conditions.append(_O.c.participant_id.in_(participant_ids))
    if booking_ids:
        conditions.append(_O.c.booking_id.in_(booking_ids) & _O.c.participant_id.is_(None))
    if conditions:
        messages = db.session.scalars(
            select(_O.c.id).where(or_(*conditions), _O.c.content_erased_at.is_(None))
        ).all()
        erase_outbox(messages, now)
    if participant_ids:
        signals.people_anonymised.send(None, participant_ids=participant_ids)
    if booking_ids:
        invited = select(_O.c.booking_id).where(
            _O.c.kind == MessageKind.DIRECTORY_INVITATION, _O.c.booking_id.in_(booking_ids)
        )
        directory.revoke_invitations(
            set(db.session.scalars(select(Booking.company_id).where(Booking.id.in_(invited))))
        )
    db.session.expire_all()
