"""The public event list and event page: filters, pagination, language, and query counts."""

from __future__ import annotations

from datetime import timedelta

from tests import factories as f
from webapp.db import db, utcnow
from webapp.events.models import EventKind, EventStatus


def test_list_shows_upcoming_published_events_first(client, app):
    org = f.organisation()
    later = f.event(org, title="Later event", starts_at=utcnow() + timedelta(days=20))
    sooner = f.event(org, title="Sooner event", starts_at=utcnow() + timedelta(days=2))
    f.event(org, title="Draft event", status=EventStatus.DRAFT)
    f.event(org, title="Past event", starts_at=utcnow() - timedelta(days=5))
    db.session.commit()
    text = client.get("/").text
    assert text.index(sooner.title) < text.index(later.title)
    assert "Draft event" not in text and "Past event" not in text
    assert "Past event" in client.get("/?when=past").text


def test_filters_by_kind_organisation_project_and_county(client, app):
    one, two = f.organisation(), f.organisation()
    proj = f.project(one)
    f.event(one, title="Webinar A", kind=EventKind.WEBINAR, project=proj)
    f.event(two, title="Trip B", kind=EventKind.STUDY_TRIP, county="12")
    db.session.commit()
    assert "Trip B" not in client.get("/?kind=webinar").text
    assert "Webinar A" not in client.get(f"/?organisation={two.slug}").text
    assert "Trip B" not in client.get(f"/?project={proj.slug}").text
    by_county = client.get("/?county=12").text
    assert "Trip B" in by_county and "Webinar A" not in by_county
    # Unknown filter values match nothing rather than failing.
    assert client.get("/?kind=nonsense&county=99&page=abc").status_code == 200


def test_pagination(client, app):
    app.config["EVENTS_PER_PAGE"] = 5
    org = f.organisation()
    for i in range(12):
        f.event(org, title=f"Numbered {i:02d}", starts_at=utcnow() + timedelta(days=i + 1))
    db.session.commit()
    page3 = client.get("/?page=3", headers={"Accept-Language": "en"}).text
    assert "Numbered 10" in page3 and "Numbered 11" in page3 and "Numbered 09" not in page3
    assert "Page 3 of 3" in page3
    assert client.get("/?page=99").status_code == 200


def test_detail_shows_sessions_in_stockholm_time_and_seats(client, app):
    # 2027-03-28 is the day Sweden moves to summer time: 08:00 UTC is 10:00 CEST.
    from datetime import UTC, datetime

    event = f.event(
        capacity=10,
        starts_at=datetime(2027, 3, 28, 8, 0, tzinfo=UTC),
        sessions=2,
        session_gap=timedelta(days=-1),
    )
    f.book(event, 3, now=datetime(2027, 3, 1, tzinfo=UTC))
    db.session.commit()
    text = client.get(f"/events/{event.id}", headers={"Accept-Language": "en"}).text
    assert "2027-03-27" in text and "09:00–12:00" in text  # CET, the day before
    assert "2027-03-28" in text and "10:00–13:00" in text  # CEST
    assert "7 seats left" in text


def test_detail_of_draft_or_unknown_event_is_404(client, app):
    draft = f.event(status=EventStatus.DRAFT)
    db.session.commit()
    assert client.get(f"/events/{draft.id}").status_code == 404
    assert client.get("/events/999999").status_code == 404


def test_full_event_offers_the_waiting_list(client, app):
    event = f.event(capacity=1)
    f.book(event, 1)
    db.session.commit()
    text = client.get(f"/events/{event.id}", headers={"Accept-Language": "en"}).text
    assert "Full – waiting list" in text and "Join the waiting list" in text


def test_language_switch_is_remembered(client, app):
    f.event()
    db.session.commit()
    assert '<html lang="sv">' in client.get("/").text
    # No CSRF token: the switch is on every page, and a token would give every visitor a
    # session (webapp.http_cache).
    response = client.post("/language", data={"lang": "en", "next": "/?kind=webinar"})
    assert response.status_code == 303 and response.headers["Location"] == "/?kind=webinar"
    assert '<html lang="en">' in client.get("/").text
    # An outside address is never a redirect target.
    response = client.post(
        "/language",
        data={"lang": "sv", "next": "https://evil.example"},
    )
    assert response.headers["Location"] == "/"


def test_browser_language_is_used_when_nothing_was_chosen(client, app):
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "en-GB,en;q=0.8"}).text
    assert '<html lang="sv">' in client.get("/", headers={"Accept-Language": "de"}).text


