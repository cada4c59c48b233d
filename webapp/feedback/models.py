"""The evaluation participants answer after an event, and its per-event questions.

Every answer carries its event itself, so the figures (count, averages, distribution) do
not depend on the participant row: anonymisation (webapp.privacy) unlinks the answer from
its participant and erases its free text, keeping the ratings for the funders' reports.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import UTCDateTime, db, utcnow

#: The scale of both ratings.
RATINGS = (1, 2, 3, 4, 5)
#: Longest free-text answer, in characters.
MAX_TEXT = 2000
#: Longest question an organiser may write.
MAX_QUESTION = 300


class FeedbackQuestions(db.Model):
    """An event's own wording of the two free-text questions; None keeps the default."""

    __tablename__ = "feedback_questions"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    question_1_sv: Mapped[str | None] = mapped_column(String(MAX_QUESTION))
    question_1_en: Mapped[str | None] = mapped_column(String(MAX_QUESTION))
    question_2_sv: Mapped[str | None] = mapped_column(String(MAX_QUESTION))
    question_2_en: Mapped[str | None] = mapped_column(String(MAX_QUESTION))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class FeedbackAnswer(db.Model):
    """One participant's answer to an event's evaluation (at most one per participant)."""

    __tablename__ = "feedback_answers"
    __table_args__ = (
        CheckConstraint("overall BETWEEN 1 AND 5", name="overall_in_range"),
        CheckConstraint("usefulness BETWEEN 1 AND 5", name="usefulness_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The event answered about; kept when the participant is anonymised or deleted.
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    #: Who answered, until anonymisation unlinks it; unique, so one answer per participant.
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), unique=True
    )
    #: Overall rating, 1 (poor) to 5 (excellent).
    overall: Mapped[int] = mapped_column(Integer)
    #: How useful it was for the company, 1 (not at all) to 5 (very).
    usefulness: Mapped[int] = mapped_column(Integer)
    #: The answers to the event's two free-text questions (erased on anonymisation).
    answer_1: Mapped[str | None] = mapped_column(Text)
    answer_2: Mapped[str | None] = mapped_column(Text)
    #: The language the form was answered in.
    language: Mapped[str] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the participant link and free text were erased (retention or erasure).
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
