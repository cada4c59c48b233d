"""Every page's HTML is valid: the W3C Nu HTML Checker (vnu.jar) reports no errors.

The pages are collected through the test client on the demo data: crawled by following every
link from the public front page and, logged in as the demo admin, from the organisers'
dashboard; forms are also sent back with errors (registration, login, event form, booking
forms, invitations, the follow-up email), and the pages reached only by a secret link
(manage, reset, invitation) are opened with one. vnu then runs once over all of them, one
JVM start. The test also fails when an HTML page of the app was not reached, so a new page
is checked as soon as it exists.

vnu is the ``vnu-jar`` npm package (``tests/node``, installed by ``scripts/test-tools.sh``),
run with the machine's Java. The markup does not depend on the database, so this runs on
SQLite only.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import Counter
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule

from tests import factories as f
from tests.conftest import ROOT, csrf_from, need
from webapp.accounts import services as accounts
from webapp.accounts.models import Invitation, User
from webapp.aid.models import AidGrant
from webapp.bookings.attendance import expected_participants
from webapp.bookings.models import Attendance, Booking, BookingStatus, Participant
from webapp.bookings.services import manage_token
from webapp.checkin.services import code as checkin_code
from webapp.db import db
from webapp.demo import DEMO_USERS, load_demo
from webapp.directory import services as directory
from webapp.directory.models import CompanyProfile
from webapp.events.models import Event
from webapp.feedback import services as feedback
from webapp.notifications import unsubscribe

pytestmark = pytest.mark.slow

VNU_JAR = ROOT / "tests" / "node" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
ENGLISH = {"Accept-Language": "en"}
#: Endpoints that answer with something other than an HTML page (besides those whose URL
#: ends in a file extension, like feeds and exports, or starts with /api/): the health
#: check answers JSON, the language switch redirects back.
NOT_HTML = {"static", "health.healthz", "site.set_language"}
#: Crawl at most this many URLs per endpoint (every event page differs; pagination does not).
PER_ENDPOINT = 8
_HREF = re.compile(r'href="([^"]+)"')


@pytest.fixture(scope="module", params=["sqlite"])
def db_backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"SHOW_OUTBOX": True}


@pytest.fixture(scope="session")
def vnu() -> list[str]:
    java = shutil.which("java")
    need(
        java is not None,
        "the HTML check needs Java to run vnu.jar: apt-get install -y default-jre-headless",
    )
    need(
        VNU_JAR.exists(),
        f"the HTML check needs {VNU_JAR.relative_to(ROOT)}: run scripts/test-tools.sh "
        "(npm ci in tests/node installs the vnu-jar package)",
    )
    return [str(java), "-Xss8m", "-jar", str(VNU_JAR)]


class Pages:
    """HTML pages fetched through the client, by URL, and the endpoints they belong to."""

    def __init__(self, app: Flask, client: FlaskClient) -> None:
        self.client = client
        self.adapter = app.url_map.bind("localhost")
        #: The endpoints of every HTML page the app has.
        self.pages = {r.endpoint for r in app.url_map.iter_rules() if self.is_page(r)}
        self.html: dict[str, str] = {}
        self.endpoints: Counter[str] = Counter()
        self.seen: set[str] = set()

    @staticmethod
    def is_page(rule: Rule) -> bool:
        """Whether the URL rule is one of the app's HTML pages, by its form."""
        return not (
            rule.endpoint in NOT_HTML
            or rule.rule.startswith("/api/")
            or re.search(r"\.[a-z]+$", rule.rule)
        )

    def endpoint(self, url: str, method: str = "GET") -> str | None:
        parts = urlsplit(url)
        try:
            return self.adapter.match(parts.path, method=method)[0]
        except Exception:  # noqa: BLE001 - a 404/405 of the router: not one of our pages
            return None

    def keep(self, label: str, response: Any) -> str:
        assert response.status_code < 500, f"{label}: {response.status_code}"
        assert response.mimetype == "text/html", f"{label}: {response.mimetype}"
        self.html[label] = response.text
        if response.request.method == "GET":  # the page a form's redirect led to
            self.endpoints[self.endpoint(response.request.path) or "?"] += 0
        return response.text

    def post(
        self, url: str, data: dict[str, str], form_page: str | None = None, errors: bool = True
    ) -> str:
        """Send a form (with the CSRF token of ``form_page``) and keep the page it returns,
        whose title says "Error" unless ``errors`` is False."""
        page = self.client.get(form_page or url, headers=ENGLISH)
        data = {"csrf_token": csrf_from(page.text), **data}
        response = self.client.post(url, data=data, headers=ENGLISH, follow_redirects=True)
        self.endpoints[self.endpoint(url, "POST") or url] += 1
        text = self.keep(f"POST {url} {sorted(data)}", response)
        assert ("<title>Error: " in text) == errors, f"POST {url}: {response.status_code}"
        return text

    def crawl(self, *start: str) -> None:
        """GET the pages and, breadth first, every page of the app they link to."""
        queue = list(start)
        while queue:
            url = queue.pop(0)
            endpoint = self.endpoint(url)
            if url in self.seen or endpoint not in self.pages:
                continue
            if self.endpoints[endpoint] >= PER_ENDPOINT:
                continue
            self.seen.add(url)
            self.endpoints[endpoint] += 1
            response = self.client.get(url, headers=ENGLISH)
            if response.status_code in (301, 302, 303):
                queue.append(response.headers["Location"])
                continue
            text = self.keep(f"GET {url}", response)
            queue.extend(links(text))


