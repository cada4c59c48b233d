"""Registration questions: the organisers' operations on them and the saving of answers.

The rules: a choice question needs at least one option; a question that bookings have
answered keeps its kind and is not deleted (hide it instead), and none of its options
that were chosen may be taken away. Every change needs the organiser role in the event's
organisation and is audit-logged. Services flush; the caller commits.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _nl
from sqlalchemy import Select, bindparam, func, select

from webapp.accounts.models import User
from webapp.bookings.models import Booking, Participant
from webapp.db import begin_write, db
from webapp.errors import RuleViolation
from webapp.events.models import Event, EventKind
from webapp.organisations import audit
from webapp.organisations.models import Role
from webapp.organisations.services import NotAllowed, require_role
from webapp.questions.models import Answer, Question, QuestionKind, QuestionScope


class QuestionError(RuleViolation):
    default = _l("The question could not be changed.")


@dataclass(frozen=True)
class QuestionData:
    """A question as the organiser wrote it; ``options`` are (Swedish, English) pairs."""

    kind: QuestionKind
    scope: QuestionScope
    required: bool
    text_sv: str
    text_en: str
    options: Sequence[tuple[str, str]] = ()


#: The motivation question of a study trip's default form.
MOTIVATION_SV = "Vad vill ni få ut av resan?"
MOTIVATION_EN = "What do you want to get out of the trip?"


def questions_for(event_id: int, *, asked_only: bool = False) -> list[Question]:
    """The event's questions in order; with ``asked_only`` the hidden ones are left out."""
    return list(db.session.scalars(_questions_statement(asked_only), {"id": event_id}))


@cache
def _questions_statement(asked_only: bool) -> Select[tuple[Question]]:
    stmt = select(Question).where(Question.event_id == bindparam("id"))
    if asked_only:
        stmt = stmt.where(Question.hidden.is_(False))
    return stmt.order_by(Question.position, Question.id)


def answer_counts(event_id: int) -> dict[int, int]:
    """Question id → how many answers it has (one query)."""
    rows = db.session.execute(
        select(Answer.question_id, func.count(Answer.id))
        .join(Question)
        .where(Question.event_id == event_id)
        .group_by(Answer.question_id)
    )
    return dict(rows.all())


