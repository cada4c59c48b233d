"""The evaluation after an event: its secret links, answers, questions and results.

**Who may answer.** A participant of a confirmed booking, not removed from it, who was
marked present at one of the event's sessions; once. The follow-up email carries the link
(webapp.notifications) only to them. The link is ``{participant id}-{HMAC}``
(webapp.tokens, purpose ``feedback``), a secret of its own: it opens this form and nothing
else (not the manage page). Like the unsubscribe link it has no nonce: it must work for as
long as the email does, and all it can do is add one answer. An anonymised participant's
link is refused.

**Once.** :func:`submit` locks the participant's row, then checks there is no answer yet;
the unique participant column on the answer is the database's own guard behind it.

**Retention.** An answer keeps its event, so counts and averages never depend on the
participant row. Anonymisation (webapp.privacy.anonymise, by the retention job or on
request) unlinks it and erases its free text; the ratings stay.

Services flush, never commit; they raise :class:`FeedbackError` (a RuleViolation).
Organisers' functions check the role here (``require_role``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select

from webapp.accounts.models import Role, User
from webapp.bookings import services as bookings
from webapp.bookings.models import Attendance, Booking, BookingStatus, Participant
from webapp.db import begin_write, db, lock_row, utcnow
from webapp.errors import RuleViolation
from webapp.events.models import Event, EventSession
from webapp.feedback.models import MAX_TEXT, RATINGS, FeedbackAnswer, FeedbackQuestions
from webapp.organisations import audit
from webapp.organisations.services import require_role

PURPOSE = "feedback"

#: The two free-text questions an event asks unless its organisers wrote their own.
DEFAULT_QUESTIONS = {
    "sv": ("Vad var mest värdefullt för dig?", "Vad kan vi göra bättre till nästa gång?"),
    "en": ("What was most valuable to you?", "What could we do better next time?"),
}
QUESTION_FIELDS = ("question_1_sv", "question_1_en", "question_2_sv", "question_2_en")


class FeedbackError(RuleViolation):
    default = _l("The feedback could not be saved.")


class AlreadyAnswered(FeedbackError):
    default = _l("You have already answered this evaluation. Thank you! Only one answer is kept.")


class NotAttended(FeedbackError):
    default = _l(
        "Only participants who were marked present at the event can answer its evaluation."
    )


class Closed(FeedbackError):
    default = _l("This evaluation link no longer works.")


class BadRating(FeedbackError):
    default = _l("Choose a rating from 1 to 5.")


class TooLong(FeedbackError):
    default = _l("Write at most %(max)d characters.", max=MAX_TEXT)


# --- links ----------------------------------------------------------------------------------


def token(participant_id: int) -> str:
    """The participant's evaluation link token (the same in every email to them)."""
    return bookings.participant_token(PURPOSE, participant_id)


def participant_for(value: str) -> Participant | None:
    """An evaluation token's participant (with booking, event and organisation), or None."""
    return bookings.participant_for_token(PURPOSE, value)


def attended(participant: Participant) -> bool:
    """Whether the participant may answer: on a confirmed booking, not removed, and marked
    present at one of the event's sessions."""
    booking = participant.booking
    if booking.status != BookingStatus.CONFIRMED or participant.cancelled_at is not None:
        return False
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Attendance.participant_id == participant.id,
                    Attendance.present.is_(True),
                    Attendance.session_id.in_(
                        select(EventSession.id).where(EventSession.event_id == booking.event_id)
                    ),
                )
            )
        )
    )


def answer_of(participant_id: int) -> FeedbackAnswer | None:
    return db.session.scalar(
        select(FeedbackAnswer).where(FeedbackAnswer.participant_id == participant_id)
    )


def refusal(participant: Participant) -> FeedbackError | None:
    """Why the participant cannot answer (now), or None when they can."""
    if participant.anonymised_at is not None:
        return Closed()
    if not attended(participant):
        return NotAttended()
    if answer_of(participant.id) is not None:
        return AlreadyAnswered()
    return None


# --- questions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Questions:
    """An event's two questions in both languages (None: the default is asked)."""

    question_1_sv: str | None = None
    question_1_en: str | None = None
    question_2_sv: str | None = None
    question_2_en: str | None = None

    def texts(self, language: str) -> tuple[str, str]:
        """The two questions as asked in ``language`` (the default where none is set)."""
        lang = language if language in DEFAULT_QUESTIONS else "sv"
        own = (getattr(self, f"question_1_{lang}"), getattr(self, f"question_2_{lang}"))
        return tuple(o or d for o, d in zip(own, DEFAULT_QUESTIONS[lang], strict=True))  # type: ignore[return-value]


def questions(event_id: int) -> Questions:
    row = db.session.get(FeedbackQuestions, event_id)
    if row is None:
        return Questions()
    return Questions(**{name: getattr(row, name) for name in QUESTION_FIELDS})


