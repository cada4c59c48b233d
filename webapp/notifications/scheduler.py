"""APScheduler 3 running the outbox dispatcher, as its own process or inside the web one.

The scheduler keeps no state of its own (a memory job store): what is due lives in the
database, so any number of scheduler processes may run, be restarted or be killed. Each
fires the dispatcher every minute, and after each run adds a one-off run at the next due
time when that comes before the next tick, so a reminder is late by the time it takes to
send, not by up to a minute. A run sends batch after batch (``OUTBOX_BATCH_SIZE`` each)
until nothing due at its start is left; processes running at once take disjoint batches
(see dispatch), so 50,000 reminders due in one minute drain in parallel
(bench/bench_reminders.py).
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta

import click
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask, current_app
from flask.cli import with_appcontext

from webapp.db import utcnow
from webapp.notifications import dispatch

log = logging.getLogger(__name__)

TICK = timedelta(minutes=1)
_TICK_JOB = "outbox-dispatch"
_NEXT_JOB = "outbox-next-due"

#: The in-process scheduler of this process, if one was started.
_background: BackgroundScheduler | None = None


def run_once(app: Flask) -> dispatch.DispatchResult:
    """One dispatcher run in an app context (what every scheduled job does)."""
    with app.app_context():
        result = dispatch.dispatch_due()
        if result.claimed:
            log.info(
                "outbox: %s sent, %s to retry, %s failed, %s put back, %s no longer wanted",
                result.sent,
                result.retrying,
                result.failed,
                result.released,
                result.cancelled,
            )
        return result


def _tick(app: Flask, scheduler: BaseScheduler) -> None:
    run_once(app)
    with app.app_context():
        upcoming = dispatch.next_due() if dispatch.mail_enabled() else None
    if upcoming is not None and upcoming < utcnow() + TICK:
        scheduler.add_job(
            _tick,
            "date",
            run_date=max(upcoming, utcnow()),
            args=[app, scheduler],
            id=_NEXT_JOB,
            replace_existing=True,
            # APScheduler drops a run more than a second late by default: on a busy
            # machine that would leave what is due for the next tick, up to a minute on.
            misfire_grace_time=int(TICK.total_seconds()),
            coalesce=True,
        )


def configure(scheduler: BaseScheduler, app: Flask) -> BaseScheduler:
    """Add the every-minute dispatcher job (first run right away) and the daily jobs."""
    scheduler.add_job(
        _tick,
        "interval",
        seconds=TICK.total_seconds(),
        args=[app, scheduler],
        id=_TICK_JOB,
        next_run_time=utcnow(),
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        # A run that starts late (a busy machine) still runs; no backlog of missed ones.
        misfire_grace_time=int(TICK.total_seconds()),
    )
    # Other packages' daily jobs (webapp.privacy's retention), registered on the app so
    # that this package imports none of them; each runs at 02:30 UTC.
    for name, job in app.extensions.get("daily_jobs", {}).items():
        scheduler.add_job(
            job,
            "cron",
            hour=2,
            minute=30,
            args=[app],
            id=f"daily-{name}",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=6 * 3600,
        )
    return scheduler


def start_in_process(app: Flask) -> BackgroundScheduler | None:
    """Start the dispatcher in a background thread of this process, once.

    Not in the reloader's watching parent (it serves nothing; the child it restarts
    does, with ``WERKZEUG_RUN_MAIN`` set), not twice when the app is created again.
    Returns the running scheduler, or None when it should not run here.
    """
    global _background
    if app.debug and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        return None
    if _background is None:
        _background = configure(BackgroundScheduler(timezone="UTC", daemon=True), app)
        _background.start()
        log.info("outbox dispatcher running in this process")
    return _background


def stop_in_process() -> None:
    """Stop the in-process scheduler of this process, if any (tests that started one)."""
    global _background
    if _background is not None:
        _background.shutdown(wait=True)
        _background = None


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Send whatever is due now, then exit (for cron).")
@with_appcontext
def scheduler_command(once: bool) -> None:
    """Run the outbox dispatcher: every minute until stopped, or once."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not dispatch.mail_enabled():
        click.echo("No MAIL_SERVER configured: messages stay in the outbox.")
    if once:
        result = run_once(app)
        click.echo(
            f"sent {result.sent}, retrying {result.retrying}, failed {result.failed}, "
            f"put back {result.released}, no longer wanted {result.cancelled}"
        )
        return
    from webapp.operations import configure_json_logging, json_logging_enabled

    if json_logging_enabled(app):
        configure_json_logging()
    else:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    scheduler = configure(BlockingScheduler(timezone="UTC"), app)
    click.echo("Dispatching the outbox every minute; Ctrl+C stops.")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)
