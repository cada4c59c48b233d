"""The dispatcher: claims due outbox rows, sends them, records what happened.

Any number of dispatchers may run at once (several scheduler processes, a cron job with
``flask scheduler --once``); the database decides who sends what:

1. **Claim** (a short transaction of its own): up to ``OUTBOX_BATCH_SIZE`` due rows
   become ``sending`` with this run's ``claim_token`` and a lease (``next_attempt_at`` =
   now + lease). PostgreSQL picks them with ``SELECT … FOR UPDATE SKIP LOCKED`` and
   updates exactly those, in one statement that also reads them (step 2), so
   dispatchers take disjoint batches without waiting; on SQLite the one ``UPDATE …
   WHERE id IN (…) AND status …`` runs under the database's write lock (``BEGIN
   IMMEDIATE``), so it is atomic, and ``RETURNING`` tells exactly which rows this run got.
2. **Read** the claimed rows in one Core SELECT of the columns a reminder needs, joined
   to booking, company and participant (rendering.Claimed; on PostgreSQL the claim's
   ``RETURNING``, joined): no ORM objects for the bulk of the mail. Other kinds
   (confirmations, changes, account messages) are loaded as OutboxMessages with what
   they refer to, in a handful of queries for the whole batch.
3. **Send** the batch over one SMTP connection. What the batch's messages share is made
   once (rendering.BatchCache: a reminder is the shared rendering of its session and
   language with four personal values filled in), and each email is made while the
   server answers the commands of the one before (:func:`_sendmail`; the protocol is
   not pipelined, only the waiting is put to use).
4. **Record** each outcome (``sent`` with its Message-ID, ``failed`` at once when it can
   never go, else a retry with exponential backoff, ``failed`` after the last attempt),
   in one transaction per ``_RECORD_EVERY`` (50) messages and at the end of the batch.
   The writes run in a thread of their own while the next emails go out, one at a time,
   so a crash repeats at most 100. Only the claim's holder may record (``claim_token``).

A run (:func:`dispatch_due`, what every scheduler tick does) sends batch after batch
until nothing due at its start is left, so a backlog drains in one run at the speed of
the SMTP server; several processes drain it together. Each next batch is claimed in the
background while the last ``_CLAIM_AHEAD`` messages of the one before go out; a run that
stops (an SMTP outage, an error) gives a batch it claimed and never started back.

A run that dies between claim and record leaves ``sending`` rows (a process that is
killed: also the batch it claimed ahead); once their lease runs out they are claimed
again. That can repeat an email (the rare duplicate is preferred to a lost reminder); it
keeps its Message-ID, so mail clients can tell.

Errors are told apart, and the batch goes on over the same connection after any that
concerns one message:

- A permanent refusal of the message itself, a 5xx reply to its recipient or its body
  (``550 Mailbox unavailable``, ``500 Line too long``), fails it at once with the
  server's answer (organisers see it on the event's emails page): sending it again
  would only be refused again.
- A message that can never be built (a name with a line break would break a header:
  mime.BadHeader) fails at once too, with the reason.
- A temporary refusal (4xx), a refused sender (the site's own address: a configuration
  matter, not the message's) and any other rendering error count as an attempt: retried
  with backoff, failed after the last.
- A server that cannot be reached or drops the connection is not the messages' fault:
  the unsent rest of the batch goes back to ``pending`` without using an attempt, so an
  SMTP outage of any length loses nothing.

With no ``MAIL_SERVER`` (``MAIL_SUPPRESS_SEND``) nothing is claimed: mail stays in the
outbox, where organisers and the development page show it.
"""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
import smtplib
import time
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_mail import Connection
from sqlalchemy import (
    CTE,
    FromClause,
    Result,
    Select,
    Update,
    bindparam,
    cast,
    func,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, selectinload

from webapp.accounts.models import Invitation, Membership, User
from webapp.bookings.models import Booking, Participant
from webapp.companies.models import Company
from webapp.db import begin_write, db, utcnow
from webapp.events.models import Event
from webapp.extensions import mail
from webapp.notifications import mime, rendering
from webapp.notifications.models import MessageStatus, NotWanted, OutboxMessage

log = logging.getLogger(__name__)

_TABLE = OutboxMessage.__table__
_CLAIMABLE = (MessageStatus.PENDING, MessageStatus.SENDING)
#: Outcomes are handed to a write after this many messages. A write runs while the next
#: ones go out, and the next waits for it, so a crash repeats at most twice this many
#: (one write under way, one collecting). A transaction each: fewer would cost more.
_RECORD_EVERY = 50
#: A run claims its next batch when this many messages of the current one are left.
_CLAIM_AHEAD = 50
_MAX_BACKOFF = timedelta(hours=6)


@dataclass
class DispatchResult:
    """What one dispatcher run did."""

    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    released: int = 0
    #: No longer wanted when their turn came (see models.NotWanted).
    cancelled: int = 0

    def add(self, other: DispatchResult) -> None:
        self.claimed += other.claimed
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.released += other.released
        self.cancelled += other.cancelled


def _setting(name: str) -> int:
    return int(current_app.config[name])


def mail_enabled() -> bool:
    """Whether an SMTP server is configured (else mail waits in the outbox)."""
    return not current_app.config.get("MAIL_SUPPRESS_SEND", True)


def backoff(attempts: int) -> timedelta:
    """Wait before retry number ``attempts``: the base doubling each time, capped."""
    base = timedelta(seconds=_setting("OUTBOX_RETRY_SECONDS"))
    return min(base * 2 ** max(attempts - 1, 0), _MAX_BACKOFF)


def claim(now: datetime, limit: int, token: str) -> list[rendering.Claimed]:
    """Claim up to ``limit`` due rows for the run ``token`` and commit; returns them as the
    dispatcher reads them (rendering.Claimed), in id order.

    Rows whose lease ran out after their last attempt are marked failed on the way, so a
    message that keeps killing dispatchers does not come back forever.
    """
    begin_write()
    lease = timedelta(seconds=_setting("OUTBOX_LEASE_SECONDS"))
    max_attempts = _setting("OUTBOX_MAX_ATTEMPTS")
    expired = (
        update(_TABLE)
        .where(
            _TABLE.c.status == MessageStatus.SENDING,
            _TABLE.c.next_attempt_at <= now,
            _TABLE.c.attempts >= max_attempts,
        )
        .values(status=MessageStatus.FAILED, claim_token=None, last_error="lease expired")
    )
    claiming = {
        "status": MessageStatus.SENDING,
        "claim_token": token,
        "attempts": _TABLE.c.attempts + 1,
        "next_attempt_at": now + lease,
    }
    if db.session.get_bind().dialect.name == "postgresql":
        rows = _claim_postgresql(now, limit, max_attempts, expired, claiming)
        db.session.commit()
        return rows
    db.session.execute(expired)
    due = (
        select(_TABLE.c.id)
        .where(_TABLE.c.status.in_(_CLAIMABLE), _TABLE.c.next_attempt_at <= now)
        .order_by(_TABLE.c.next_attempt_at, _TABLE.c.id)
        .limit(limit)
    )
    ids = db.session.scalars(
        update(_TABLE)
        # The conditions again: they are what makes the claim conditional.
        .where(
            _TABLE.c.id.in_(due.scalar_subquery()),
            _TABLE.c.status.in_(_CLAIMABLE),
            _TABLE.c.next_attempt_at <= now,
        )
        .values(**claiming)
        .returning(_TABLE.c.id)
    ).all()
    db.session.commit()
    return _claimed(ids) if ids else []


def _claim_postgresql(
    now: datetime, limit: int, max_attempts: int, expired: Update, claiming: dict[str, Any]
) -> list[rendering.Claimed]:
    """PostgreSQL: the whole claim and the read in one statement (one round trip).

    Up to ``limit`` due rows nobody holds are locked (``FOR UPDATE SKIP LOCKED``): those
    whose lease ran out first, then pending ones, oldest first; the lease-expired rows
    past their last attempt are failed (``expired``) in the same statement, disjoint from
    those. The picked ids are ``MATERIALIZED`` common table expressions, each run exactly
    once: as a subquery of the UPDATE, PostgreSQL may run the SELECT again for each row it
    updates, and each run, skipping the rows just claimed, finds more, so one dispatcher
    would take the whole backlog. One status at a time and by ``next_attempt_at`` alone, so
    the index on (status, next_attempt_at) gives the order and the scan stops at ``limit``:
    50,000 reminders due at the same moment are not sorted again for every batch. The
    UPDATE's RETURNING is joined to the booking, company and participant as :func:`_claimed`
    reads them.
    """

    def due(status: MessageStatus, count: Any, *more: Any) -> CTE:
        return (
            select(_TABLE.c.id)
            .where(_TABLE.c.status == status, _TABLE.c.next_attempt_at <= now, *more)
            .order_by(_TABLE.c.next_attempt_at)
            .limit(count)
            .with_for_update(skip_locked=True)
            .cte(f"due_{status.value}")
            .prefix_with("MATERIALIZED")
        )

    sending = due(MessageStatus.SENDING, limit, _TABLE.c.attempts < max_attempts)
    pending = due(
        MessageStatus.PENDING, limit - select(func.count()).select_from(sending).scalar_subquery()
    )
    picked = union_all(select(sending.c.id), select(pending.c.id)).subquery("picked")
    claimed = (
        update(_TABLE)
        .where(_TABLE.c.id == picked.c.id)
        .values(**claiming)
        .returning(*(_TABLE.c[name] for name in _OWN))
        .cte("claimed")
    )
    stmt = _reading(claimed).add_cte(expired.returning(_TABLE.c.id).cte("expired"))
    return _rows(db.session.execute(stmt))


def _load(ids: Sequence[int]) -> list[OutboxMessage]:
    """The rows as ORM objects with everything rendering needs, in a handful of queries."""
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .options(
                selectinload(OutboxMessage.event).selectinload(Event.sessions),
                selectinload(OutboxMessage.event).selectinload(Event.organisation),
                selectinload(OutboxMessage.booking).selectinload(Booking.participants),
                selectinload(OutboxMessage.booking).selectinload(Booking.company),
                selectinload(OutboxMessage.participant),
                selectinload(OutboxMessage.session),
                selectinload(OutboxMessage.organiser_message),
                selectinload(OutboxMessage.user)
                .selectinload(User.memberships)
                .selectinload(Membership.organisation),
                selectinload(OutboxMessage.invitation).selectinload(Invitation.organisation),
                selectinload(OutboxMessage.invitation).selectinload(Invitation.invited_by),
            )
        )
    )