def set_questions(user: User | None, event_id: int, texts: dict[str, str | None]) -> Questions:
    """Change the event's own questions (blank: the default). Needs organiser; audit-logged
    with the fields that changed. Raises NotAllowed, FeedbackError for an unknown event."""
    event = db.session.get(Event, event_id)
    if event is None:
        raise FeedbackError()
    require_role(user, event.organisation_id, Role.ORGANISER)
    begin_write()
    row = db.session.get(FeedbackQuestions, event_id)
    if row is None:
        row = FeedbackQuestions(event_id=event_id)
        db.session.add(row)
    changed = []
    for name in QUESTION_FIELDS:
        value = (texts.get(name) or "").strip() or None
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed.append(name)
    if changed:
        row.updated_at = utcnow()
        audit.record(
            user,
            "feedback.questions_changed",
            organisation_id=event.organisation_id,
            event_id=event.id,
            fields=changed,
        )
    db.session.flush()
    return questions(event_id)


# --- answering ------------------------------------------------------------------------------


def _text(value: str | None, field_name: str) -> str | None:
    text = (value or "").strip()
    if len(text) > MAX_TEXT:
        raise TooLong(field=field_name)
    return text or None


def submit(
    participant_id: int,
    *,
    overall: int | None,
    usefulness: int | None,
    answer_1: str | None,
    answer_2: str | None,
    language: str,
    now: datetime | None = None,
) -> FeedbackAnswer:
    """Store the participant's one answer; flushes.

    Raises BadRating (naming the field), TooLong, Closed (anonymised), NotAttended or
    AlreadyAnswered; nothing is stored then.
    """
    for name, value in (("overall", overall), ("usefulness", usefulness)):
        if value not in RATINGS:
            raise BadRating(field=name)
    texts = (_text(answer_1, "answer_1"), _text(answer_2, "answer_2"))
    begin_write()
    participant = lock_row(Participant, participant_id)
    if participant is None:
        raise Closed()
    error = refusal(participant)
    if error is not None:
        raise error
    answer = FeedbackAnswer(
        event_id=participant.booking.event_id,
        participant_id=participant.id,
        overall=overall,
        usefulness=usefulness,
        answer_1=texts[0],
        answer_2=texts[1],
        language=language,
        created_at=now or utcnow(),
    )
    db.session.add(answer)
    db.session.flush()
    return answer


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rating:
    """One rating's answers: how many gave each value, and the average."""

    distribution: dict[int, int]

    @property
    def count(self) -> int:
        return sum(self.distribution.values())

    @property
    def average(self) -> float | None:
        if not self.count:
            return None
        return sum(v * n for v, n in self.distribution.items()) / self.count


@dataclass(frozen=True)
class Results:
    """An event's evaluation: responses of those who attended, ratings, the free text."""

    event: Event
    questions: Questions
    attendees: int
    overall: Rating
    usefulness: Rating
    #: The free-text answers kept, per question, oldest first.
    texts: tuple[list[str], list[str]] = field(default_factory=lambda: ([], []))

    @property
    def responses(self) -> int:
        return self.overall.count

    @property
    def rate(self) -> float | None:
        """Responses ÷ participants marked present, 0–1; None while nobody attended."""
        return min(self.responses / self.attendees, 1.0) if self.attendees else None


def attendee_count(event_id: int) -> int:
    """Participants of confirmed bookings marked present at one of the event's sessions."""
    return (
        db.session.scalar(
            select(func.count(func.distinct(Attendance.participant_id)))
            .join(Participant, Participant.id == Attendance.participant_id)
            .join(Booking, Booking.id == Participant.booking_id)
            .join(EventSession, EventSession.id == Attendance.session_id)
            .where(
                EventSession.event_id == event_id,
                Booking.event_id == event_id,
                Booking.status == BookingStatus.CONFIRMED,
                Participant.cancelled_at.is_(None),
                Attendance.present.is_(True),
            )
        )
        or 0
    )


def results(user: User | None, event: Event) -> Results:
    """The event's results for its organisation's members (any role; NotAllowed otherwise).

    Four queries whatever the number of answers.
    """
    require_role(user, event.organisation_id, Role.VIEWER)
    overall: Counter[int] = Counter()
    usefulness: Counter[int] = Counter()
    for o, u, n in db.session.execute(
        select(FeedbackAnswer.overall, FeedbackAnswer.usefulness, func.count())
        .where(FeedbackAnswer.event_id == event.id)
        .group_by(FeedbackAnswer.overall, FeedbackAnswer.usefulness)
    ):
        overall[o] += n
        usefulness[u] += n
    texts: tuple[list[str], list[str]] = ([], [])
    for first, second in db.session.execute(
        select(FeedbackAnswer.answer_1, FeedbackAnswer.answer_2)
        .where(
            FeedbackAnswer.event_id == event.id,
            (FeedbackAnswer.answer_1.is_not(None)) | (FeedbackAnswer.answer_2.is_not(None)),
        )
        .order_by(FeedbackAnswer.created_at, FeedbackAnswer.id)
    ):
        if first:
            texts[0].append(first)
        if second:
            texts[1].append(second)
    return Results(
        event=event,
        questions=questions(event.id),
        attendees=attendee_count(event.id),
        overall=Rating({v: overall.get(v, 0) for v in RATINGS}),
        usefulness=Rating({v: usefulness.get(v, 0) for v in RATINGS}),
        texts=texts,
    )


def format_average(value: float | None) -> str:
    """An average rating with one decimal in the page's notation (4,3 in Swedish); a dash
    when there are no answers."""
    from webapp.i18n import current_language

    if value is None:
        return "–"
    text = f"{value:.1f}"
    return text.replace(".", ",") if current_language() == "sv" else text
