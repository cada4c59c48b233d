"""The iCal builder (webapp.events.ical): output parsed back with icalendar, field by field."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest
from flask import Flask
from flask_babel import force_locale

from tests import factories
from webapp.db import db
from webapp.events import ical
from webapp.events.models import Event, EventKind, EventSession
from webapp.events.services import cancel_event, record_change
from webapp.i18n import STOCKHOLM


def last_sunday(year: int, month: int) -> date:
    """The EU changes clocks on the last Sunday of March and October."""
    day = date(year, month, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A Stockholm wall-clock time as the aware UTC datetime the database holds."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=STOCKHOLM).astimezone(UTC)


def parse(data: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(data)


def vevents(data: bytes) -> dict[str, icalendar.Event]:
    return {str(e["UID"]): e for e in parse(data).walk("VEVENT")}


def dst_event(**fields: object) -> Event:
    """An event whose four sessions sit on both sides of next year's two clock changes."""
    year = datetime.now(UTC).year + 1
    march, october = last_sunday(year, 3), last_sunday(year, 10)
    event = factories.event(sessions=0, kind=EventKind.WORKSHOP_SERIES, **fields)
    spans = [
        (local(march - timedelta(days=1), 10), local(march - timedelta(days=1), 12)),
        (local(march + timedelta(days=1), 10), local(march + timedelta(days=1), 12)),
        (local(october - timedelta(days=1), 10), local(october - timedelta(days=1), 12)),
        # Across the night the clocks go back: 22:00 to 04:00 is seven hours.
        (local(october, 0) - timedelta(hours=2), local(october, 4)),
    ]
    event.sessions = [EventSession(starts_at=s, ends_at=e) for s, e in spans]
    db.session.flush()
    return event


def test_one_vevent_per_session_with_stable_uid_and_stockholm_times(app: Flask) -> None:
    event = dst_event(title="Energikartläggning")
    db.session.commit()
    data = ical.event_calendar(event, include_join_url=False)

    calendar = parse(data)
    assert calendar["METHOD"] == "PUBLISH"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Stockholm"]
    found = vevents(data)
    assert list(found) == [f"session-{s.id}@localhost" for s in event.sessions]

    expected_offsets = [1, 2, 2, None]
    for session, offset in zip(event.sessions, expected_offsets, strict=True):
        vevent = found[f"session-{session.id}@localhost"]
        start, end = vevent["DTSTART"], vevent["DTEND"]
        assert start.params["TZID"] == end.params["TZID"] == "Europe/Stockholm"
        assert start.dt == session.starts_at and end.dt == session.ends_at
        if offset is not None:
            assert start.dt.utcoffset() == timedelta(hours=offset)
            assert (start.dt.hour, end.dt.hour) == (10, 12)
    night = found[f"session-{event.sessions[3].id}@localhost"]
    assert (night["DTSTART"].dt.hour, night["DTEND"].dt.hour) == (22, 4)
    assert night["DTSTART"].dt.utcoffset() == timedelta(hours=2)
    assert night["DTEND"].dt.utcoffset() == timedelta(hours=1)
    elapsed = night["DTEND"].dt.astimezone(UTC) - night["DTSTART"].dt.astimezone(UTC)
    assert elapsed == timedelta(hours=7)
    assert b"DTSTART;TZID=Europe/Stockholm:" in data


def test_fields_of_a_vevent(app: Flask) -> None:
    org = factories.organisation(name="Science Park Väst")
    event = factories.event(
        org,
        sessions=4,
        title="Workshop",
        summary="Four afternoons on energy.",
        venue="Sven Hultins gata 9",
        city="Göteborg",
        kind=EventKind.WORKSHOP_SERIES,
    )
    event.sessions[1].title = "Mätning"
    db.session.commit()

    found = vevents(ical.event_calendar(event, include_join_url=False))
    second = found[f"session-{event.sessions[1].id}@localhost"]
    assert second["SUMMARY"] == "Workshop (2/4): Mätning"
    assert found[f"session-{event.sessions[0].id}@localhost"]["SUMMARY"] == "Workshop (1/4)"
    assert second["STATUS"] == "CONFIRMED"
    assert second["SEQUENCE"] == 0
    assert second["LOCATION"] == "Sven Hultins gata 9, Göteborg"
    assert str(second["URL"]) == f"http://localhost/events/{event.id}"
    assert f"http://localhost/events/{event.id}" in second["DESCRIPTION"]
    assert "Four afternoons on energy." in second["DESCRIPTION"]
    assert "Science Park Väst" in second["DESCRIPTION"]
    changed = max(event.updated_at, event.sessions[1].updated_at)
    assert second["DTSTAMP"].dt == second["LAST-MODIFIED"].dt == changed.replace(microsecond=0)
    # No organiser or attendee: clients must not offer to send replies.
    assert "ORGANIZER" not in second and "ATTENDEE" not in second