_BOOKINGS = Booking.__table__
_COMPANIES = Company.__table__
_PARTICIPANTS = Participant.__table__


#: The row's own columns in rendering.Claimed, in its order.
_OWN = (
    "id",
    "kind",
    "attempts",
    "resends",
    "event_id",
    "session_id",
    "booking_id",
    "participant_id",
    "recipient_email",
    "recipient_name",
    "payload",
    "language",
)


def _reading(rows: FromClause) -> Select[Any]:
    """The SELECT of rendering.Claimed's values from ``rows`` (the outbox table, or the
    claimed rows a claim returns), joined to their booking, company and participant, in id
    order (every row of a claim has the same next_attempt_at: the lease's end)."""
    r = rows.c
    return (
        select(
            *(r[name] for name in _OWN),
            _BOOKINGS.c.language,
            _BOOKINGS.c.contact_email,
            _BOOKINGS.c.contact_name,
            _COMPANIES.c.name,
            _PARTICIPANTS.c.id.is_not(None),
            _PARTICIPANTS.c.unsubscribed_at.is_not(None),
        )
        .select_from(
            rows.outerjoin(_BOOKINGS, _BOOKINGS.c.id == r.booking_id)
            .outerjoin(_COMPANIES, _COMPANIES.c.id == _BOOKINGS.c.company_id)
            .outerjoin(_PARTICIPANTS, _PARTICIPANTS.c.id == r.participant_id)
        )
        .order_by(r.id)
    )


