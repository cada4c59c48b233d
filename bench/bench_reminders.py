"""Benchmark: 50,000 reminders due at one moment, sent by two real scheduler processes.

Seeds ``--count`` reminders (participants of ``--events`` events, booked 25 at a time
through the real service) on a fresh PostgreSQL database, all due at one moment a little
ahead (``--lead`` seconds), starts ``--sinks`` counting SMTP sinks (aiosmtpd, each in a
process of its own: bench/smtp_sink.py) and ``--processes`` scheduler processes exactly as
production runs them (``flask --app webapp scheduler``, ``LOG_FORMAT=json``), each on a
sink in turn, and waits until every reminder is sent. Prints:

- what the sinks take on their own (the same number of client processes sending
  pre-built messages with bare smtplib, one connection each), so the figure is known to
  be about the dispatcher and not the sink;
- when the first and the last reminder went out relative to their due time;
- messages per second of each scheduler process, from its JSON ``outbox batch`` lines;
- the checks: sent rows = count, messages received = count, no Message-ID twice, and
  the outbox ids in the Message-IDs are exactly the reminders' ids.

No thresholds: figures and checks only (a failed check exits with status 1).

    .venv/bin/python bench/bench_reminders.py [--count 50000] [--processes 2] [--sinks 1]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/<new database>]

The database named by ``--database-url`` must not exist: the script creates and drops it
(default: ``traffpunkt_bench_reminders`` on 127.0.0.1:5432). A SQLite URL works too (one
file, one writer at a time), for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import smtplib
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from multiprocessing import Pool
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_dispatch import prepare_database  # noqa: E402
from tests import factories as f  # noqa: E402
from tests.smtp import free_port  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.db import db, utcnow  # noqa: E402
from webapp.notifications import rendering  # noqa: E402
from webapp.notifications.models import MessageKind, MessageStatus, OutboxMessage  # noqa: E402

_TABLE = OutboxMessage.__table__
_OUTBOX_ID = re.compile(r"^<outbox\.(\d+)\.\d+@")
PUBLIC_BASE_URL = "https://traffpunkt.example.se"


def seed(count: int, events: int) -> None:
    """``count`` participants of ``events`` events, one reminder each; every other message
    (confirmations, directory invitations) marked sent so that only reminders go out."""
    per_booking = 25
    per_event = max(count // events, per_booking)
    booked = 0
    while booked < count:
        event = f.event(capacity=None, reminder_offsets=[24 * 60])
        for _ in range(per_event // per_booking):
            if booked >= count:
                break
            size = min(per_booking, count - booked)
            f.book(event, size)
            booked += size
        db.session.commit()
    db.session.execute(
        sa.update(_TABLE)
        .where(_TABLE.c.kind != MessageKind.REMINDER)
        .values(status=MessageStatus.SENT)
    )
    db.session.commit()


def make_due(at: datetime) -> None:
    db.session.execute(
        sa.update(_TABLE)
        .where(_TABLE.c.kind == MessageKind.REMINDER)
        .values(status=MessageStatus.PENDING, due_at=at, next_attempt_at=at, attempts=0)
    )
    db.session.commit()


def start_sinks(
    n: int, workdir: Path, tag: str, server: str
) -> list[tuple[int, Path, subprocess.Popen]]:
    sinks = []
    for index in range(n):
        port, out = free_port(), workdir / f"{tag}-{index}.jsonl"
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "smtp_sink.py"), "--port", str(port)]
            + ["--out", str(out), "--server", server]
        )
        sinks.append((port, out, process))
    for port, _out, _process in sinks:
        for _ in range(100):
            try:
                smtplib.SMTP("127.0.0.1", port).quit()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the SMTP sink did not start")
    return sinks


def stop_sinks(sinks: list[tuple[int, Path, subprocess.Popen]]) -> list[dict]:
    received = []
    for _port, out, process in sinks:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        received += [json.loads(line) for line in out.read_text().splitlines()]
    return received


def _blast(job: tuple[int, list[tuple[str, str, bytes]]]) -> tuple[int, float]:
    port, messages = job
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for envelope_from, recipient, data in messages:
            smtp.sendmail(envelope_from, [recipient], data)
    return len(messages), time.perf_counter() - started


def sink_capacity(processes: int, n_sinks: int, server: str, workdir: Path, total: int) -> float:
    """Messages per second the sinks take from ``processes`` bare smtplib clients sending
    pre-built reminders (each over one connection), all at once."""
    rows = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.kind == MessageKind.REMINDER).limit(200)
    ).all()
    with rendering.email_context():
        built = [rendering.to_outgoing(row, rendering.render(row)) for row in rows]
    db.session.rollback()
    sinks = start_sinks(n_sinks, workdir, "capacity", server)
    per_process = total // processes
    jobs = [
        (
            sinks[index % n_sinks][0],
            [
                (o.envelope_from, o.recipient, o.data)
                for o in (built[i % len(built)] for i in range(per_process))
            ],
        )
        for index in range(processes)
    ]
    started = time.perf_counter()
    with Pool(processes) as pool:
        results = pool.map(_blast, jobs)
    elapsed = time.perf_counter() - started
    received = stop_sinks(sinks)
    assert len(received) == sum(n for n, _ in results), "the sink lost messages"
    return sum(n for n, _ in results) / elapsed


def scheduler_env(url: str, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "SECRET_KEY": "bench",
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "LOG_FORMAT": "json",
        "SCHEDULER_IN_PROCESS": "0",
    }


def batches(log: Path) -> list[dict]:
    """The process's ``outbox batch`` lines that sent something."""
    lines = []
    for line in log.read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("msg") == "outbox batch" and entry.get("claimed"):
            lines.append(entry)
    return lines