def test_same_data_gives_identical_bytes(app: Flask) -> None:
    event = dst_event()
    db.session.commit()
    first = ical.event_calendar(event, include_join_url=False)
    db.session.expire_all()
    reloaded = db.session.get(Event, event.id)
    assert ical.event_calendar(reloaded, include_join_url=False) == first


def test_sequence_grows_after_an_edit(app: Flask) -> None:
    event = factories.event(sessions=2)
    db.session.commit()
    before = vevents(ical.event_calendar(event, include_join_url=False))

    event.sessions[0].starts_at += timedelta(hours=1)
    event.sessions[0].ends_at += timedelta(hours=1)
    record_change(event, times_changed=True, place_changed=False)
    db.session.commit()
    after = vevents(ical.event_calendar(event, include_join_url=False))

    assert list(after) == list(before)  # same UIDs: clients update, not duplicate
    for uid, vevent in after.items():
        assert vevent["SEQUENCE"] == before[uid]["SEQUENCE"] + 1
        assert vevent["DTSTAMP"].dt >= before[uid]["DTSTAMP"].dt
    first = after[f"session-{event.sessions[0].id}@localhost"]
    assert first["DTSTART"].dt == event.sessions[0].starts_at


def test_cancelled_event_and_session(app: Flask) -> None:
    event = factories.event(sessions=2, title="Studieresa")
    other = factories.event(sessions=2, title="Serie")
    other.sessions[1].cancelled_at = factories.now()
    db.session.commit()
    sequence = event.sequence
    cancel_event(event.id)
    db.session.commit()

    for vevent in vevents(ical.event_calendar(event, include_join_url=False)).values():
        assert vevent["STATUS"] == "CANCELLED"
        assert vevent["SEQUENCE"] == sequence + 1
        assert "Studieresa" in vevent["SUMMARY"] and vevent["SUMMARY"] != "Studieresa (1/2)"
    found = vevents(ical.event_calendar(other, include_join_url=False))
    statuses = [found[f"session-{s.id}@localhost"]["STATUS"] for s in other.sessions]
    assert statuses == ["CONFIRMED", "CANCELLED"]


def test_join_url_only_when_asked(app: Flask) -> None:
    event = factories.event(kind=EventKind.WEBINAR, online_url="https://meet.example/j/4711")
    db.session.commit()
    public = ical.event_calendar(event, include_join_url=False)
    private = ical.event_calendar(event, include_join_url=True)
    assert b"meet.example" not in public
    (vevent,) = vevents(private).values()
    assert vevent["LOCATION"] == "https://meet.example/j/4711"
    assert "https://meet.example/j/4711" in vevent["DESCRIPTION"]


def test_feed_properties(app: Flask) -> None:
    event = factories.event()
    db.session.commit()
    data = ical.build_calendar(
        ical.facts_of(event),
        name="Träffpunkt, alla",
        base_url="https://tp.example",
        include_join_url=False,
    )
    calendar = parse(data)
    assert calendar["METHOD"] == "PUBLISH"
    # icalendar leaves these two unparsed, so look at the escaped text itself.
    assert "\r\nX-WR-CALNAME:Träffpunkt\\, alla\r\n".encode() in data
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in data
    assert b"\r\nX-PUBLISHED-TTL:PT1H\r\n" in data
    assert "\r\nNAME:Träffpunkt\\, alla\r\n".encode() in data
    (uid,) = vevents(data)
    assert uid == f"session-{event.sessions[0].id}@tp.example"


AWKWARD = (
    "Möte, fika; och\nny rad 🎉🇸🇪 med \\ snedstreck "
    + "Energieffektiviseringsuppdragsgivarnätverksträff" * 2
    + " 😀" * 10
)


def test_escaping_and_folding(app: Flask) -> None:
    event = factories.event(title=AWKWARD, summary=AWKWARD, venue=AWKWARD, city="Luleå")
    db.session.commit()
    data = ical.event_calendar(event, include_join_url=False)

    (vevent,) = vevents(data).values()
    assert vevent["SUMMARY"] == AWKWARD
    assert AWKWARD in vevent["DESCRIPTION"]
    assert vevent["LOCATION"] == f"{AWKWARD}, Luleå"

    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    physical = data.split(b"\r\n")[:-1]
    for line in physical:
        assert len(line) <= 75, line
        line.decode("utf-8")  # raises when a fold cut a UTF-8 sequence
    # Folds fall between escapes: unfolded, each logical line splits into whole tokens at them.
    logical: list[list[bytes]] = []
    for line in physical:
        if line.startswith(b" "):
            logical[-1].append(line[1:])
        else:
            logical.append([line])
    folded = [pieces for pieces in logical if len(pieces) > 1]
    assert folded
    for pieces in folded:
        text = b"".join(pieces).decode()
        boundaries = {0}
        for token in re.findall(r"\\.|.", text, re.DOTALL):
            boundaries.add(max(boundaries) + len(token.encode()))
        position = 0
        for piece in pieces[:-1]:
            position += len(piece)
            assert position in boundaries, (pieces, position)


