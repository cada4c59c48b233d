"""The public answer form (secret link, both languages, bad input) and the organisers'
results page with its questions form."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests import factories as f
from tests.accounts import helpers as h
from tests.conftest import csrf_from
from tests.feedback.helpers import answer, booking_with_attendance
from webapp.accounts.models import Role
from webapp.bookings.services import manage_token
from webapp.db import db
from webapp.feedback import services
from webapp.feedback.models import MAX_TEXT, FeedbackAnswer
from webapp.organisations.audit import AuditEntry

EN = {"Accept-Language": "en"}


def _answers() -> list[FeedbackAnswer]:
    db.session.expire_all()
    return list(db.session.scalars(select(FeedbackAnswer).order_by(FeedbackAnswer.id)))


def _url(participant_id: int) -> str:
    return f"/feedback/{services.token(participant_id)}"


def _post(client, url: str, headers=None, **fields):
    token = csrf_from(client.get(url, headers=headers).text)
    return client.post(url, data={"csrf_token": token, **fields}, headers=headers)


def test_the_form_is_in_the_bookings_language_and_the_switch_wins(client, app):
    event = f.event(title="Frukostmöte om AI")
    swedish = booking_with_attendance(event, 1, language="sv").participants[0]
    english = booking_with_attendance(event, 1, language="en").participants[0]
    page = client.get(_url(swedish.id), headers=EN)
    assert page.status_code == 200
    assert '<html lang="sv">' in page.text
    assert "Vilket betyg ger du evenemanget som helhet?" in page.text
    assert services.DEFAULT_QUESTIONS["sv"][0] in page.text
    assert "no-store" in page.headers["Cache-Control"]
    page = client.get(_url(english.id))
    assert '<html lang="en">' in page.text
    assert "Overall, how would you rate the event?" in page.text
    assert services.DEFAULT_QUESTIONS["en"][1] in page.text
    client.set_cookie("lang", "en")
    assert "Overall, how would you rate" in client.get(_url(swedish.id)).text


def test_an_answer_is_stored_once_and_a_second_is_refused_with_a_message(client, app):
    person = booking_with_attendance(f.event(), 1, language="en").participants[0]
    url = _url(person.id)
    done = _post(client, url, overall="4", usefulness="5", answer_1="The speakers", answer_2="")
    assert done.status_code == 303
    page = client.get(url)
    assert "Thank you! Your answers have been received." in page.text
    assert "You have already answered this evaluation" in page.text
    assert '<form method="post" novalidate>' not in page.text
    stored = _answers()
    assert [(a.overall, a.usefulness, a.answer_1, a.answer_2, a.language) for a in stored] == [
        (4, 5, "The speakers", None, "en")
    ]
    token = csrf_from(client.get("/organisers/login").text)  # a form's, for a forged post
    again = client.post(url, data={"csrf_token": token, "overall": "1", "usefulness": "1"})
    assert again.status_code == 409
    assert "You have already answered this evaluation" in again.text
    assert [(a.overall, a.usefulness) for a in _answers()] == [(4, 5)]


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"overall": "0", "usefulness": "3"}, "overall"),
        ({"overall": "6", "usefulness": "3"}, "overall"),
        ({"usefulness": "3"}, "overall"),
        ({"overall": "3", "usefulness": "6"}, "usefulness"),
        ({"overall": "3", "usefulness": "x"}, "usefulness"),
        ({"overall": "3"}, "usefulness"),
    ],
)
def test_a_bad_rating_gets_a_message_on_its_field_and_nothing_is_stored(client, app, fields, field):
    person = booking_with_attendance(f.event(), 1, language="sv").participants[0]
    response = _post(client, _url(person.id), **fields)
    assert response.status_code == 422
    assert (
        f'<small id="{field}-error" class="field-error">Välj ett betyg från 1 till 5.</small>'
        in response.text
    )
    assert f'href="#{field}"' in response.text  # the error summary leads to it
    assert _answers() == []


def test_free_text_too_long_gets_a_message_and_nothing_is_stored(client, app):
    person = booking_with_attendance(f.event(), 1, language="en").participants[0]
    response = _post(
        client, _url(person.id), overall="3", usefulness="3", answer_1="x" * (MAX_TEXT + 1)
    )
    assert response.status_code == 422
    assert f"Write at most {MAX_TEXT} characters." in response.text
    assert _answers() == []


def test_a_participant_who_did_not_attend_gets_a_clear_message_and_nothing_is_stored(client, app):
    person = booking_with_attendance(f.event(), 2, present=1, language="en").participants[1]
    page = client.get(_url(person.id))
    assert page.status_code == 200
    assert "Only participants who were marked present" in page.text
    assert 'name="overall"' not in page.text
    response = client.post(
        _url(person.id),
        data={
            "csrf_token": csrf_from(client.get("/organisers/login").text),
            "overall": "5",
            "usefulness": "5",
        },
    )
    assert response.status_code == 409
    assert "Only participants who were marked present" in response.text
    assert _answers() == []


def test_wrong_links_and_missing_csrf(client, app):
    booking = booking_with_attendance(f.event(), 1)
    person = booking.participants[0]
    assert client.get(f"/feedback/{manage_token(booking)}").status_code == 404
    assert client.get(f"/feedback/{person.id}-{'A' * 24}").status_code == 404
    assert client.get("/feedback/nonsense").status_code == 404
    response = client.post(_url(person.id), data={"overall": "5", "usefulness": "5"})
    assert response.status_code == 400
    assert _answers() == []


@pytest.mark.parametrize(
    "app_config", [{"RATELIMIT_ENABLED": True, "PUBLIC_POST_LIMIT": "3 per minute"}]
)
def test_answer_posts_are_rate_limited(app, client):
    from webapp.extensions import limiter

    limiter.reset()
    person = booking_with_attendance(f.event(), 1).participants[0]
    codes = [client.post(_url(person.id), data={"csrf_token": "x"}).status_code for _ in range(5)]
    assert codes[-1] == 429
    assert _answers() == []


def test_results_page_shows_the_figures_and_the_free_text(client, app):
    event = f.event(title="Workshop om export")
    people = booking_with_attendance(event, 3).participants
    answer(people[0].id, 5, 4, "Bra exempel", "Mer tid")
    answer(people[1].id, 4, 4, None, "Fika")
    db.session.commit()
    h.login_session(client, h.user(event.organisation, Role.VIEWER))
    page = client.get(f"/organisers/events/{event.id}/feedback")
    assert page.status_code == 200
    text = page.text
    assert "<dt>Svar</dt><dd>2</dd>" in text
    assert "<dt>Deltagare som var närvarande</dt><dd>3</dd>" in text
    assert "<dt>Svarsfrekvens</dt><dd>67 %</dd>" in text
    assert "<dt>Genomsnittligt helhetsbetyg</dt><dd>4,5</dd>" in text
    assert "<dt>Genomsnittlig nytta för företaget</dt><dd>4,0</dd>" in text
    assert '<tr><th scope="row">4</th><td>1</td><td>2</td></tr>' in text
    assert all(t in text for t in ("Bra exempel", "Mer tid", "Fika"))
    assert 'name="question_1_sv"' not in text, "viewers do not change the questions"


def test_organisers_change_the_questions_from_the_results_page(client, app):
    event = f.event()
    people = booking_with_attendance(event, 1, language="en").participants
    organiser = h.user(event.organisation, Role.ORGANISER)
    h.login_session(client, organiser)
    url = f"/organisers/events/{event.id}/feedback"
    token = csrf_from(client.get(url).text)
    done = client.post(
        f"{url}/questions",
        data={
            "csrf_token": token,
            "question_1_en": "What will you try first?",
            "question_1_sv": "Vad provar du först?",
        },
    )
    assert done.status_code == 303
    assert "What will you try first?" in client.get(_url(people[0].id)).text
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "feedback.questions_changed")
        )
        == 1
    )
    too_long = client.post(
        f"{url}/questions", data={"csrf_token": token, "question_2_sv": "x" * 301}
    )
    assert too_long.status_code == 422
    assert "Skriv högst 300 tecken." in too_long.text
    assert services.questions(event.id).question_2_sv is None


def test_results_page_queries_stay_the_same_as_answers_grow(client, app, count_queries):
    event = f.event(capacity=None)
    h.login_session(client, h.user(event.organisation, Role.ORGANISER))
    counted = []
    for size in (1, 5, 30):
        for person in booking_with_attendance(event, size).participants:
            answer(person.id, 3, 4, "Text", "Mer text")
        db.session.commit()
        db.session.expire_all()
        with count_queries() as statements:
            assert client.get(f"/organisers/events/{event.id}/feedback").status_code == 200
        counted.append(len(statements))
    assert counted[0] == counted[1] == counted[2], counted
