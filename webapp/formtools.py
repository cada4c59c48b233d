"""Small helpers shared by every package's forms, and the base class of every form."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, FieldList, FormField, SelectChoice, StringField, TextAreaField
from wtforms.validators import ValidationError


def choices(pairs: Iterable[tuple[str, object]], empty: str | None = None) -> list[SelectChoice]:
    """SelectField choices from (value, label) pairs, optionally led by an empty choice.

    WTForms 3.3 deprecates plain tuples; labels may be lazy translations.
    """
    result = [SelectChoice("", empty)] if empty is not None else []
    result.extend(SelectChoice(value, label) for value, label in pairs)
    return result


# ASCII digits only: str.isdigit() also accepts "²", which int() refuses. At most 9 digits,
# so an id always fits the database's integer columns.
_ID = re.compile(r"[0-9]{1,9}")


def parse_id(value: str | None) -> int | None:
    """A row id from user input (form field, URL part), or None when it is not one."""
    return int(value) if value and _ID.fullmatch(value) else None


#: What str.splitlines() splits on and the edge (webapp.http) does not strip already.
_LINE_BREAK = re.compile("[\r\n\u2028\u2029]")


def _single_line_fields(fields: Iterable[Field]) -> Iterator[Field]:
    for field in fields:
        if isinstance(field, FormField):
            yield from _single_line_fields(field.form)
        elif isinstance(field, FieldList):
            yield from _single_line_fields(field.entries)
        elif isinstance(field, StringField) and not isinstance(field, TextAreaField):
            yield field


class AppForm(FlaskForm):
    """Every form's base: Flask-WTF's (CSRF), and no line breaks in single-line fields.

    A browser never puts a line break into an ``<input>``, so one there was sent by hand;
    names with one would end up in email headers (``To: Name <address>``), subjects and
    CSV rows, where a line break changes what they mean. Checked here for every text
    input of every form, subforms included, rather than field by field.
    """

    def validate(self, extra_validators: dict[str, Any] | None = None) -> bool:
        for field in _single_line_fields(self):
            if _no_line_breaks not in field.validators:
                field.validators = [*field.validators, _no_line_breaks]
        return super().validate(extra_validators)


def _no_line_breaks(_form: Any, field: Field) -> None:
    if isinstance(field.data, str) and _LINE_BREAK.search(field.data):
        raise ValidationError(_l("Line breaks are not allowed here."))
