"""Delivery under faults and concurrency, against a real SMTP server and real databases:
an SMTP outage, a refused recipient, a dispatcher killed mid-batch, two dispatcher
processes sharing one database."""

from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import sys
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from tests import factories as f
from tests.conftest import csrf_from
from tests.smtp import SmtpServer
from webapp.accounts import services as accounts
from webapp.accounts.models import Role
from webapp.db import db, utcnow
from webapp.extensions import mail
from webapp.notifications import dispatch, mime
from webapp.notifications.models import MessageKind, MessageStatus, OutboxMessage

ROOT = Path(__file__).resolve().parents[2]


def statuses() -> Counter[MessageStatus]:
    # A new transaction: on SQLite an open one would keep reading its old snapshot.
    db.session.commit()
    return Counter(db.session.scalars(select(OutboxMessage.status)))


def test_smtp_down_loses_nothing_and_delivers_once_back(app, smtp_server):
    smtp_server.stop()
    f.book(f.event(starts_at=utcnow() + timedelta(hours=3)), 2)
    db.session.commit()
    result = dispatch.dispatch_due()
    assert result.claimed == 3 and result.released == 3 and result.sent == 0
    # The directory's invitation waits for the event to be over; it was not tried yet.
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind != MessageKind.DIRECTORY_INVITATION)
    ).all()
    assert {(r.status, r.attempts) for r in rows} == {(MessageStatus.PENDING, 0)}
    assert all("Connection" in (r.last_error or "") or r.last_error for r in rows)

    smtp_server.start()
    assert dispatch.dispatch_due().claimed == 0, "waits for its retry time"
    result = dispatch.dispatch_due(utcnow() + timedelta(minutes=2))
    assert result.sent == 3
    assert len(smtp_server.received) == 3
    assert statuses() == {MessageStatus.SENT: 3, MessageStatus.PENDING: 1}  # + the invitation


def _login(client, email: str, password: str) -> None:
    page = client.get("/organisers/login")
    response = client.post(
        "/organisers/login",
        data={"email": email, "password": password, "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code in (302, 303)


def test_deferred_recipient_others_go_it_is_retried_then_failed_and_shown(app, client, smtp_server):
    event = f.event(starts_at=utcnow() + timedelta(hours=3))
    booking = f.book(event, 3, language="en")
    db.session.commit()
    busy = booking.participants[1].email
    smtp_server.defer.add(busy)

    now = utcnow()
    result = dispatch.dispatch_due(now)
    assert result.sent == 3 and result.retrying == 1
    assert not smtp_server.to(busy)
    assert len(smtp_server.received) == 3
    row = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient_email == busy)
    ).one()
    assert row.status == MessageStatus.PENDING and row.attempts == 1 and "451" in row.last_error

    later = now + timedelta(hours=1)
    assert dispatch.dispatch_due(later).retrying == 1  # attempt 2 of 3
    assert dispatch.dispatch_due(later + timedelta(hours=1)).failed == 1  # attempt 3
    db.session.expire_all()
    row = db.session.get(OutboxMessage, row.id)
    assert row.status == MessageStatus.FAILED and row.attempts == 3
    assert len(smtp_server.received) == 3

    user = accounts.create_user("org@example.se", "Org", "a long password 1")
    accounts.add_member(event.organisation_id, user, Role.ORGANISER)
    db.session.commit()
    _login(client, "org@example.se", "a long password 1")
    page = client.get(f"/organisers/events/{event.id}/outbox")
    assert page.status_code == 200
    assert busy in page.text and "451" in page.text
    shown = client.get(f"/organisers/outbox/{row.id}")
    assert shown.status_code == 200 and "Confirmed" in shown.text

    smtp_server.defer.clear()
    resent = client.post(
        f"/organisers/outbox/{row.id}/resend", data={"csrf_token": csrf_from(page.text)}
    )
    assert resent.status_code == 303
    assert dispatch.dispatch_due().sent == 1
    assert len(smtp_server.to(busy)) == 1


