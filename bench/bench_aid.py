"""Time de minimis aid: registrations that record a grant, the tally of 200 companies (one
selection or register page) among N companies with a grant each (half with a declaration),
and one certificate PDF.

    .venv/bin/python bench/bench_aid.py                 # 1,000 companies, a temporary SQLite file
    .venv/bin/python bench/bench_aid.py --companies 500
    DATABASE_URL=postgresql://… .venv/bin/python bench/bench_aid.py   # an EMPTY database

Prints the median and the slowest of 20 runs of each; tallies take two statements whatever
the number of companies (tests/aid/test_pages.py asserts it for the pages).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import factories  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.aid import certificate, services  # noqa: E402
from webapp.aid.models import AidBasis  # noqa: E402
from webapp.db import db  # noqa: E402


def _time(label: str, run) -> None:
    times = []
    for _ in range(20):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    print(f"{label:<45} median {statistics.median(times):7.2f} ms   max {max(times):7.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=1000)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True})
    with app.app_context():
        db.create_all()
        org = factories.organisation()
        project = factories.project(org)
        event = factories.event(org, project=project, capacity=None)
        db.session.add(
            services.AidScheme(project_id=project.id, basis=AidBasis.PER_COMPANY, amount_sek=1)
        )
        db.session.add(
            services.EurRate(project_id=project.id, valid_from=date(2020, 1, 1), sek_per_eur=10)
        )
        db.session.commit()
        start = time.perf_counter()
        bookings = [factories.book(event, 1, company=i) for i in range(args.companies)]
        for booking in bookings[::2]:
            services.declare(booking, Decimal("100"), [], text="t", text_version="v")
        db.session.commit()
        took = time.perf_counter() - start
        print(f"{args.companies} registrations with their grants in {took:.1f} s")
        ids = [b.company_id for b in bookings]
        today = date.today()
        first = bookings[0]
        page = ids[len(ids) // 2 : len(ids) // 2 + 200]
        print(f"{args.companies} companies on {db.engine.dialect.name}")
        _time("tallies of 200 companies", lambda: services.tallies(page, today))
        grant = services.grant_for_booking(first.id)
        _time("certificate PDF", lambda: certificate.pdf(grant))


if __name__ == "__main__":
    main()
