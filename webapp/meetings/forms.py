"""Forms: meeting settings and the slot generator, profiles, requests, moves, cancellations."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from webapp.events.forms import parse_time
from webapp.formtools import AppForm, IsoDateField, TextArea, parse_id
from webapp.meetings.models import DESCRIPTION_MAX, MESSAGE_MAX, OFFER_MAX
from webapp.meetings.services import MAX_TABLES, SLOT_MINUTES, ProfileData


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _valid_time(_form: object, field: StringField) -> None:
    if field.data and parse_time(field.data) is None:
        raise ValidationError(_l("Enter a time as HH:MM on the 24-hour clock, e.g. 13:30."))


def _time_field(label: object) -> StringField:
    return StringField(
        label,
        [DataRequired(message=_l("Enter a time.")), _valid_time],
        filters=[_strip],
        render_kw={"inputmode": "numeric", "placeholder": _l("HH:MM"), "size": 5},
    )


def _to_id(value: object) -> int | None:
    """A choice's id, None for anything but digits (never an untranslated coerce error)."""
    if isinstance(value, int):
        return value
    return parse_id(str(value)) if value is not None else None


def _chosen(_form: object, field: SelectField) -> None:
    if field.data is None:
        raise ValidationError(_l("Choose a time."))


class SettingsForm(AppForm):
    enabled = BooleanField(_l("Participants can request meetings with each other"))
    submit = SubmitField(_l("Save"))


class SlotsForm(AppForm):
    """The generator: ``minutes``-long slots from ``first`` until ``last`` on ``day``."""

    day = IsoDateField(_l("Day (YYYY-MM-DD)"), [InputRequired(message=_l("Enter the day."))])
    first = _time_field(_l("First meeting starts (HH:MM)"))
    last = _time_field(_l("Last meeting ends (HH:MM)"))
    minutes = IntegerField(
        _l("Minutes per meeting"),
        [
            InputRequired(message=_l("Enter the minutes per meeting.")),
            NumberRange(*SLOT_MINUTES, message=_l("From %(min)s to %(max)s minutes.")),
        ],
        default=20,
    )
    tables = IntegerField(
        _l("Tables or rooms per time"),
        [
            InputRequired(message=_l("Enter the number of tables.")),
            NumberRange(1, MAX_TABLES, message=_l("From %(min)s to %(max)s tables.")),
        ],
        default=10,
    )
    table_names = TextArea(
        _l("Names of the tables (optional, one per line)"),
        [Optional(), Length(max=5000)],
        description=_l("Without names they are called Table 1, Table 2, …"),
    )
    submit = SubmitField(_l("Add meeting times"))

    def names(self) -> list[str]:
        return (self.table_names.data or "").split("\n")


class ProfileForm(AppForm):
    display_name = StringField(
        _l("Your name as others see it"),
        [DataRequired(message=_l("Enter a name.")), Length(max=200)],
        filters=[_strip],
    )
    company_name = StringField(
        _l("Company"),
        [DataRequired(message=_l("Enter the company's name.")), Length(max=200)],
        filters=[_strip],
    )
    offers = TextArea(_l("What you offer"), [Optional(), Length(max=OFFER_MAX)])
    seeks = TextArea(_l("What you are looking for"), [Optional(), Length(max=OFFER_MAX)])
    description = TextArea(
        _l("About you and your company"), [Optional(), Length(max=DESCRIPTION_MAX)]
    )
    submit = SubmitField(_l("Save the meeting profile"))

    def data_object(self) -> ProfileData:
        return ProfileData(
            display_name=self.display_name.data,
            company_name=self.company_name.data,
            offers=self.offers.data,
            seeks=self.seeks.data,
            description=self.description.data,
        )


class RequestForm(AppForm):
    slot = SelectField(_l("Time"), coerce=_to_id, validate_choice=False, validators=[_chosen])
    message = TextArea(
        _l("Message (optional)"),
        [Optional(), Length(max=MESSAGE_MAX, message=_l("At most %(max)d characters."))],
        description=_l("What you would like to talk about, in a few sentences."),
    )
    submit = SubmitField(_l("Send the request"))

    def chosen_slot(self) -> int | None:
        return self.slot.data if isinstance(self.slot.data, int) else None


class MoveForm(AppForm):
    slot = SelectField(_l("Time"), coerce=_to_id, validate_choice=False, validators=[_chosen])
    table = SelectField(_l("Table"), coerce=_to_id, validate_choice=False)
    submit = SubmitField(_l("Move the meeting"))


class CancelForm(AppForm):
    reason = TextArea(
        _l("Reason (optional, told to both participants)"), [Optional(), Length(max=500)]
    )
    submit = SubmitField(_l("Cancel the meeting"))