@pytest.mark.parametrize("refusal", ["recipient", "body"])
def test_a_5xx_refusal_fails_that_message_at_once_and_the_batch_goes_on(
    app, client, smtp_server, refusal
):
    event = f.event(starts_at=utcnow() + timedelta(hours=3))
    booking = f.book(event, 3, language="en")
    db.session.commit()
    bad = booking.participants[0].email
    (smtp_server.refuse if refusal == "recipient" else smtp_server.refuse_data).add(bad)
    expected = "550 5.1.1 Mailbox unavailable" if refusal == "recipient" else "554 5.6.0"

    result = dispatch.dispatch_due()
    assert result.claimed == 4 and result.failed == 1 and result.retrying == 0
    assert result.sent == 3, "the messages after it in the batch still went"
    assert {r.rcpt_tos[0] for r in smtp_server.received} == {
        booking.contact_email,
        *(p.email for p in booking.participants[1:]),
    }
    row = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient_email == bad)
    ).one()
    assert row.status == MessageStatus.FAILED and row.attempts == 1
    assert expected in row.last_error, "the server's answer is kept"
    # Hours later (before the event ends and the directory's invitation is due).
    assert dispatch.dispatch_due(utcnow() + timedelta(hours=2)).claimed == 0, "never retried"

    user = accounts.create_user("org@example.se", "Org", "a long password 1")
    accounts.add_member(event.organisation_id, user, Role.VIEWER)
    db.session.commit()
    _login(client, "org@example.se", "a long password 1")
    page = client.get(f"/organisers/events/{event.id}/outbox")
    assert bad in page.text and expected in page.text


def test_a_message_whose_dispatcher_dies_every_time_ends_failed(app, smtp_server, monkeypatch):
    """A message that kills its dispatcher (here: the process dies while sending it) is
    claimed again after each lease, and fails once its last lease has run out."""

    class Died(BaseException):
        """Stands for the process dying: nothing below it catches a BaseException."""

    event = f.event(starts_at=utcnow() + timedelta(hours=3))
    booking = f.book(event, 1, language="en")
    db.session.commit()
    doomed = booking.participants[0].email
    deliver = dispatch._deliver

    def dies_on_doomed(connection, outgoing, *rest):
        if outgoing.recipient == doomed:
            raise Died()
        deliver(connection, outgoing, *rest)

    monkeypatch.setattr(dispatch, "_deliver", dies_on_doomed)
    now = utcnow()
    lease = timedelta(seconds=app.config["OUTBOX_LEASE_SECONDS"] + 1)
    for attempt in range(1, app.config["OUTBOX_MAX_ATTEMPTS"] + 1):
        with pytest.raises(Died):
            dispatch.dispatch_due(now)
        db.session.rollback()
        row = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient_email == doomed)
        ).one()
        assert (row.status, row.attempts) == (MessageStatus.SENDING, attempt)
        assert dispatch.dispatch_due(now).claimed == 0, "its lease holds it"
        now += lease
    assert dispatch.dispatch_due(now).claimed == 0, "after the last lease: failed, not claimed"
    db.session.expire_all()
    row = db.session.get(OutboxMessage, row.id)
    assert row.status == MessageStatus.FAILED and row.last_error == "lease expired"
    # (The directory's invitation waits for the event to be over.)
    assert statuses() == {MessageStatus.SENT: 1, MessageStatus.FAILED: 1, MessageStatus.PENDING: 1}


def test_a_batch_claimed_ahead_goes_back_when_the_run_dies(app, smtp_server, monkeypatch):
    """A run claims its next batch while the current one ends; when the run dies before
    starting it, that batch goes back to pending with its attempt returned, rather than
    waiting for its lease."""

    class Died(BaseException):
        """The run dies while sending (nothing below it catches a BaseException)."""

    app.config["OUTBOX_BATCH_SIZE"] = 2
    f.book(f.event(starts_at=utcnow() + timedelta(hours=3)), 2)  # 3 messages due
    db.session.commit()

    def dies(*_args):
        raise Died()

    monkeypatch.setattr(dispatch, "_deliver", dies)
    with pytest.raises(Died):
        dispatch.dispatch_due()
    db.session.commit()
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind != MessageKind.DIRECTORY_INVITATION)
    ).all()
    assert sorted((r.status, r.attempts) for r in rows) == [
        (MessageStatus.PENDING, 0),
        (MessageStatus.SENDING, 1),
        (MessageStatus.SENDING, 1),
    ]
    (back,) = (r for r in rows if r.status == MessageStatus.PENDING)
    assert back.last_error == "not sent: its dispatcher run stopped" and back.claim_token is None