def _rows(result: Result[Any]) -> list[rendering.Claimed]:
    return [
        rendering.Claimed(*values[:-2], bool(values[-2]), bool(values[-1])) for values in result
    ]


def _claimed(ids: Sequence[int]) -> list[rendering.Claimed]:
    """The claimed rows in one SELECT of the columns a shared reminder needs (joined to
    its booking, company and participant), in claim order: no ORM objects."""
    return _rows(db.session.execute(_reading(_TABLE).where(_TABLE.c.id.in_(ids))))


def _events(ids: set[int]) -> dict[int, Event]:
    """The batch's events with their organisations (what a shared reminder's sender and
    key need), in one query."""
    if not ids:
        return {}
    events = db.session.scalars(
        select(Event).where(Event.id.in_(ids)).options(selectinload(Event.organisation))
    )
    return {event.id: event for event in events}


#: The kinds of outcome the recorder collects, each written by one UPDATE (see _outcomes).
_KINDS = ("sent", "retry", "failed", "released", "cancelled")


def _outcomes(v: Any) -> dict[str, dict[str, Any]]:
    """What each kind of outcome writes, from its parameters ``v`` (see :func:`_given`)."""
    return {
        "sent": {
            "status": MessageStatus.SENT,
            "sent_at": v["at"],
            "message_id": v["mid"],
            "last_error": None,
            "claim_token": None,
        },
        "retry": {
            "status": MessageStatus.PENDING,
            "next_attempt_at": v["at"],
            "last_error": v["error"],
            "claim_token": None,
        },
        "failed": {
            "status": MessageStatus.FAILED,
            "last_error": v["error"],
            "claim_token": None,
        },
        "released": {
            "status": MessageStatus.PENDING,
            "next_attempt_at": v["at"],
            "attempts": _TABLE.c.attempts - 1,
            "last_error": v["error"],
            "claim_token": None,
        },
        "cancelled": {
            "status": MessageStatus.CANCELLED,
            "last_error": v["error"],
            "claim_token": None,
        },
    }


