"""Time a funder report for a project with 500 events, 20,000 companies and 50,000
participations, next to the floor: one hand-written aggregate SQL statement for the same
figures.

    .venv/bin/python bench/bench_reports.py                  # a temporary SQLite file
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_reports \\
        .venv/bin/python bench/bench_reports.py              # an EMPTY PostgreSQL database
    .venv/bin/python bench/bench_reports.py --scale 0.1      # a tenth of the size, quickly

Loads the data with bulk Core inserts: 500 published events of the four kinds with one to
three sessions each over a year, 20,000 companies (sizes, counties, SNI codes, a few
abroad), 25,000 confirmed bookings of two participants each (every company books one or two
events), some waitlisted and cancelled bookings, and attendance marked at every session with
four in five present. Then prints the median and slowest of several runs of the report page
(HTML) and of the XLSX workbook through the Flask test client, with their SQL statements,
and of the floor statement run directly on the database, with the ratios.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_attendees import RUNS, _timed, bench_app  # noqa: E402
from tests.factories import swedish_orgnr  # noqa: E402
from webapp import tokens  # noqa: E402
from webapp.accounts.models import Membership, User  # noqa: E402
from webapp.accounts.services import hash_password, start_session  # noqa: E402
from webapp.bookings.models import (  # noqa: E402
    Attendance,
    Booking,
    BookingStatus,
    Gender,
    Participant,
)
from webapp.companies.models import Company, SizeClass  # noqa: E402
from webapp.db import db  # noqa: E402
from webapp.events.models import (  # noqa: E402
    Event,
    EventKind,
    EventSession,
    EventStatus,
)
from webapp.organisations.models import Organisation, Project, Role  # noqa: E402

START = datetime(2026, 1, 12, 8, 0, tzinfo=UTC)
COUNTIES = ("01", "03", "12", "14", "22", "24", None)
SNI = ("62010", "25110", "C28", "41200", "71120", None, "46900", "01110")


def _load(events: int, companies: int, bookings: int, rng: random.Random) -> tuple[int, int]:
    """The data set; returns (organisation id, project id)."""
    now = datetime.now(UTC)
    org = Organisation(name="Benchmark Park", slug="bench", county="14")
    project = Project(organisation=org, name="Benchmarkprojektet", slug="bench-project")
    db.session.add_all([org, project])
    db.session.flush()
    kinds = list(EventKind)
    db.session.execute(
        sa.insert(Event),
        [
            {
                "organisation_id": org.id, "project_id": project.id, "kind": kinds[i % 4],
                "status": EventStatus.PUBLISHED, "title": f"Evenemang {i}",
                "capacity": None if i % 5 == 0 else 400, "seats_taken": 0,
                "reminder_offsets": [], "sequence": 0, "created_at": now, "updated_at": now,
                "starts_at": START + timedelta(hours=17 * i),
                "ends_at": START + timedelta(hours=17 * i + 3),
            }
            for i in range(events)
        ],
    )  # fmt: skip
    event_ids = db.session.scalars(sa.select(Event.id).order_by(Event.id)).all()
    sessions = []
    for i, event_id in enumerate(event_ids):
        for n in range(1 + i % 3):
            start = START + timedelta(hours=17 * i, days=7 * n)
            sessions.append(
                {
                    "event_id": event_id,
                    "starts_at": start,
                    "ends_at": start + timedelta(hours=3),
                    "updated_at": now,
                }
            )
    db.session.execute(sa.insert(EventSession), sessions)
    sizes = list(SizeClass)
    db.session.execute(
        sa.insert(Company),
        [
            {
                "country": "SE" if i % 40 else "NO", "org_number": swedish_orgnr(i),
                "name": f"Företag {i} AB", "county": COUNTIES[i % len(COUNTIES)],
                "size_class": sizes[i % 4], "industry_code": SNI[i % len(SNI)],
                "created_at": now, "updated_at": now,
            }
            for i in range(companies)
        ],
    )  # fmt: skip
    company_ids = db.session.scalars(sa.select(Company.id).order_by(Company.id)).all()
    statuses = [BookingStatus.CONFIRMED] * 18 + [BookingStatus.WAITLISTED, BookingStatus.CANCELLED]
    rows = []
    for i in range(bookings):
        rows.append({
            "event_id": event_ids[i % len(event_ids)],
            "company_id": company_ids[i % len(company_ids)],
            # Every company's first booking is confirmed; later ones may wait or be cancelled.
            "status": BookingStatus.CONFIRMED if i < len(company_ids) else statuses[i % 20],
            "seats_held": 2, "contact_name": f"Kontakt {i}", "contact_email": f"k{i}@x.example",
            "language": "sv", "consent_version": "bench", "consent_at": now,
            "token_nonce": tokens.new_nonce(), "feed_nonce": tokens.new_nonce(),
            "created_at": now, "updated_at": now,
        })  # fmt: skip
    db.session.execute(sa.insert(Booking), rows)
    genders = [Gender.FEMALE, Gender.MALE, None, Gender.MALE, Gender.FEMALE, Gender.UNDISCLOSED]
    booking_rows = db.session.execute(sa.select(Booking.id, Booking.event_id, Booking.status)).all()
    db.session.execute(
        sa.insert(Participant),
        [
            {
                "booking_id": booking_id, "name": f"Person {booking_id}-{j}",
                "email": f"p{(booking_id * 2 + j) % max(bookings * 9 // 5, 1)}@bulk.example",
                "gender": genders[(booking_id + j) % len(genders)],
                "feed_nonce": tokens.new_nonce(), "created_at": now,
            }
            for booking_id, _event, _status in booking_rows
            for j in range(2)
        ],
    )  # fmt: skip
    by_event: dict[int, list[int]] = {}
    for session_id, event_id in db.session.execute(
        sa.select(EventSession.id, EventSession.event_id)
    ):
        by_event.setdefault(event_id, []).append(session_id)
    confirmed = db.session.execute(
        sa.select(Participant.id, Booking.event_id)
        .join(Booking)
        .where(Booking.status == BookingStatus.CONFIRMED)
    ).all()
    marks = [
        {"participant_id": pid, "session_id": sid, "present": rng.random() < 0.8, "marked_at": now}
        for pid, event_id in confirmed
        for sid in by_event[event_id]
    ]
    for chunk in range(0, len(marks), 20_000):
        db.session.execute(sa.insert(Attendance), marks[chunk : chunk + 20_000])
    db.session.execute(
        sa.update(Event).values(
            seats_taken=sa.select(sa.func.coalesce(sa.func.sum(Booking.seats_held), 0))
            .where(Booking.event_id == Event.id, Booking.status == BookingStatus.CONFIRMED)
            .scalar_subquery()
        )
    )
    db.session.commit()
    # Fresh statistics, as autovacuum (PostgreSQL) or a periodic ANALYZE (SQLite) would keep.
    with db.engine.connect() as conn:
        conn.execute(sa.text("ANALYZE"))
        conn.commit()
    return org.id, project.id


def _floor_sql(dialect: str) -> str:
    """Every figure of the report in one hand-written statement (UNION ALL of the groupings)."""
    if dialect == "sqlite":
        minutes = "CAST(ROUND((julianday(s.ends_at) - julianday(s.starts_at)) * 1440) AS INTEGER)"
        month = "strftime('%Y-%m', s.starts_at)"
    else:
        minutes = "CAST(ROUND(EXTRACT(EPOCH FROM (s.ends_at - s.starts_at)) / 60) AS INTEGER)"
        month = "to_char(s.starts_at AT TIME ZONE 'Europe/Stockholm', 'YYYY-MM')"
    return f"""
