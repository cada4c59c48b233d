"""Forms of the organisers' outbox pages."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, URLField
from wtforms.validators import URL, DataRequired, Length, Optional

from webapp.formtools import AppForm, TextArea, choices, parse_id
from webapp.notifications.messages import Draft
from webapp.notifications.models import Audience


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class FollowUpForm(AppForm):
    """The thank-you sent to participants after the event."""

    text = TextArea(
        _l("Message"),
        validators=[DataRequired(), Length(max=10000)],
        description=_l("Sent to every participant, after a short thank-you line."),
        render_kw={"rows": 6},
    )
    feedback_url = URLField(
        _l("Link to a feedback form (optional)"),
        validators=[Optional(), URL(require_tld=False), Length(max=500)],
    )
    evaluation = BooleanField(
        _l("Include the link to the short evaluation"),
        default=True,
        description=_l(
            "Only participants marked present get it: two ratings and two open questions "
            "(Evaluation page), answered once, without an account."
        ),
    )


class MessageForm(AppForm):
    """An organiser's message to a group: subject and body in Swedish, English or both."""

    audience = SelectField(
        _l("Send to"),
        choices=choices(((a.value, a.lazy_label) for a in Audience), empty="—"),
        validators=[DataRequired(message=_l("Choose whom to send the message to."))],
    )
    session = SelectField(
        _l("Session (for attended or did not attend)"),
        validators=[Optional()],
        description=_l("Attendance as marked on the attendance page."),
    )
    subject_sv = StringField(
        _l("Subject in Swedish"), [Optional(), Length(max=200)], filters=[_strip]
    )
    body_sv = TextArea(
        _l("Message in Swedish"), [Optional(), Length(max=10000)], render_kw={"rows": 8}
    )
    subject_en = StringField(
        _l("Subject in English"), [Optional(), Length(max=200)], filters=[_strip]
    )
    body_en = TextArea(
        _l("Message in English"), [Optional(), Length(max=10000)], render_kw={"rows": 8}
    )

    def __init__(self, *args: object, sessions: Sequence[tuple[str, str]] = (), **kwargs: object):
        super().__init__(*args, **kwargs)
        self.session.choices = choices(sessions, empty="—")

    def validate(self, extra_validators: dict | None = None) -> bool:
        """Field rules, then: a session for an attendance group, and at least one language
        with both a subject and a message (a half-written language is pointed out)."""
        valid = super().validate(extra_validators)
        chosen = self.audience.data if not self.audience.errors else None
        if chosen and Audience(chosen).needs_session and not self.session.data:
            self.session.errors.append(_l("Choose the session."))
        written = False
        for language in ("sv", "en"):
            subject = getattr(self, f"subject_{language}")
            body = getattr(self, f"body_{language}")
            has_subject, has_body = bool(subject.data), bool((body.data or "").strip())
            if has_subject and not has_body:
                body.errors.append(_l("Write the message, or leave its subject empty too."))
            elif has_body and not has_subject:
                subject.errors.append(_l("Give the message a subject."))
            written = written or (has_subject and has_body)
        if not written and not self.subject_sv.errors and not self.body_sv.errors:
            self.subject_sv.errors.append(
                _l("Write a subject and a message in Swedish or in English (or both).")
            )
        return valid and not any(field.errors for field in self)

    def session_id(self) -> int | None:
        return parse_id(self.session.data)

    def to_draft(self) -> Draft:
        return Draft(
            audience=Audience(self.audience.data),
            session_id=self.session_id(),
            subject_sv=self.subject_sv.data or "",
            body_sv=(self.body_sv.data or "").strip(),
            subject_en=self.subject_en.data or "",
            body_en=(self.body_en.data or "").strip(),
        )