def process_rate(entries: list[dict]) -> tuple[int, float, float]:
    """(sent, seconds from its first batch's start to its last batch's end, msgs/s)."""
    if not entries:
        return 0, 0.0, 0.0
    ends = [datetime.fromisoformat(e["ts"]).timestamp() for e in entries]
    starts = [end - e["duration_ms"] / 1000 for end, e in zip(ends, entries, strict=True)]
    sent = sum(e["sent"] for e in entries)
    busy = max(ends) - min(starts)
    return sent, busy, sent / busy if busy else 0.0


def main() -> None:  # noqa: PLR0915 - one linear script
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--sinks", type=int, default=1)
    parser.add_argument(
        "--sink", choices=("aiosmtpd", "raw"), default="aiosmtpd", help="see smtp_sink.py"
    )
    parser.add_argument("--lead", type=float, default=15.0, help="seconds until due")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument(
        "--database-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/traffpunkt_bench_reminders",
    )
    args = parser.parse_args()

    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url, drop = prepare_database(args.database_url, workdir)
        try:
            app = create_app(
                {"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, "MAIL_SERVER": None}
                | {"PUBLIC_BASE_URL": PUBLIC_BASE_URL}
            )
            with app.app_context():
                started = time.perf_counter()
                seed(args.count, args.events)
                print(
                    f"database: {db.engine.dialect.name}; {args.count} reminders of "
                    f"{args.events} events seeded in {time.perf_counter() - started:.0f} s"
                )
                capacity = sink_capacity(
                    args.processes, args.sinks, args.sink, workdir, min(args.count, 20_000)
                )
                print(
                    f"sink alone: {capacity:.0f} msg/s from {args.processes} bare smtplib "
                    f"clients into {args.sinks} {args.sink} sink process(es)"
                )

                sinks = start_sinks(args.sinks, workdir, "run", args.sink)
                due = utcnow() + timedelta(seconds=args.lead)
                make_due(due)
                logs = [workdir / f"scheduler-{i}.log" for i in range(args.processes)]
                schedulers = [
                    subprocess.Popen(
                        [sys.executable, "-m", "flask", "--app", "webapp", "scheduler"],
                        cwd=ROOT,
                        env=scheduler_env(url, sinks[i % len(sinks)][0]),
                        stdout=subprocess.DEVNULL,
                        stderr=log.open("w"),
                    )
                    for i, log in enumerate(logs)
                ]
                sent_filter = (_TABLE.c.kind == MessageKind.REMINDER) & (
                    _TABLE.c.status == MessageStatus.SENT
                )
                deadline = time.monotonic() + args.lead + args.timeout
                sent = 0
                while time.monotonic() < deadline:
                    db.session.rollback()
                    sent = db.session.scalar(sa.select(sa.func.count()).where(sent_filter))
                    if sent >= args.count:
                        break
                    time.sleep(0.5)
                # SIGTERM, not SIGINT: a process started in the background ignores SIGINT.
                for process in schedulers:
                    process.terminate()
                for process in schedulers:
                    process.wait(timeout=60)
                received = stop_sinks(sinks)

                db.session.rollback()
                latest = db.session.scalar(
                    sa.select(sa.func.max(_TABLE.c.sent_at)).where(sent_filter)
                )
                reminder_ids = set(
                    db.session.scalars(
                        sa.select(_TABLE.c.id).where(_TABLE.c.kind == MessageKind.REMINDER)
                    )
                )
                statuses = {
                    status.value: n
                    for status, n in db.session.execute(
                        sa.select(_TABLE.c.status, sa.func.count())
                        .where(_TABLE.c.kind == MessageKind.REMINDER)
                        .group_by(_TABLE.c.status)
                    )
                }
                db.engine.dispose()
        finally:
            drop()

        due_ts = due.timestamp()
        arrivals = sorted(r["at"] for r in received)
        print(f"due at {due.astimezone(UTC):%H:%M:%S} UTC, {args.processes} scheduler processes")
        if arrivals:
            print(f"first reminder received {arrivals[0] - due_ts:6.1f} s after its due time")
            print(f"last reminder received  {arrivals[-1] - due_ts:6.1f} s after its due time")
        if latest is not None:
            print(f"last sent_at recorded   {(latest - due).total_seconds():6.1f} s after due")
        total_rate = 0.0
        for index, log in enumerate(logs):
            entries = batches(log)
            count, busy, rate = process_rate(entries)
            total_rate += rate
            print(
                f"process {index}: {count} sent in {len(entries)} batches, "
                f"{busy:.1f} s busy, {rate:.0f} msg/s"
            )
        print(f"all processes together: {sum(1 for _ in arrivals)} messages")

        ids = Counter(r["id"] for r in received)
        outbox_ids = Counter(
            int(m.group(1)) for m in (_OUTBOX_ID.match(i) for i in ids.elements()) if m
        )
        checks = {
            f"sent rows = {args.count}": sent == args.count,
            f"the sinks received {args.count} messages": len(received) == args.count,
            "no Message-ID received twice": all(n == 1 for n in ids.values()),
            "no outbox id received twice": all(n == 1 for n in outbox_ids.values()),
            "the outbox ids received are exactly the reminders'": set(outbox_ids) == reminder_ids,
            "every scheduler process logged its batches": all(batches(log) for log in logs),
        }
        print(f"reminder statuses: {statuses}")
        for name, ok in checks.items():
            print(f"{'ok  ' if ok else 'FAIL'} {name}")
            if not ok:
                failures.append(name)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
