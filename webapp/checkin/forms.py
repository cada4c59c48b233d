"""Forms of the check-in page: a code (scanned or typed), a name search, badge sheets."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import Length, Optional

from webapp.checkin.badges import LAYOUTS
from webapp.formtools import AppForm, choices


class CheckinForm(AppForm):
    """Marks one participant present: by the code in their QR code, or (a mark button in
    the name search) by their id."""

    code = StringField(
        _l("Check-in code"),
        validators=[Optional(), Length(max=500)],
        description=_l("Scan the QR code from the confirmation email, or type the code below it."),
        render_kw={"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"},
    )
    participant = HiddenField()
    session = HiddenField()
    #: Set by the camera scan, so the page it comes back to starts the camera again.
    scan = HiddenField()


class SearchForm(AppForm):
    """The name search (GET, so no CSRF token: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(_l("Name or company"), validators=[Optional(), Length(max=200)])


class BadgeForm(AppForm):
    """Which badge sheets to print (GET)."""

    class Meta:
        csrf = False

    layout = SelectField(_l("Badge size"), default="90x55")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.layout.choices = choices((key, layout.label) for key, layout in LAYOUTS.items())
