"""Small helpers shared by every package's forms."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, SelectChoice, TextAreaField
from wtforms.csrf.core import CSRFTokenField


class AppForm(FlaskForm):
    """The base of every form: a FlaskForm (CSRF) whose token field renders without an id.

    Pages with several forms (a row of buttons, a members table) render one token per form;
    with WTForms' default each would carry ``id="csrf_token"``, and ids must be unique.
    """

    class Meta:
        def render_field(self, field: Field, render_kw: dict[str, Any]) -> Any:
            if isinstance(field, CSRFTokenField):
                render_kw = {"id": False, **render_kw}
            return super().render_field(field, render_kw)  # type: ignore[misc]


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


_LINE_BREAK = re.compile(r"\r\n?")


class TextArea(TextAreaField):
    """A textarea whose text has ``\n`` line ends, whatever the browser sent.

    Browsers send CRLF (the HTML standard says so); normalising here, once, means
    services, storage and templates (which split paragraphs at blank lines) see one form.
    """

    def process_formdata(self, valuelist: list[object]) -> None:
        super().process_formdata(valuelist)
        if isinstance(self.data, str):
            self.data = _LINE_BREAK.sub("\n", self.data)
