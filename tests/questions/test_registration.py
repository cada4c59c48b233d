"""Every kind of question through the real registration form, and the manage page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests import factories as f
from tests.accounts import helpers as h
from tests.bookings.test_views import open_form, registration_form
from tests.conftest import csrf_from
from tests.questions.helpers import question
from webapp.bookings.models import Booking, Participant
from webapp.bookings.services import manage_token
from webapp.db import db
from webapp.events.models import EventKind
from webapp.questions.models import Answer, QuestionKind, QuestionScope

EN = {"Accept-Language": "en"}


@pytest.fixture
def world(app):
    org = f.organisation()
    organiser = h.user(org)
    event = f.event(org, capacity=20, max_per_company=5)
    qs = {
        kind: question(organiser, event.id, kind, text=f"Q {kind.value}") for kind in QuestionKind
    }
    per_person = question(
        organiser,
        event.id,
        QuestionKind.SINGLE_CHOICE,
        scope=QuestionScope.PARTICIPANT,
        text="Which track",
    )
    db.session.commit()
    return {"event": event, "organiser": organiser, "qs": qs, "per_person": per_person}


def _answers(world, participants: int = 1) -> dict[str, str]:
    qs = world["qs"]
    data = {
        f"questions-q{qs[QuestionKind.SHORT_TEXT].id}": "  REF-4711 ",
        f"questions-q{qs[QuestionKind.LONG_TEXT].id}": "Vi vill lära oss\nmer om export.",
        f"questions-q{qs[QuestionKind.SINGLE_CHOICE].id}": "o2",
        f"questions-q{qs[QuestionKind.YES_NO].id}": "yes",
        f"questions-q{qs[QuestionKind.NUMBER].id}": "3,5",
        f"questions-q{qs[QuestionKind.DATE].id}": "2027-03-15",
    }
    data[f"questions-q{qs[QuestionKind.MULTIPLE_CHOICE].id}"] = ["o1", "o2"]  # type: ignore[assignment]
    for i in range(participants):
        data[f"questions-p{i}-q{world['per_person'].id}"] = "o1" if i == 0 else "o2"
    return data


def _post(client, world, participants=1, **changes):
    event = world["event"]
    token = open_form(client, event)
    data = {**registration_form(token, participants=participants), **_answers(world, participants)}
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return client.post(f"/events/{event.id}/register", data=data, headers=EN)


def _stored() -> dict[int, list[str]]:
    rows = db.session.execute(select(Answer.question_id, Answer.value).order_by(Answer.id))
    found: dict[int, list[str]] = {}
    for question_id, value in rows:
        found.setdefault(question_id, []).append(value)
    return found


def test_the_form_asks_every_kind(client, world):
    page = client.get(f"/events/{world['event'].id}/register", headers=EN).text
    for kind, q in world["qs"].items():
        assert f"Q {kind.value}" in page
        assert f'name="questions-q{q.id}"' in page
    assert 'type="checkbox"' in page and 'type="radio"' in page
    assert f'name="questions-p0-q{world["per_person"].id}"' in page
    assert "Track A" in page


def test_every_kind_is_stored_through_the_real_form(client, world):
    response = _post(client, world, participants=2)
    assert response.status_code == 303, response.text
    qs = world["qs"]
    stored = _stored()
    assert stored[qs[QuestionKind.SHORT_TEXT].id] == ["REF-4711"]
    assert stored[qs[QuestionKind.LONG_TEXT].id] == ["Vi vill lära oss\nmer om export."]
    assert stored[qs[QuestionKind.SINGLE_CHOICE].id] == ["o2"]
    assert stored[qs[QuestionKind.MULTIPLE_CHOICE].id] == ["o1,o2"]
    assert stored[qs[QuestionKind.YES_NO].id] == ["yes"]
    assert stored[qs[QuestionKind.NUMBER].id] == ["3.5"]
    assert stored[qs[QuestionKind.DATE].id] == ["2027-03-15"]
    booking = db.session.scalars(select(Booking)).one()
    per_person = db.session.execute(
        select(Participant.name, Answer.value)
        .join(Answer, Answer.participant_id == Participant.id)
        .where(Answer.question_id == world["per_person"].id)
        .order_by(Participant.id)
    ).all()
    assert per_person == [("Deltagare 0", "o1"), ("Deltagare 1", "o2")]
    # The answers are shown on the manage page, in the booking's language.
    confirmation = client.get(response.headers["Location"], headers=EN).text
    manage_url = re.search(r'href="(http://localhost/bookings/[^"]+)"', confirmation).group(1)
    manage = client.get(manage_url, headers=EN).text
    assert "REF-4711" in manage and "Track B, " not in manage
    assert "Q multiple_choice" in manage and "Track A, Track B" in manage
    assert "Deltagare 1: Which track" in manage
    assert booking.id


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        (QuestionKind.SHORT_TEXT, "x" * 201, "Answer in at most 200 characters."),
        (QuestionKind.SHORT_TEXT, "", "Answer the question."),
        (QuestionKind.LONG_TEXT, "x" * 2001, "Answer in at most 2000 characters."),
        (QuestionKind.SINGLE_CHOICE, "o9", "Choose one of the options offered."),
        (QuestionKind.SINGLE_CHOICE, None, "Choose an answer."),
        (QuestionKind.MULTIPLE_CHOICE, "o7", "Choose one of the options offered."),
        (QuestionKind.MULTIPLE_CHOICE, None, "Choose an answer."),
        (QuestionKind.YES_NO, "maybe", "Choose one of the options offered."),
        (QuestionKind.NUMBER, "many", "Write a number, e.g. 12 or 3.5."),
        (QuestionKind.NUMBER, "1e40", "Write a number, e.g. 12 or 3.5."),
        (QuestionKind.DATE, "15/03/2027", "Enter a date as YYYY-MM-DD."),
        (QuestionKind.DATE, "", "Enter a date as YYYY-MM-DD."),
    ],
)
def test_bad_answers_are_refused_on_their_field(client, world, kind, value, message):
    name = f"questions-q{world['qs'][kind].id}"
    response = _post(client, world, **{name: value})
    assert response.status_code == 422
    error = re.search(rf'id="{name}-error"[^>]*>([^<]*)<', response.text)
    assert error is not None and message in error.group(1)
    assert db.session.scalar(select(func.count(Booking.id))) == 0
    assert db.session.scalar(select(func.count(Answer.id))) == 0


def test_a_missing_participant_answer_is_refused(client, world):
    name = f"questions-p1-q{world['per_person'].id}"
    response = _post(client, world, participants=2, **{name: None})
    assert response.status_code == 422
    assert f'id="{name}-error"' in response.text
    assert db.session.scalar(select(func.count(Booking.id))) == 0


def test_swedish_form_and_messages(client, world):
    token = csrf_from(client.get(f"/events/{world['event'].id}/register").text)
    data = {**registration_form(token), **_answers(world)}
    data[f"questions-q{world['qs'][QuestionKind.NUMBER].id}"] = "många"
    response = client.post(f"/events/{world['event'].id}/register", data=data)
    assert response.status_code == 422
    assert "Q number (sv)" in response.text
    assert "Skriv ett tal, t.ex. 12 eller 3,5." in response.text


def test_optional_questions_may_be_left_empty(client, app):
    org = f.organisation()
    organiser = h.user(org)
    event = f.event(org)
    for kind in QuestionKind:
        question(organiser, event.id, kind, required=False)
    db.session.commit()
    token = open_form(client, event)
    response = client.post(
        f"/events/{event.id}/register", data=registration_form(token), headers=EN
    )
    assert response.status_code == 303
    assert db.session.scalar(select(func.count(Answer.id))) == 0


def test_hidden_questions_are_not_asked(client, world):
    from webapp.questions import services

    hidden = world["qs"][QuestionKind.SHORT_TEXT]
    services.set_hidden(world["organiser"], hidden.id, True)
    db.session.commit()
    page = client.get(f"/events/{world['event'].id}/register", headers=EN).text
    assert f'name="questions-q{hidden.id}"' not in page
    response = _post(client, world, **{f"questions-q{hidden.id}": None})
    assert response.status_code == 303
    assert hidden.id not in _stored()


def test_removing_a_participant_block_keeps_the_answers_with_their_people(client, world):
    """Without JavaScript: the form comes back, and the second person's answer follows them."""
    per_person = world["per_person"].id
    response = _post(client, world, participants=2, remove_participant="0", submit=None)
    assert response.status_code == 200
    assert f'name="questions-p0-q{per_person}"' not in response.text
    checked = re.search(rf'<input[^>]*checked[^>]*name="questions-p1-q{per_person}"[^>]*>|'
                        rf'<input[^>]*name="questions-p1-q{per_person}"[^>]*checked[^>]*>',
                        response.text)  # fmt: skip
    assert checked is not None and 'value="o2"' in checked.group(0)


