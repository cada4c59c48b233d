"""Registration and the manage-my-booking pages (reached by secret link, no account)."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from webapp.bookings import services
from webapp.bookings.forms import AddParticipantForm, ConfirmForm, RegistrationForm
from webapp.bookings.models import Booking, BookingStatus
from webapp.db import db
from webapp.errors import one_transaction
from webapp.events.services import get_public_event, registration_open
from webapp.extensions import limiter
from webapp.i18n import current_language
from webapp.organisations.services import current_notice

bp = Blueprint("bookings", __name__)


def _public_post_limit() -> str:
    return current_app.config["PUBLIC_POST_LIMIT"]


# Every public POST (register, cancel, add or remove participants) shares one limit per
# client address. A blueprint limit is checked before the request reaches CSRF validation,
# so floods of forged or broken posts are counted too.
limiter.limit(_public_post_limit, methods=["POST"])(bp)


def _limit_for(event_max: int | None) -> int:
    cap = current_app.config["MAX_PARTICIPANTS_PER_BOOKING"]
    return min(event_max, cap) if event_max else cap


@bp.route("/events/<int:event_id>/register", methods=["GET", "POST"])
def register(event_id: int):
    event = get_public_event(event_id)
    if event is None:
        abort(404)
    max_participants = _limit_for(event.max_per_company)
    form = RegistrationForm(max_participants=max_participants)
    # The running organisation's notice as it reads now: the booking records this version.
    notice = current_notice(event.organisation_id)
    if not registration_open(event):
        return render_template("bookings/register.html", event=event, form=None), 200

    if request.method == "POST":
        if form.change_participant_blocks():
            return render_template("bookings/register.html", event=event, form=form, notice=notice)
        if form.validate_on_submit():
            with one_transaction() as attempt:
                booking = services.register(
                    event.id,
                    form.company_data(),
                    form.contact_data(),
                    form.participants_data(),
                    consent_version=str(notice.version) if notice else "none",
                    privacy_notice_id=notice.id if notice else None,
                    language=current_language(),
                    invitations_opt_in=form.invitations.data,
                    message=form.message.data or None,
                    submission_key=form.submission_reference(),
                )
            if attempt.ok:
                token = services.manage_token(booking)
                return redirect(url_for("bookings.confirmation", token=token), code=303)
        status = 422 if form.errors else 409
        page = render_template("bookings/register.html", event=event, form=form, notice=notice)
        return page, status
    return render_template("bookings/register.html", event=event, form=form, notice=notice)


def _booking_or_404(token: str) -> Booking:
    booking = services.booking_for_token(token)
    if booking is None:
        abort(404)
    return booking


@bp.get("/bookings/<token>/confirmation")
def confirmation(token: str):
    booking = _booking_or_404(token)
    return render_template("bookings/confirmation.html", booking=booking, token=token)


@bp.get("/bookings/<token>")
def manage(token: str):
    booking = _booking_or_404(token)
    return _render_manage(booking, token, AddParticipantForm())


def _render_manage(booking: Booking, token: str, add_form: AddParticipantForm, status: int = 200):
    booking = db.session.scalars(
        db.select(Booking)
        .where(Booking.id == booking.id)
        .options(selectinload(Booking.participants), selectinload(Booking.event))
    ).one()
    event = booking.event
    can_add = (
        booking.is_active
        and registration_open(event)
        and len(booking.active_participants) < _limit_for(event.max_per_company)
    )
    return (
        render_template(
            "bookings/manage.html",
            booking=booking,
            event=event,
            token=token,
            add_form=add_form if can_add else None,
            confirm_form=ConfirmForm(),
            statuses=BookingStatus,
        ),
        status,
    )


def _run(token: str, action, success: str):
    """Run one manage-page action as one transaction and go back to the manage page."""
    booking = _booking_or_404(token)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    with one_transaction() as attempt:
        action(booking.id)
    if attempt.ok:
        flash(success, "success")
    return redirect(url_for("bookings.manage", token=token), code=303)


@bp.post("/bookings/<token>/cancel")
def cancel(token: str):
    return _run(token, services.cancel, _("Your booking has been cancelled."))


@bp.post("/bookings/<token>/participants/<int:participant_id>/remove")
def remove_participant(token: str, participant_id: int):
    return _run(
        token,
        lambda booking_id: services.remove_participant(booking_id, participant_id),
        _("The participant has been removed."),
    )


@bp.post("/bookings/<token>/participants")
def add_participant(token: str):
    booking = _booking_or_404(token)
    form = AddParticipantForm()
    if not form.validate_on_submit():
        return _render_manage(booking, token, form, 422)
    with one_transaction() as attempt:
        services.add_participants(booking.id, [form.participant.form.to_data()])
    if not attempt.ok:
        return _render_manage(booking, token, form, 409)
    flash(_("The participant has been added."), "success")
    return redirect(url_for("bookings.manage", token=token), code=303)
