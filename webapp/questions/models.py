"""An event's own registration questions and the answers bookings gave.

A question is asked once per booking or once per participant, in Swedish and English, in
the organiser's order. Once a booking has answered it, the question keeps its kind and
cannot be deleted (the answers would lose their meaning); it can be hidden instead, which
stops asking it while its answers stay on the booking, in the list and in the exports.
"""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.bookings.models import Booking, Participant
from webapp.db import UTCDateTime, db, str_enum, utcnow
from webapp.events.models import Event
from webapp.i18n import AuthoredText


class QuestionKind(enum.StrEnum):
    """What kind of answer a question takes."""

    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    YES_NO = "yes_no"
    NUMBER = "number"
    DATE = "date"

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self])

    @property
    def has_options(self) -> bool:
        return self in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE)


KIND_LABELS = {
    QuestionKind.SHORT_TEXT: _l("Short text"),
    QuestionKind.LONG_TEXT: _l("Long text"),
    QuestionKind.SINGLE_CHOICE: _l("One choice"),
    QuestionKind.MULTIPLE_CHOICE: _l("Several choices"),
    QuestionKind.YES_NO: _l("Yes or no"),
    QuestionKind.NUMBER: _l("Number"),
    QuestionKind.DATE: _l("Date"),
}


class QuestionScope(enum.StrEnum):
    """Whom a question is asked of."""

    BOOKING = "booking"
    PARTICIPANT = "participant"

    @property
    def label(self) -> str:
        return str(SCOPE_LABELS[self])


SCOPE_LABELS = {
    QuestionScope.BOOKING: _l("Once per booking"),
    QuestionScope.PARTICIPANT: _l("Once per participant"),
}

#: Longest answers, in characters.
SHORT_TEXT_MAX = 200
LONG_TEXT_MAX = 2000


class Question(db.Model):
    __tablename__ = "questions"
    __table_args__ = (CheckConstraint("position >= 0", name="position_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The event whose registration form asks it.
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    #: Order on the form, smallest first.
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[QuestionKind] = mapped_column(str_enum(QuestionKind, "question_kind"))
    scope: Mapped[QuestionScope] = mapped_column(str_enum(QuestionScope, "question_scope"))
    #: Must be answered to register.
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    text_sv: Mapped[str] = mapped_column(String(300))
    text_en: Mapped[str] = mapped_column(String(300))
    #: Choice questions: ``[{"key": "o1", "sv": …, "en": …}, …]`` in order; the key is what
    #: answers store, so the options can be reordered and their wording corrected after
    #: answers exist (services._options says which line keeps which key).
    options: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    #: No longer asked; its answers are kept and shown.
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship()

    def text(self, language: str) -> AuthoredText:
        """The question in ``language`` (sv or en); in Swedish when it has no English."""
        if language != "sv" and self.text_en:
            return AuthoredText(self.text_en, "en")
        return AuthoredText(self.text_sv, "sv")

    def option_label(self, key: str, language: str) -> str:
        """An option's wording in ``language``, else in Swedish (an :class:`AuthoredText`
        that says which); its key when the option is gone."""
        for option in self.options or []:
            if option["key"] == key:
                if language != "sv" and option.get("en"):
                    return AuthoredText(option["en"], "en")
                return AuthoredText(option["sv"], "sv")
        return key

    def option_pairs(self, language: str) -> list[tuple[str, str]]:
        """(key, wording) of each option, in order."""
        return [(o["key"], self.option_label(o["key"], language)) for o in self.options or []]


class Answer(db.Model):
    """One booking's (or one of its participants') answer to one question."""

    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    #: Set for questions asked once per participant.
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"), index=True)
    #: The answer as text: the words typed; ``yes``/``no``; a number such as ``12.5``; an
    #: ISO date; option keys separated by commas.
    value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    question: Mapped[Question] = relationship()
    booking: Mapped[Booking] = relationship()
    participant: Mapped[Participant | None] = relationship()

    @property
    def keys(self) -> list[str]:
        """A choice answer's option keys."""
        return [key for key in self.value.split(",") if key]
