"""The evaluation form participants answer, and the organisers' form for its questions."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, StringField
from wtforms.validators import Length, Optional, StopValidation

from webapp.feedback.models import MAX_QUESTION, MAX_TEXT, RATINGS
from webapp.formtools import AppForm, TextArea, choices

RATING_MESSAGE = _l("Choose a rating from 1 to 5.")
TEXT_MESSAGE = _l("Write at most %(max)d characters.")


class RatingField(RadioField):
    """1 to 5 as radio buttons; anything else (0, 6, nothing) gets one clear message."""

    def __init__(self, label: Any, **kwargs: Any) -> None:
        super().__init__(
            label,
            choices=choices((str(v), str(v)) for v in RATINGS),
            validate_choice=False,
            **kwargs,
        )

    def pre_validate(self, form: Any) -> None:
        if self.data not in {str(v) for v in RATINGS}:
            raise StopValidation(str(RATING_MESSAGE))

    @property
    def value(self) -> int | None:
        return int(self.data) if self.data in {str(v) for v in RATINGS} else None


class FeedbackForm(AppForm):
    """The evaluation; the two text questions get their labels from the event."""

    overall = RatingField(
        _l("Overall, how would you rate the event?"),
        description=_l("1 = poor, 5 = excellent"),
    )
    usefulness = RatingField(
        _l("How useful was it for your company?"),
        description=_l("1 = not useful, 5 = very useful"),
    )
    answer_1 = TextArea(
        "",
        validators=[Optional(), Length(max=MAX_TEXT, message=TEXT_MESSAGE)],
        render_kw={"rows": 4},
    )
    answer_2 = TextArea(
        "",
        validators=[Optional(), Length(max=MAX_TEXT, message=TEXT_MESSAGE)],
        render_kw={"rows": 4},
    )


def _question(label: Any) -> StringField:
    return StringField(
        label,
        validators=[Optional(), Length(max=MAX_QUESTION, message=TEXT_MESSAGE)],
    )


class QuestionsForm(AppForm):
    """An event's own wording of the two free-text questions; blank keeps the default."""

    question_1_sv = _question(_l("Question 1 in Swedish"))
    question_1_en = _question(_l("Question 1 in English"))
    question_2_sv = _question(_l("Question 2 in Swedish"))
    question_2_en = _question(_l("Question 2 in English"))
