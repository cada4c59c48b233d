"""A person's requests: the copy holds every row they have; erasure leaves no trace of them."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, or_, select

from tests import factories as f
from tests.accounts import helpers as h
from tests.accounts.conftest import cheap_argon2  # noqa: F401 - an autouse fixture
from tests.conftest import csrf_from
from tests.privacy.helpers import rows_containing
from webapp.bookings import attendance
from webapp.bookings import services as bookings
from webapp.bookings.models import Attendance, Booking, BookingStatus, Participant
from webapp.db import db
from webapp.notifications.models import OutboxMessage
from webapp.organisations.audit import AuditEntry
from webapp.organisations.models import Role
from webapp.organisations.services import NotAllowed, current_notice
from webapp.privacy import requests
from webapp.privacy.requests import PrivacyError

EMAIL = "Lisa.Lund@Example.se"


def _person(name: str, email: str, need: str = "Glutenfri") -> bookings.ParticipantData:
    return bookings.ParticipantData(name=name, email=email, dietary_needs=need)


@pytest.fixture
def world(app):
    org = f.organisation()
    other = f.organisation()
    admin = h.user(org, Role.ADMIN)
    organiser = h.user(org, Role.ORGANISER)
    full = f.event(org, capacity=3, sessions=2)
    # Lisa alone on one booking (as contact and participant), and with a colleague on another.
    alone = bookings.register(
        full.id,
        f.company_data(1),
        bookings.ContactData(name="Lisa Lund", email=EMAIL, phone="070-1"),
        [_person("Lisa Lund", EMAIL)],
        consent_version="1",
        privacy_notice_id=current_notice(org.id).id,
        message="Hej",
    )
    shared = bookings.register(
        full.id,
        f.company_data(2),
        bookings.ContactData(name="Kalle Kula", email="kalle@example.se"),
        [
            _person("Lisa Lund", EMAIL.lower()),
            _person("Kalle Kula", "kalle@example.se", "Laktosfri"),
        ],
        consent_version="test",
    )
    waiting = f.book(full, 1, company=3)
    past = f.event(org, starts_at=full.starts_at - timedelta(days=60))
    db.session.flush()
    attended = bookings.register(
        past.id,
        f.company_data(1),
        bookings.ContactData(name="Lisa Lund", email=EMAIL),
        [_person("Lisa Lund", EMAIL)],
        consent_version="test",
        now=past.starts_at - timedelta(days=5),
    )
    attendance.mark(organiser, past, past.sessions[0].id, [attended.participants[0].id])
    # Another organisation's booking of the same person is not this organisation's to touch.
    elsewhere = bookings.register(
        f.event(other).id,
        f.company_data(1),
        bookings.ContactData(name="Lisa Lund", email=EMAIL),
        [_person("Lisa Lund", EMAIL)],
        consent_version="test",
    )
    db.session.commit()
    assert waiting.status == BookingStatus.WAITLISTED
    return dict(
        org=org,
        admin=admin,
        organiser=organiser,
        full=full,
        alone=alone,
        shared=shared,
        waiting=waiting,
        attended=attended,
        elsewhere=elsewhere,
    )


def test_the_copy_holds_every_row_the_person_has_in_the_organisation(world):
    data = requests.export(requests.find_person(world["admin"], world["org"].id, EMAIL.upper()))
    events = [world["full"].id, world["attended"].event_id]
    participants = db.session.scalars(
        select(Participant.id)
        .join(Booking)
        .where(Booking.event_id.in_(events), func.lower(Participant.email) == EMAIL.lower())
    ).all()
    assert sorted(p["id"] for p in data["participations"]) == sorted(participants)
    assert {b["id"] for b in data["bookings_as_contact"]} == {
        world["alone"].id,
        world["attended"].id,
    }
    messages = db.session.scalars(
        select(OutboxMessage.id).where(
            OutboxMessage.event_id.in_(events),
            or_(
                func.lower(OutboxMessage.recipient_email) == EMAIL.lower(),
                OutboxMessage.participant_id.in_(participants),
            ),
        )
    ).all()
    assert messages and sorted(m["id"] for m in data["emails"]) == sorted(messages)
    marks = db.session.scalars(
        select(Attendance.id).where(Attendance.participant_id.in_(participants))
    ).all()
    assert len(data["attendance"]) == len(marks) == 1 and data["attendance"][0]["present"]
    consent = data["bookings_as_contact"][0]["consent"]
    assert (consent["version"], consent["notice_version"]) == ("1", 1)
    assert (consent["notice_text_sv"], consent["notice_text_en"]) == ("Integritet v1", "Privacy v1")
    assert world["elsewhere"].id not in {b["id"] for b in data["bookings_as_contact"]}
    json.dumps(data)  # plain values only


def test_erasure_removes_the_address_everywhere_and_frees_seats_for_the_waiting_list(world):
    admin, org = world["admin"], world["org"]
    done = requests.erase(admin, org.id, EMAIL)
    db.session.commit()
    assert (done.participants, done.contacts, done.cancelled_bookings) == (3, 2, 1)
    db.session.expire_all()
    alone = db.session.get(Booking, world["alone"].id)
    assert alone.status == BookingStatus.CANCELLED
    shared = db.session.get(Booking, world["shared"].id)
    assert [p.name for p in shared.active_participants] == ["Kalle Kula"]
    assert db.session.get(Booking, world["waiting"].id).status == BookingStatus.CONFIRMED
    # The past event keeps its booking and attendance for the reports.
    past = db.session.get(Booking, world["attended"].id)
    assert past.status == BookingStatus.CONFIRMED and past.participants[0].anonymised_at
    assert db.session.scalar(select(func.count(Attendance.id))) == 1
    # Only the other organisation's booking still holds anything of hers.
    elsewhere = world["elsewhere"].id
    for text in (EMAIL, "Lisa Lund", "070-1", "Glutenfri", "Hej"):
        for table, row in rows_containing(text):
            assert table in ("bookings", "participants", "outbox_messages"), (text, table)
            owner = row.id if table == "bookings" else row.booking_id
            assert owner == elsewhere, (text, table, row)
    assert rows_containing(EMAIL)
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "privacy.erased")
    ).one()
    assert entry.user_id == admin.id and entry.details["participants"] == 3
    assert "lisa" not in json.dumps(entry.details).lower()


def test_only_admins_may_see_or_erase_and_bad_addresses_get_a_message(world):
    for user in (world["organiser"], None):
        with pytest.raises(NotAllowed):
            requests.find_person(user, world["org"].id, EMAIL)
        with pytest.raises(NotAllowed):
            requests.erase(user, world["org"].id, EMAIL)
    with pytest.raises(PrivacyError):
        requests.find_person(world["admin"], world["org"].id, "not an address")
    with pytest.raises(PrivacyError):
        requests.erase(world["admin"], world["org"].id, "nobody@example.se")


def test_the_admin_page_shows_the_copy_downloads_json_and_erases(world, client, app):
    app.config["WTF_CSRF_ENABLED"] = True
    h.login_session(client, world["admin"])
    url = f"/organisers/organisations/{world['org'].id}/personal-data"
    page = client.get(url)
    assert page.status_code == 200
    token = csrf_from(page.text)
    shown = client.post(url, data={"csrf_token": token, "email": EMAIL, "show": "1"})
    assert shown.status_code == 200 and "Glutenfri" in shown.text and "Hej" in shown.text
    assert "Privacy v1" in shown.text and "Integritet v1" in shown.text, "the notice agreed to"
    download = client.post(url, data={"csrf_token": token, "email": EMAIL, "download": "1"})
    assert download.mimetype == "application/json"
    assert len(download.json["participations"]) == 3
    bad = client.post(url, data={"csrf_token": token, "email": "nej", "show": "1"})
    assert bad.status_code == 422
    erased = client.post(url, data={"csrf_token": token, "email": EMAIL, "erase": "1"})
    assert erased.status_code == 303
    assert client.post(url, data={"email": EMAIL, "erase": "1"}).status_code == 400  # no CSRF
    again = client.post(url, data={"csrf_token": token, "email": EMAIL, "erase": "1"})
    assert again.status_code == 422


def test_the_booking_contact_erases_a_participant_from_the_manage_link(world, client, app):
    app.config["WTF_CSRF_ENABLED"] = True
    shared = world["shared"]
    token = bookings.manage_token(shared)
    page = client.get(f"/bookings/{token}")
    lisa = next(p for p in shared.participants if p.email == EMAIL.lower())
    assert f"/participants/{lisa.id}/erase" in page.text
    csrf = {"csrf_token": csrf_from(page.text)}
    asked = client.post(f"/bookings/{token}/participants/{lisa.id}/erase", data=csrf)
    assert asked.status_code == 200 and 'name="confirmed" value="yes"' in asked.text
    db.session.expire_all()
    assert db.session.get(Participant, lisa.id).anonymised_at is None, "asking changes nothing"
    csrf = {"csrf_token": csrf_from(asked.text), "confirmed": "yes"}
    response = client.post(f"/bookings/{token}/participants/{lisa.id}/erase", data=csrf)
    assert response.status_code == 303
    db.session.expire_all()
    row = db.session.get(Participant, lisa.id)
    assert row.cancelled_at and row.anonymised_at and row.name == "—"
    assert row.dietary_needs is None and EMAIL.lower() not in row.email
    assert client.post(f"/bookings/{token}/participants/{lisa.id}/erase").status_code == 400
    assert client.post("/bookings/1-forged/participants/1/erase", data=csrf).status_code == 404
    again = client.post(f"/bookings/{token}/participants/{lisa.id}/erase", data=csrf)
    assert again.status_code == 303 and "flash-error" in client.get(again.location).text


def test_the_copy_holds_the_registration_answers_and_erasure_removes_the_text(world):
    from webapp.questions.models import Answer, Question, QuestionKind, QuestionScope

    booking = world["attended"]
    asked = Question(
        event_id=booking.event_id,
        kind=QuestionKind.LONG_TEXT,
        scope=QuestionScope.BOOKING,
        text_sv="Vad vill ni få ut av dagen?",
        text_en="What do you want from the day?",
    )
    db.session.add(asked)
    db.session.flush()
    db.session.add(Answer(question_id=asked.id, booking_id=booking.id, value="Lisas svar"))
    db.session.commit()
    data = requests.export(requests.find_person(world["admin"], world["org"].id, EMAIL))
    [answer] = data["registration_answers"]
    assert answer["question"] == "Vad vill ni få ut av dagen?" and answer["answer"] == "Lisas svar"
    requests.erase(world["admin"], world["org"].id, EMAIL)
    db.session.commit()
    assert db.session.scalar(select(func.count(Answer.id))) == 0


def test_the_admin_page_lists_the_answers_as_read_with_choices_by_their_wording(world, client, app):
    from webapp.questions.models import Answer, Question, QuestionKind, QuestionScope

    booking = world["attended"]
    track = Question(
        event_id=booking.event_id,
        kind=QuestionKind.SINGLE_CHOICE,
        scope=QuestionScope.BOOKING,
        text_sv="Vilket spår?",
        text_en="Which track?",
        options=[{"key": "o1", "sv": "Energi", "en": "Energy"}],
    )
    db.session.add(track)
    db.session.flush()
    db.session.add(Answer(question_id=track.id, booking_id=booking.id, value="o1"))
    db.session.commit()
    h.login_session(client, world["admin"])
    url = f"/organisers/organisations/{world['org'].id}/personal-data"
    token = csrf_from(client.get(url).text)
    shown = client.post(
        url,
        data={"csrf_token": token, "email": EMAIL, "show": "1"},
        headers={"Accept-Language": "en"},
    )
    assert "Answers to registration questions" in shown.text
    assert "Which track?" in shown.text and "<dd>Energy</dd>" in shown.text
    [answer] = requests.export(requests.find_person(world["admin"], world["org"].id, EMAIL))[
        "registration_answers"
    ]
    assert answer["answer"] == "Energi" and answer["stored_value"] == "o1"