def test_outbox_pages_need_a_role_in_the_organisation(app, client, smtp_server):
    event = f.event()
    f.book(event, 1)
    outsider = accounts.create_user("out@example.se", "Out", "a long password 1")
    accounts.add_member(f.organisation().id, outsider, Role.ADMIN)
    db.session.commit()
    assert client.get(f"/organisers/events/{event.id}/outbox").status_code in (302, 401)
    _login(client, "out@example.se", "a long password 1")
    assert client.get(f"/organisers/events/{event.id}/outbox").status_code == 403
    assert client.get("/organisers/outbox/1").status_code == 403
    assert client.get("/dev/outbox").status_code == 404


def test_development_page_shows_what_would_have_been_sent(app, client, smtp_server):
    app.config.update(SHOW_OUTBOX=True, MAIL_SUPPRESS_SEND=True)
    booking = f.book(f.event(title="Visningsdag"), 1)
    db.session.commit()
    page = client.get("/dev/outbox")
    assert page.status_code == 200
    assert "Visningsdag" in page.text and booking.contact_email in page.text
    assert not smtp_server.received


def _env(database_url: str, smtp: SmtpServer) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "MAIL_SERVER": smtp.host,
        "MAIL_PORT": str(smtp.port),
        "SECRET_KEY": "test-secret-key",
        "PUBLIC_BASE_URL": "http://localhost",
        "SCHEDULER_IN_PROCESS": "0",
    }


_CLAIM_AND_HANG = """
import sys, time
from webapp import create_app
from webapp.db import utcnow
from webapp.extensions import mail
from webapp.notifications import dispatch, mime
app = create_app()
with app.app_context():
    print(len(dispatch.claim(utcnow(), 100, "doomed")), flush=True)
    time.sleep(120)
"""


