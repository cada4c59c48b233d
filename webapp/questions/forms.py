"""Forms: the answers asked at registration and on the manage page, and the organisers'
question form.

The answer forms are built per event from its questions (one field ``q<id>`` each). They
are subforms without their own CSRF token: the registration or add-participant form they
are part of carries it.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    Field,
    Form,
    FormField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.bookings.forms import RegistrationForm
from webapp.bookings.models import Booking, Participant
from webapp.events.models import Event
from webapp.formtools import DATE_MESSAGE, AppForm, IsoDateField, PlainForm, TextArea, choices
from webapp.i18n import current_language
from webapp.questions import services
from webapp.questions.models import (
    KIND_LABELS,
    LONG_TEXT_MAX,
    SCOPE_LABELS,
    SHORT_TEXT_MAX,
    Question,
    QuestionKind,
    QuestionScope,
)

_ANSWER = _l("Answer the question.")
_CHOOSE = _l("Choose an answer.")
_OFFERED = _l("Choose one of the options offered.")
_NUMBER = _l("Write a number, e.g. 12 or 3.5.")
_TOO_LONG = _l("Answer in at most %(max)d characters.")
_LINE_BREAK = re.compile("[\r\n\u2028\u2029]")
#: Numbers answered: at most this large, at most six decimals.
_NUMBER_LIMIT = Decimal("1e12")


def _offered(keys: list[str]):
    def check(_form: Form, field: Field) -> None:
        chosen = field.data if isinstance(field.data, list) else [field.data]
        if any(value not in keys for value in chosen if value):
            raise ValidationError(_OFFERED)

    return check


def _one_line(_form: Form, field: Field) -> None:
    if isinstance(field.data, str) and _LINE_BREAK.search(field.data):
        raise ValidationError(_l("Line breaks are not allowed here."))


def _some_chosen(_form: Form, field: Field) -> None:
    if not field.data:
        raise ValidationError(_CHOOSE)


def _number(_form: Form, field: Field) -> None:
    text = (field.data or "").strip().replace(" ", "").replace("\u2212", "-").replace(",", ".")
    if not text:
        return
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValidationError(_NUMBER) from None
    if not number.is_finite() or abs(number) >= _NUMBER_LIMIT or -number.as_tuple().exponent > 6:
        raise ValidationError(_NUMBER)
    field.data = format(number.normalize(), "f")


def _label(question: Question, language: str) -> str | Markup:
    """The question as its field's label, marked as Swedish on an English page when it has
    no English wording (WCAG 3.1.2: a screen reader then reads it with a Swedish voice)."""
    shown = _marked(question.text(language), language)
    if question.required:
        return shown
    return Markup(escape(_("%(question)s (optional)"))) % {"question": shown}


def _marked(text: str, language: str) -> str | Markup:
    """``text`` in a ``<span lang>`` when it is an organiser's text in another language than
    the page's ``language`` (an :class:`~webapp.i18n.AuthoredText`)."""
    lang = getattr(text, "lang", language)
    return text if lang == language else Markup('<span lang="{}">{}</span>').format(lang, text)