WITH hs AS (
  SELECT s.id AS session_id, s.event_id, {minutes} AS minutes, {month} AS month
  FROM event_sessions s JOIN events e ON e.id = s.event_id
  WHERE e.project_id = :project AND e.status = 'published' AND s.cancelled_at IS NULL
    AND s.starts_at >= :start AND s.starts_at < :end),
p AS (
  SELECT pa.id AS participant_id, lower(pa.email) AS email, pa.gender, b.event_id, b.company_id
  FROM participants pa JOIN bookings b ON b.id = pa.booking_id
  WHERE b.status = 'confirmed' AND pa.cancelled_at IS NULL
    AND b.event_id IN (SELECT event_id FROM hs)),
att AS (
  SELECT a.participant_id, hs.event_id, hs.minutes, hs.month
  FROM attendances a JOIN hs ON hs.session_id = a.session_id
  JOIN participants pa ON pa.id = a.participant_id JOIN bookings b ON b.id = pa.booking_id
  WHERE a.present AND b.status = 'confirmed' AND pa.cancelled_at IS NULL),
pp AS (SELECT participant_id, COUNT(*) AS n, SUM(minutes) AS minutes FROM att
       GROUP BY participant_id),
pc AS (SELECT p.company_id, MAX(CASE WHEN pp.participant_id IS NULL THEN 0 ELSE 1 END) AS att
       FROM p LEFT JOIN pp ON pp.participant_id = p.participant_id GROUP BY p.company_id)
SELECT 'size', c.size_class, COUNT(*), SUM(pc.att) FROM pc JOIN companies c ON c.id = pc.company_id
  GROUP BY c.size_class
UNION ALL SELECT 'county', c.county, COUNT(*), SUM(pc.att) FROM pc
  JOIN companies c ON c.id = pc.company_id GROUP BY c.county
