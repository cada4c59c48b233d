"""Answers as pages and exports show them: on a booking, in the attendee list (with a
filter per choice question) and as one column per question in the CSV and XLSX exports.

Every helper here runs a fixed number of queries, whatever the number of bookings,
participants or questions: the event's questions, then all of its answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import gettext as _

from webapp.bookings.models import Booking, Participant
from webapp.events.models import Event
from webapp.i18n import current_language
from webapp.questions import services
from webapp.questions.models import Answer, Question, QuestionKind, QuestionScope

#: Query-string parameter of the filter on a choice question: ``answer-<question id>``.
FILTER_PREFIX = "answer-"


def display(question: Question, answer: Answer | None, language: str | None = None) -> str:
    """An answer as a person reads it ("" when not answered)."""
    if answer is None or not answer.value:
        return ""
    language = language or current_language()
    if question.kind == QuestionKind.YES_NO:
        return _("Yes") if answer.value == "yes" else _("No")
    if question.kind.has_options:
        return ", ".join(question.option_label(key, language) for key in answer.keys)
    if question.kind == QuestionKind.NUMBER and language == "sv":
        return answer.value.replace(".", ",")
    return answer.value


def filterable(question: Question) -> bool:
    """Choice questions (and yes/no) can narrow the attendee list."""
    return question.kind.has_options or question.kind == QuestionKind.YES_NO


def choice_pairs(question: Question, language: str) -> list[tuple[str, str]]:
    if question.kind == QuestionKind.YES_NO:
        return [("yes", _("Yes")), ("no", _("No"))]
    return question.option_pairs(language)


@dataclass(frozen=True)
class AnswerLine:
    """One answer on a booking's page; ``participant`` None for a booking question."""

    question: str
    participant: str | None
    answer: str
    hidden: bool


def booking_answers(booking: Booking) -> list[AnswerLine]:
    """The booking's answers in the form's order, booking questions first (two queries)."""
    found = services.event_answers(booking.event_id, [booking.id])
    language = current_language()
    lines = []
    for question in found.questions:
        if question.scope == QuestionScope.BOOKING:
            answer = found.for_booking(booking.id, question.id)
            if answer is not None:
                lines.append(
                    AnswerLine(
                        question.text(language),
                        None,
                        display(question, answer, language),
                        question.hidden,
                    )
                )
    for participant in booking.active_participants:
        for question in found.questions:
            if question.scope == QuestionScope.PARTICIPANT:
                answer = found.for_participant(participant.id, question.id)
                if answer is not None:
                    lines.append(
                        AnswerLine(
                            question.text(language),
                            participant.name,
                            display(question, answer, language),
                            question.hidden,
                        )
                    )
    return lines


class AttendeeListExtra:
    """The answers' part of an attendee list, print view and exports (webapp.signals).

    ``apply`` keeps the bookings that match the chosen answers, ``query`` is what links
    to the same list (exports, print) carry, the templates show the filter and each
    booking's answers, and ``headers``/``cells`` add one export column per question.
    """

    filters_template = "questions/_attendee_filters.html"
    cell_template = "questions/_attendee_answers.html"

    def __init__(self, event: Event, args: Mapping[str, str]) -> None:
        self.language = current_language()
        self.heading = _("Answers")
        self.found = services.event_answers(event.id)
        self.questions = self.found.questions
        self.choice_questions = [q for q in self.questions if filterable(q)]
        self.chosen: dict[int, str] = {}
        for question in self.choice_questions:
            key = args.get(f"{FILTER_PREFIX}{question.id}", "")
            if key in {k for k, _label in choice_pairs(question, self.language)}:
                self.chosen[question.id] = key

    @property
    def query(self) -> dict[str, str]:
        return {f"{FILTER_PREFIX}{qid}": key for qid, key in self.chosen.items()}

    def options(self, question: Question) -> list[tuple[str, str]]:
        return choice_pairs(question, self.language)

    def apply(self, bookings: list[Booking]) -> list[Booking]:
        """The bookings whose answers (or a participant's) match every chosen option."""
        if not self.chosen:
            return bookings
        by_id = {q.id: q for q in self.questions}
        keep = None
        for question_id, key in self.chosen.items():
            matching = self.found.choosing(by_id[question_id], key)
            keep = matching if keep is None else keep & matching
        return [b for b in bookings if b.id in (keep or set())]

    def keeps(self, participant: Participant) -> bool:
        """Whether a participant of a kept booking matches the chosen options of questions
        asked per participant (an export row per participant follows the filter)."""
        for question_id, key in self.chosen.items():
            question = next(q for q in self.questions if q.id == question_id)
            if question.scope != QuestionScope.PARTICIPANT:
                continue
            answer = self.found.for_participant(participant.id, question_id)
            if answer is None or key not in answer.keys:
                return False
        return True

    def booking_lines(self, booking: Booking) -> list[tuple[str, str]]:
        """(question, answer) of a booking's booking questions, for the list's cell."""
        lines = []
        for question in self.questions:
            if question.scope == QuestionScope.BOOKING:
                text = display(question, self.found.for_booking(booking.id, question.id))
                if text:
                    lines.append((question.text(self.language), text))
        return lines

    def participant_lines(self, participant: Participant) -> list[tuple[str, str]]:
        lines = []
        for question in self.questions:
            if question.scope == QuestionScope.PARTICIPANT:
                answer = self.found.for_participant(participant.id, question.id)
                text = display(question, answer)
                if text:
                    lines.append((question.text(self.language), text))
        return lines

    def headers(self) -> list[str]:
        """One export column per question, hidden ones too, in the form's order."""
        return [q.text(self.language) for q in self.questions]

    def cells(self, booking: Booking, participant: Participant) -> list[str]:
        return [
            display(
                q,
                self.found.for_booking(booking.id, q.id)
                if q.scope == QuestionScope.BOOKING
                else self.found.for_participant(participant.id, q.id),
                self.language,
            )
            for q in self.questions
        ]


def attendee_list_extra(
    event: Event, args: Mapping[str, str] | None = None, **_kwargs: object
) -> AttendeeListExtra | None:
    """Receiver of signals.attendee_list_extras: the answers, if the event has questions."""
    extra = AttendeeListExtra(event, args or {})
    return extra if extra.questions else None