class _Recorder:
    """Collects outcomes and writes them, one UPDATE per kind of outcome (see _given), in
    one transaction per write; a write may run in the background (:meth:`flush`)."""

    def __init__(self, token: str, now: datetime, result: DispatchResult) -> None:
        self.token = token
        # Retry times count from the later of the run's time and the clock, so a run never
        # claims again what it has just tried (its claims are for rows due by ``now``).
        self.now = now
        self.result = result
        self.collected: dict[str, list[dict[str, Any]]] = {kind: [] for kind in _KINDS}
        self.done: set[int] = set()
        self.engine = db.engine
        self.writer: ThreadPoolExecutor | None = None
        #: The write under way in the background, and what it writes.
        self.writing: tuple[Future[None], dict[str, list[dict[str, Any]]]] | None = None

    def sent_ok(self, row: rendering.Claimed, message_id: str) -> None:
        self.done.add(row.id)
        self.collected["sent"].append({"row_id": row.id, "mid": message_id, "at": utcnow()})
        self.result.sent += 1

    def attempt_failed(
        self, row: rendering.Claimed, error: str, *, permanent: bool = False
    ) -> None:
        """The message's fault or its recipient's: retry later, or give up (at once when
        ``permanent``: it would fail the same way every time)."""
        self.done.add(row.id)
        if permanent or row.attempts >= _setting("OUTBOX_MAX_ATTEMPTS"):
            self.collected["failed"].append({"row_id": row.id, "error": error})
            self.result.failed += 1
        else:
            retry_at = max(self.now, utcnow()) + max(backoff(row.attempts), timedelta(seconds=1))
            self.collected["retry"].append({"row_id": row.id, "error": error, "at": retry_at})
            self.result.retrying += 1

    def not_wanted(self, row: rendering.Claimed, reason: str) -> None:
        """The message should no longer go out: cancelled, with the reason on record."""
        self.done.add(row.id)
        self.collected["cancelled"].append({"row_id": row.id, "error": reason})
        self.result.cancelled += 1

    def release(self, rows: Sequence[rendering.Claimed], error: str) -> None:
        """Not the messages' fault (server unreachable): back to pending, attempt returned."""
        retry_at = max(self.now, utcnow()) + max(backoff(1), timedelta(seconds=1))
        for row in rows:
            if row.id not in self.done:
                self.done.add(row.id)
                self.collected["released"].append(
                    {"row_id": row.id, "error": error, "at": retry_at}
                )
                self.result.released += 1

    def pending(self) -> int:
        """How many outcomes are collected and not handed to a write yet."""
        return sum(len(params) for params in self.collected.values())

    def flush(self, *, background: bool = False) -> None:
        """Write the collected outcomes in one transaction, once the write before (if any)
        has finished; ``background``: in a thread of the recorder's, while the next emails
        go out (the thread mostly waits for the database, without the interpreter lock).

        A session of its own: committing the dispatcher's session would expire the rows
        still being rendered and reload each of them.
        """
        self._finish()
        if not self.pending():
            return
        collected, self.collected = self.collected, {kind: [] for kind in _KINDS}
        if not background:
            self._write(collected)
            return
        if self.writer is None:
            self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-record")
        self.writing = (self.writer.submit(self._write, collected), collected)

    def close(self) -> None:
        """Write what is left, with what a failed background write held, and wait for it;
        raises what a write raised."""
        try:
            try:
                self._finish()
            finally:
                self.flush()
        finally:
            if self.writer is not None:
                self.writer.shutdown()

    def _finish(self) -> None:
        """Wait for the background write. When it failed, its outcomes are collected again
        (for the next write) and its error raised."""
        if self.writing is None:
            return
        future, collected = self.writing
        self.writing = None
        try:
            future.result()
        except BaseException:
            for kind, params in collected.items():
                self.collected[kind][:0] = params
            raise

    def _write(self, collected: dict[str, list[dict[str, Any]]]) -> None:
        with Session(bind=self.engine) as session:
            begin_write(session)
            postgres = session.get_bind().dialect.name == "postgresql"
            v = _given(postgres)
            mine = (_TABLE.c.id == v["row_id"]) & (_TABLE.c.claim_token == self.token)
            for kind, values in _outcomes(v).items():
                params = collected[kind]
                if params:
                    given = (
                        {name: [p.get(name) for p in params] for name in _OUTCOME}
                        if postgres
                        else params
                    )
                    session.execute(update(_TABLE).where(mine).values(**values), given)
            session.commit()


