"""Forms for organisation settings, privacy notices, projects and partner invitations."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError

from webapp.formtools import AppForm, choices
from webapp.organisations.models import ProjectStatus
from webapp.organisations.services import OrganisationData, ProjectData
from webapp.regions import country_choices, county_choices


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _none_if_empty(value: str | None) -> str | None:
    return value or None


def _slug_field(label: object, hint: object) -> StringField:
    return StringField(
        label,
        [DataRequired(message=_l("Choose an address.")), Length(max=80)],
        filters=[_strip, lambda v: v.lower() if isinstance(v, str) else v],
        description=hint,
    )


def _optional_email(label: object, hint: object | None = None) -> EmailField:
    return EmailField(
        label,
        [Optional(), Email(message=_l("Enter a valid email address.")), Length(max=254)],
        filters=[_strip],
        description=hint,
    )


def _http_url(_form: AppForm, field: URLField) -> None:
    if field.data and not field.data.startswith(("https://", "http://")):
        raise ValidationError(_l("Enter a web address starting with https://."))


class OrganisationForm(AppForm):
    name = StringField(
        _l("Name"),
        [DataRequired(message=_l("Enter the organisation's name.")), Length(max=200)],
        filters=[_strip],
    )
    slug = _slug_field(
        _l("Address in links"),
        _l("Lower-case letters a–z, digits and hyphens. Old links keep working after a change."),
    )
    country = SelectField(_l("Country"))
    county = SelectField(_l("County"), validators=[Optional()])
    website = URLField(_l("Website"), [Optional(), Length(max=300), _http_url], filters=[_strip])
    contact_email = _optional_email(_l("Contact email"))
    reply_to = _optional_email(
        _l("Reply-to address for emails"),
        _l("Where companies' replies to confirmations and reminders go. Empty: the contact email."),
    )
    sender_name = StringField(
        _l("Name emails are sent in"),
        [Optional(), Length(max=200)],
        filters=[_strip],
        description=_l("Empty: the organisation's name."),
    )
    description = TextAreaField(
        _l("Short description"), [Optional(), Length(max=2000)], filters=[_strip]
    )
    needs_retention_days = IntegerField(
        _l("Days to keep dietary and accessibility needs and messages after an event"),
        [Optional(), NumberRange(1, 3650, message=_l("Enter a number of days from 1 to 3650."))],
        default=30,
        description=_l("Empty: 30 days. The caterer's list and the counts need them until then."),
    )
    submit = SubmitField(_l("Save settings"))

    def validate_needs_retention_days(self, field: IntegerField) -> None:
        _whole_number(field, _l("Enter a number of days from 1 to 3650."))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = choices(country_choices())
        self.county.choices = choices(county_choices(), empty="—")

    def fill_from(self, organisation: object) -> None:
        for name in OrganisationData.__dataclass_fields__:
            getattr(self, name).data = getattr(organisation, name) or ""

    def to_data(self) -> OrganisationData:
        return OrganisationData(
            name=self.name.data,
            slug=self.slug.data,
            country=self.country.data,
            county=self.county.data or None,
            website=self.website.data or None,
            contact_email=(self.contact_email.data or "").lower() or None,
            reply_to=(self.reply_to.data or "").lower() or None,
            sender_name=self.sender_name.data or None,
            description=self.description.data or "",
            needs_retention_days=self.needs_retention_days.data or 30,
        )


def _whole_number(field: IntegerField, message: object) -> None:
    """WTForms' own "Not a valid integer value" is English only: say it in the page's language."""
    if field.raw_data and field.raw_data[0] and field.data is None:
        field.errors[:] = []
        raise ValidationError(message)


class NewOrganisationForm(OrganisationForm):
    """A site administrator's new organisation, with the address its first admin is invited at."""

    admin_email = EmailField(
        _l("Email of its first administrator"),
        [
            DataRequired(message=_l("Enter an email address.")),
            Email(message=_l("Enter a valid email address.")),
            Length(max=254),
        ],
        filters=[_strip],
        description=_l("They get an invitation to create their account."),
    )
    submit = SubmitField(_l("Create the organisation"))


