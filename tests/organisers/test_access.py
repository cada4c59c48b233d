"""The authorisation matrix: every organiser URL × every kind of visitor.

Anonymous visitors are sent to the login page (302); logged-in users without the needed
role get 403; those with it get the page (200) or, for actions, the redirect that follows a
done action (303). Partner organisations of the event's project read the attendee list and
its exports and the project's report, nothing else.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import select

from tests import factories as f
from tests.accounts import helpers as h
from tests.conftest import csrf_from
from webapp.bookings.models import Attendance, Booking, BookingStatus
from webapp.checkin import services as checkin
from webapp.companies.models import Company
from webapp.db import db
from webapp.events.models import Event, EventStatus
from webapp.notifications.models import OutboxMessage
from webapp.organisations.services import current_notice

# Who may: "any" logged-in user, event "viewer"s (members of the event's organisation),
# "reader"s (viewers plus partner organisations), "organiser"s of the event's
# organisation, "admin"s of it, "creator"s (organiser anywhere), "partner_member"s (members
# of the partner organisation), "invited" (admins of the organisation invited to a project),
# "site" administrators.
GET_PAGES = [
    ("/organisers/", "any"),
    ("/organisers/password", "any"),
    ("/organisers/events/new", "creator"),
    ("/organisers/events/{event}/edit", "organiser"),
    ("/organisers/events/{event}/log", "viewer"),
    ("/organisers/events/{event}/attendance", "viewer"),
    # Check-in at the door and badge sheets: organisers (they carry names and codes).
    ("/organisers/events/{event}/check-in", "organiser"),
    ("/organisers/events/{event}/check-in?q=Deltagare", "organiser"),
    ("/organisers/events/{event}/badges.pdf?layout=90x55", "organiser"),
    ("/organisers/events/{event}/attendees", "reader"),
    ("/organisers/events/{event}/attendees/print", "reader"),
    ("/organisers/events/{event}/attendees.csv", "reader"),
    ("/organisers/events/{event}/attendees.xlsx", "reader"),
    # Need to know: the caterer's list (needs counted, no names) is for organisers.
    ("/organisers/events/{event}/catering", "organiser"),
    ("/organisers/organisations/{home}/personal-data", "admin"),
    ("/organisers/events/{event}/bookings/new", "organiser"),
    ("/organisers/bookings/{booking}", "organiser"),
    ("/organisers/participants/{participant}/edit", "organiser"),
    ("/organisers/organisations/{home}/members", "admin"),
    ("/organisers/events/{event}/outbox", "viewer"),
    # The evaluation's results (with its free text): the running organisation's members.
    ("/organisers/events/{event}/feedback", "viewer"),
    # Writing to participants shows one of their emails (with a manage link): organisers.
    ("/organisers/events/{event}/messages/new", "organiser"),
    # A rendered message carries the company's manage link: organisers only.
    ("/organisers/outbox/{message}", "organiser"),
    # Reports: an organisation's for its members, a project's for its lead and partners.
    ("/organisers/reports/", "any"),
    ("/organisers/reports/organisations/{home}", "viewer"),
    ("/organisers/reports/organisations/{home}/report.xlsx", "viewer"),
    ("/organisers/reports/organisations/{home}/participants.csv", "viewer"),
    ("/organisers/reports/projects/{project}?first=2026-01-01&last=2026-12-31", "reader"),
    ("/organisers/reports/projects/{project}/report.xlsx", "reader"),
    ("/organisers/reports/projects/{project}/participants.csv", "reader"),
    # The register: the list shows each user the companies of their own events only.
    ("/organisers/companies", "any"),
    ("/organisers/companies/{company}", "reader"),
    ("/organisers/companies/{company}/edit", "organiser"),
    ("/organisers/companies/{company}/merge", "organiser"),
    # The company directory: organisers of an organisation it booked with hide a profile.
    ("/organisers/companies/{company}/directory/hide", "organiser"),
    ("/organisers/organisations/{home}/settings", "admin"),
    ("/organisers/organisations/{home}/log", "admin"),
    ("/organisers/organisations/{home}/projects", "viewer"),
    ("/organisers/organisations/{home}/projects/new", "admin"),
    ("/organisers/organisations/{partner}/projects", "partner_member"),
    ("/organisers/projects/{project}", "reader"),
    ("/organisers/projects/{project}/edit", "admin"),
    ("/organisers/privacy-notices/{notice}", "viewer"),
    ("/organisers/site/organisations", "site"),
]

POST_ACTIONS = [
    ("/organisers/events/{event}/duplicate", "organiser", {}),
    ("/organisers/events/{event}/selection", "organiser", {"decision": "approve"}),
    (
        "/organisers/events/{event}/attendance",
        "organiser",
        {"session": "{session}", "confirmed": "yes"},
    ),
    (
        "/organisers/events/{event}/check-in",
        "organiser",
        {"session": "{session}", "code": "{checkin_code}"},
    ),
    (
        "/organisers/bookings/{booking}/move",
        "organiser",
        {"target": "waitlist", "confirmed": "yes"},
    ),
    ("/organisers/participants/{participant}/remove", "organiser", {"confirmed": "yes"}),
    (
        "/organisers/organisations/{home}/invitations",
        "admin",
        {"email": "new@org.example.se", "role": "viewer"},
    ),
    ("/organisers/events/{event}/unpublish", "organiser", {}),
    ("/organisers/events/{event}/publish", "organiser", {}),
    ("/organisers/events/{event}/follow-up", "organiser", {"text": "Tack för i dag!"}),
    (
        "/organisers/events/{event}/messages/new",
        "organiser",
        {"audience": "everyone", "subject_sv": "Hej", "body_sv": "Välkomna!", "confirmed": "yes"},
    ),
    ("/organisers/outbox/{message}/resend", "organiser", {}),
    (
        "/organisers/events/{event}/feedback/questions",
        "organiser",
        {"question_1_sv": "Vad tar du med dig?"},
    ),
    (
        "/organisers/companies/{company}/edit",
        "organiser",
        {
            "name": "Rättat Namn AB",
            "country": "SE",
            "org_number": "{company_number}",
            "county": "14",
            "size_class": "medium",
        },
    ),
    ("/organisers/events/{event}/cancel", "organiser", {"confirmed": "yes"}),
    ("/organisers/companies/{company}/directory/hide", "organiser", {"reason": "Spam"}),
    ("/organisers/companies/{company}/directory/show", "organiser", {}),
    (
        "/organisers/organisations/{home}/settings",
        "admin",
        {"name": "Teknikparken", "slug": "teknikparken", "country": "SE"},
    ),
    (
        "/organisers/organisations/{home}/privacy-notice",
        "admin",
        {"text_sv": "Ny text", "text_en": "New text"},
    ),
    (
        "/organisers/organisations/{home}/projects/new",
        "admin",
        {"name": "Nytt", "slug": "nytt", "status": "active"},
    ),
    (
        "/organisers/projects/{project}/edit",
        "admin",
        {"name": "Ändrat", "slug": "andrat", "status": "active"},
    ),
    ("/organisers/partner-invitations/{invitation}/accept", "invited", {}),
    ("/organisers/partner-invitations/{other_invitation}/withdraw", "admin", {}),
    ("/organisers/projects/{project}/partners", "admin", {"organisation": "{other_slug}"}),
    ("/organisers/organisations/{home}/members/{viewer}/deactivate", "admin", {}),
    ("/organisers/organisations/{home}/members/{viewer}/reactivate", "admin", {}),
    (
        "/organisers/site/organisations",
        "site",
        {
            "name": "Nya klustret",
            "slug": "nya-klustret",
            "country": "FI",
            "admin_email": "chef@nya.fi",
        },
    ),
    ("/organisers/projects/{project}/partners/{partner}/remove", "admin", {}),
    ("/organisers/events/{event}/leave-project", "admin", {}),
]

#: Actions that first answer with a confirmation page (webapp.confirming): only to those
#: allowed to act; everyone else gets the same refusal as for the action itself.
ASKING_ACTIONS = [
    ("/organisers/events/{event}/attendance", "organiser", {"session": "{session}"}),
    ("/organisers/bookings/{booking}/move", "organiser", {"target": "cancel"}),
    ("/organisers/participants/{participant}/remove", "organiser", {}),
    ("/organisers/events/{event}/cancel", "organiser", {}),
    (
        "/organisers/events/{event}/messages/new",
        "organiser",
        {"audience": "confirmed", "subject_sv": "Hej", "body_sv": "Välkomna!"},
    ),
    ("/organisers/memberships/{membership}/remove", "admin", {}),
]

ALLOWED = {
    "anonymous": set(),
    "viewer": {"any", "viewer", "reader"},
    "partner": {"any", "reader", "partner_member"},
    # Admin of the partner organisation: answers its invitations, reads as a partner.
    "partner_admin": {"any", "reader", "partner_member", "creator", "invited"},
    "other_organiser": {"any", "creator"},
    "organiser": {"any", "viewer", "reader", "organiser", "creator"},
    "admin": {"any", "viewer", "reader", "organiser", "creator", "admin"},
    "site_admin": {"any", "site"},
}


def _ids(world) -> dict[str, int]:
    return {
        "event": world.event.id,
        "booking": world.booking.id,
        "participant": world.booking.participants[0].id,
        "session": world.event.sessions[0].id,
        "home": world.home.id,
        "company": world.booking.company_id,
        "company_number": world.booking.company.org_number,
        "partner": world.partner.id,
        "project": world.project.id,
        "invitation": world.invitations[0].id,
        "other_invitation": world.invitations[1].id,
        "other_slug": world.other.slug,
        "viewer": world.people["viewer"].id,
        "notice": current_notice(world.home.id).id,
        "checkin_code": checkin.code(world.booking.participants[1]),
        "message": db.session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.event_id == world.event.id)
        ).first(),
    }


@pytest.mark.parametrize("who", list(ALLOWED))
def test_every_organiser_page_answers_each_visitor_as_it_should(client, world, who):
    person = world.people[who]
    if person is not None:
        h.login_session(client, person)
    ids = _ids(world)
    wrong = []
    for template, level in GET_PAGES:
        url = template.format(**ids)
        response = client.get(url)
        expected = 302 if who == "anonymous" else 200 if level in ALLOWED[who] else 403
        if response.status_code != expected:
            wrong.append((url, response.status_code, expected))
        if expected == 302:
            assert "/organisers/login" in response.headers["Location"]
    assert not wrong


@pytest.mark.parametrize("who", list(ALLOWED))
def test_every_organiser_action_answers_each_visitor_as_it_should(client, world, who):
    person = world.people[who]
    token = csrf_from(client.get("/organisers/login").text)
    if person is not None:
        h.login_session(client, person)
    ids = _ids(world)
    wrong = []
    for template, level, data in POST_ACTIONS:
        url = template.format(**ids)
        form = {k: v.format(**ids) for k, v in data.items()}
        response = client.post(url, data={**form, "csrf_token": token})
        expected = 302 if who == "anonymous" else 303 if level in ALLOWED[who] else 403
        if response.status_code != expected:
            wrong.append((url, response.status_code, expected))
    assert not wrong


NEEDS = ("Halal utan fläsk", "Hörslinga behövs", "070-987 65 43", "Kommer med rullator")


@pytest.mark.parametrize("who", ["viewer", "partner", "partner_admin", "organiser", "admin"])
def test_needs_phone_and_message_reach_only_the_running_organisations_organisers(
    client, world, who
):
    """Every format of the attendee list: the page, the print view, CSV and XLSX."""
    booking = world.booking
    booking.participants[0].dietary_needs = NEEDS[0]
    booking.participants[1].accessibility_needs = NEEDS[1]
    booking.contact_phone = NEEDS[2]
    booking.message = NEEDS[3]
    db.session.commit()
    h.login_session(client, world.people[who])
    base = f"/organisers/events/{world.event.id}/attendees"
    bodies = {
        "page": client.get(base).text,
        "print": client.get(base + "/print").text,
        "csv": client.get(base + ".csv").data.decode("utf-8-sig"),
        "xlsx": _xlsx_text(client.get(base + ".xlsx").data),
    }
    allowed = who in ("organiser", "admin")
    for fmt, body in bodies.items():
        for text in NEEDS[:3] if fmt in ("csv", "xlsx") else NEEDS[:2] if fmt == "print" else NEEDS:
            assert (text in body) is allowed, (fmt, text)
        assert booking.participants[0].name in body, fmt
    for fmt in ("page", "print"):
        assert "1 med kostbehov" in bodies[fmt] or "1 with dietary needs" in bodies[fmt], fmt
    catering = client.get(f"/organisers/events/{world.event.id}/catering")
    assert catering.status_code == (200 if allowed else 403)
    if allowed:
        assert NEEDS[0] in catering.text and booking.participants[0].name not in catering.text


def _xlsx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode() for name in archive.namelist())


@pytest.mark.parametrize("who", list(ALLOWED))
def test_confirmation_pages_are_shown_only_to_those_who_may_act(client, world, who):
    person = world.people[who]
    token = csrf_from(client.get("/organisers/login").text)
    if person is not None:
        h.login_session(client, person)
    ids = _ids(world)
    ids["membership"] = world.people["viewer"].memberships[0].id
    wrong = []
    for template, level, data in ASKING_ACTIONS:
        url = template.format(**ids)
        form = {k: v.format(**ids) for k, v in data.items()}
        response = client.post(url, data={**form, "csrf_token": token})
        expected = 302 if who == "anonymous" else 200 if level in ALLOWED[who] else 403
        if response.status_code != expected:
            wrong.append((url, response.status_code, expected))
        if response.status_code == 200:
            assert 'name="confirmed" value="yes"' in response.text
    assert not wrong
    # Asking changed nothing.
    db.session.expire_all()
    assert db.session.get(Booking, world.booking.id).status == BookingStatus.CONFIRMED
    assert db.session.get(Event, world.event.id).status == EventStatus.PUBLISHED
    assert all(
        p.cancelled_at is None for p in db.session.get(Booking, world.booking.id).participants
    )
    assert db.session.scalars(select(Attendance)).first() is None


def test_unknown_event_is_404_for_organisers(client, world):
    h.login_session(client, world.people["admin"])
    assert client.get("/organisers/events/999999/edit").status_code == 404
    assert client.get("/organisers/events/999999/attendees").status_code == 404
    assert client.get("/organisers/reports/projects/999999").status_code == 404
    assert client.get("/organisers/reports/organisations/999999/report.xlsx").status_code == 404


@pytest.mark.parametrize("who", list(ALLOWED))
def test_company_corrections_and_merges_are_done_or_refused_for_each_visitor(client, world, who):
    """Not only the status: the register changes for organisers, and for nobody else."""
    company = world.booking.company
    duplicate = f.book(world.event, 1, company=99).company
    db.session.commit()
    token = csrf_from(client.get("/organisers/login").text)
    person = world.people[who]
    if person is not None:
        h.login_session(client, person)
    allowed = "organiser" in ALLOWED[who]
    edited = client.post(
        f"/organisers/companies/{company.id}/edit",
        data={
            "csrf_token": token,
            "name": "Rättat Namn AB",
            "country": "SE",
            "org_number": company.org_number,
            "county": "14",
            "size_class": "medium",
        },
    )
    merged = client.post(
        f"/organisers/companies/{company.id}/merge",
        data={
            "csrf_token": token,
            "duplicate": str(duplicate.id),
        },
    )
    expected = 302 if who == "anonymous" else 303 if allowed else 403
    assert (edited.status_code, merged.status_code) == (expected, expected)
    db.session.expire_all()
    assert (db.session.get(Company, company.id).name == "Rättat Namn AB") is allowed
    assert (db.session.get(Company, duplicate.id).merged_into_id == company.id) is allowed


@pytest.mark.parametrize("who", ["viewer", "partner", "other_organiser", "organiser"])
def test_the_company_list_shows_only_companies_of_the_visitors_events(client, world, who):
    h.login_session(client, world.people[who])
    text = client.get("/organisers/companies").text
    assert (world.booking.company.name in text) is (who != "other_organiser")


def test_unknown_company_is_404_for_organisers(client, world):
    h.login_session(client, world.people["admin"])
    for url in (
        "/organisers/companies/999999",
        "/organisers/companies/999999/edit",
        "/organisers/companies/999999/merge",
    ):
        assert client.get(url).status_code == 404, url


# De minimis aid (webapp.aid): the event's project is aid, one booking granted, one pending.
AID_PAGES = [
    ("/organisers/events/{event}/aid", "organiser"),
    ("/organisers/projects/{project}/aid", "organiser"),
    ("/organisers/aid/grants/{grant}", "viewer"),
    ("/organisers/aid/grants/{grant}.pdf", "viewer"),
    ("/organisers/organisations/{home}/aid", "viewer"),
    ("/organisers/organisations/{home}/aid.xlsx?start=2020-01-01&end=2099-12-31", "viewer"),
    ("/organisers/projects/{project}/aid/register", "viewer"),
    ("/organisers/projects/{project}/aid/register.xlsx?start=2020-01-01&end=2099-12-31", "viewer"),
]


def _aid_world(world) -> dict[str, int]:
    from datetime import date
    from decimal import Decimal

    from webapp.aid import services as aid
    from webapp.aid.models import AidBasis
    from webapp.events.models import EventKind

    organiser = world.people["organiser"]
    project = world.event.project
    aid.set_rate(organiser, project.id, date(2020, 1, 1), Decimal("11.5"))
    aid.set_project_scheme(organiser, project.id, AidBasis.PER_PARTICIPANT, Decimal("23000"))
    granted = f.book(world.event, 1, company=2)
    trip = f.event(world.home, project=project, kind=EventKind.STUDY_TRIP, requires_approval=True)
    pending = f.book(trip, 1, company=3)
    db.session.commit()
    return {
        **_ids(world),
        "project": project.id,
        "grant": aid.grant_for_booking(granted.id).id,
        "pending": pending.id,
    }


@pytest.mark.parametrize("who", list(ALLOWED))
def test_every_aid_page_and_action_answers_each_visitor_as_it_should(client, world, who):
    from webapp.aid.models import AidGrant
    from webapp.bookings.models import Booking

    ids = _aid_world(world)
    person = world.people[who]
    token = csrf_from(client.get("/organisers/login").text)
    if person is not None:
        h.login_session(client, person)
    wrong = []
    for template, level in AID_PAGES:
        url = template.format(**ids)
        expected = 302 if who == "anonymous" else 200 if level in ALLOWED[who] else 403
        if (status := client.get(url).status_code) != expected:
            wrong.append((url, status, expected))
    actions = [
        ("/organisers/events/{event}/aid", {"basis": "per_company", "amount_sek": "5750"}),
        ("/organisers/projects/{project}/aid", {"basis": "per_participant", "amount_sek": "23000"}),
        (
            "/organisers/projects/{project}/aid/rates",
            {"valid_from": "2021-01-01", "sek_per_eur": "10"},
        ),
        ("/organisers/aid/grants/{grant}/correct", {"amount_sek": "11500", "reason": "Halv dag"}),
        ("/organisers/bookings/{pending}/aid/approve", {"reason": "Styrgruppens beslut"}),
    ]
    allowed = "organiser" in ALLOWED[who]
    for template, data in actions:
        url = template.format(**ids)
        expected = 302 if who == "anonymous" else 303 if allowed else 403
        if (status := client.post(url, data={**data, "csrf_token": token}).status_code) != expected:
            wrong.append((url, status, expected))
    assert not wrong
    db.session.expire_all()
    # Not only the status: the changes were made for organisers, and for nobody else.
    assert (db.session.get(AidGrant, ids["grant"]).amount_sek == 11500) is allowed
    assert (db.session.get(Booking, ids["pending"]).status.value == "confirmed") is allowed


# Registration questions (webapp.questions): organisers of the event's organisation only.
QUESTION_PAGES = [
    ("/organisers/events/{event}/questions", "organiser"),
    ("/organisers/questions/{question}/edit", "organiser"),
]


@pytest.mark.parametrize("who", list(ALLOWED))
def test_every_question_page_and_action_answers_each_visitor_as_it_should(client, world, who):
    from webapp.questions import services as questions
    from webapp.questions.models import Question, QuestionKind, QuestionScope

    def add(text: str) -> int:
        data = questions.QuestionData(
            kind=QuestionKind.SHORT_TEXT,
            scope=QuestionScope.BOOKING,
            required=False,
            text_sv=text,
            text_en=text,
        )
        return questions.add_question(world.people["organiser"], world.event.id, data).id

    ids = {**_ids(world), "question": add("Fråga"), "spare": add("Reserv")}
    db.session.commit()
    person = world.people[who]
    token = csrf_from(client.get("/organisers/login").text)
    if person is not None:
        h.login_session(client, person)
    wrong = []
    for template, level in QUESTION_PAGES:
        url = template.format(**ids)
        expected = 302 if who == "anonymous" else 200 if level in ALLOWED[who] else 403
        if (status := client.get(url).status_code) != expected:
            wrong.append((url, status, expected))
    new = {"text_sv": "Ny", "text_en": "New", "kind": "yes_no", "scope": "booking"}
    actions = [
        ("/organisers/events/{event}/questions", new),
        (
            "/organisers/questions/{question}/edit",
            {**new, "kind": "short_text", "text_sv": "Ändrad"},
        ),
        ("/organisers/questions/{question}/move", {"to": "down"}),
        ("/organisers/questions/{question}/hide", {"hidden": "1"}),
        ("/organisers/questions/{spare}/delete", {"confirmed": "yes"}),
    ]
    allowed = "organiser" in ALLOWED[who]
    for template, data in actions:
        url = template.format(**ids)
        expected = 302 if who == "anonymous" else 303 if allowed else 403
        if (status := client.post(url, data={**data, "csrf_token": token}).status_code) != expected:
            wrong.append((url, status, expected))
    assert not wrong
    db.session.expire_all()
    changed = db.session.get(Question, ids["question"])
    assert (changed.text_sv == "Ändrad" and changed.hidden) is allowed
    assert (db.session.get(Question, ids["spare"]) is None) is allowed
    assert ("Ny" in [q.text_sv for q in questions.questions_for(world.event.id)]) is allowed


# Meetings (webapp.meetings): the event offers them, one slot with two tables, an accepted
# meeting between the booking's two participants' companies and one more booking.
MEETING_PAGES = [
    ("/organisers/events/{event}/meetings", "viewer"),
    ("/organisers/events/{event}/meetings/agendas", "viewer"),
    ("/organisers/events/{event}/meetings/tables", "viewer"),
    ("/organisers/meetings/{meeting}/move", "organiser"),
    ("/organisers/meetings/{meeting}/cancel", "organiser"),
]


def _meeting_world(world) -> dict[str, int]:
    from datetime import datetime, time, timedelta

    from webapp.i18n import STOCKHOLM
    from webapp.meetings import services as meetings

    organiser = world.people["organiser"]
    start = world.event.sessions[0].starts_at.astimezone(STOCKHOLM)
    # Slots within the (three-hour) session, on one day: started late in the evening, the
    # session's first 40 minutes pass midnight, so the slots go after it.
    if (start + timedelta(minutes=40)).date() != start.date():
        start = datetime.combine(start.date() + timedelta(days=1), time(0), STOCKHOLM)
    meetings.set_enabled(organiser, world.event.id, True)
    first, spare = meetings.generate_slots(
        organiser,
        world.event.id,
        start.date(),
        start.time(),
        (start + timedelta(minutes=40)).time(),
        20,
        2,
    )
    other = f.book(world.event, 1, company=5)
    people = [world.booking.participants[0], other.participants[0]]
    for booking, person in ((world.booking, people[0]), (other, people[1])):
        meetings.save_profile(booking, person.id, meetings.prefill(person))
    meeting = meetings.request(other, people[1].id, people[0].id, first.id, None)
    meetings.answer(world.booking, people[0].id, meeting.id, True)
    db.session.commit()
    return {**_ids(world), "meeting": meeting.id, "first": first.id, "spare": spare.id}


@pytest.mark.parametrize("who", list(ALLOWED))
def test_every_meeting_page_and_action_answers_each_visitor_as_it_should(client, world, who):
    from webapp.meetings.models import Meeting, MeetingSlot, MeetingStatus

    ids = _meeting_world(world)
    person = world.people[who]
    token = csrf_from(client.get("/organisers/login").text)
    if person is not None:
        h.login_session(client, person)
    wrong = []
    for template, level in MEETING_PAGES:
        url = template.format(**ids)
        expected = 302 if who == "anonymous" else 200 if level in ALLOWED[who] else 403
        if (status := client.get(url).status_code) != expected:
            wrong.append((url, status, expected))
    actions = [
        ("/organisers/events/{event}/meetings/settings", {"enabled": "y"}),
        ("/organisers/meetings/{meeting}/move", {"slot": "{spare}"}),
        # Moved out of the first slot, which can go now.
        ("/organisers/meetings/slots/{first}/delete", {}),
        ("/organisers/meetings/{meeting}/cancel", {"reason": "Krock"}),
    ]
    allowed = "organiser" in ALLOWED[who]
    for template, data in actions:
        url = template.format(**ids)
        form = {k: v.format(**ids) for k, v in data.items()}
        expected = 302 if who == "anonymous" else 303 if allowed else 403
        if (status := client.post(url, data={**form, "csrf_token": token}).status_code) != expected:
            wrong.append((url, status, expected))
    assert not wrong
    db.session.expire_all()
    # Not only the status: the changes were made for organisers, and for nobody else.
    meeting = db.session.get(Meeting, ids["meeting"])
    assert (meeting.status == MeetingStatus.CANCELLED) is allowed
    assert (db.session.get(MeetingSlot, ids["first"]) is None) is allowed
