"""One-click unsubscribe (RFC 8058) from reminders and messages to many recipients.

Every message of ``UNSUBSCRIBABLE_KINDS`` to a participant carries a link of its own, in
the ``List-Unsubscribe`` header and in its text. The link is the only credential: a POST
to it (a mail client's one-click ``List-Unsubscribe=One-Click``, or the button on the page
a GET shows) needs no session and no CSRF token. A GET never changes anything, because
link scanners and previews fetch every link in an email.

The token is ``{participant id}-{HMAC}`` (webapp.tokens) with no nonce: an unsubscribe link
must keep working for as long as any email carrying it exists, and all it can do is stop
mail, so there is nothing to revoke. Nothing secret is stored.

Unsubscribing records the time on the participant, cancels their pending reminders and
thank-yous in the same transaction, and withdraws the invitations opt-in of the
organisation's bookings whose contact has that address (with the time, on each booking).
The planner and the dispatcher skip unsubscribed participants from then on;
confirmations and news about their own booking (times changed, cancelled) still reach
them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update

from webapp.bookings import services as bookings
from webapp.bookings.models import Booking, Participant
from webapp.db import begin_write, db, lock_row, utcnow
from webapp.events.models import Event
from webapp.notifications.models import (
    UNSUBSCRIBABLE_KINDS,
    MessageStatus,
    OutboxMessage,
)

PURPOSE = "unsubscribe"
_TABLE = OutboxMessage.__table__


def token(participant_id: int) -> str:
    """The participant's unsubscribe token (the same in every email to them)."""
    return bookings.participant_token(PURPOSE, participant_id)


def participant_for(value: str) -> Participant | None:
    """An unsubscribe token's participant, or None for any other string."""
    return bookings.participant_for_token(PURPOSE, value)


def unsubscribe(participant_id: int, now: datetime | None = None) -> Participant:
    """Stop reminders and messages to many recipients for one participant; flushes.

    Doing it again changes nothing (the first time stays on record).
    """
    begin_write()
    participant = lock_row(Participant, participant_id)
    if participant.unsubscribed_at is not None:
        return participant
    now = now or utcnow()
    participant.unsubscribed_at = now
    db.session.execute(
        update(_TABLE)
        .where(
            _TABLE.c.participant_id == participant.id,
            _TABLE.c.kind.in_(list(UNSUBSCRIBABLE_KINDS)),
            _TABLE.c.status == MessageStatus.PENDING,
        )
        .values(status=MessageStatus.CANCELLED, last_error="not sent: unsubscribed")
    )
    address = participant.email.strip().lower()
    organisation_id = participant.booking.event.organisation_id
    db.session.execute(
        update(Booking)
        .where(
            Booking.event_id.in_(select(Event.id).where(Event.organisation_id == organisation_id)),
            func.lower(Booking.contact_email) == address,
            Booking.invitations_opt_in.is_(True),
        )
        .values(invitations_opt_in=False, invitations_withdrawn_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return participant