#: What an outcome's parameters may carry, with their types.
_OUTCOME = {
    "row_id": _TABLE.c.id.type,
    "mid": _TABLE.c.message_id.type,
    "at": _TABLE.c.next_attempt_at.type,
    "error": _TABLE.c.last_error.type,
}


def _given(postgres: bool) -> Any:
    """The outcome parameters as the recorder's UPDATEs read them: on SQLite bound
    parameters (one UPDATE per row, executemany); on PostgreSQL columns of ``unnest`` over
    one array per parameter, so all rows of a kind of outcome are one UPDATE … FROM (one
    statement for the server to plan and run, not a hundred)."""
    if not postgres:
        return {name: bindparam(name) for name in _OUTCOME}
    arrays = (cast(bindparam(name), ARRAY(type_)) for name, type_ in _OUTCOME.items())
    return func.unnest(*arrays).table_valued(*_OUTCOME).render_derived().c


def _describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{address}: {code} {reply.decode(errors='replace')}"
            for address, (code, reply) in error.recipients.items()
        )
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {error.smtp_error.decode(errors='replace')}"
    return f"{type(error).__name__}: {error}"


def _permanent(error: smtplib.SMTPException) -> bool:
    """Whether the server refused this message for good (a 5xx reply to its recipient or
    its body). A refused sender is the site's configuration, not the message's fault."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _reply in error.recipients.values())
    if isinstance(error, smtplib.SMTPSenderRefused):
        return False
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500


def _nothing() -> None:
    pass


def _deliver(
    connection: Connection, outgoing: mime.Outgoing, meanwhile: Callable[[], None] = _nothing
) -> None:
    """Send prepared bytes over Flask-Mail's connection (its server, TLS and login), with
    its reconnect after ``MAIL_MAX_EMAILS``; ``meanwhile`` runs while the server answers."""
    assert connection.host is not None  # mail is enabled: the connection has a host
    _sendmail(connection.host, outgoing, meanwhile)
    connection.num_emails += 1
    if connection.num_emails == connection.mail.max_emails:
        connection.num_emails = 0
        connection.host.quit()
        connection.host = connection.configure_host()


_LINE_START_DOT = re.compile(rb"(?m)^\.")
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\Z")


def _quoted(address: str) -> str:
    """``smtplib.quoteaddr(address)``: for a plain ASCII addr-spec (every address the
    outbox holds, in practice) that is ``<address>``, without smtplib's full parse."""
    if _PLAIN_ADDRESS.match(address):
        return f"<{address}>"
    return smtplib.quoteaddr(address)


