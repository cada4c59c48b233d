"""Property tests over every public and organiser form: whatever is sent — arbitrary
unicode (NUL, lone surrogates, RTL marks, 10,000-character strings), missing and
duplicated fields, file parts in place of text, wrong types, hostile numbers, unknown
fields — no answer is a 5xx, and a refused submission leaves every table exactly as it
was (row counts and a checksum of every row), on SQLite and on PostgreSQL.

Each submission starts from the form filled in correctly (with a valid CSRF token) and
has each field kept, dropped, replaced, duplicated or sent as a file, so the examples stay
close to what the form accepts and reach its validators and services, not just CSRF.

``FUZZ_EXAMPLES`` sets the examples per form and database (CI: the default below;
``make fuzz``: many more).
"""

from __future__ import annotations

import functools
import hashlib
import os
import secrets
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests import factories as f
from tests.accounts import helpers as h
from tests.conftest import csrf_from
from webapp.accounts import services as accounts
from webapp.accounts.models import Role
from webapp.bookings import services as bookings
from webapp.bookings.models import Attendance
from webapp.checkin import services as checkin
from webapp.db import db
from webapp.events.models import EventKind
from webapp.feedback import services as feedback
from webapp.notifications.models import OutboxMessage

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=not os.environ.get("FUZZ_RANDOM"),
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# --- what is sent ------------------------------------------------------------------------

#: Every code point, lone surrogates included (they cannot be sent as UTF-8; they go out
#: as the bytes surrogatepass makes, as a broken client's would).
ANY_CHAR = st.characters(codec=None, categories=None)
NASTY = "\x00\x01\x08\x0b\x1b\x7f\x85\r\n\t\u200b\u200e\u200f\u202e\u2028\ufeff\ud800\udfff😀é"
NUMBERS = st.sampled_from(
    [
        "-1",
        "0",
        "-0",
        "2147483648",
        "-2147483649",
        "9" * 40,
        "1e309",
        "NaN",
        "inf",
        "0x1F",
        "1_000",
        "１２",
        "٣",
        " 7 ",
        "3.5",
        "",
        "None",
        "true",
    ]
) | st.integers().map(str)
HOSTILE = st.one_of(
    st.text(ANY_CHAR, max_size=30),
    st.text(st.sampled_from(NASTY), min_size=1, max_size=12),
    st.sampled_from(["a", "é", "😀", "\u202e", "\x00", "<script>"]).map(lambda c: c * 10_000),
    NUMBERS,
    st.sampled_from(
        [
            "=cmd|' /C calc'!A0",
            "../../etc/passwd",
            "%00",
            "' OR 1=1 --",
            "javascript:alert(1)",
            "//evil.example",
            "\\\\evil",
        ]
    ),
)
FIELD_NAMES = st.one_of(
    st.sampled_from(
        [
            "participants-99999999-name",
            "participants--1-email",
            "sessions-31-title",
            "participants-25-name",
            "remove_participant",
            "remove_session",
            "add_participant",
            "add_session",
            "next",
            "submit",
        ]
    ),
    st.text(ANY_CHAR, max_size=12),
)
ACTIONS = st.sampled_from(
    ["keep"] * 5 + ["drop", "hostile", "hostile", "duplicate", "file", "number"]
)


