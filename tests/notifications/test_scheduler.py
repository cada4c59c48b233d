"""The scheduler: inside the web process (what `make run` starts) once, and it delivers; a
run drains a backlog batch after batch; a late run still runs."""

from __future__ import annotations

import time
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select, update

from tests import factories as f
from tests.smtp import SmtpServer
from webapp.db import db, utcnow
from webapp.notifications import dispatch, scheduler
from webapp.notifications.models import MessageStatus, OutboxMessage


def test_in_process_scheduler_starts_once_and_sends_what_is_due(app, smtp_server: SmtpServer):
    booking = f.book(f.event(), 1)
    db.session.commit()
    # Not in the reloader's watching parent (debug, WERKZEUG_RUN_MAIN unset): it serves nothing.
    app.debug = True
    assert scheduler.start_in_process(app) is None
    app.debug = False
    try:
        first = scheduler.start_in_process(app)
        assert first is not None
        assert scheduler.start_in_process(app) is first  # created again: still one
        assert [job.id for job in first.get_jobs()].count("outbox-dispatch") == 1
        deadline = time.monotonic() + 20
        while len(smtp_server.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)  # the first tick runs at once, in the scheduler's thread
    finally:
        scheduler.stop_in_process()
    recipients = sorted(r.rcpt_tos[0] for r in smtp_server.received)
    assert recipients == sorted([booking.contact_email, booking.participants[0].email])


def test_one_run_sends_batch_after_batch_until_nothing_is_due(app, smtp_server: SmtpServer):
    """A backlog larger than a batch goes out in one scheduler run, batches back to back,
    each over its own connection, each logged."""
    app.config["OUTBOX_BATCH_SIZE"] = 4
    for _ in range(3):
        f.book(f.event(), 2)  # a contact and two participants each: 9 messages
    db.session.commit()
    due = db.session.scalar(select(func.count()).where(_due()))
    assert due == 9
    batches = []
    original = dispatch.dispatch_batch

    def counted(*args, **kwargs):
        result = original(*args, **kwargs)
        batches.append(result.claimed)
        return result

    dispatch.dispatch_batch = counted
    try:
        result = scheduler.run_once(app)
    finally:
        dispatch.dispatch_batch = original
    assert result.sent == 9 and len(smtp_server.received) == 9
    assert batches == [4, 4, 1, 0]
    db.session.commit()  # a new snapshot (SQLite)
    assert db.session.scalar(select(func.count()).where(_due())) == 0


def _due():
    table = OutboxMessage.__table__
    return (table.c.status == MessageStatus.PENDING) & (table.c.next_attempt_at <= utcnow())


def test_a_late_one_off_run_still_runs(app, smtp_server: SmtpServer):
    """The run at the next due time is not dropped when the scheduler gets to it late (a
    busy machine): APScheduler's default grace of one second would leave the message for
    the next tick, up to a minute on."""
    booking = f.book(f.event(), 1)
    db.session.commit()
    background = BackgroundScheduler(timezone="UTC")
    scheduler.configure(background, app)
    background.remove_job("outbox-dispatch")
    background.start(paused=True)
    try:
        scheduler._tick(app, background)  # sends what is due, plans nothing more
        smtp_server.received.clear()
        table = OutboxMessage.__table__
        soon = utcnow() + timedelta(seconds=2)
        db.session.execute(
            update(table)
            .where(table.c.participant_id.is_not(None), table.c.status == MessageStatus.SENT)
            .values(status=MessageStatus.PENDING, next_attempt_at=soon, attempts=0)
        )
        db.session.commit()
        scheduler._tick(app, background)
        job = background.get_job("outbox-next-due")
        assert job is not None and job.misfire_grace_time >= 30
        time.sleep(4)  # the run is now two seconds late
        background.resume()
        deadline = time.monotonic() + 20
        while not smtp_server.received and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        background.shutdown(wait=True)
    assert [r.rcpt_tos[0] for r in smtp_server.received] == [booking.participants[0].email]
