"""An independent reading: the feeds parsed by ical.js, the parser Mozilla Thunderbird uses.

Needs Node.js and ``tests/node/node_modules`` (``make test`` or ``cd tests/node && npm ci``
installs it); without them the tests skip, and under CI=true they fail.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import factories
from tests.conftest import ROOT, need
from tests.events.test_ical import AWKWARD, dst_event
from webapp.bookings.calendar import participant_feed_url
from webapp.db import db
from webapp.events.models import EventKind, EventSession
from webapp.events.services import cancel_event, record_change
from webapp.i18n import STOCKHOLM

NODE_DIR = ROOT / "tests" / "node"

pytestmark = pytest.mark.node


def ical_js(data: bytes) -> dict[str, Any]:
    """What ical.js reads from a calendar file (see tests/node/parse.mjs)."""
    node = shutil.which("node")
    need(node is not None, "Node.js is not installed; install it, then run `make test`")
    need(
        (NODE_DIR / "node_modules" / "ical.js").is_dir(),
        "ical.js is not installed; run `make test` or `cd tests/node && npm ci`",
    )
    result = subprocess.run(
        [node, str(NODE_DIR / "parse.mjs")],
        input=data,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return json.loads(result.stdout)


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def check_session(found: dict[str, Any], session: EventSession, summary: str) -> None:
    """One VEVENT as ical.js read it against what the app meant it to say."""
    event = session.event
    cancelled = session.cancelled_at is not None or event.status == "cancelled"
    assert found["uid"] == f"session-{session.id}@localhost"
    assert found["sequence"] == event.sequence
    assert found["status"] == ("CANCELLED" if cancelled else "CONFIRMED")
    assert found["summary"] == summary
    assert found["url"] == f"http://localhost/events/{event.id}"
    assert found["organizer"] is None
    for key, moment in (("start", session.starts_at), ("end", session.ends_at)):
        assert found[key]["tzid"] == "Europe/Stockholm"
        assert found[key]["utc"] == utc_iso(moment)
        assert found[key]["offset"] == moment.astimezone(STOCKHOLM).utcoffset().total_seconds()


def test_public_feed_read_by_ical_js(app: Flask, client: FlaskClient) -> None:
    series = dst_event(title="Energikartläggning")
    awkward = factories.event(title=AWKWARD, summary=AWKWARD, venue="Gatan 1; plan 2, rum 3")
    cancelled = factories.event(title="Inställd resa")
    db.session.commit()
    cancel_event(cancelled.id)
    series.sessions[0].starts_at += timedelta(minutes=30)
    record_change(series, times_changed=True, place_changed=False)
    db.session.commit()

    read = ical_js(client.get("/feeds/events.ics").data)

    assert read["method"] == "PUBLISH"
    assert read["name"] == "Träffpunkt: alla evenemang"
    assert read["refresh"] == "PT1H"
    assert read["timezones"] == ["Europe/Stockholm"]
    by_uid = {e["uid"]: e for e in read["events"]}
    assert len(by_uid) == len(read["events"]) == 6
    for n, session in enumerate(series.sessions, start=1):
        check_session(
            by_uid[f"session-{session.id}@localhost"], session, f"Energikartläggning ({n}/4)"
        )
    (session,) = awkward.sessions
    found = by_uid[f"session-{session.id}@localhost"]
    check_session(found, session, AWKWARD)
    assert found["location"] == "Gatan 1; plan 2, rum 3"
    assert AWKWARD in found["description"]
    (session,) = cancelled.sessions
    check_session(by_uid[f"session-{session.id}@localhost"], session, "Inställt: Inställd resa")
    # Wall-clock times across the clock changes, as Thunderbird would show them.
    starts = [by_uid[f"session-{s.id}@localhost"]["start"]["local"] for s in series.sessions]
    assert [s[11:16] for s in starts] == ["10:30", "10:00", "10:00", "22:00"]
    assert [by_uid[f"session-{s.id}@localhost"]["end"]["local"][11:16] for s in series.sessions][
        -1
    ] == "04:00"


def test_private_feed_read_by_ical_js(app: Flask, client: FlaskClient) -> None:
    webinar = factories.event(
        kind=EventKind.WEBINAR, online_url="https://meet.example/j/1?pwd=a,b", title="Webbinarium"
    )
    booking = factories.book(webinar, 1, language="en")
    db.session.commit()
    url = participant_feed_url(booking.participants[0]).removeprefix("http://localhost")

    read = ical_js(client.get(url).data)

    assert read["name"] == "Träffpunkt: my bookings"
    (found,) = read["events"]
    check_session(found, webinar.sessions[0], "Webbinarium")
    assert found["location"] == "https://meet.example/j/1?pwd=a,b"
    assert "Join online: https://meet.example/j/1?pwd=a,b" in found["description"]