def _field(question: Question, language: str) -> Field:
    """The form field that asks ``question``."""
    label = _label(question, language)
    required = question.required
    kind = question.kind
    if kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT):
        longest = SHORT_TEXT_MAX if kind == QuestionKind.SHORT_TEXT else LONG_TEXT_MAX
        validators: list[Any] = [
            DataRequired(message=_ANSWER) if required else Optional(),
            Length(max=longest, message=_TOO_LONG),
        ]
        if kind == QuestionKind.SHORT_TEXT:
            return StringField(label, [*validators, _one_line], filters=[_strip])
        return TextArea(label, validators, filters=[_strip])
    if kind == QuestionKind.NUMBER:
        return StringField(
            label,
            [DataRequired(message=_ANSWER) if required else Optional(), _number],
            filters=[_strip],
            render_kw={"inputmode": "decimal", "autocomplete": "off"},
        )
    if kind == QuestionKind.DATE:
        return IsoDateField(
            label,
            [InputRequired(message=DATE_MESSAGE) if required else Optional()],
            description=_l("As YYYY-MM-DD, e.g. 2027-03-15."),
        )
    if kind == QuestionKind.YES_NO:
        pairs = [("yes", _l("Yes")), ("no", _l("No"))]
    else:
        pairs = [(key, _marked(label, language)) for key, label in question.option_pairs(language)]
    keys = [key for key, _label in pairs]
    if kind == QuestionKind.MULTIPLE_CHOICE:
        return SelectMultipleField(
            label,
            [_some_chosen if required else Optional(), _offered(keys)],
            choices=choices(pairs),
            validate_choice=False,
            widget=ListWidget(prefix_label=False),
            option_widget=CheckboxInput(),
        )
    return RadioField(
        label,
        [InputRequired(message=_CHOOSE) if required else Optional(), _offered(keys)],
        choices=choices(pairs),
        validate_choice=False,
    )


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class AnswersForm(PlainForm):
    """Answers to a list of questions (subclassed per event by :func:`answers_form`)."""

    questions: list[Question] = []

    def answers(self) -> dict[int, str]:
        """Question id → the answer as stored ("" when not answered)."""
        result = {}
        for question in self.questions:
            data = self[f"q{question.id}"].data
            if question.kind == QuestionKind.MULTIPLE_CHOICE:
                chosen = set(data or [])
                value = ",".join(o["key"] for o in question.options if o["key"] in chosen)
            elif question.kind == QuestionKind.DATE:
                value = data.isoformat() if data else ""
            else:
                value = (data or "").strip()
            result[question.id] = value
        return result


def answers_form(questions: list[Question], language: str) -> type[AnswersForm]:
    """A form class asking ``questions`` in ``language``."""
    fields: dict[str, Any] = {f"q{q.id}": _field(q, language) for q in questions}
    return type("EventAnswersForm", (AnswersForm,), {"questions": questions, **fields})


def _formdata():
    return request.form if request.method == "POST" else None


class RegistrationSection:
    """The event's questions as a section of the registration form (webapp.signals).

    Questions asked once per participant are asked in one block per participant block of
    the registration form, named after it (``participants-2`` → ``questions-p2-q…``), so
    the answers follow their participant when one is added or removed without JavaScript.
    """

    template = "questions/_registration.html"

    def __init__(self, questions: list[Question], registration: RegistrationForm) -> None:
        self.language = current_language()
        self.booking_questions = [q for q in questions if q.scope == QuestionScope.BOOKING]
        self.participant_questions = [q for q in questions if q.scope == QuestionScope.PARTICIPANT]
        self.registration = registration
        self._form: AnswersForm | None = None
        self._entries: list[str] = []

    def _entry_names(self) -> list[str]:
        return [entry.name.rsplit("-", 1)[-1] for entry in self.registration.participants]

    @property
    def form(self) -> AnswersForm:
        """Booking answers plus one subform ``p<n>`` per participant block (built when first
        needed, after the participant blocks have been added or removed)."""
        names = self._entry_names()
        if self._form is None or names != self._entries:
            per_participant = answers_form(self.participant_questions, self.language)
            fields: dict[str, Any] = {
                f"p{name}": FormField(per_participant, label=_("Participant %(n)s", n=n))
                for n, name in enumerate(names, start=1)
            }
            form_class = type(
                "RegistrationAnswersForm",
                (answers_form(self.booking_questions, self.language),),
                fields,
            )
            self._form = form_class(_formdata(), prefix="questions")
            self._entries = names
        return self._form

    def participant_blocks(self) -> list[tuple[int, FormField]]:
        """(number, subform field) of each participant block, in order."""
        return [(n, self.form[f"p{name}"]) for n, name in enumerate(self._entry_names(), 1)]

    def validate(self) -> bool:
        return self.form.validate()

    def save(self, booking: Booking) -> None:
        participants = booking.active_participants
        blocks = [field.form.answers() for _n, field in self.participant_blocks()]
        services.save_answers(
            booking, self.form.answers(), list(zip(participants, blocks, strict=False))
        )


def registration_section(
    event: Event, form: RegistrationForm | None = None, **_: object
) -> RegistrationSection | None:
    """Receiver of signals.registration_sections: the event's questions, if it has any."""
    questions = services.questions_for(event.id, asked_only=True)
    if not questions or form is None:
        return None
    return RegistrationSection(questions, form)