@st.composite
def submissions(draw: Any, base: dict[str, str | list[str]]) -> tuple[list, list]:
    """(text pairs, file parts) for one submission, from the valid ``base``."""
    pairs: list[tuple[str, str]] = []
    files: list[tuple[str, bytes]] = []
    for name, value in base.items():
        values = value if isinstance(value, list) else [value]
        action = "keep" if name == "csrf_token" else draw(ACTIONS)
        if action in ("keep", "duplicate"):
            pairs += [(name, v) for v in values]
        if action in ("hostile", "duplicate"):
            pairs.append((name, draw(HOSTILE)))
        elif action == "number":
            pairs.append((name, draw(NUMBERS)))
        elif action == "file":
            files.append((name, draw(st.binary(max_size=64))))
    pairs += draw(st.lists(st.tuples(FIELD_NAMES, HOSTILE), max_size=2))
    return pairs, files


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _multipart(pairs: list[tuple[str, str]], files: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = "fuzz" + secrets.token_hex(12)
    out = bytearray()

    def head(name: str, extra: str = "") -> bytes:
        quoted = name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
        return _encode(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{quoted}"{extra}\r\n'
        )

    for name, value in pairs:
        out += head(name) + b"\r\n" + _encode(value) + b"\r\n"
    for name, content in files:
        out += head(name, '; filename="x.txt"') + b"Content-Type: text/plain\r\n\r\n"
        out += content + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def send(client: Any, url: str, pairs: list, files: list) -> Any:
    if files:
        body, content_type = _multipart(pairs, files)
    else:
        body = urllib.parse.urlencode(pairs, encoding="utf-8", errors="surrogatepass").encode()
        content_type = "application/x-www-form-urlencoded"
    return client.post(url, data=body, content_type=content_type)


# --- the state every table is in ---------------------------------------------------------


def fingerprint() -> dict[str, tuple[int, str]]:
    """Row count and a SHA-256 of every row, per table (one statement for all tables)."""
    db.session.commit()  # a new snapshot (SQLite would go on reading the old one)
    rows = db.session.execute(_all_rows(db.engine.dialect.name)).all()
    db.session.commit()
    return {
        name: (count, hashlib.sha256((text or "").encode()).hexdigest())
        for name, count, text in rows
    }


@functools.cache
def _all_rows(dialect: str) -> Any:
    """``(table, row count, every row as text in key order)`` for every table."""
    parts = []
    for table in db.metadata.sorted_tables:
        keys = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
        if dialect == "postgresql":
            rows = f"string_agg(t::text, '|' ORDER BY {keys})"
        else:
            columns = " || ',' || ".join(f'quote("{c.name}")' for c in table.columns)
            rows = f"group_concat({columns}, '|')"
            # SQLite's group_concat has no ORDER BY before 3.44: order in a subquery.
        source = f'(SELECT * FROM "{table.name}" ORDER BY {keys}) AS t'
        parts.append(f"SELECT '{table.name}', count(*), {rows} FROM {source}")
    return sa.text(" UNION ALL ".join(parts))


# --- the forms ---------------------------------------------------------------------------


@dataclass
class World:
    ids: dict[str, Any]
    admin: Any


@pytest.fixture
def world(app: Any) -> World:
    monkey = h.cheap_hasher()
    accounts._hasher = monkey  # restored below: argon2 at full cost would dominate the run
    org = f.organisation("Fuzzparken")
    project = f.project(org)
    event = f.event(org, capacity=40, sessions=2, project=project)
    trip = f.event(org, capacity=10, kind=EventKind.STUDY_TRIP, requires_approval=True)
    booking = f.book(event, 2, company=1)
    pending = f.book(trip, 1, company=2)
    admin = h.user(org, Role.ADMIN, email="admin@fuzz.example.se")
    colleague = h.user(org, Role.ORGANISER, email="colleague@fuzz.example.se")
    invitation = accounts.invite(admin, org.id, "new@fuzz.example.se", Role.VIEWER)
    # Marked present: the first participant may answer the evaluation.
    db.session.add(
        Attendance(
            participant_id=booking.participants[0].id,
            session_id=event.sessions[0].id,
            present=True,
        )
    )
    db.session.commit()
    message = db.session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.booking_id == booking.id)
    )
    ids = {
        "event": event.id,
        "trip": trip.id,
        "booking": booking.id,
        "pending": pending.id,
        "participant": booking.participants[0].id,
        "participant2": booking.participants[1].id,
        "session": event.sessions[0].id,
        "org": org.id,
        "project": project.id,
        "membership": colleague.memberships[0].id,
        "manage": bookings.manage_token(booking),
        "reset": accounts.reset_token(colleague),
        "invitation": accounts.invitation_token(invitation),
        "message": message,
        "feedback": feedback.token(booking.participants[0].id),
        "checkin": checkin.code(booking.participants[0]),
    }
    yield World(ids, admin)
    accounts._hasher = h.cheap_hasher().__class__()


