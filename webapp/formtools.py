"""Small helpers shared by every package's forms, and the base class of every form."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from functools import lru_cache
from typing import Any

from babel import support
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    Field,
    FieldList,
    Form,
    FormField,
    SelectChoice,
    StringField,
    TextAreaField,
)
from wtforms.csrf.core import CSRFTokenField
from wtforms.i18n import messages_path
from wtforms.validators import ValidationError
from wtforms.widgets import TextInput


def choices(pairs: Iterable[tuple[str, object]], empty: str | None = None) -> list[SelectChoice]:
    """SelectField choices from (value, label) pairs, optionally led by an empty choice.

    WTForms 3.3 deprecates plain tuples; labels may be lazy translations.
    """
    result = [SelectChoice("", empty)] if empty is not None else []
    result.extend(SelectChoice(value, label) for value, label in pairs)
    return result


def per_language(
    build: Callable[[], list[SelectChoice]],
) -> Callable[[], list[SelectChoice]]:
    """``build``'s choices, made once a process for each language (their labels are
    translated when made) and the same list on every request in that language after."""
    made: dict[str, list[SelectChoice]] = {}

    def for_this_request() -> list[SelectChoice]:
        language = str(get_locale())
        found = made.get(language)
        if found is None:
            found = made[language] = build()
        return found

    return for_this_request


# ASCII digits only: str.isdigit() also accepts "²", which int() refuses. At most 9 digits,
# so an id always fits the database's integer columns.
_ID = re.compile(r"[0-9]{1,9}")


def parse_id(value: str | None) -> int | None:
    """A row id from user input (form field, URL part), or None when it is not one."""
    return int(value) if value and _ID.fullmatch(value) else None


DATE_MESSAGE = _l("Enter a date as YYYY-MM-DD.")
_ISO_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")


class IsoDateField(DateField):
    """A date typed as ``YYYY-MM-DD`` in a text box, the same in every browser.

    ``<input type=date>`` shows the browser's locale format (mm/dd/yyyy in an English
    browser) whatever hint the page gives, so organisers saw one format in the label and
    another in the box. A text input with ``inputmode=numeric`` shows exactly what was
    typed; the server parses it. ``20261215`` is accepted too, since some phones' number
    pads have no dash; ``15/12/2026`` is not, as it is ambiguous.
    """

    widget = TextInput()

    def __init__(self, *args: object, **kwargs: object) -> None:
        render_kw = {
            "inputmode": "numeric",
            "pattern": r"\d{4}-?\d{2}-?\d{2}",
            "autocomplete": "off",
            "size": 10,
            **(kwargs.pop("render_kw", None) or {}),
        }
        super().__init__(*args, render_kw=render_kw, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        return self.data.isoformat() if self.data else ""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        match = _ISO_DATE.fullmatch(valuelist[0].strip())
        try:
            self.data = date(*map(int, match.groups())) if match else None
        except ValueError:
            self.data = None
        if self.data is None:
            raise ValueError(str(DATE_MESSAGE))


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


@lru_cache(maxsize=8)
def _wtforms_translations(locale: str) -> support.Translations:
    """WTForms' messages (``This field is required.``) in ``locale``, read once a process."""
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class _Translated:
    """A form's ``Meta`` part: WTForms' own messages (``Field cannot be longer than 200
    characters.``) in the page's language, read once a process."""

    def get_translations(self, form: Any) -> Any:
        # Flask-WTF reads WTForms' own catalogue from disk once per request.
        locale = get_locale()
        if locale is None or not current_app.config.get("WTF_I18N_ENABLED", True):
            return super().get_translations(form)  # type: ignore[misc]
        return _wtforms_translations(str(locale))


class PlainForm(Form):
    """A form without a CSRF token of its own: a subform (one participant, one session),
    or GET parameters. In the page's language, as :class:`AppForm` (a plain WTForms form
    would answer a Swedish page in English)."""

    class Meta(_Translated):
        pass


class AppForm(FlaskForm):
    """The base of every form: Flask-WTF's (CSRF), with two rules for all of them.

    - No line breaks in single-line fields. A browser never puts one into an ``<input>``,
      so one there was sent by hand; names with one would end up in email headers
      (``To: Name <address>``), subjects and CSV rows, where a line break changes what
      they mean. Checked for every text input of every form, subforms included, rather
      than field by field.
    - The CSRF token field renders without an id. Pages with several forms (a row of
      buttons, a members table) render one token per form; with WTForms' default each
      would carry ``id="csrf_token"``, and ids must be unique.
    """

    class Meta(_Translated):
        def render_field(self, field: Field, render_kw: dict[str, Any]) -> Any:
            if isinstance(field, CSRFTokenField):
                render_kw = {"id": False, **render_kw}
            return super().render_field(field, render_kw)  # type: ignore[misc]

    def validate(self, extra_validators: dict[str, Any] | None = None) -> bool:
        for field in _single_line_fields(self):
            if _no_line_breaks not in field.validators:
                field.validators = [*field.validators, _no_line_breaks]
        return super().validate(extra_validators)


def _no_line_breaks(_form: Any, field: Field) -> None:
    if isinstance(field.data, str) and _LINE_BREAK.search(field.data):
        raise ValidationError(_l("Line breaks are not allowed here."))


_CRLF = re.compile(r"\r\n?")


class TextArea(TextAreaField):
    """A textarea whose text has ``\n`` line ends, whatever the browser sent.

    Browsers send CRLF (the HTML standard says so); normalising here, once, means
    services, storage and templates (which split paragraphs at blank lines) see one form.
    """

    def process_formdata(self, valuelist: list[object]) -> None:
        super().process_formdata(valuelist)
        if isinstance(self.data, str):
            self.data = _CRLF.sub("\n", self.data)
