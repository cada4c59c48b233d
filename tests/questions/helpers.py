"""Builders of registration questions for tests."""

from __future__ import annotations

from webapp.accounts.models import User
from webapp.questions import services
from webapp.questions.models import Question, QuestionKind, QuestionScope


def question(
    user: User,
    event_id: int,
    kind: QuestionKind,
    *,
    scope: QuestionScope = QuestionScope.BOOKING,
    required: bool = True,
    text: str | None = None,
    options: list[tuple[str, str]] | None = None,
) -> Question:
    """A question added through the real service (options default to two for choices)."""
    if options is None and kind.has_options:
        options = [("Spår A", "Track A"), ("Spår B", "Track B")]
    return services.add_question(
        user,
        event_id,
        services.QuestionData(
            kind=kind,
            scope=scope,
            required=required,
            text_sv=f"{text or kind.value} (sv)",
            text_en=text or kind.value,
            options=options or [],
        ),
    )