def _participant(prefix: str) -> dict[str, str]:
    return {
        f"{prefix}name": "Eva Ek",
        f"{prefix}email": "eva@fuzz.example.se",
        f"{prefix}role": "VD",
        f"{prefix}gender": "female",
        f"{prefix}dietary_needs": "Vegan",
        f"{prefix}accessibility_needs": "",
    }


def _company() -> dict[str, str]:
    return {
        "country": "SE",
        "org_number": "556036-0793",
        "company_name": "Fuzz AB",
        "county": "14",
        "size_class": "small",
        "industry_code": "62010",
        "contact_name": "Kim Kontakt",
        "contact_email": "kim@fuzz.example.se",
        "contact_phone": "+46 70 000 00 00",
        **_participant("participants-0-"),
        "submission_key": "fuzz-key",
    }


def _event_fields(ids: dict[str, Any]) -> dict[str, str]:
    return {
        "organisation": str(ids["org"]),
        "kind": "conference",
        "title": "Fuzzkonferens",
        "summary": "Kort",
        "description": "Lång\r\n\r\ntext",
        "project": str(ids["project"]),
        "venue": "Storgatan 1",
        "city": "Luleå",
        "county": "25",
        "country": "SE",
        "online_url": "",
        "capacity": "30",
        "max_per_company": "3",
        "registration_opens_date": "2030-01-01",
        "registration_opens_time": "08:00",
        "registration_closes_date": "2030-02-01",
        "registration_closes_time": "12:00",
        "requires_approval": "y",
        "reminders-0-days": "7",
        "reminders-0-hours": "",
        "reminders-0-scope": "first",
        "reminders-1-days": "1",
        "reminders-1-hours": "0",
        "reminders-1-scope": "each",
        "practical_info": "Ta med laptop",
        "practical_info_en": "Bring a laptop",
        "sessions-0-start_date": "2030-03-01",
        "sessions-0-start_time": "09:00",
        "sessions-0-end_time": "16:00",
        "sessions-0-end_date": "",
        "sessions-0-title": "Dag 1",
        "sessions-0-venue": "",
        "submit": "Save",
    }


