"""Forms of the organisers' outbox pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, URLField
from wtforms.validators import URL, DataRequired, Length, Optional

from webapp.formtools import AppForm, TextArea


class FollowUpForm(AppForm):
    """The thank-you sent to participants after the event."""

    text = TextArea(
        _l("Message"),
        validators=[DataRequired(), Length(max=10000)],
        description=_l("Sent to every participant, after a short thank-you line."),
        render_kw={"rows": 6},
    )
    feedback_url = URLField(
        _l("Link to a feedback form (optional)"),
        validators=[Optional(), URL(require_tld=False), Length(max=500)],
    )
    evaluation = BooleanField(
        _l("Include the link to the short evaluation"),
        default=True,
        description=_l(
            "Only participants marked present get it: two ratings and two open questions "
            "(Evaluation page), answered once, without an account."
        ),
    )