@pytest.mark.parametrize(
    "text",
    [
        "A" * 73 + "\\\\b",  # an escaped backslash right at the fold
        "A" * 72 + "\\,b" + "ö" * 80,
        "🎉" * 40,
        "x" * 74 + "é",
    ],
)
def test_fold_keeps_escapes_and_characters_whole(text: str) -> None:
    line = f"SUMMARY:{text}".encode()
    folded = ical.fold(line + b"\r\n")
    pieces = folded.split(b"\r\n")[:-1]
    assert all(len(p) <= 75 for p in pieces)
    assert all(p.startswith(b" ") for p in pieces[1:])
    joined = pieces[0] + b"".join(p[1:] for p in pieces[1:])
    assert joined == line
    for piece in pieces:
        piece.decode("utf-8")
        body = piece.lstrip(b" ")
        # No piece ends inside an escape: an odd run of trailing backslashes would.
        trailing = len(body) - len(body.rstrip(b"\\"))
        assert trailing % 2 == 0 or piece is pieces[-1], pieces


def icalendar_vevents(
    sessions: list[ical.SessionFacts], base_url: str, include_join_url: bool
) -> bytes:
    """The sessions' VEVENTs as icalendar itself writes them from the builder's values."""
    written = []
    for session in sessions:
        component = icalendar.Event()
        stamp = ical.changed_at(session)
        component.add("uid", ical.session_uid(session.id, base_url))
        component.add("sequence", session.event.sequence)
        component.add("dtstamp", stamp)
        component.add("last-modified", stamp)
        component.add("dtstart", session.starts_at.astimezone(STOCKHOLM))
        component.add("dtend", session.ends_at.astimezone(STOCKHOLM))
        component.add("summary", ical.summary(session))
        component.add("description", ical.description(session, base_url, include_join_url))
        location = ical.location(session, include_join_url)
        if location:
            component.add("location", location)
        component.add("url", ical.event_url(session.event.id, base_url))
        component.add("status", "CANCELLED" if ical.is_cancelled(session) else "CONFIRMED")
        written.append(ical.fold(component.to_ical()))
    return b"".join(written)


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("include_join_url", [False, True])
def test_vevents_are_byte_for_byte_what_icalendar_writes(
    app: Flask, language: str, include_join_url: bool
) -> None:
    """The builder writes VEVENT lines itself, for speed; icalendar is the reference."""
    odd = AWKWARD + " \\N \r\n \r" + "\\" * 5
    org = factories.organisation(name="Org, med; \\ tecken")
    series = factories.event(
        org,
        sessions=3,
        kind=EventKind.WORKSHOP_SERIES,
        title=odd,
        title_en="In English, too",
        summary=odd,
        summary_en="",
        venue=odd,
        venue_en="Elsewhere; indoors",
        city="Luleå",
    )
    series.sessions[1].title, series.sessions[1].title_en = "Mätning", "Measuring"
    series.sessions[1].venue = "Annan plats, våning 2"
    series.sessions[2].title = odd
    series.sessions[2].cancelled_at = factories.now()
    webinar = factories.event(
        org, kind=EventKind.WEBINAR, online_url="https://meet.example/j/1?pwd=a,b;c", venue=None
    )
    nowhere = factories.event(org, venue=None, city=None)
    called_off = factories.event(org, sessions=2, title="Inställd resa")
    db.session.commit()
    cancel_event(called_off.id)
    db.session.commit()

    with force_locale(language):
        sessions = [s for e in (series, webinar, nowhere, called_off) for s in ical.facts_of(e)]
        expected = icalendar_vevents(sessions, "https://tp.example", include_join_url)
        data = ical.build_calendar(
            sessions,
            name="Träffpunkt",
            base_url="https://tp.example",
            include_join_url=include_join_url,
            language=language,
        )
    written = data[data.index(b"BEGIN:VEVENT") : data.rindex(b"END:VCALENDAR")]
    assert written.count(b"BEGIN:VEVENT") == 7
    assert written == expected
