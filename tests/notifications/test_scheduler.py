"""The scheduler inside the web process (what `make run` starts): once, and it delivers."""

from __future__ import annotations

import time

from tests import factories as f
from tests.smtp import SmtpServer
from webapp.db import db
from webapp.notifications import scheduler


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