# Each form: (name, who sends it, URL template, the page its CSRF token comes from, fields).
Fields = Callable[[dict[str, Any]], dict[str, str | list[str]]]
FORMS: list[tuple[str, str, str, str | None, Fields]] = [
    (
        "register",
        "anonymous",
        "/events/{event}/register",
        None,
        lambda ids: {
            **_company(),
            "message": "Hej",
            "consent": "y",
            "invitations": "y",
            "submit": "Register",
        },
    ),
    (
        "register-buttons",
        "anonymous",
        "/events/{event}/register",
        None,
        lambda ids: {**_company(), "add_participant": "Add", "remove_participant": "0"},
    ),
    (
        "manage-add-participant",
        "anonymous",
        "/bookings/{manage}/participants",
        "/bookings/{manage}",
        lambda ids: _participant("participant-"),
    ),
    (
        "manage-cancel",
        "anonymous",
        "/bookings/{manage}/cancel",
        "/bookings/{manage}",
        lambda ids: {},
    ),
    (
        "manage-remove-participant",
        "anonymous",
        "/bookings/{manage}/participants/{participant2}/remove",
        "/bookings/{manage}",
        lambda ids: {},
    ),
    (
        "calendar-revoke",
        "anonymous",
        "/bookings/{manage}/calendar/revoke",
        "/bookings/{manage}",
        lambda ids: {"participant": str(ids["participant"])},
    ),
    # The switch takes no CSRF token (webapp.i18n); the token comes from any form's page.
    (
        "language",
        "anonymous",
        "/language",
        "/organisers/password/reset",
        lambda ids: {"lang": "en", "next": "/"},
    ),
    (
        "feedback-answer",
        "anonymous",
        "/feedback/{feedback}",
        None,
        lambda ids: {"overall": "4", "usefulness": "5", "answer_1": "Bra", "answer_2": "Fika"},
    ),
    (
        "login",
        "anonymous",
        "/organisers/login",
        None,
        lambda ids: {"email": "admin@fuzz.example.se", "password": h.PASSWORD, "next": "/"},
    ),
    (
        "reset-request",
        "anonymous",
        "/organisers/password/reset",
        None,
        lambda ids: {"email": "colleague@fuzz.example.se"},
    ),
    (
        "reset",
        "anonymous",
        "/organisers/password/reset/{reset}",
        None,
        lambda ids: {"password": "a new long password", "confirm": "a new long password"},
    ),
    (
        "invitation",
        "anonymous",
        "/organisers/invitations/{invitation}",
        None,
        lambda ids: {
            "name": "Ny Kollega",
            "password": "a long enough password",
            "confirm": "a long enough password",
        },
    ),
    ("event-new", "admin", "/organisers/events/new", None, _event_fields),
    (
        "event-edit",
        "admin",
        "/organisers/events/{event}/edit",
        None,
        lambda ids: {
            **_event_fields(ids),
            "sessions-0-id": str(ids["session"]),
            "add_session": "Add",
            "remove_session": "1",
        },
    ),
    (
        "event-publish",
        "admin",
        "/organisers/events/{trip}/publish",
        "/organisers/events/{trip}/edit",
        lambda ids: {},
    ),
    (
        "event-duplicate",
        "admin",
        "/organisers/events/{trip}/duplicate",
        "/organisers/events/{trip}/edit",
        lambda ids: {},
    ),
    (
        "selection",
        "admin",
        "/organisers/events/{trip}/selection",
        "/organisers/events/{trip}/attendees",
        lambda ids: {"decision": "approve", "booking": [str(ids["pending"]), "1"]},
    ),
    (
        "booking-new",
        "admin",
        "/organisers/events/{event}/bookings/new",
        None,
        lambda ids: {**_company(), "language": "en", "submit": "Add"},
    ),
    (
        "booking-add-participant",
        "admin",
        "/organisers/bookings/{booking}/participants",
        "/organisers/bookings/{booking}",
        lambda ids: _participant("participant-"),
    ),
    (
        "participant-edit",
        "admin",
        "/organisers/participants/{participant}/edit",
        None,
        lambda ids: _participant("participant-"),
    ),
    (
        "booking-move",
        "admin",
        "/organisers/bookings/{booking}/move",
        "/organisers/bookings/{booking}",
        lambda ids: {"target": "waitlist"},
    ),
    (
        "participant-remove",
        "admin",
        "/organisers/participants/{participant2}/remove",
        "/organisers/bookings/{booking}",
        lambda ids: {},
    ),
    (
        "attendance",
        "admin",
        "/organisers/events/{event}/attendance",
        None,
        lambda ids: {"session": str(ids["session"]), "present": [str(ids["participant"])]},
    ),
    (
        "check-in",
        "admin",
        "/organisers/events/{event}/check-in",
        None,
        lambda ids: {"session": str(ids["session"]), "code": ids["checkin"]},
    ),
    (
        "invite",
        "admin",
        "/organisers/organisations/{org}/invitations",
        "/organisers/organisations/{org}/members",
        lambda ids: {"email": "someone@fuzz.example.se", "role": "viewer"},
    ),
    (
        "member-role",
        "admin",
        "/organisers/memberships/{membership}/role",
        "/organisers/organisations/{org}/members",
        lambda ids: {"role": "viewer"},
    ),
    (
        "member-remove",
        "admin",
        "/organisers/memberships/{membership}/remove",
        "/organisers/organisations/{org}/members",
        lambda ids: {},
    ),
    (
        "follow-up",
        "admin",
        "/organisers/events/{event}/follow-up",
        "/organisers/events/{event}/outbox",
        lambda ids: {"text": "Tack!", "feedback_url": "https://example.se/enkät"},
    ),
    (
        "feedback-questions",
        "admin",
        "/organisers/events/{event}/feedback/questions",
        "/organisers/events/{event}/feedback",
        lambda ids: {
            "question_1_sv": "Vad tar du med dig?",
            "question_1_en": "What will you take home?",
            "question_2_sv": "",
            "question_2_en": "",
        },
    ),
    (
        "organiser-message",
        "admin",
        "/organisers/events/{event}/messages/new",
        "/organisers/events/{event}/messages/new",
        lambda ids: {
            "audience": "everyone",
            "session": "",
            "subject_sv": "Hej",
            "body_sv": "Ta med laptop.",
            "subject_en": "",
            "body_en": "",
            "confirmed": "yes",
        },
    ),
    (
        "outbox-resend",
        "admin",
        "/organisers/outbox/{message}/resend",
        "/organisers/outbox/{message}",
        lambda ids: {},
    ),
    (
        "password-change",
        "admin",
        "/organisers/password",
        None,
        lambda ids: {
            "current": h.PASSWORD,
            "password": "another long password",
            "confirm": "another long password",
        },
    ),
    ("logout", "admin", "/organisers/logout", "/organisers/", lambda ids: {}),
    (
        "logout-everywhere",
        "admin",
        "/organisers/logout/everywhere",
        "/organisers/password",
        lambda ids: {},
    ),
]


