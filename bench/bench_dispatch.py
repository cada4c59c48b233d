"""Benchmark: 10,000 due reminders through a local aiosmtpd server.

The server runs in a process of its own (aiosmtpd's Sink handler), so it does not compete
with the sender for the interpreter lock and both loops are measured against the same
independent server.

Prints messages per second for the outbox dispatcher (claim, render, send, record) and
for a bare smtplib loop sending the same messages over one connection, their ratio, the
CPU time each takes per message in this process (a figure the machine's other load
changes less), and how late the latest reminder went out after its due time; floor and
dispatcher run ``--repeat`` times in turn, and the median ratio is printed. No
thresholds: figures only.

    .venv/bin/python bench/bench_dispatch.py [--count 10000] [--repeat 3] [--database-url URL]

Without ``--database-url`` it uses a fresh SQLite file in a temporary directory; a
PostgreSQL URL names a database the script creates and drops (it must not exist).
"""

from __future__ import annotations

import argparse
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import factories as f  # noqa: E402
from tests.smtp import free_port  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.db import db, utcnow  # noqa: E402
from webapp.notifications import dispatch, mime, rendering  # noqa: E402
from webapp.notifications.models import MessageKind, MessageStatus, OutboxMessage  # noqa: E402


def prepare_database(url: str | None, workdir: Path) -> tuple[str, Callable[[], None]]:
    """bench_foundation's empty database (a SQLite file in ``workdir``, or a PostgreSQL
    database created here and dropped afterwards), with the schema."""
    from bench_foundation import prepare_database as empty_database

    url, drop = empty_database(url, workdir)
    engine = sa.create_engine(url)
    db.metadata.create_all(engine)
    engine.dispose()
    return url, drop


def seed(count: int) -> None:
    """``count`` confirmed participants with one reminder each, all due one second ago."""
    event = f.event(capacity=None, reminder_offsets=[24 * 60])
    per_booking = 25
    for company in range(count // per_booking):
        f.book(event, per_booking, company=company)
    db.session.commit()
    table = OutboxMessage.__table__
    db.session.execute(
        sa.update(table)
        .where(table.c.kind != MessageKind.REMINDER)
        .values(status=MessageStatus.CANCELLED)
    )
    db.session.commit()


def make_due(seconds_ago: float) -> None:
    table = OutboxMessage.__table__
    due = utcnow() - timedelta(seconds=seconds_ago)
    db.session.execute(
        sa.update(table)
        .where(table.c.kind == MessageKind.REMINDER)
        .values(status=MessageStatus.PENDING, due_at=due, next_attempt_at=due, attempts=0)
    )
    db.session.commit()


def start_server(port: int) -> subprocess.Popen[bytes]:
    """aiosmtpd in its own process, accepting and discarding everything."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-c",
            "aiosmtpd.handlers.Sink",
            "-l",
            f"127.0.0.1:{port}",
        ]
    )
    for _ in range(100):
        try:
            smtplib.SMTP("127.0.0.1", port).quit()
            return process
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("aiosmtpd did not start")


def prerendered() -> list[mime.Outgoing]:
    """The reminders, rendered beforehand (what the bare loop sends)."""
    rows = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.kind == MessageKind.REMINDER)
    ).all()
    with rendering.email_context():
        payloads = [rendering.to_outgoing(row, rendering.render(row)) for row in rows]
    db.session.rollback()
    return payloads


def bare_smtplib(port: int, payloads: list[mime.Outgoing]) -> tuple[float, float]:
    """The pre-rendered messages sent by smtplib over one connection: (seconds, CPU
    seconds of this process)."""
    started, cpu = time.perf_counter(), time.process_time()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for outgoing in payloads:
            smtp.sendmail(outgoing.envelope_from, [outgoing.recipient], outgoing.data)
    return time.perf_counter() - started, time.process_time() - cpu


def dispatcher(count: int) -> tuple[float, float, float]:
    """Everything due sent by the dispatcher: (seconds, CPU seconds, how late the last
    reminder went out after its due time)."""
    make_due(1)
    due_at = utcnow() - timedelta(seconds=1)
    started, cpu = time.perf_counter(), time.process_time()
    result = dispatch.dispatch_due()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert result.sent == count, (result, count)
    latest = db.session.scalar(sa.select(sa.func.max(OutboxMessage.sent_at)))
    db.session.rollback()
    return seconds, cpu, (latest - due_at).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="bare/dispatcher pairs")
    parser.add_argument("--database-url")
    args = parser.parse_args()

    port = free_port()
    server = start_server(port)
    with tempfile.TemporaryDirectory() as tmp:
        url, drop = prepare_database(args.database_url, Path(tmp))
        app = create_app(
            {
                "SECRET_KEY": "bench",
                "SQLALCHEMY_DATABASE_URI": url,
                "PUBLIC_BASE_URL": "https://traffpunkt.example.se",
                "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": port,
            }
        )
        pairs = []
        with app.app_context():
            started = time.perf_counter()
            seed(args.count)
            seeded = time.perf_counter() - started
            print(f"database: {db.engine.dialect.name}; seeded in {seeded:.1f} s")
            payloads = prerendered()
            sent = len(payloads)
            print(f"messages: {sent}, batch size {app.config['OUTBOX_BATCH_SIZE']}")
            # Floor and dispatcher one after the other, several times: on a shared machine
            # the load changes between runs, and each pair is measured under the same.
            for _ in range(args.repeat):
                pairs.append((bare_smtplib(port, payloads), dispatcher(sent)))
            db.engine.dispose()
        drop()
    server.terminate()
    server.wait()

    ratios = []
    for (bare_s, bare_cpu), (disp_s, disp_cpu, late) in pairs:
        ratios.append(bare_s / disp_s)
        print(
            f"bare smtplib {sent / bare_s:6.0f} msg/s ({bare_cpu / sent * 1e3:.2f} ms CPU/msg), "
            f"dispatcher {sent / disp_s:6.0f} msg/s ({disp_cpu / sent * 1e3:.2f} ms CPU/msg), "
            f"ratio {bare_s / disp_s:.2f}; last reminder {late:.1f} s after due"
        )
    print(
        f"dispatcher / bare ratio: median {statistics.median(ratios):.2f}, best {max(ratios):.2f}"
    )


if __name__ == "__main__":
    main()
