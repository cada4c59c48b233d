"""Organisers' forms for the register: corrections and merges (the list filters by GET)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from webapp.companies import orgnumbers
from webapp.companies.models import Company, SizeClass
from webapp.companies.services import MasterData
from webapp.formtools import AppForm, choices
from webapp.regions import COUNTIES, country_choices, county_choices


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class _Identity(AppForm):
    """Country and organisation number, the number normalised for the country."""

    # Always one of the choices (WTForms checks it), so no empty option and no "required".
    country = SelectField(_l("Country"), default="SE")
    org_number = StringField(
        _l("Organisation number"),
        [DataRequired(message=_l("Enter the company's organisation number."))],
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = choices(country_choices())

    def validate_org_number(self, field: StringField) -> None:
        try:
            field.data = orgnumbers.normalise(self.country.data, field.data)
        except orgnumbers.InvalidOrgNumber as error:
            raise ValidationError(str(error)) from None


class CorrectionForm(_Identity):
    """An organiser's correction of the register's master data, with a reason."""

    name = StringField(
        _l("Company name"),
        [DataRequired(message=_l("Enter the company's name.")), Length(max=200)],
        filters=[_strip],
    )
    county = SelectField(_l("County"), choices=[], description=_l("Swedish companies only."))
    size_class = SelectField(
        _l("Size class (EU definition)"),
        choices=lambda: choices((s.value, s.label) for s in SizeClass),
    )
    industry_code = StringField(
        _l("Industry code, SNI (optional)"), [Optional(), Length(max=10)], filters=[_strip]
    )
    reason = StringField(
        _l("Why (optional, kept in the history)"),
        [Optional(), Length(max=500)],
        filters=[_strip],
    )
    submit = SubmitField(_l("Save the correction"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.county.choices = choices(county_choices(), empty="—")

    def fill(self, company: Company) -> None:
        for name in ("name", "country", "org_number", "county", "industry_code"):
            getattr(self, name).data = getattr(company, name) or ""
        self.size_class.data = company.size_class.value

    def validate_county(self, field: SelectField) -> None:
        if self.country.data == "SE" and field.data not in COUNTIES:
            raise ValidationError(_l("Choose the county where the company is."))

    def master_data(self) -> MasterData:
        return MasterData(
            name=self.name.data,
            country=self.country.data,
            org_number=self.org_number.data,
            size_class=SizeClass(self.size_class.data),
            county=self.county.data if self.country.data == "SE" else None,
            industry_code=self.industry_code.data or None,
        )


class FindDuplicateForm(_Identity):
    """Find the record to merge into this one by its country and number (sent by GET)."""

    class Meta:
        csrf = False

    submit = SubmitField(_l("Find the record"))


class MergeForm(AppForm):
    """Confirm merging the record found into the one shown."""

    duplicate = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Merge the records"))