@pytest.mark.parametrize(
    ("who", "url", "page", "fields"),
    [pytest.param(*spec[1:], id=spec[0]) for spec in FORMS],
)
def test_no_form_answers_5xx_and_refusals_change_nothing(app, world, who, url, page, fields):
    ids = world.ids
    target = url.format(**ids)
    base = fields(ids)

    def fresh_client() -> Any:
        client = app.test_client()
        if who == "admin":
            h.login_session(client, world.admin)
        response = client.get((page or url).format(**ids))
        if response.status_code != 200:
            # Done already (a used reset link, a removed participant): the CSRF token is
            # the session's, any form has it.
            response = client.get("/organisers/password/reset")
        return client, csrf_from(response.text)

    state: dict[str, Any] = {"client": None}

    @FUZZ
    @given(data=st.data())
    def check(data: Any) -> None:
        if state["client"] is None:
            state["client"] = fresh_client()
            state["tables"] = None  # logging in wrote a login
        client, token = state["client"]
        pairs, files = data.draw(submissions({"csrf_token": token, **base}))
        before = state.get("tables") or fingerprint()
        response = send(client, target, pairs, files)
        assert response.status_code < 500, response.get_data(as_text=True)[:2000]
        state["tables"] = fingerprint()
        if response.status_code >= 400 or response.status_code == 200:
            assert state["tables"] == before, f"refused with {response.status_code}, yet stored"
        if response.status_code in (302, 303) and "/organisers/login" in response.headers.get(
            "Location", ""
        ):
            state["client"] = None  # logged out (or the password changed): log in again

    check()


SEARCHES = [
    ("/", ["kind", "county", "organisation", "project", "when", "page"]),
    ("/feeds/events.ics", ["kind", "county", "organisation", "project", "lang"]),
    ("/organisers/events/{event}/attendees", ["status", "q"]),
    ("/organisers/events/{event}/attendees.csv", ["status", "q"]),
    ("/organisers/events/{event}/attendance", ["session"]),
    ("/organisers/events/{event}/check-in", ["session", "q", "code", "scan"]),
    ("/organisers/events/{event}/badges.pdf", ["layout"]),
]


@pytest.mark.parametrize(("url", "names"), SEARCHES, ids=[s[0] for s in SEARCHES])
def test_no_search_answers_5xx_or_writes(app, world, url, names):
    client = app.test_client()
    h.login_session(client, world.admin)
    target = url.format(**world.ids)
    before = fingerprint()

    @FUZZ
    @given(st.lists(st.tuples(st.sampled_from(names) | FIELD_NAMES, HOSTILE), max_size=4))
    def check(pairs: list[tuple[str, str]]) -> None:
        query = urllib.parse.urlencode(pairs, encoding="utf-8", errors="surrogatepass")
        response = client.get(f"{target}?{query}")
        assert response.status_code < 500, response.get_data(as_text=True)[:2000]

    check()
    assert fingerprint() == before


def test_the_fingerprint_sees_any_change(app, world):
    from webapp.bookings.models import Participant

    before = fingerprint()
    participant = db.session.get(Participant, world.ids["participant"])
    participant.dietary_needs = "Vegan."
    db.session.commit()
    changed = fingerprint()
    assert changed["participants"] != before["participants"]
    assert {k for k in before if before[k] != changed[k]} == {"participants"}
