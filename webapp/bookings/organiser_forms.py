"""Forms of the organisers' booking pages (the public ones live in bookings.forms)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SubmitField
from wtforms.validators import DataRequired

from webapp.bookings.forms import RegistrationForm
from webapp.bookings.organising import Move
from webapp.formtools import AppForm, choices

MOVE_LABELS = {
    Move.CONFIRM: _l("Confirm (takes seats)"),
    Move.WAITLIST: _l("Move to the waiting list"),
    Move.DECLINE: _l("Decline"),
    Move.CANCEL: _l("Cancel the booking"),
}


class OrganiserBookingForm(RegistrationForm):
    """A booking taken on a company's behalf: the registration form without the company's
    own consent and opt-in, which the organiser cannot give for them."""

    consent = None
    invitations = None
    #: The company's emails follow this, not the organiser's own interface language.
    language = SelectField(
        _l("Language of the company's emails"),
        choices=choices([("sv", "Svenska"), ("en", "English")]),
        default="sv",
    )
    submit = SubmitField(_l("Add the booking"))


class MoveForm(AppForm):
    # No action is preselected: an organiser must choose one, never apply a default by
    # accident.
    target = SelectField(
        _l("Move the booking"),
        choices=choices(((move.value, label) for move, label in MOVE_LABELS.items()), empty="—"),
        validators=[DataRequired(message=_l("Choose what to do with the booking."))],
    )
    submit = SubmitField(_l("Move"))


class SelectionForm(AppForm):
    """Approve or decline the bookings ticked in the list (``booking`` checkboxes)."""

    decision = SelectField(
        _l("With the ticked bookings"),
        choices=choices([("approve", _l("Approve")), ("decline", _l("Decline"))], empty="—"),
        validators=[DataRequired(message=_l("Choose what to do with the ticked bookings."))],
    )
    submit = SubmitField(_l("Apply"))
