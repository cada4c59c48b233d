"""Forms: the declaration at registration, aid settings, rates, corrections, exports."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from webapp.aid import services
from webapp.aid.models import CEILING_EUR, AidBasis
from webapp.bookings.models import Booking
from webapp.companies import orgnumbers
from webapp.events.models import Event
from webapp.formtools import AppForm, PlainForm, choices
from webapp.i18n import current_language

#: Bump when the declaration's wording changes; each declaration stores the version it saw.
DECLARATION_VERSION = "2026-12-01"


#: Spaces people put between groups of digits: a space, a no-break space, a thin space.
_GROUP_SPACES = re.compile(r"(?<=\d)[ \u00a0\u202f\u2009](?=\d{3}(?:\D|$))")


def parse_amount(value: str | None, message: object, decimals: int = 2) -> Decimal:
    """A non-negative amount in digits, as Swedes and others write it: 12000, 12 000,
    12000.50 or 12 000,50 (a space between groups of three digits, a decimal comma or
    point with at most ``decimals`` decimals). Raises ValidationError with ``message`` for
    anything else: currency signs, a minus sign, 1e9, "12,000" (three decimals: a
    thousands separator this cannot tell from a decimal comma)."""
    text = _GROUP_SPACES.sub("", (value or "").strip()).replace(",", ".", 1)
    if not re.fullmatch(rf"\d{{1,9}}(\.\d{{1,{decimals}}})?", text):
        raise ValidationError(str(message))
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValidationError(str(message)) from None


class AmountField(StringField):
    """A money amount in digits (see :func:`parse_amount`); ``decimal`` after validation."""

    def __init__(self, *args: object, message: object, decimals: int = 2, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.message, self.decimals = message, decimals
        self.decimal: Decimal | None = None

    def pre_validate(self, form: object) -> None:
        self.decimal = None
        if self.data and self.data.strip():
            self.decimal = parse_amount(self.data, self.message, self.decimals)

    def _value(self) -> str:
        """What the field shows: as typed when it came back, else the stored amount as the
        page's language writes it (35000,00 on a Swedish page)."""
        if self.raw_data:
            return str(self.raw_data[0])
        text = "" if self.data is None else str(self.data)
        if current_language() == "sv" and re.fullmatch(r"\d+\.\d+", text):
            return text.replace(".", ",")
        return text


class DeclarationForm(PlainForm):
    """The de minimis declaration asked at registration for aid events."""

    received = RadioField(
        _l("De minimis aid received in the last three years"),
        choices=choices([("none", _l("None")), ("amount", _l("Yes, this much in total:"))]),
        validators=[InputRequired(message=_l("Say whether the company has received any."))],
    )
    amount_eur = AmountField(
        _l("Amount in euros"),
        message=_l(
            "Write the amount in euros in digits, e.g. 12000 or 12 000,50 (no currency sign)."
        ),
        description=_l("The total of all de minimis aid, converted to euros."),
    )
    linked_org_numbers = TextAreaField(
        _l("Other undertakings in the single undertaking (optional)"),
        [Optional(), Length(max=2000)],
        description=_l(
            "Their organisation numbers, one per line, e.g. 556036-0793. Other countries: the "
            "country code first, e.g. DK 13585628."
        ),
    )
    confirm = BooleanField(
        _l("I confirm that this declaration is true and complete."),
        [DataRequired(message=_l("Confirm that the declaration is true."))],
    )

    def validate_amount_eur(self, field: AmountField) -> None:
        if self.received.data != "amount" or field.errors:
            return
        if field.decimal is None:
            raise ValidationError(_l("Enter the amount in euros, or choose \u201cNone\u201d."))
        if field.decimal > CEILING_EUR:
            raise ValidationError(
                _l(
                    "De minimis aid cannot exceed EUR 300,000 over three years; check the "
                    "amount (in euros, not kronor)."
                )
            )

    def validate_linked_org_numbers(self, field: TextAreaField) -> None:
        numbers = []
        for line in re.split(r"[\n,;]+", field.data or ""):
            line = line.strip()
            if not line:
                continue
            match = re.fullmatch(r"([A-Za-z]{2})[\s:]+(.+)", line)
            country, number = (match[1].upper(), match[2]) if match else ("SE", line)
            try:
                numbers.append(f"{country} {orgnumbers.normalise(country, number)}")
            except orgnumbers.InvalidOrgNumber as error:
                raise ValidationError(f"{line}: {error}") from None
        self.numbers = numbers

    def amount(self) -> Decimal:
        if self.received.data == "amount" and self.amount_eur.decimal is not None:
            return self.amount_eur.decimal.quantize(services.CENT)
        return Decimal("0.00")


class OrganiserDeclarationForm(DeclarationForm):
    """The declaration as a company gave it by phone or email, in an organiser's booking."""

    confirm = BooleanField(
        _l("The contact person has confirmed that this declaration is true and complete."),
        [
            DataRequired(
                message=_l("Confirm that the contact person has confirmed the declaration.")
            )
        ],
    )


def declaration_text(form: DeclarationForm) -> str:
    """The declaration as the contact confirmed it, in the language shown."""
    amount = (
        _("None.")
        if form.amount() == 0
        else _("EUR %(amount)s.", amount=services.format_eur(form.amount()))
    )
    linked = ", ".join(getattr(form, "numbers", [])) or _("none")
    return "\n".join(
        [
            str(_DECLARATION_INTRO),
            str(_SINGLE_UNDERTAKING),
            f"{form.received.label.text}: {amount}",
            f"{_('Other undertakings in the single undertaking')}: {linked}",
            str(form.confirm.label.text),
        ]
    )