def links(html: str) -> list[str]:
    """The app's own links in the page, as paths (``http://localhost/x`` too)."""
    found = []
    for href in _HREF.findall(html):
        href = unescape(href).removeprefix("http://localhost").split("#")[0]
        if href.startswith("/") and not href.startswith("//"):
            found.append(href)
    return found


def run_vnu(vnu: list[str], pages: dict[str, str], folder: Path) -> list[str]:
    """vnu's errors, as "page: line: message" strings."""
    files = {}
    for n, (label, html) in enumerate(sorted(pages.items())):
        path = folder / f"page-{n:03}.html"
        path.write_text(html, encoding="utf-8")
        files[path.name] = label
    result = subprocess.run(
        [*vnu, "--format", "json", "--errors-only", "--stdout", "--exit-zero-always", str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    errors = []
    for message in json.loads(result.stdout)["messages"]:
        where = files.get(message.get("url", "?").rsplit("/", 1)[-1], message.get("url"))
        errors.append(
            f"{where}: line {message.get('lastLine', '?')}: {message['message']}"
            f" — {message.get('extract', '').strip()!r}"
        )
    return errors


def _register_with_mistakes(pages: Pages, event: Event) -> None:
    url = f"/events/{event.id}/register"
    pages.post(url, {"country": "", "participants-0-email": "not-an-address"})
    pages.post(url, {"country": "SE", "add_participant": "1"}, errors=False)  # two blocks


def _register(pages: Pages, event: Event) -> str:
    """A booking for the event; the confirmation page it leads to."""
    return pages.post(
        f"/events/{event.id}/register",
        {
            "submission_key": "html-check",
            "country": "SE",
            # Not a demo company: a company has one active booking per event.
            "org_number": f.swedish_orgnr(990001),
            "company_name": "Norrfors Mekaniska AB",
            "county": "23",
            "staff_band": "10_49",
            "turnover_band": "up_to_2m",
            "contact_name": "Anna Lindqvist",
            "contact_email": "anna@norrfors.example.se",
            "participants-0-name": "Anna Lindqvist",
            "participants-0-email": "anna@norrfors.example.se",
            "consent": "y",
            "submit": "Register",
        },
        errors=False,
    )


def _meetings(pages: Pages, admin: User, organisation: Any) -> None:
    """Meetings (webapp.meetings): a conference with slots, two profiles, one accepted
    meeting and one request; the participant's and the organisers' pages, with mistakes."""
    from datetime import datetime, time, timedelta

    from tests.meetings.conftest import conference_day
    from webapp.i18n import STOCKHOLM
    from webapp.meetings import services as meetings

    day = conference_day()
    event = f.event(
        organisation,
        capacity=None,
        starts_at=datetime.combine(day, time(9), STOCKHOLM),
        duration=timedelta(hours=8),
    )
    booked = [f.book(event, 1, company=990100 + i) for i in range(3)]
    meetings.set_enabled(admin, event.id, True)
    slots = meetings.generate_slots(admin, event.id, day, time(13), time(14), 20, 2, ["Vänern"])
    people = [b.participants[0] for b in booked]
    for booking, person in zip(booked, people, strict=True):
        meetings.save_profile(booking, person.id, meetings.prefill(person))
    accepted = meetings.request(booked[1], people[1].id, people[0].id, slots[0].id, "Hej!")
    meetings.answer(booked[0], people[0].id, accepted.id, True)
    meetings.request(booked[2], people[2].id, people[0].id, slots[1].id, None)
    db.session.commit()
    base = f"/bookings/{manage_token(booked[0])}"
    mine = f"{base}/meetings?participant={people[0].id}"
    pages.crawl(base, f"/organisers/events/{event.id}/meetings")
    ask = f"{base}/meetings/request/{people[2].id}?participant={people[0].id}"
    pages.post(ask, {"slot": str(slots[2].id), "message": "x" * 10_000})
    pages.post(
        f"{base}/meetings/profile?participant={people[0].id}",
        {"display_name": "", "company_name": ""},
        form_page=mine,
    )
    pages.post(
        f"/organisers/events/{event.id}/meetings/slots",
        {"day": "2026-13-01", "first": "25:00", "last": "", "minutes": "0", "tables": "x"},
        form_page=f"/organisers/events/{event.id}/meetings",
    )
    pages.post(f"/organisers/meetings/{accepted.id}/move", {"slot": "x"})
    pages.post(f"/organisers/meetings/{accepted.id}/cancel", {"reason": "x" * 600})


def test_every_page_is_valid_html(app: Flask, client: FlaskClient, vnu: list[str], tmp_path):
    load_demo()
    db.session.commit()
    pages = Pages(app, client)
    events = db.session.scalars(select(Event).order_by(Event.id)).all()
    webinar = next(e for e in events if e.kind.value == "webinar")

    # Public pages, in both languages, and the booking pages reached by the secret link.
    pages.crawl("/", "/?when=past", "/accessibility", "/organisers/login", "/events/2147483647")
    pages.keep("GET / (Swedish)", client.get("/", headers={"Accept-Language": "sv"}))
    _register_with_mistakes(pages, webinar)
    confirmation = _register(pages, webinar)
    manage = next(h for h in links(confirmation) if h.startswith("/bookings/"))
    pages.crawl(manage)
    pages.post(f"{manage}/participants", {"participant-email": "x"}, form_page=manage)
    # The company directory's edit page, reached by the invitation's secret link.
    profile = db.session.scalars(select(CompanyProfile).order_by(CompanyProfile.id.desc())).first()
    edit = f"/directory/profile/{directory.edit_token(profile)}"
    pages.crawl(edit, "/directory")
    pages.post(edit, {"website": "nowhere", "industry": "Z", "publish": "1"})
    # The unsubscribe link of reminders and thank-yous: the question, done, already done.
    leave = f"/unsubscribe/{unsubscribe.token(db.session.scalars(select(Participant.id)).first())}"
    pages.crawl(leave)
    pages.keep("POST one-click unsubscribe", client.post(leave, headers=ENGLISH))
    pages.keep("GET unsubscribed", client.get(leave, headers=ENGLISH))
    pages.keep("GET a broken unsubscribe link", client.get(f"/unsubscribe/1-{'A' * 24}"))
    # The evaluation link of a participant marked present: the form, a bad rating, the
    # answer received; and of one who was not present.
    came, absent = db.session.scalars(
        select(Participant)
        .join(Booking)
        .where(Booking.status == BookingStatus.CONFIRMED)
        .order_by(Participant.id)
        .limit(2)
    ).all()
    db.session.add(
        Attendance(
            participant_id=came.id, session_id=came.booking.event.sessions[0].id, present=True
        )
    )
    came.booking.language = "en"  # the form follows the booking's language
    db.session.commit()
    evaluation = f"/feedback/{feedback.token(came.id)}"
    pages.crawl(evaluation)
    pages.post(evaluation, {"overall": "6", "answer_1": "x" * 2001})
    pages.post(evaluation, {"overall": "4", "usefulness": "5"}, errors=False)
    pages.keep("GET not present", client.get(f"/feedback/{feedback.token(absent.id)}"))
    pages.post("/organisers/login", {"email": "nobody@example.se", "password": "wrong"})
    pages.post("/organisers/password/reset", {"email": "not an address"})

    # The organisers' pages, as the demo admin.
    admin = db.session.scalars(select(User).where(User.email == DEMO_USERS[0][0])).one()
    reset = f"/organisers/password/reset/{accounts.reset_token(admin)}"
    pages.keep("GET reset link", client.get(reset, headers=ENGLISH))
    pages.post(
        "/organisers/login",
        {"email": DEMO_USERS[0][0], "password": DEMO_USERS[0][2]},
        errors=False,
    )
    pages.crawl("/organisers/", "/organisers/events/new", "/organisers/password", "/dev/outbox")
    organisation_id = admin.memberships[0].organisation_id
    own = next(e for e in events if e.organisation_id == organisation_id)
    pages.post("/organisers/events/new", {"title": "", "sessions-0-start_date": "2026-13-01"})
    pages.post(f"/organisers/events/{own.id}/edit", {"title": "", "capacity": "-1"})
    pages.post(f"/organisers/events/{own.id}/edit", {"capacity": "many", "online_url": "x"})
    pages.post(f"/organisers/events/{own.id}/bookings/new", {"company_name": ""})
    pages.post(
        f"/organisers/events/{own.id}/follow-up",
        {"text": "", "feedback_url": "nowhere"},
        form_page=f"/organisers/events/{own.id}/outbox",
    )
    pages.post("/organisers/password", {"current_password": "wrong", "password": "short"})
    # De minimis aid: the demo trip is aid and one of its companies was approved.
    trip = next(e for e in events if e.kind.value == "study_trip")
    grant = db.session.scalars(select(AidGrant)).first()
    pages.crawl(
        f"/organisers/events/{trip.id}/aid",
        f"/organisers/aid/grants/{grant.id}",
        f"/organisers/organisations/{trip.organisation_id}/aid?start=2020-01-01&end=2099-12-31",
        f"/organisers/projects/{trip.project_id}/aid/register?start=2020-01-01&end=2099-12-31",
        f"/bookings/{manage_token(grant.booking)}",
    )
    pages.post(f"/organisers/events/{trip.id}/aid", {"basis": "per_company", "amount_sek": "1e9"})
    pages.post(
        f"/organisers/projects/{trip.project_id}/aid/rates",
        {"valid_from": "", "sek_per_eur": "0"},
        form_page=f"/organisers/projects/{trip.project_id}/aid",
    )
    pages.post(
        f"/organisers/aid/grants/{grant.id}/correct",
        {"amount_sek": "-1", "reason": ""},
        form_page=f"/organisers/aid/grants/{grant.id}",
    )
    pages.post(
        f"/events/{trip.id}/register",
        {"aid-received": "amount", "aid-amount_eur": "12 000,50", "aid-linked_org_numbers": "1"},
    )
    # Check-in at the door: the demo breakfast is a conference of the admin's organisation.
    door = next(
        e for e in events if e.organisation_id == organisation_id and e.kind.value == "conference"
    )
    checkin = f"/organisers/events/{door.id}/check-in"
    code = checkin_code(expected_participants(door.id)[0])
    pages.crawl(f"{checkin}?q=a", f"/organisers/check-in/{code}")
    pages.post(checkin, {"code": "garbage", "session": str(door.sessions[0].id)})
    _meetings(pages, admin, own.organisation)
    members = f"/organisers/organisations/{organisation_id}/members"
    pages.post(f"/organisers/organisations/{organisation_id}/invitations", {"email": "no"}, members)
    pages.post(
        f"/organisers/organisations/{organisation_id}/invitations",
        {"email": "new.colleague@example.se", "role": "viewer"},
        members,
        errors=False,
    )
    invitation = db.session.scalars(select(Invitation)).first()
    assert invitation is not None
    client.post("/organisers/logout", data={"csrf_token": csrf_from(pages.html[f"GET {members}"])})
    token = accounts.invitation_token(invitation)
    pages.keep("GET invitation", client.get(f"/organisers/invitations/{token}", headers=ENGLISH))
    pages.post(f"/organisers/invitations/{token}", {"name": "", "password": "x"})

    get_pages = {
        r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods and pages.is_page(r)
    }
    missed = get_pages - set(pages.endpoints)
    assert not missed, f"pages not reached, add a link or a start URL: {sorted(missed)}"
    assert len(pages.html) > 40, len(pages.html)

    folder = tmp_path / "pages"
    folder.mkdir()
    errors = run_vnu(vnu, pages.html, folder)
    assert not errors, f"{len(errors)} HTML errors:\n" + "\n".join(errors)
