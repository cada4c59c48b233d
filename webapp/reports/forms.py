"""The report's period, chosen in the query string (a GET form: bookmarkable, no CSRF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, Field
from wtforms.validators import InputRequired, ValidationError

from webapp.formtools import AppForm

_DATE_MESSAGE = _l("Enter a date as YYYY-MM-DD.")
FIRST_YEAR, LAST_YEAR = 2000, 2100


class _Date(DateField):
    """An ISO date; anything else is refused with a message in the user's language."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(str(_DATE_MESSAGE)) from error


def _plausible(_form: AppForm, field: Field) -> None:
    if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(
            _l("Enter a date between %(first)s and %(last)s.", first=FIRST_YEAR, last=LAST_YEAR)
        )


class PeriodForm(AppForm):
    """First and last day of the report, both included."""

    class Meta:
        csrf = False

    first = _Date(_l("From"), [InputRequired(message=_DATE_MESSAGE), _plausible])
    last = _Date(_l("To"), [InputRequired(message=_DATE_MESSAGE), _plausible])