def test_the_manage_page_asks_per_participant_questions(client, world):
    response = _post(client, world)
    confirmation = client.get(response.headers["Location"], headers=EN).text
    manage_url = re.search(r'href="(http://localhost/bookings/[^"]+)"', confirmation).group(1)
    page = client.get(manage_url, headers=EN).text
    name = f"questions-q{world['per_person'].id}"
    assert f'name="{name}"' in page
    person = {
        "csrf_token": csrf_from(page),
        "participant-name": "Ny Person",
        "participant-email": "ny@norrfors.example.se",
    }
    refused = client.post(f"{manage_url}/participants", data=person, headers=EN)
    assert refused.status_code == 422 and f'id="{name}-error"' in refused.text
    assert db.session.scalar(select(func.count(Participant.id))) == 1
    added = client.post(f"{manage_url}/participants", data={**person, name: "o2"}, headers=EN)
    assert added.status_code == 303
    newcomer = db.session.scalars(select(Participant).where(Participant.name == "Ny Person")).one()
    assert db.session.scalars(
        select(Answer.value).where(Answer.participant_id == newcomer.id)
    ).all() == ["o2"]


def test_a_study_trip_starts_with_a_motivation_question_and_speaks_of_applying(client, app):
    from webapp.events import management
    from webapp.questions.services import questions_for

    org = f.organisation()
    organiser = h.user(org)
    source = f.event(org, kind=EventKind.STUDY_TRIP, requires_approval=True)
    db.session.commit()
    copy = management.duplicate(organiser, source.id)
    db.session.commit()
    assert questions_for(copy.id) == []  # the source (built directly) had none to copy
    first = source.sessions[0]
    data = management.EventData(
        kind=EventKind.STUDY_TRIP,
        title="Studieresa till Tammerfors",
        sessions=[management.SessionData(starts_at=first.starts_at, ends_at=first.ends_at)],
        capacity=12,
        requires_approval=True,
    )
    trip = management.create_event(organiser, org.id, data)
    db.session.commit()
    (motivation,) = questions_for(trip.id)
    assert motivation.kind == QuestionKind.LONG_TEXT and motivation.required
    assert motivation.text_en == "What do you want to get out of the trip?"
    assert motivation.text_sv == "Vad vill ni få ut av resan?"
    copied = management.duplicate(organiser, trip.id)
    db.session.commit()
    assert [q.text_en for q in questions_for(copied.id)] == [motivation.text_en]
    trip.status = source.status
    db.session.commit()
    detail = client.get(f"/events/{trip.id}", headers=EN).text
    assert "Apply" in detail and "selection is made" in detail
    form = client.get(f"/events/{trip.id}/register", headers=EN).text
    assert "Apply for" in form and "Your application" in form
    swedish = client.get(f"/events/{trip.id}").text
    assert "Ansök" in swedish and "urval görs" in swedish


def test_a_study_trips_confirmation_thanks_for_the_application(client, app):
    trip = f.event(kind=EventKind.STUDY_TRIP, requires_approval=True)
    booking = f.book(trip, 1)
    db.session.commit()
    page = client.get(f"/bookings/{manage_token(booking)}/confirmation", headers=EN)
    assert page.status_code == 200
    assert "<h1>Thank you for your application</h1>" in page.text
    swedish = client.get(f"/bookings/{manage_token(booking)}/confirmation").text
    assert "<h1>Tack för din ansökan</h1>" in swedish
