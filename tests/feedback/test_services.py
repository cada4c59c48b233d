"""The evaluation's rules at the service level: who may answer, once, and the results."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests import factories as f
from tests.accounts import helpers as h
from tests.feedback.helpers import answer, booking_with_attendance
from webapp import tokens
from webapp.accounts.models import Role
from webapp.bookings import services as bookings
from webapp.db import db
from webapp.feedback import services
from webapp.feedback.models import MAX_TEXT, FeedbackAnswer
from webapp.organisations.audit import AuditEntry
from webapp.organisations.services import NotAllowed


def _answers() -> int:
    return db.session.scalar(select(func.count()).select_from(FeedbackAnswer))


def test_one_answer_per_participant_and_a_second_is_refused(app):
    booking = booking_with_attendance(f.event())
    first, second = booking.participants
    answer(first.id, 5, 4, "Bra talare", None)
    db.session.commit()
    with pytest.raises(services.AlreadyAnswered):
        answer(first.id, 1, 1, "Ändrat mig")
    db.session.rollback()
    stored = db.session.scalars(select(FeedbackAnswer)).all()
    assert [(a.participant_id, a.overall, a.usefulness, a.answer_1) for a in stored] == [
        (first.id, 5, 4, "Bra talare")
    ]
    answer(second.id, 3, 2)  # the colleague answers on their own link
    db.session.commit()
    assert _answers() == 2


def test_the_database_refuses_a_second_answer_too(app):
    booking = booking_with_attendance(f.event(), 1)
    person = booking.participants[0]
    answer(person.id, 4, 4)
    db.session.commit()
    db.session.add(
        FeedbackAnswer(
            event_id=booking.event_id,
            participant_id=person.id,
            overall=2,
            usefulness=2,
            language="sv",
        )
    )
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        db.session.flush()
    db.session.rollback()
    assert _answers() == 1


@pytest.mark.parametrize(
    "overall, usefulness", [(0, 3), (6, 3), (None, 3), (3, 0), (3, 6), (3, None)]
)
def test_a_rating_outside_one_to_five_is_refused_on_its_field(app, overall, usefulness):
    booking = booking_with_attendance(f.event(), 1)
    with pytest.raises(services.BadRating) as refused:
        services.submit(
            booking.participants[0].id,
            overall=overall,
            usefulness=usefulness,
            answer_1=None,
            answer_2=None,
            language="sv",
        )
    assert refused.value.field == ("overall" if overall in (0, 6, None) else "usefulness")
    db.session.rollback()
    assert _answers() == 0


def test_free_text_longer_than_allowed_is_refused(app):
    booking = booking_with_attendance(f.event(), 1)
    with pytest.raises(services.TooLong) as refused:
        answer(booking.participants[0].id, 4, 4, None, "x" * (MAX_TEXT + 1))
    assert refused.value.field == "answer_2"
    db.session.rollback()
    assert _answers() == 0
    answer(booking.participants[0].id, 4, 4, None, "x" * MAX_TEXT)
    db.session.commit()
    assert _answers() == 1


def test_only_participants_marked_present_may_answer(app):
    event = f.event()
    booking = booking_with_attendance(event, 2, present=1)
    unmarked = f.book(event, 1).participants[0]
    absent = booking.participants[1]
    db.session.commit()
    for person in (absent, unmarked):
        with pytest.raises(services.NotAttended):
            answer(person.id, 5, 5)
        db.session.rollback()
    assert _answers() == 0


def test_a_removed_participant_or_a_cancelled_booking_may_not_answer(app):
    event = f.event()
    booking = booking_with_attendance(event, 2)
    kept, removed = booking.participants
    bookings.remove_participant(booking.id, removed.id)
    db.session.commit()
    with pytest.raises(services.NotAttended):
        answer(removed.id, 5, 5)
    db.session.rollback()
    bookings.cancel(booking.id)
    db.session.commit()
    with pytest.raises(services.NotAttended):
        answer(kept.id, 5, 5)
    db.session.rollback()
    assert _answers() == 0


def test_the_link_is_a_secret_of_its_own(app):
    booking = booking_with_attendance(f.event(), 1)
    person = booking.participants[0]
    token = services.token(person.id)
    assert services.participant_for(token).id == person.id
    assert token != bookings.manage_token(booking)
    # Neither the manage link's nor another purpose's token opens it, nor a changed one.
    assert services.participant_for(bookings.manage_token(booking)) is None
    assert services.participant_for(tokens.make("unsubscribe", person.id, "")) is None
    assert services.participant_for(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert services.participant_for("junk") is None


def test_results_match_the_answers(app):
    event = f.event()
    first = booking_with_attendance(event, 3)
    second = booking_with_attendance(event, 2, present=1)  # one absent: not an attendee
    people = [*first.participants, second.participants[0]]
    for person, (o, u, t1, t2) in zip(
        people,
        [
            (5, 4, "Nätverkandet", None),
            (4, 2, None, "Kortare pauser"),
            (4, 5, "Talarna", "Mer tid för frågor"),
            (2, 1, None, None),
        ],
        strict=True,
    ):
        answer(person.id, o, u, t1, t2)
    db.session.commit()
    viewer = h.user(event.organisation, Role.VIEWER)
    results = services.results(viewer, event)
    assert results.responses == 4
    assert results.attendees == 4
    assert results.rate == 1.0
    assert results.overall.distribution == {1: 0, 2: 1, 3: 0, 4: 2, 5: 1}
    assert results.usefulness.distribution == {1: 1, 2: 1, 3: 0, 4: 1, 5: 1}
    assert results.overall.average == pytest.approx(15 / 4)
    assert results.usefulness.average == pytest.approx(12 / 4)
    assert results.texts == (["Nätverkandet", "Talarna"], ["Kortare pauser", "Mer tid för frågor"])


def test_results_of_an_event_without_answers(app):
    event = f.event()
    booking_with_attendance(event, 2)
    results = services.results(h.user(event.organisation, Role.VIEWER), event)
    assert (results.responses, results.attendees, results.rate) == (0, 2, 0.0)
    assert results.overall.average is None and results.usefulness.average is None


def test_results_and_questions_are_checked_by_role_in_the_service(app):
    event = f.event()
    stranger = h.user(f.organisation(), Role.ADMIN)
    viewer = h.user(event.organisation, Role.VIEWER)
    with pytest.raises(NotAllowed):
        services.results(stranger, event)
    with pytest.raises(NotAllowed):
        services.results(None, event)
    for user in (stranger, viewer):
        with pytest.raises(NotAllowed):
            services.set_questions(user, event.id, {"question_1_sv": "Vad tyckte du?"})
    db.session.rollback()
    assert services.questions(event.id) == services.Questions()


def test_organisers_word_the_questions_per_language_and_it_is_audit_logged(app):
    event = f.event()
    organiser = h.user(event.organisation, Role.ORGANISER)
    services.set_questions(
        organiser,
        event.id,
        {"question_1_sv": "  Vad tar du med dig?  ", "question_2_en": "Anything else?"},
    )
    db.session.commit()
    asked = services.questions(event.id)
    assert asked.texts("sv") == ("Vad tar du med dig?", services.DEFAULT_QUESTIONS["sv"][1])
    assert asked.texts("en") == (services.DEFAULT_QUESTIONS["en"][0], "Anything else?")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.event_id == event.id)).one()
    assert entry.action == "feedback.questions_changed"
    assert entry.details["fields"] == ["question_1_sv", "question_2_en"]
    assert entry.user_id == organiser.id
    # Saving the same again changes nothing and logs nothing; a blank field is the default.
    services.set_questions(
        organiser,
        event.id,
        {"question_1_sv": "Vad tar du med dig?", "question_2_en": "Anything else?"},
    )
    services.set_questions(organiser, event.id, {"question_2_en": "Anything else?"})
    db.session.commit()
    assert services.questions(event.id).texts("sv")[0] == services.DEFAULT_QUESTIONS["sv"][0]
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 2