def _sendmail(host: smtplib.SMTP, outgoing: mime.Outgoing, meanwhile: Callable[[], None]) -> None:
    """``host.sendmail(envelope_from, [recipient], data)``, command for command and with
    its replies and exceptions, but ``meanwhile()`` is called after sending a command and
    before reading the reply, so the next email is made while the server works. Nothing
    is sent before the previous command's reply is read: no ``PIPELINING`` needed."""
    host.ehlo_or_helo_if_needed()
    size = f" size={len(outgoing.data)}" if host.does_esmtp and host.has_extn("size") else ""
    host.putcmd("mail", f"FROM:{_quoted(outgoing.envelope_from)}{size}")
    meanwhile()
    code, reply = host.getreply()
    if code != 250:
        _abandon(host, code)
        raise smtplib.SMTPSenderRefused(code, reply, outgoing.envelope_from)
    host.putcmd("rcpt", f"TO:{_quoted(outgoing.recipient)}")
    meanwhile()
    code, reply = host.getreply()
    if code not in (250, 251):
        _abandon(host, code)
        raise smtplib.SMTPRecipientsRefused({outgoing.recipient: (code, reply)})
    host.putcmd("data")
    code, reply = host.getreply()
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    data = _LINE_START_DOT.sub(b"..", outgoing.data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    host.send(data + b".\r\n")
    meanwhile()
    code, reply = host.getreply()
    if code != 250:
        _abandon(host, code)
        raise smtplib.SMTPDataError(code, reply)


def _abandon(host: smtplib.SMTP, code: int) -> None:
    """After a refusal, as smtplib does: close on 421 (the server is leaving), else reset
    the transaction so the connection carries on."""
    if code == 421:
        host.close()
        return
    with contextlib.suppress(smtplib.SMTPServerDisconnected):
        host.rset()


class _Batch:
    """Turns a batch's claimed rows into emails: reminders from the batch's shared
    renderings, any other message from its OutboxMessage (all of those loaded at once)."""

    def __init__(self, rows: list[rendering.Claimed]) -> None:
        self.cache = rendering.BatchCache()
        self.events = _events({row.event_id for row in rows if row.event_id is not None})
        others = [row.id for row in rows if not self._shared(row)]
        self.full = {row.id: row for row in _load(others)} if others else {}

    def _shared(self, row: rendering.Claimed) -> bool:
        return row.event_id in self.events and rendering.shares(row)

    def _load_one(self, row_id: int) -> OutboxMessage:
        return _load([row_id])[0]

    def outgoing(self, row: rendering.Claimed) -> Generator[None, None, mime.Outgoing]:
        """Make the row's email in two steps (a generator that returns it): the text,
        then the bytes. Raises NotWanted, mime.BadHeader and whatever rendering raises."""
        if self._shared(row):
            assert row.event_id is not None
            event = self.events[row.event_id]
            rendered = rendering.shared_rendered(row, event, self.cache, self._load_one)
            yield
            return rendering.claimed_outgoing(row, event, rendered, self.cache)
        full = self.full[row.id]
        rendered = rendering.render(full, self.cache)
        yield
        return rendering.to_outgoing(full, rendered, self.cache)


class _Ahead:
    """The batch's next email, made a step at a time while the server answers about the
    current one (see _sendmail)."""

    def __init__(self, steps: Generator[None, None, mime.Outgoing] | None) -> None:
        self.steps = steps
        self.outgoing: mime.Outgoing | None = None
        self.error: Exception | None = None

    def step(self) -> None:
        """One step of the making, if any is left."""
        if self.steps is None:
            return
        try:
            next(self.steps)
        except StopIteration as done:
            self.steps, self.outgoing = None, done.value
        except Exception as error:  # noqa: BLE001 - raised again by result()
            self.steps, self.error = None, error

    def result(self) -> mime.Outgoing:
        """The email, made to the end; raises what making it raised."""
        while self.steps is not None:
            self.step()
        if self.error is not None:
            raise self.error
        assert self.outgoing is not None
        return self.outgoing


def _send_batch(
    rows: list[rendering.Claimed], recorder: _Recorder, near_end: Callable[[], None] = _nothing
) -> None:
    """Send ``rows`` over one connection, recording each outcome; each email is made while
    the server answers about the one before. ``near_end`` is called when _CLAIM_AHEAD
    messages (or all of a smaller batch) are left."""
    if not rows:
        return
    try:
        batch = _Batch(rows)
        with mail.connect() as connection:
            ahead = _Ahead(batch.outgoing(rows[0]))
            for index, row in enumerate(rows):
                if len(rows) - index == min(_CLAIM_AHEAD, len(rows)):
                    near_end()
                current = ahead
                following = index + 1 < len(rows)
                ahead = _Ahead(batch.outgoing(rows[index + 1]) if following else None)
                try:
                    outgoing = current.result()
                except NotWanted as reason:
                    recorder.not_wanted(row, f"not sent: {reason}")
                    continue
                except mime.BadHeader as error:
                    recorder.attempt_failed(row, f"cannot be sent: {error}", permanent=True)
                    continue
                except Exception as error:  # noqa: BLE001 - any rendering bug fails one message
                    log.exception("could not render outbox message %s", row.id, exc_info=error)
                    recorder.attempt_failed(row, f"rendering: {_describe(error)}")
                    continue
                try:
                    _deliver(connection, outgoing, ahead.step)
                except smtplib.SMTPServerDisconnected as error:
                    # The connection is gone; the rest of the batch is released below.
                    recorder.attempt_failed(row, _describe(error))
                    raise
                except smtplib.SMTPException as error:
                    # An SMTP reply about this message: the transaction was reset, so the
                    # connection carries on with the next one.
                    recorder.attempt_failed(row, _describe(error), permanent=_permanent(error))
                else:
                    recorder.sent_ok(row, outgoing.message_id)
                if recorder.pending() >= _RECORD_EVERY:
                    recorder.flush(background=True)
    except OSError as error:  # smtplib.SMTPException is an OSError too
        log.warning("SMTP connection failed: %s", _describe(error))
        recorder.release(rows, _describe(error))


class _Following:
    """The next batch of a run, claimed in a thread of its own while the last
    _CLAIM_AHEAD messages of the current one go out, so the claim's round trip and
    database work are not waited for between batches. Claimed so late, its lease starts
    hardly earlier than if it were claimed after the current batch."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.app = current_app._get_current_object()  # type: ignore[attr-defined]
        self.size = _setting("OUTBOX_BATCH_SIZE")
        self.claimer: ThreadPoolExecutor | None = None
        self.claiming: Future[tuple[str, list[rendering.Claimed]]] | None = None

    def start(self) -> None:
        """Claim the next batch in the background."""
        if self.claimer is None:
            self.claimer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-claim")
        self.claiming = self.claimer.submit(self._claim, secrets.token_hex(8))

    def _claim(self, token: str) -> tuple[str, list[rendering.Claimed]]:
        with self.app.app_context():
            return token, claim(self.now, self.size, token)

    def take(self) -> tuple[str, list[rendering.Claimed]] | None:
        """The batch claimed in the background (its token and rows), if one was; raises
        what the claim raised."""
        claiming, self.claiming = self.claiming, None
        return claiming.result() if claiming is not None else None

    def close(self) -> None:
        """End of the run: a batch claimed and never started goes back to pending, its
        attempt returned, as an SMTP outage releases a batch's unsent rest."""
        try:
            claimed = self.take()
            if claimed is not None and claimed[1]:
                token, rows = claimed
                recorder = _Recorder(token, self.now, DispatchResult())
                recorder.release(rows, "not sent: its dispatcher run stopped")
                recorder.close()
        finally:
            if self.claimer is not None:
                self.claimer.shutdown()


def dispatch_batch(
    now: datetime | None = None, token: str | None = None, following: _Following | None = None
) -> DispatchResult:
    """Claim one batch of due messages, send it, record the outcomes. With ``following``
    (a run of several), the batch may have been claimed already, and the next one is
    claimed while this one ends."""
    result = DispatchResult()
    if not mail_enabled():
        return result
    now = now or utcnow()
    started = time.perf_counter()
    claimed = following.take() if following is not None else None
    if claimed is None:
        token = token or secrets.token_hex(8)
        claimed = (token, claim(now, _setting("OUTBOX_BATCH_SIZE"), token))
    token, rows = claimed
    result.claimed = len(rows)
    if not rows:
        return result
    recorder = _Recorder(token, now, result)
    # A full batch: more may be due.
    near_end = (
        following.start if following is not None and len(rows) >= following.size else _nothing
    )
    try:
        with rendering.email_context():
            _send_batch(rows, recorder, near_end)
    finally:
        recorder.close()
        # End the read transaction the rows were loaded in (no idle transaction left open).
        db.session.rollback()
        # One line per batch (a JSON object with LOG_FORMAT=json, webapp.operations).
        log.info(
            "outbox batch",
            extra={
                "claimed": result.claimed,
                "sent": result.sent,
                "retrying": result.retrying,
                "failed": result.failed,
                "released": result.released,
                "cancelled": result.cancelled,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
    return result


def dispatch_due(now: datetime | None = None) -> DispatchResult:
    """Send everything due at ``now`` (default: the start of this run), batch by batch.

    Rows retried during the run are due later than its start, so the run ends.
    """
    if not mail_enabled():
        return DispatchResult()
    now = now or utcnow()
    total = DispatchResult()
    following = _Following(now)
    try:
        while True:
            result = dispatch_batch(now, following=following)
            total.add(result)
            if result.claimed == 0 or result.released:
                return total
    finally:
        following.close()


def next_due() -> datetime | None:
    """When the next pending message is due (for the scheduler's one-off run)."""
    return db.session.scalar(
        select(func.min(_TABLE.c.next_attempt_at)).where(_TABLE.c.status.in_(_CLAIMABLE))
    )
