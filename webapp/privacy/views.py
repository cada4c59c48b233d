"""An organisation admin's page for a person's requests: look up, copy (HTML or JSON), erase.

The address is sent by POST, never in a URL, so it stays out of access logs and history.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import EmailField, SubmitField
from wtforms.validators import DataRequired, Length

from webapp import confirming
from webapp.accounts.forms import ConfirmForm
from webapp.bookings import services
from webapp.bookings.exports import gender_name
from webapp.db import db, utcnow
from webapp.errors import one_transaction
from webapp.extensions import limiter
from webapp.formtools import AppForm
from webapp.organisations.models import Organisation, Role
from webapp.organisations.services import current_notice, organisation_by_slug, require_role
from webapp.privacy import requests
from webapp.questions.answers import display

bp = Blueprint("privacy", __name__, url_prefix="/organisers")


class PersonForm(AppForm):
    email = EmailField(
        _l("The person's email address"), validators=[DataRequired(), Length(max=254)]
    )
    show = SubmitField(_l("Show what is stored"))
    download = SubmitField(_l("Download as JSON"))
    erase = SubmitField(_l("Erase this person"))


@bp.route("/organisations/<int:organisation_id>/personal-data", methods=["GET", "POST"])
@login_required
def person(organisation_id: int):
    organisation = db.get_or_404(Organisation, organisation_id)
    require_role(current_user, organisation.id, Role.ADMIN)
    form = PersonForm()
    found = None
    status = 200
    if form.validate_on_submit():
        if form.erase.data:
            with one_transaction(form, field="email") as attempt:
                done = requests.erase(current_user, organisation.id, form.email.data)
            if attempt.ok:
                flash(
                    _(
                        "Erased. Participant rows: %(participants)s; bookings as contact "
                        "person: %(contacts)s; bookings cancelled: %(cancelled)s.",
                        participants=done.participants,
                        contacts=done.contacts,
                        cancelled=done.cancelled_bookings,
                    ),
                    "success",
                )
                return redirect(
                    url_for("privacy.person", organisation_id=organisation.id), code=303
                )
            status = 422
        else:
            with one_transaction(form, field="email") as attempt:
                found = requests.find_person(current_user, organisation.id, form.email.data)
            if not attempt.ok:
                status, found = 422, None
            elif form.download.data:
                body = json.dumps(requests.export(found), ensure_ascii=False, indent=2)
                return Response(
                    body,
                    mimetype="application/json",
                    headers={
                        "Content-Disposition": (
                            f'attachment; filename="personal-data-{utcnow():%Y%m%d}.json"'
                        ),
                        "Cache-Control": "private, no-store",
                    },
                )
    elif form.is_submitted():
        status = 422
    return render_template(
        "organisers/privacy/person.html",
        organisation=organisation,
        form=form,
        person=found,
        gender_name=gender_name,
        answer_text=display,
        here="personal-data",
    ), status


#: The booking contact's erasure from the manage link (public, like the manage page).
public_bp = Blueprint("privacy_public", __name__)
limiter.limit(lambda: current_app.config["PUBLIC_POST_LIMIT"], methods=["POST"])(public_bp)


@public_bp.post("/bookings/<token>/participants/<int:participant_id>/erase")
def erase_participant(token: str, participant_id: int):
    booking = services.booking_for_token(token)
    if booking is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    participant = next((p for p in booking.participants if p.id == participant_id), None)
    if participant is not None and participant.anonymised_at is None:
        page = confirming.ask(
            _("Remove and erase the details of %(name)s", name=participant.name),
            [
                _("They lose their place; it goes to the waiting list."),
                _("Their name, email address, role and needs are erased for good."),
            ],
            _("Remove and erase"),
            url_for("bookings.manage", token=token),
        )
        if page is not None:
            return page
    with one_transaction() as attempt:
        requests.erase_participant_of_booking(booking, participant_id)
    if attempt.ok:
        flash(_("The participant's details have been erased."), "success")
    return redirect(url_for("bookings.manage", token=token), code=303)


def _notice_page(organisation: Organisation | None):
    config = current_app.config
    needs_days = organisation.needs_retention_days if organisation else 30
    return render_template(
        "privacy/notice.html",
        organisation=organisation,
        notice=current_notice(organisation.id) if organisation else None,
        needs_days=needs_days,
        outbox_days=config["OUTBOX_RETENTION_DAYS"],
        years=config["PERSONAL_DATA_RETENTION_YEARS"],
    )


@public_bp.get("/privacy")
def site_notice():
    """The site's own privacy notice (account emails link here)."""
    return _notice_page(None)


@public_bp.get("/organisations/<slug>/privacy")
def notice(slug: str):
    """An organisation's current privacy notice (every registration form and event email
    links here), with how long details are kept."""
    organisation, renamed = organisation_by_slug(slug)
    if organisation is None:
        abort(404)
    if renamed:  # old links in emails keep working
        return redirect(url_for("privacy_public.notice", slug=organisation.slug), code=301)
    return _notice_page(organisation)