class ParticipantSection:
    """The per-participant questions where a participant is added later (manage page)."""

    template = "questions/_participant.html"

    def __init__(self, questions: list[Question]) -> None:
        self.form = answers_form(questions, current_language())(_formdata(), prefix="questions")

    def validate(self) -> bool:
        return self.form.validate()

    def save(self, participant: Participant) -> None:
        services.save_answers(participant.booking, {}, [(participant, self.form.answers())])


def participant_section(event: Event, **_: object) -> ParticipantSection | None:
    """Receiver of signals.participant_sections: the per-participant questions, if any."""
    questions = [
        q
        for q in services.questions_for(event.id, asked_only=True)
        if q.scope == QuestionScope.PARTICIPANT
    ]
    return ParticipantSection(questions) if questions else None


# --- organisers ----------------------------------------------------------------------------


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class QuestionForm(AppForm):
    text_sv = StringField(
        _l("Question in Swedish"),
        [DataRequired(message=_l("Write the question in Swedish.")), Length(max=300)],
        filters=[_strip],
    )
    text_en = StringField(
        _l("Question in English (optional)"),
        [Optional(), Length(max=300)],
        filters=[_strip],
        description=_l("Leave empty to ask in Swedish on English pages too."),
    )
    kind = SelectField(
        _l("Kind of answer"),
        choices=lambda: choices((k.value, label) for k, label in KIND_LABELS.items()),
        # Checked below rather than marked required: the first option is a real kind.
        validate_choice=False,
    )
    scope = RadioField(
        _l("Asked"),
        choices=lambda: choices((s.value, label) for s, label in SCOPE_LABELS.items()),
        default=QuestionScope.BOOKING.value,
        validators=[InputRequired(message=_l("Choose whom the question asks."))],
    )
    required = BooleanField(_l("An answer is required"))
    options_sv = TextArea(
        _l("Options in Swedish (choice questions; one a line)"),
        [Length(max=5000)],
    )
    options_en = TextArea(
        _l("Options in English (the same order; one a line)"),
        [Optional(), Length(max=5000)],
        description=_l("Leave empty to show the Swedish wording in English too."),
    )
    submit = SubmitField(_l("Save the question"))

    def validate_kind(self, field: SelectField) -> None:
        if field.data not in {kind.value for kind in QuestionKind}:
            raise ValidationError(_l("Choose the kind of answer."))

    def validate_options_sv(self, field: TextArea) -> None:
        lines = _lines(field.data)
        if self.kind.data in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE):
            if not lines:
                raise ValidationError(_l("A choice question needs at least one option."))
            if len(lines) > 50:
                raise ValidationError(_l("At most 50 options."))
            if any(len(line) > 200 for line in lines):
                raise ValidationError(_l("Each option may have at most 200 characters."))
            if len({line.casefold() for line in lines}) != len(lines):
                raise ValidationError(_l("Each option must be different."))

    def validate_options_en(self, field: TextArea) -> None:
        lines = _lines(field.data)
        if lines and len(lines) != len(_lines(self.options_sv.data)):
            raise ValidationError(
                _l("Give as many English options as Swedish ones, in the same order.")
            )
        if any(len(line) > 200 for line in lines):
            raise ValidationError(_l("Each option may have at most 200 characters."))

    def fill(self, question: Question) -> None:
        self.text_sv.data, self.text_en.data = question.text_sv, question.text_en
        self.kind.data, self.scope.data = question.kind.value, question.scope.value
        self.required.data = question.required
        self.options_sv.data = "\n".join(o["sv"] for o in question.options or [])
        english = [o.get("en") or o["sv"] for o in question.options or []]
        if english != [o["sv"] for o in question.options or []]:
            self.options_en.data = "\n".join(english)

    def to_data(self) -> services.QuestionData:
        kind = QuestionKind(self.kind.data)
        swedish, english = _lines(self.options_sv.data), _lines(self.options_en.data)
        # No English: each option's is "", and option_label shows the Swedish marked as such.
        english = english or [""] * len(swedish)
        options = list(zip(swedish, english, strict=True)) if kind.has_options else []
        return services.QuestionData(
            kind=kind,
            scope=QuestionScope(self.scope.data),
            required=bool(self.required.data),
            text_sv=self.text_sv.data,
            text_en=self.text_en.data or "",
            options=options,
        )
