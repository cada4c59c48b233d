"""Registration and manage-my-booking forms."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from flask import request, session
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from webapp.bookings.models import Booking, Gender, Participant
from webapp.bookings.services import CompanyData, ContactData, ParticipantData
from webapp.companies import orgnumbers
from webapp.companies.models import BalanceBand, StaffBand, TurnoverBand, derive_size_class
from webapp.formtools import AppForm, PlainForm, TextArea, choices, per_language
from webapp.regions import COUNTIES, country_choices, county_choices

GENDER_LABELS = {
    Gender.FEMALE: _l("Woman"),
    Gender.MALE: _l("Man"),
    Gender.OTHER: _l("Other / non-binary"),
    Gender.UNDISCLOSED: _l("Prefer not to say"),
}


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class ParticipantForm(PlainForm):
    """One participant; a subform without its own CSRF token."""

    name = StringField(
        _l("Name"),
        [DataRequired(message=_l("Enter the participant's name.")), Length(max=200)],
        filters=[_strip],
    )
    email = StringField(
        _l("Email"),
        [
            DataRequired(message=_l("Enter the participant's email address.")),
            Email(message=_l("Enter a valid email address.")),
            Length(max=254),
        ],
        filters=[_strip],
    )
    role = StringField(
        _l("Role or title (optional)"), [Optional(), Length(max=200)], filters=[_strip]
    )
    gender = SelectField(
        _l("Gender (optional, only for statistics)"),
        choices=choices(((g.value, label) for g, label in GENDER_LABELS.items()), empty="—"),
        validators=[Optional()],
    )
    dietary_needs = StringField(
        _l("Dietary needs (optional)"), [Optional(), Length(max=500)], filters=[_strip]
    )
    accessibility_needs = StringField(
        _l("Accessibility needs (optional)"), [Optional(), Length(max=500)], filters=[_strip]
    )

    def fill(self, participant: Participant) -> None:
        """Show a participant's current details (for editing them)."""
        for name in ("name", "email", "role", "dietary_needs", "accessibility_needs"):
            getattr(self, name).data = getattr(participant, name) or ""
        self.gender.data = participant.gender.value if participant.gender else ""

    def to_data(self) -> ParticipantData:
        return ParticipantData(
            name=self.name.data,
            email=self.email.data.lower(),
            role=self.role.data or None,
            gender=Gender(self.gender.data) if self.gender.data else None,
            dietary_needs=self.dietary_needs.data or None,
            accessibility_needs=self.accessibility_needs.data or None,
        )


def _bands(band: type[StaffBand | TurnoverBand | BalanceBand]) -> Callable[[], list]:
    """A band's choices, led by an empty one; made once per language."""
    return per_language(lambda: choices(((b.value, b.label) for b in band), empty="—"))


_country_choices = per_language(lambda: choices(country_choices(), empty="—"))
_county_choices = per_language(lambda: choices(county_choices(), empty="—"))

#: Session key of the random value that binds submission keys to one browser.
_SUBMITTER = "submitter"