_DECLARATION_INTRO = _l(
    "Taking part is free because it is paid for by public funds: the place is de minimis "
    "aid to the company, and a company may receive at most EUR 300,000 of such aid over "
    "three years. To grant it, the organiser needs to know how much de minimis aid the "
    "company has received in the last three years."
)
_SINGLE_UNDERTAKING = _l(
    "Count the aid received by the company together with the companies it controls or is "
    "controlled by (a \u201csingle undertaking\u201d, e.g. a parent company and its "
    "subsidiaries), and list their organisation numbers below."
)


class DeclarationSection:
    """The declaration as a section of the registration form (webapp.signals)."""

    template = "aid/_declaration.html"
    intro = _DECLARATION_INTRO
    single_undertaking = _SINGLE_UNDERTAKING

    def __init__(self, event: Event, *, by_organiser: bool = False) -> None:
        self.event = event
        self.by_organiser = by_organiser
        form_class = OrganiserDeclarationForm if by_organiser else DeclarationForm
        self.form = form_class(request.form if request.method == "POST" else None, prefix="aid")

    def validate(self) -> bool:
        return self.form.validate()

    def save(self, booking: Booking) -> None:
        text = declaration_text(self.form)
        if self.by_organiser:
            text += "\n" + _(
                "Recorded by the organiser %(name)s on the company's behalf.",
                name=current_user.name,
            )
        services.declare(
            booking,
            self.form.amount(),
            getattr(self.form, "numbers", []),
            text=text,
            text_version=DECLARATION_VERSION + ("/organiser" if self.by_organiser else ""),
        )


def registration_section(
    event: Event, *, by_organiser: bool = False, **_: object
) -> DeclarationSection | None:
    """Receiver of signals.registration_sections: the declaration for aid events."""
    if services.scheme_for(event) is None:
        return None
    return DeclarationSection(event, by_organiser=by_organiser)


# --- organisers ----------------------------------------------------------------------------

_PAID = (AidBasis.PER_PARTICIPANT, AidBasis.PER_COMPANY)
_SEK_MESSAGE = _l("Write kronor in digits, e.g. 25000 or 25 000,50.")


class EventAidForm(AppForm):
    basis = SelectField(
        _l("De minimis aid"),
        choices=lambda: choices(
            [
                ("", _l("As the project's default")),
                *((b.value, b.label) for b in (AidBasis.NONE, *_PAID)),
            ]
        ),
        validators=[Optional()],
    )
    amount_sek = AmountField(_l("Value in kronor"), message=_SEK_MESSAGE)
    submit = SubmitField(_l("Save"))

    def chosen_basis(self) -> AidBasis | None:
        return AidBasis(self.basis.data) if self.basis.data else None


class ProjectAidForm(AppForm):
    basis = SelectField(
        _l("Default for the project's events"),
        choices=lambda: choices(
            ((b.value, b.label) for b in _PAID), empty=_l("Not de minimis aid")
        ),
        validators=[Optional()],
    )
    amount_sek = AmountField(_l("Value in kronor"), message=_SEK_MESSAGE)
    grantor_org_number = StringField(
        _l("The lead organisation's organisation number (shown on certificates)"),
        [Optional()],
    )
    submit = SubmitField(_l("Save"))

    def chosen_basis(self) -> AidBasis | None:
        return AidBasis(self.basis.data) if self.basis.data else None

    def validate_grantor_org_number(self, field: StringField) -> None:
        if field.data and field.data.strip():
            try:
                field.data = orgnumbers.normalise("SE", field.data)
            except orgnumbers.InvalidOrgNumber as error:
                raise ValidationError(str(error)) from None


class RateForm(AppForm):
    valid_from = DateField(
        _l("Applies from"), validators=[InputRequired(message=_l("Enter a date."))]
    )
    sek_per_eur = AmountField(
        _l("Kronor per euro"),
        message=_l("Write the rate in digits, e.g. 11.4852 or 11,4852."),
        decimals=4,
        validators=[InputRequired(message=_l("Enter the rate."))],
    )
    submit_rate = SubmitField(_l("Save the rate"))

    def validate_sek_per_eur(self, field: AmountField) -> None:
        if field.decimal is None or field.decimal == 0:
            raise ValidationError(_l("The rate must be more than 0, e.g. 11.4852."))


class CorrectionForm(AppForm):
    amount_sek = AmountField(
        _l("Correct amount in kronor"),
        message=_SEK_MESSAGE,
        validators=[InputRequired(message=_l("Enter the amount."))],
    )
    reason = StringField(
        _l("Reason"),
        [DataRequired(message=_l("Give the reason for the correction.")), Length(max=500)],
    )
    submit = SubmitField(_l("Correct the record"))


class OverCeilingForm(AppForm):
    reason = StringField(
        _l("Reason for approving over the ceiling"),
        [
            DataRequired(message=_l("Give the reason for approving over the ceiling.")),
            Length(max=500),
        ],
    )
    submit = SubmitField(_l("Approve anyway"))


class ExportForm(PlainForm):
    """The period of a register export (GET parameters)."""

    start = DateField(_l("From"), validators=[InputRequired(message=_l("Enter a date."))])
    end = DateField(_l("To"), validators=[InputRequired(message=_l("Enter a date."))])

    def validate_end(self, field: DateField) -> None:
        if self.start.data and field.data and field.data < self.start.data:
            raise ValidationError(_l("The end date must not be before the start date."))

    def period(self) -> tuple[date, date]:
        return self.start.data, self.end.data