@pytest.mark.slow
def test_dispatcher_killed_between_claim_and_send(app, database_url, smtp_server):
    f.book(f.event(starts_at=utcnow() + timedelta(hours=3)), 2)
    db.session.commit()
    process = subprocess.Popen(
        [sys.executable, "-c", _CLAIM_AND_HANG],
        cwd=ROOT,
        env=_env(database_url, smtp_server),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline().strip() == "3"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stdout.close()
    assert statuses() == {MessageStatus.SENDING: 3, MessageStatus.PENDING: 1}  # + invitation
    assert dispatch.dispatch_due().claimed == 0, "the lease still holds"
    lease = timedelta(seconds=app.config["OUTBOX_LEASE_SECONDS"])
    result = dispatch.dispatch_due(utcnow() + lease + timedelta(seconds=1))
    assert result.sent == 3
    assert len(smtp_server.received) == 3
    assert statuses() == {MessageStatus.SENT: 3, MessageStatus.PENDING: 1}  # + invitation


@pytest.mark.slow
def test_two_dispatcher_processes_send_each_of_1000_reminders_exactly_once(
    app, database_url, smtp_server
):
    event = f.event(capacity=None, reminder_offsets=[24 * 60])
    for company in range(40):
        f.book(event, 25, company=company)
    db.session.commit()
    table = OutboxMessage.__table__
    db.session.execute(
        update(table).where(table.c.kind != MessageKind.REMINDER).values(status=MessageStatus.SENT)
    )
    due = utcnow() - timedelta(minutes=1)
    db.session.execute(
        update(table)
        .where(table.c.kind == MessageKind.REMINDER)
        .values(due_at=due, next_attempt_at=due)
    )
    db.session.commit()
    assert statuses()[MessageStatus.PENDING] == 1000

    command = [sys.executable, "-m", "flask", "--app", "webapp", "scheduler", "--once"]
    env = _env(database_url, smtp_server)
    processes = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs

    ids = Counter(str(r.message["Message-ID"]) for r in smtp_server.received)
    assert len(ids) == 1000 and set(ids.values()) == {1}
    recipients = Counter(r.rcpt_tos[0] for r in smtp_server.received)
    assert len(recipients) == 1000 and set(recipients.values()) == {1}
    # Participants' confirmations, contacts' confirmations and directory invitations (all
    # marked sent above), and the reminders.
    assert statuses() == {MessageStatus.SENT: 1000 + 40 + 40 + 1000}
    assert all(o.startswith("sent ") for o in outputs), outputs


def test_viewers_cannot_read_messages_that_carry_the_manage_link(app, client, smtp_server):
    event = f.event()
    f.book(event, 1)
    viewer = accounts.create_user("view@example.se", "View", "a long password 1")
    accounts.add_member(event.organisation_id, viewer, Role.VIEWER)
    db.session.commit()
    _login(client, "view@example.se", "a long password 1")
    assert client.get(f"/organisers/events/{event.id}/outbox").status_code == 200
    message_id = db.session.scalars(select(OutboxMessage.id)).first()
    assert client.get(f"/organisers/outbox/{message_id}").status_code == 403


def test_two_dispatchers_at_once_never_send_a_row_twice(app, smtp_server):
    """Two dispatchers in threads, started together, claiming small batches of one backlog
    against each other: each message goes out once, and both took part."""
    app.config["OUTBOX_BATCH_SIZE"] = 5
    event = f.event(capacity=None)
    for _ in range(10):
        f.book(event, 3)
    db.session.commit()
    expected = db.session.scalar(
        select(func.count()).where(
            OutboxMessage.status == MessageStatus.PENDING,
            OutboxMessage.next_attempt_at <= utcnow(),
        )
    )
    assert expected == 40
    start = threading.Barrier(2)
    results: list[dispatch.DispatchResult] = []

    def run() -> None:
        with app.app_context():
            start.wait()
            results.append(dispatch.dispatch_due())

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(r.claimed > 0 for r in results) == [True, True], results
    assert sum(r.sent for r in results) == expected
    ids = Counter(str(r.message["Message-ID"]) for r in smtp_server.received)
    assert len(ids) == expected and set(ids.values()) == {1}


@pytest.mark.parametrize("bookings", [1, 2], ids=["noticed at the end", "noticed on the way"])
def test_outcomes_of_a_failed_background_write_are_written_by_the_next(
    app, smtp_server, monkeypatch, bookings
):
    """Outcomes are written in the background while the next emails go out; when such a
    write fails, the batch stops (or has ended), and its last write records them with the
    rest, so no sent email is left ``sending`` (to go out again after its lease)."""
    monkeypatch.setattr(dispatch, "_RECORD_EVERY", 2)
    for _ in range(bookings):
        f.book(f.event(), 2)  # a contact and two participants each: 3 messages
    db.session.commit()
    write = dispatch._Recorder._write
    calls = []

    def first_fails(recorder, collected):
        calls.append(sum(len(params) for params in collected.values()))
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        write(recorder, collected)

    monkeypatch.setattr(dispatch._Recorder, "_write", first_fails)
    with pytest.raises(RuntimeError, match="went away"):
        dispatch.dispatch_due()
    assert calls[0] == 2 and len(calls) == 2, calls
    sent = len(smtp_server.received)
    assert sent == calls[1] >= 3, "the failed write's outcomes and those after it"
    counts = statuses()
    assert counts[MessageStatus.SENT] == sent
    assert counts[MessageStatus.SENDING] == 3 * bookings - sent, "claimed, not sent"


def test_the_smtp_transaction_sends_the_bytes_as_they_are(app, smtp_server):
    """The dispatcher's own SMTP transaction (it makes the next email while the server
    answers) dot-stuffs like smtplib: lines that start with a dot arrive unchanged."""
    data = b"Subject: dots\r\nMessage-ID: <dots@test>\r\n\r\n.one\r\n..two\r\n.\r\nend"
    outgoing = mime.Outgoing("from@example.se", "to@example.se", data, "<dots@test>")
    steps = []
    with mail.connect() as connection:
        dispatch._deliver(connection, outgoing, lambda: steps.append(1))
    (received,) = smtp_server.received
    assert received.raw == data + b"\r\n"
    assert (received.mail_from, received.rcpt_tos) == ("from@example.se", ["to@example.se"])
    assert len(steps) == 3, "something to do while waiting for three of the replies"


@pytest.mark.parametrize(
    "address",
    [
        "anna.svensson@example.se",
        "o'neil+tag@sub.example.se",
        "xn--rksmrgs-5wao1o@xn--bcher-kva.example",
        "Anna <anna@example.se>",
        '"a b"@example.se',
        "a..b@example.se",
        ".a@example.se",
        "a@example.se.",
        "<a@example.se>",
        "",
    ],
)
def test_envelope_addresses_are_quoted_as_smtplib_quotes_them(address):
    assert dispatch._quoted(address) == smtplib.quoteaddr(address)