UNION ALL SELECT 'sni', substr(c.industry_code, 1, 2), COUNT(*), SUM(pc.att) FROM pc
  JOIN companies c ON c.id = pc.company_id GROUP BY substr(c.industry_code, 1, 2)
UNION ALL SELECT 'country', c.country, COUNT(*), SUM(pc.att) FROM pc
  JOIN companies c ON c.id = pc.company_id GROUP BY c.country
UNION ALL SELECT 'gender', p.gender, COUNT(*), COUNT(DISTINCT p.email) FROM p GROUP BY p.gender
UNION ALL SELECT 'person_county', c.county, COUNT(*), COUNT(DISTINCT p.email) FROM p
  JOIN companies c ON c.id = p.company_id GROUP BY c.county
UNION ALL SELECT 'company', CAST(p.company_id AS VARCHAR), COUNT(*), SUM(pp.minutes) FROM p
  LEFT JOIN pp ON pp.participant_id = p.participant_id GROUP BY p.company_id
UNION ALL SELECT 'event', CAST(p.event_id AS VARCHAR), COUNT(*), SUM(pp.minutes) FROM p
  LEFT JOIN pp ON pp.participant_id = p.participant_id GROUP BY p.event_id
UNION ALL SELECT 'kind', e.kind, COUNT(*), SUM(att.minutes) FROM att
  JOIN events e ON e.id = att.event_id GROUP BY e.kind
UNION ALL SELECT 'month', att.month, COUNT(*), SUM(att.minutes) FROM att GROUP BY att.month
UNION ALL SELECT 'sessions', e.kind, COUNT(*), COUNT(DISTINCT hs.event_id) FROM hs
  JOIN events e ON e.id = hs.event_id GROUP BY e.kind
"""


def _timed_floor(project_id: int) -> tuple[list[float], int]:
    sql = sa.text(_floor_sql(db.engine.dialect.name))
    params = {
        "project": project_id,
        "start": datetime(2026, 1, 1, tzinfo=UTC) - timedelta(hours=1),
        "end": datetime(2027, 1, 1, tzinfo=UTC) - timedelta(hours=1),
    }
    if db.engine.dialect.name == "sqlite":
        params = {k: v.replace(tzinfo=None) if isinstance(v, datetime) else v
                  for k, v in params.items()}  # fmt: skip
    durations, rows = [], 0
    with db.engine.connect() as conn:
        for _run in range(RUNS):
            start = time.perf_counter()
            rows = len(conn.execute(sql, params).all())
            durations.append(time.perf_counter() - start)
    return durations[1:], rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full size")
    args = parser.parse_args()
    events, companies = int(500 * args.scale) or 1, int(20_000 * args.scale) or 1
    bookings = int(25_600 * args.scale) or 1
    app, tmp = bench_app()
    with app.app_context():
        db.create_all()
        loading = time.perf_counter()
        org_id, project_id = _load(events, companies, bookings, random.Random(7))
        loaded = time.perf_counter() - loading
        user = User(email="bench@example.se", name="Bench", password_hash=hash_password("x" * 12))
        user.memberships.append(Membership(organisation_id=org_id, role=Role.VIEWER))
        db.session.add(user)
        db.session.flush()
        identity = start_session(user)
        db.session.commit()
        participations = db.session.scalar(
            sa.select(sa.func.count(Participant.id))
            .join(Booking)
            .where(Booking.status == BookingStatus.CONFIRMED)
        )
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = identity
            session["_fresh"] = True

        print(f"Database: {db.engine.dialect.name}; {events} events, {companies} companies, "
              f"{participations} confirmed participations (loaded in {loaded:.0f} s); "
              f"median and max of {RUNS - 1} runs after one warm-up")  # fmt: skip
        floor, floor_rows = _timed_floor(project_id)
        floor_median = statistics.median(floor)
        print(f"{'floor: one SQL statement':28} median {floor_median * 1000:7.0f} ms   "
              f"max {max(floor) * 1000:7.0f} ms   {floor_rows} rows")  # fmt: skip
        base = f"/organisers/reports/projects/{project_id}"
        query = "first=2026-01-01&last=2026-12-31"
        for label, path in (
            ("report page (HTML)", f"{base}?{query}"),
            ("report workbook (XLSX)", f"{base}/report.xlsx?{query}"),
        ):
            durations, size, statements = _timed(client, path)
            durations = durations[1:]  # the first run warms up
            median = statistics.median(durations)
            print(f"{label:28} median {median * 1000:7.0f} ms   max {max(durations) * 1000:7.0f} "
                  f"ms   {size / 1024:6.0f} KiB   {statements} SQL statements   "
                  f"{median / floor_median:5.1f}× the floor")  # fmt: skip
        db.session.remove()
        if tmp is None:
            db.drop_all()
        db.engine.dispose()
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