class PrivacyNoticeForm(AppForm):
    text_sv = TextAreaField(
        _l("Privacy notice in Swedish"),
        [DataRequired(message=_l("Write the notice in Swedish.")), Length(max=20000)],
        filters=[_strip],
        render_kw={"rows": 10},
    )
    text_en = TextAreaField(
        _l("Privacy notice in English"),
        [DataRequired(message=_l("Write the notice in English.")), Length(max=20000)],
        filters=[_strip],
        render_kw={"rows": 10},
    )
    save_notice = SubmitField(_l("Save as a new version"))


class ProjectForm(AppForm):
    name = StringField(
        _l("Name"),
        [DataRequired(message=_l("Enter the project's name.")), Length(max=200)],
        filters=[_strip],
    )
    slug = _slug_field(_l("Address in links"), _l("Lower-case letters a–z, digits and hyphens."))
    funder = StringField(_l("Funder"), [Optional(), Length(max=200)], filters=[_strip])
    funding_programme = StringField(
        _l("Funding programme"), [Optional(), Length(max=200)], filters=[_strip]
    )
    funder_reference = StringField(
        _l("Funder's reference number"),
        [Optional(), Length(max=100)],
        filters=[_strip],
        description=_l("The funder's diarienummer."),
    )
    starts_on = DateField(_l("First day of the period"), [Optional()], description=_l("YYYY-MM-DD"))
    ends_on = DateField(_l("Last day of the period"), [Optional()], description=_l("YYYY-MM-DD"))
    funding_statement = StringField(
        _l("Funding statement"),
        [Optional(), Length(max=500)],
        filters=[_strip],
        description=_l(
            "Shown on the project's pages and events, e.g. “Medfinansieras av Europeiska unionen”."
        ),
    )
    description = TextAreaField(_l("Description"), [Optional(), Length(max=5000)], filters=[_strip])
    status = SelectField(_l("Status"))
    retention_years = IntegerField(
        _l("Years to keep participants' names and addresses after an event"),
        [
            Optional(),
            NumberRange(1, 50, message=_l("Enter a number of years from 1 to 50.")),
        ],
        description=_l(
            "Empty: the site's default. Set what your funder requires you to keep proof of "
            "participation for; after it names and addresses are replaced, figures stay."
        ),
    )
    submit = SubmitField(_l("Save the project"))

    def validate_retention_years(self, field: IntegerField) -> None:
        _whole_number(field, _l("Enter a number of years from 1 to 50."))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = choices((s.value, s.label) for s in ProjectStatus)

    def validate_starts_on(self, field: DateField) -> None:
        self._date_ok(field)

    def validate_ends_on(self, field: DateField) -> None:
        self._date_ok(field)

    @staticmethod
    def _date_ok(field: DateField) -> None:
        if field.raw_data and field.raw_data[0] and field.data is None:
            field.errors[:] = []  # WTForms' own message is English only
            raise ValidationError(_l("Enter a date as YYYY-MM-DD, e.g. 2027-03-31."))

    def fill_from(self, project: object) -> None:
        for name in ProjectData.__dataclass_fields__:
            value = getattr(project, name)
            getattr(self, name).data = value.value if name == "status" else value

    def to_data(self) -> ProjectData:
        return ProjectData(
            name=self.name.data,
            slug=self.slug.data,
            funder=self.funder.data or None,
            funding_programme=self.funding_programme.data or None,
            funder_reference=self.funder_reference.data or None,
            starts_on=self.starts_on.data,
            ends_on=self.ends_on.data,
            description=self.description.data or "",
            funding_statement=self.funding_statement.data or "",
            status=ProjectStatus(self.status.data),
            retention_years=self.retention_years.data,
        )


class PartnerInviteForm(AppForm):
    organisation = StringField(
        _l("Organisation's address"),
        [
            DataRequired(message=_l("Enter the address of the organisation to invite.")),
            Length(max=80),
        ],
        filters=[_strip],
        description=_l("As in its links, e.g. energiklustret. Its administrators answer."),
    )
    submit = SubmitField(_l("Invite as partner"))