def _fill(n_events: int, bookings_per_event: int) -> int:
    """Add events (two sessions each) and confirmed bookings on the first, in bulk."""
    from webapp.bookings.models import Booking, BookingStatus, Participant
    from webapp.companies.models import Company, SizeClass
    from webapp.events.models import Event, EventSession

    orgs = [f.organisation() for _ in range(3)]
    proj = f.project(orgs[0], partners=orgs[1:])
    start = utcnow() + timedelta(days=10)
    events = []
    for i in range(n_events):
        event = Event(
            organisation=orgs[i % 3],
            project=proj if i % 2 else None,
            title=f"Bulk {i}",
            kind=EventKind.CONFERENCE,
            status=EventStatus.PUBLISHED,
            capacity=None,
            starts_at=start,
            ends_at=start + timedelta(days=1, hours=3),
        )
        event.sessions = [
            EventSession(
                starts_at=start + timedelta(days=d), ends_at=start + timedelta(days=d, hours=3)
            )
            for d in (0, 1)
        ]
        events.append(event)
    db.session.add_all(events)
    db.session.flush()
    tag = f.next_tag()
    for b in range(bookings_per_event):
        company = Company(
            country="SE", org_number=f"{tag}-{b}", name=f"Bulk {b} AB", size_class=SizeClass.SMALL
        )
        db.session.add(
            Booking(
                event=events[0],
                company=company,
                status=BookingStatus.CONFIRMED,
                seats_held=2,
                contact_name="K",
                contact_email="k@example.se",
                consent_version="t",
                consent_at=utcnow(),
                token_nonce="n",
                participants=[
                    Participant(
                        name=f"P{b}-{k}", email=f"p{b}.{k}@example.se", feed_nonce=f"n{b}.{k}"
                    )
                    for k in range(2)
                ],
            )
        )
    events[0].seats_taken = 2 * bookings_per_event
    db.session.commit()
    return events[0].id


URLS = ["/", "/?kind=conference", "/?page=2", "/events/{id}", "/events/{id}/register"]


def test_query_count_does_not_grow_with_data(client, app, count_queries):
    """10 events with 10 bookings, then 1,000 more with 1,000 bookings: same queries per page."""
    app.config["EVENTS_PER_PAGE"] = 20

    def measure(event_id: int) -> dict[str, int]:
        counts = {}
        for url in URLS:
            # The registration form gave the client a session (its CSRF token); without
            # one it reads as an anonymous visitor, served through the page cache.
            client.delete_cookie("session")
            with count_queries() as statements:
                assert client.get(url.format(id=event_id)).status_code == 200
            counts[url] = len(statements)
        return counts

    small = measure(_fill(10, 10))
    large = measure(_fill(1000, 1000))
    assert small == large
    assert max(small.values()) <= 6, small


def test_a_study_trip_page_speaks_of_applying_and_its_last_day(client, app):
    trip = f.event(kind=EventKind.STUDY_TRIP, requires_approval=True)
    trip.registration_closes_at = trip.starts_at - timedelta(days=10)
    conference = f.event(kind=EventKind.CONFERENCE)
    conference.registration_closes_at = conference.starts_at - timedelta(days=1)
    db.session.commit()
    swedish = client.get(f"/events/{trip.id}", headers={"Accept-Language": "sv"}).text
    assert "Sista ansökningsdag" in swedish and "Sista anmälningsdag" not in swedish
    assert "när ansökningstiden har gått ut" in swedish and "anmälan har stängt" not in swedish
    english = client.get(f"/events/{trip.id}", headers={"Accept-Language": "en"}).text
    assert "Last day to apply" in english and "Registration closes" not in english
    other = client.get(f"/events/{conference.id}", headers={"Accept-Language": "sv"}).text
    assert "Sista anmälningsdag" in other and "ansökningsdag" not in other


def test_a_study_trip_before_and_after_its_application_period(client, app):
    early = f.event(kind=EventKind.STUDY_TRIP, requires_approval=True)
    early.registration_opens_at = utcnow() + timedelta(days=3)
    late = f.event(kind=EventKind.STUDY_TRIP, requires_approval=True)
    late.registration_opens_at = utcnow() - timedelta(days=20)
    late.registration_closes_at = utcnow() - timedelta(days=1)
    db.session.commit()
    sv = {"Accept-Language": "sv"}
    listing = client.get("/", headers=sv).text
    assert "Ansökan öppnar" in listing and "Ansökningstiden har gått ut" in listing
    assert "Ansök – urval görs" not in listing
    before = client.get(f"/events/{early.id}", headers=sv).text
    assert "Ansökan öppnar:" in before and "Ansökan är inte öppen." in before
    after = client.get(f"/events/{late.id}", headers=sv).text
    assert "Ansökningstiden har gått ut." in after and "Ansökan öppnar" not in after
    form = client.get(f"/events/{early.id}/register", headers=sv).text
    assert "Ansökan öppnar 20" in form and "stängd" not in form
    closed = client.get(f"/events/{late.id}/register", headers={"Accept-Language": "en"}).text
    assert "The application period has ended." in closed