def _event(user: User, event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        raise NotAllowed()
    require_role(user, event.organisation_id, Role.ORGANISER)
    return event


def _question(user: User, question_id: int) -> Question:
    question = db.session.get(Question, question_id)
    if question is None:
        raise NotAllowed()
    require_role(user, question.event.organisation_id, Role.ORGANISER)
    return question


def _has_answers(question: Question) -> bool:
    return (
        db.session.scalar(select(Answer.id).where(Answer.question_id == question.id).limit(1))
        is not None
    )


def _options(
    kind: QuestionKind, pairs: Sequence[tuple[str, str]], existing: list[dict[str, str]]
) -> list[dict[str, str]]:
    """The options to store, each with the key its answers store.

    A line whose Swedish wording (ignoring case) is an existing option's keeps that key, so
    reordering moves no answer; a line at the position of an option whose wording is no
    longer among the lines is that option reworded and keeps its key; any other line gets
    a new key, numbered on from the highest used."""
    if not kind.has_options:
        return []
    if not pairs:
        raise QuestionError(_l("A choice question needs at least one option."), field="options_sv")
    by_wording = {o["sv"].strip().casefold(): o["key"] for o in existing}
    wordings = {sv.strip().casefold() for sv, _en in pairs}
    # pop: two lines that differ only in case (the form refuses them) never share a key.
    keys = [by_wording.pop(sv.strip().casefold(), None) for sv, _en in pairs]
    for index, key in enumerate(keys):
        if key is None and index < len(existing):
            old = existing[index]
            if old["sv"].strip().casefold() not in wordings:
                keys[index] = old["key"]
    used = [int(o["key"][1:]) for o in existing if o["key"][1:].isdigit()]
    next_key = max(used, default=0) + 1
    options = []
    for key, (sv, en) in zip(keys, pairs, strict=True):
        if key is None:
            key, next_key = f"o{next_key}", next_key + 1
        options.append({"key": key, "sv": sv, "en": en})  # "": none, shown in Swedish
    return options


def _log(user: User, action: str, question: Question, **details: object) -> None:
    audit.record(
        user,
        action,
        organisation_id=question.event.organisation_id,
        event_id=question.event_id,
        question=question.id,
        text=question.text_sv,
        **details,
    )


def add_question(user: User, event_id: int, data: QuestionData) -> Question:
    """A new question at the end of the event's form. Needs organiser. Raises QuestionError."""
    event = _event(user, event_id)
    begin_write()
    last = db.session.scalar(
        select(func.max(Question.position)).where(Question.event_id == event.id)
    )
    question = Question(
        event_id=event.id,
        position=0 if last is None else last + 1,
        kind=data.kind,
        scope=data.scope,
        required=data.required,
        text_sv=data.text_sv,
        text_en=data.text_en,
        options=_options(data.kind, data.options, []),
        hidden=False,
    )
    db.session.add(question)
    db.session.flush()
    _log(user, "question.added", question, kind=question.kind.value)
    return question


def _choice_counts(question: Question) -> Counter[str]:
    """Option key → how many answers chose it."""
    values = db.session.scalars(select(Answer.value).where(Answer.question_id == question.id))
    return Counter(key for value in values for key in set(value.split(",")) if key)


def update_question(user: User, question_id: int, data: QuestionData) -> Question:
    """Change a question's wording, options, scope or whether it is required. Needs
    organiser. Raises QuestionError for a kind or scope change once answers exist, or for
    taking away an option someone chose (see :func:`_options` for which line keeps which
    option)."""
    question = _question(user, question_id)
    begin_write()
    answered = _has_answers(question)
    if answered and data.kind != question.kind:
        raise QuestionError(
            _l(
                "Bookings have answered this question, so its kind cannot change. Hide it "
                "and add a new one instead."
            ),
            field="kind",
        )
    if answered and data.scope != question.scope:
        raise QuestionError(
            _l("Bookings have answered this question, so whom it asks cannot change."),
            field="scope",
        )
    options = _options(data.kind, data.options, list(question.options or []))
    if answered and data.kind.has_options:
        kept = {o["key"] for o in options}
        chosen = _choice_counts(question)
        for gone in (o for o in question.options or [] if o["key"] not in kept):
            if chosen[gone["key"]]:
                raise QuestionError(
                    _nl(
                        "“%(option)s” has been chosen in %(num)d answer, so it cannot be "
                        "removed. Keep it, or hide the question and add a new one instead.",
                        "“%(option)s” has been chosen in %(num)d answers, so it cannot be "
                        "removed. Keep it, or hide the question and add a new one instead.",
                        chosen[gone["key"]],
                        option=gone["sv"],
                    ),
                    field="options_sv",
                )
    question.kind, question.scope, question.required = data.kind, data.scope, data.required
    question.text_sv, question.text_en, question.options = data.text_sv, data.text_en, options
    db.session.flush()
    _log(user, "question.edited", question)
    return question


def set_hidden(user: User, question_id: int, hidden: bool) -> Question:
    """Stop (or start again) asking a question; its answers stay. Needs organiser."""
    question = _question(user, question_id)
    begin_write()
    question.hidden = hidden
    db.session.flush()
    _log(user, "question.hidden" if hidden else "question.shown", question)
    return question


def delete_question(user: User, question_id: int) -> Event:
    """Delete a question nobody has answered. Needs organiser. Raises QuestionError when
    answers exist."""
    question = _question(user, question_id)
    begin_write()
    if _has_answers(question):
        raise QuestionError(
            _l("Bookings have answered this question, so it cannot be deleted. Hide it instead."),
        )
    event = question.event
    _log(user, "question.deleted", question)
    db.session.delete(question)
    db.session.flush()
    return event


def move_question(user: User, question_id: int, up: bool) -> Question:
    """Swap a question with its neighbour above (``up``) or below. Needs organiser."""
    question = _question(user, question_id)
    begin_write()
    ordered = questions_for(question.event_id)
    for index, item in enumerate(ordered):
        item.position = index
    at = ordered.index(question)
    other = at - 1 if up else at + 1
    if 0 <= other < len(ordered):
        ordered[at].position, ordered[other].position = other, at
    db.session.flush()
    _log(user, "question.moved", question, position=question.position + 1)
    return question


# --- answers -------------------------------------------------------------------------------


def save_answers(
    booking: Booking,
    booking_answers: dict[int, str],
    participant_answers: Iterable[tuple[Participant, dict[int, str]]] = (),
) -> None:
    """Store a booking's answers (question id → value; empty values are not stored), in
    the registration's transaction. The form has validated the values."""
    for question_id, value in booking_answers.items():
        if value:
            db.session.add(Answer(question_id=question_id, booking=booking, value=value))
    for participant, answers in participant_answers:
        for question_id, value in answers.items():
            if value:
                db.session.add(
                    Answer(
                        question_id=question_id,
                        booking=booking,
                        participant=participant,
                        value=value,
                    )
                )
    db.session.flush()


@dataclass
class EventAnswers:
    """Every answer given for an event, for a page or an export (two queries)."""

    questions: list[Question]
    by_booking: dict[int, dict[int, Answer]]
    by_participant: dict[int, dict[int, Answer]]

    def for_booking(self, booking_id: int, question_id: int) -> Answer | None:
        return self.by_booking.get(booking_id, {}).get(question_id)

    def for_participant(self, participant_id: int, question_id: int) -> Answer | None:
        return self.by_participant.get(participant_id, {}).get(question_id)

    def choosing(self, question: Question, key: str) -> set[int]:
        """Ids of the bookings with an answer to ``question`` that chose ``key``."""
        answers = (
            self.by_booking.values()
            if question.scope == QuestionScope.BOOKING
            else self.by_participant.values()
        )
        return {
            answer.booking_id
            for mapping in answers
            if (answer := mapping.get(question.id)) is not None and key in answer.keys
        }


def event_answers(event_id: int, booking_ids: Iterable[int] | None = None) -> EventAnswers:
    """The event's questions and the answers of its bookings: a fixed two queries."""
    questions = questions_for(event_id)
    by_booking: dict[int, dict[int, Answer]] = defaultdict(dict)
    by_participant: dict[int, dict[int, Answer]] = defaultdict(dict)
    if questions:
        stmt = select(Answer).join(Question).where(Question.event_id == event_id)
        if booking_ids is not None:
            stmt = stmt.where(Answer.booking_id.in_(list(booking_ids)))
        for answer in db.session.scalars(stmt.order_by(Answer.id)):
            if answer.participant_id is None:
                by_booking[answer.booking_id][answer.question_id] = answer
            else:
                by_participant[answer.participant_id][answer.question_id] = answer
    return EventAnswers(questions, dict(by_booking), dict(by_participant))


# --- listeners -----------------------------------------------------------------------------


def on_event_created(event: Event, source: Event | None = None, **_: object) -> None:
    """Receiver of signals.event_created: a copy takes its source's questions; a new study
    trip starts with the motivation question."""
    if source is not None:
        for position, question in enumerate(questions_for(source.id)):
            db.session.add(
                Question(
                    event_id=event.id,
                    position=position,
                    kind=question.kind,
                    scope=question.scope,
                    required=question.required,
                    text_sv=question.text_sv,
                    text_en=question.text_en,
                    options=[dict(o) for o in question.options or []],
                    hidden=question.hidden,
                )
            )
    elif event.kind == EventKind.STUDY_TRIP:
        db.session.add(
            Question(
                event_id=event.id,
                position=0,
                kind=QuestionKind.LONG_TEXT,
                scope=QuestionScope.BOOKING,
                required=True,
                text_sv=MOTIVATION_SV,
                text_en=MOTIVATION_EN,
                options=[],
                hidden=False,
            )
        )
    db.session.flush()
