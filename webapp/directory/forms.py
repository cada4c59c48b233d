"""The company's profile form (from its secret link) and the organisers' hide form.

Choices are checked here with messages of our own (WTForms' "Not a valid choice" names
no field and is English only), and again by the service (services.check), which names
the field too; either way nothing is stored.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SelectMultipleField, StringField, SubmitField, URLField
from wtforms.validators import DataRequired, Length, ValidationError

from webapp.directory.models import (
    DESCRIPTION_MAX,
    HIDDEN_REASON_MAX,
    INDUSTRIES,
    LANGUAGES,
    OFFERS_MAX,
    SEEKS_MAX,
    WEBSITE_MAX,
    CompanyProfile,
    language_name,
)
from webapp.directory.services import ProfileData, website_ok
from webapp.formtools import AppForm, TextArea, choices
from webapp.regions import COUNTIES, COUNTRIES, country_choices, county_choices


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _too_long(limit: int) -> Length:
    return Length(max=limit, message=_l("At most %(max)s characters.", max=limit))


def _with_scheme(value: str | None) -> str | None:
    """``www.example.se`` as typed means ``https://www.example.se``."""
    if value and "://" not in value and "." in value and " " not in value:
        return f"https://{value}"
    return value


class ProfileForm(AppForm):
    """What the company shows in the directory."""

    offers = TextArea(
        _l("What the company offers"),
        [_too_long(OFFERS_MAX)],
        filters=[_strip],
        description=_l("Products, services, know-how. At most %(max)s characters.", max=OFFERS_MAX),
    )
    seeks = TextArea(
        _l("What the company is looking for"),
        [_too_long(SEEKS_MAX)],
        filters=[_strip],
        description=_l(
            "Partners, suppliers, customers, skills. At most %(max)s characters.", max=SEEKS_MAX
        ),
    )
    description = TextArea(
        _l("Short description in Swedish"),
        [_too_long(DESCRIPTION_MAX)],
        filters=[_strip],
        description=_l("At most %(max)s characters.", max=DESCRIPTION_MAX),
        render_kw={"lang": "sv"},
    )
    description_en = TextArea(
        _l("Short description in English"),
        [_too_long(DESCRIPTION_MAX)],
        filters=[_strip],
        description=_l("At most %(max)s characters.", max=DESCRIPTION_MAX),
        render_kw={"lang": "en"},
    )
    website = URLField(
        _l("Website"),
        [_too_long(WEBSITE_MAX)],
        filters=[_strip, _with_scheme],
        description=_l("The full address, e.g. https://www.example.se"),
        render_kw={"autocomplete": "url"},
    )
    languages = SelectMultipleField(_l("Languages the company works in"), validate_choice=False)
    industry = SelectField(_l("Industry"), validate_choice=False)
    country = SelectField(_l("Country"), validate_choice=False, default="SE")
    county = SelectField(
        _l("County"), validate_choice=False, description=_l("Swedish companies only.")
    )
    save = SubmitField(_l("Save"))
    publish = SubmitField(_l("Save and publish"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.languages.choices = choices((code, language_name(code)) for code in LANGUAGES)
        self.industry.choices = choices(
            ((code, f"{code} – {label}") for code, label in INDUSTRIES.items()), empty="—"
        )
        self.country.choices = choices(country_choices())
        self.county.choices = choices(county_choices(), empty="—")

    def fill(self, profile: CompanyProfile) -> None:
        for name in ("offers", "seeks", "description", "description_en", "website"):
            getattr(self, name).data = getattr(profile, name) or ""
        self.languages.data = list(profile.languages or ())
        self.industry.data = profile.industry or ""
        self.country.data = profile.country
        self.county.data = profile.county or ""

    def validate_website(self, field: URLField) -> None:
        if field.data and not website_ok(field.data):
            raise ValidationError(_l("Give the full address, starting with https:// or http://."))

    def validate_languages(self, field: SelectMultipleField) -> None:
        if any(code not in LANGUAGES for code in field.data or ()):
            raise ValidationError(_l("Choose languages from the list."))

    def validate_industry(self, field: SelectField) -> None:
        if field.data and field.data not in INDUSTRIES:
            raise ValidationError(_l("Choose an industry from the list."))

    def validate_country(self, field: SelectField) -> None:
        if field.data not in COUNTRIES:
            raise ValidationError(_l("Choose a country from the list."))

    def validate_county(self, field: SelectField) -> None:
        if not field.data:
            return
        if field.data not in COUNTIES:
            raise ValidationError(_l("Choose a county from the list."))
        if self.country.data != "SE":
            raise ValidationError(_l("Counties are Swedish: leave it empty for a company abroad."))

    def data_for_service(self) -> ProfileData:
        return ProfileData(
            offers=self.offers.data or "",
            seeks=self.seeks.data or "",
            description=self.description.data or "",
            description_en=self.description_en.data or "",
            website=self.website.data or None,
            languages=list(self.languages.data or ()),
            industry=self.industry.data or None,
            county=self.county.data or None,
            country=self.country.data,
        )


class WithdrawForm(AppForm):
    """Take the profile out of the directory."""

    submit = SubmitField(_l("Withdraw from the directory"))


class HideForm(AppForm):
    """An organiser hides a profile, saying why."""

    reason = StringField(
        _l("Why the profile is hidden"),
        [
            DataRequired(message=_l("Say why the profile is hidden.")),
            _too_long(HIDDEN_REASON_MAX),
        ],
        filters=[_strip],
        description=_l("The company sees this reason on its edit page; it is audit-logged."),
    )
    submit = SubmitField(_l("Hide from the directory"))


class UnhideForm(AppForm):
    """An organiser shows a hidden profile again."""

    submit = SubmitField(_l("Show in the directory again"))