class RegistrationForm(AppForm):
    """The public registration form; participants are added and removed without JavaScript."""

    # No country preselected: the registrant chooses, from an empty first option.
    country = SelectField(
        _l("Country"),
        validators=[InputRequired(message=_l("Choose the country the company is registered in."))],
    )
    org_number = StringField(
        _l("Organisation number"),
        [DataRequired(message=_l("Enter the company's organisation number."))],
        description=_l("Swedish companies: 10 digits, e.g. 556036-0793."),
    )
    company_name = StringField(
        _l("Company name"),
        [DataRequired(message=_l("Enter the company's name.")), Length(max=200)],
        filters=[_strip],
    )
    county = SelectField(
        _l("County"),
        choices=[],
        description=_l("Required for Swedish companies."),
    )
    # The EU size class is derived from these (webapp.companies.models.derive_size_class).
    staff_band = SelectField(
        _l("How many people work in the company?"),
        choices=_bands(StaffBand),
        validators=[DataRequired(message=_l("Choose how many people work in the company."))],
        description=_l(
            "Employees, owners who work in the company and other staff, counted as full-time "
            "equivalents over the last financial year. Include partner and linked companies "
            "if the company is part of a group."
        ),
    )
    turnover_band = SelectField(
        _l("Annual turnover"),
        choices=_bands(TurnoverBand),
        validators=[DataRequired(message=_l("Choose the company's annual turnover."))],
        description=_l("Last closed financial year. 1 million euros is about 11 million kronor."),
    )
    balance_band = SelectField(
        _l("Balance-sheet total (optional)"),
        choices=_bands(BalanceBand),
        validators=[Optional()],
        description=_l(
            "Only if you know it: a company counts as smaller when either the turnover or the "
            "balance-sheet total is within the EU limit."
        ),
    )
    industry_code = StringField(
        _l("Industry code, SNI (optional)"), [Optional(), Length(max=10)], filters=[_strip]
    )
    contact_name = StringField(
        _l("Contact person"),
        [DataRequired(message=_l("Enter the contact person's name.")), Length(max=200)],
        filters=[_strip],
    )
    contact_email = StringField(
        _l("Contact email"),
        [
            DataRequired(message=_l("Enter the contact person's email address.")),
            Email(message=_l("Enter a valid email address.")),
            Length(max=254),
        ],
        filters=[_strip],
    )
    contact_phone = StringField(
        _l("Contact phone (optional)"), [Optional(), Length(max=40)], filters=[_strip]
    )
    participants = FieldList(FormField(ParticipantForm), min_entries=1)
    message = TextArea(_l("Message to the organiser (optional)"), [Optional(), Length(max=2000)])
    consent = BooleanField(
        _l(
            "I have read the privacy notice and agree that the details above are processed to "
            "handle this registration and to report participation to the funders."
        ),
        [DataRequired(message=_l("You must agree to the privacy notice to register."))],
    )
    invitations = BooleanField(_l("Send me invitations to future events (optional)."))
    submission_key = HiddenField()
    add_participant = SubmitField(_l("Add another participant"))
    submit = SubmitField(_l("Register"))

    def __init__(self, *args: object, max_participants: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.max_participants = max_participants
        self.country.choices = _country_choices()
        self.county.choices = _county_choices()
        if not self.submission_key.data:
            self.submission_key.data = secrets.token_urlsafe(24)
        session.setdefault(_SUBMITTER, secrets.token_urlsafe(16))

    def submission_reference(self) -> str | None:
        """What identifies this submission to the double-submit guard: the form's key bound
        to the browser's session. A replay answers with the earlier booking's manage link,
        so it must come from the browser that sent the form: the key alone (seen over a
        shoulder, in a shared cache, in an old dump) opens nothing from another session.
        """
        key, submitter = self.submission_key.data, session.get(_SUBMITTER)
        return f"{submitter}:{key}" if key and submitter else None

    def validate_org_number(self, field: StringField) -> None:
        if not self.country.data:
            return  # which rules apply depends on the country, which has its own error
        try:
            field.data = orgnumbers.normalise(self.country.data, field.data)
        except orgnumbers.InvalidOrgNumber as error:
            raise ValidationError(str(error)) from None

    def validate_county(self, field: SelectField) -> None:
        if self.country.data == "SE" and field.data not in COUNTIES:
            raise ValidationError(_l("Choose the county where the company is."))

    def validate_participants(self, field: FieldList) -> None:
        if len(field.entries) > self.max_participants:
            raise ValidationError(
                _l("At most %(n)s participants can be registered.", n=self.max_participants)
            )
        emails = [e.form.email.data.lower() for e in field.entries if e.form.email.data]
        if len(emails) != len(set(emails)):
            raise ValidationError(_l("Each participant needs their own email address."))

    def change_participant_blocks(self) -> bool:
        """Handle the "add another" and "remove participant N" buttons, which work without
        JavaScript by sending the form back. True when one was pressed: re-render the form.
        """
        remove = request.form.get("remove_participant", type=int)
        entries = self.participants.entries
        if self.add_participant.data:
            if len(entries) < self.max_participants:
                self.participants.append_entry()
            else:
                self.participants.errors = [
                    _l("At most %(n)s participants can be registered.", n=self.max_participants)
                ]
            return True
        if remove is not None:
            if len(entries) > 1 and 0 <= remove < len(entries):
                entries.pop(remove)
            return True
        return False

    def company_data(self) -> CompanyData:
        staff = StaffBand(self.staff_band.data)
        turnover = TurnoverBand(self.turnover_band.data)
        balance = BalanceBand(self.balance_band.data) if self.balance_band.data else None
        return CompanyData(
            country=self.country.data,
            org_number=self.org_number.data,
            name=self.company_name.data,
            size_class=derive_size_class(staff, turnover, balance),
            county=self.county.data if self.country.data == "SE" else None,
            industry_code=self.industry_code.data or None,
            staff_band=staff,
            turnover_band=turnover,
            balance_band=balance,
        )

    def contact_data(self) -> ContactData:
        return ContactData(
            name=self.contact_name.data,
            email=self.contact_email.data.lower(),
            phone=self.contact_phone.data or None,
        )

    def participants_data(self) -> list[ParticipantData]:
        return [entry.form.to_data() for entry in self.participants.entries]


class AddParticipantForm(AppForm):
    """Add one participant to an existing booking (manage page)."""

    participant = FormField(ParticipantForm)
    submit = SubmitField(_l("Add participant"))


class ParticipantEditForm(AppForm):
    """Correct one participant's details (manage page and organisers' booking page)."""

    participant = FormField(ParticipantForm)
    submit = SubmitField(_l("Save"))


class ContactForm(AppForm):
    """Change a booking's contact person (manage page); the fields of the registration form."""

    contact_name = RegistrationForm.contact_name
    contact_email = RegistrationForm.contact_email
    contact_phone = RegistrationForm.contact_phone
    submit = SubmitField(_l("Save"))

    def fill(self, booking: Booking) -> None:
        self.contact_name.data = booking.contact_name
        self.contact_email.data = booking.contact_email
        self.contact_phone.data = booking.contact_phone or ""

    contact_data = RegistrationForm.contact_data


class ConfirmForm(AppForm):
    """A bare form for one-button actions (cancel, remove): CSRF token only."""
