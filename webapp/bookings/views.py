"""Registration and the manage-my-booking pages (reached by secret link, no account)."""

from __future__ import annotations

from datetime import datetime, timedelta

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
from flask_babel import ngettext
from sqlalchemy.orm import selectinload

from webapp import signals
from webapp.bookings import services
from webapp.bookings.forms import (
    AddParticipantForm,
    ConfirmForm,
    ContactForm,
    ParticipantEditForm,
    RegistrationForm,
)
from webapp.bookings.models import Booking, BookingStatus, Participant
from webapp.confirming import ask
from webapp.db import db, utcnow
from webapp.errors import one_transaction
from webapp.events.models import EventKind
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
    event = get_public_event(event_id, with_page=request.method == "GET")
    if event is None:
        abort(404)
    max_participants = _limit_for(event.max_per_company)
    form = RegistrationForm(max_participants=max_participants)
    # The running organisation's notice as it reads now: the booking records this version.
    notice = current_notice(event.organisation_id)
    if not registration_open(event):
        return render_template("bookings/register.html", event=event, form=None), 200
    # Sections other packages add to this event's form (the de minimis declaration).
    sections = [
        s for _r, s in signals.registration_sections.send(event, form=form) if s is not None
    ]

    def page(status: int = 200):
        return render_template(
            "bookings/register.html", event=event, form=form, sections=sections, notice=notice
        ), status

    if request.method == "POST":
        if form.change_participant_blocks():
            return page()
        valid = form.validate_on_submit()
        valid = all([section.validate() for section in sections]) and valid
        if valid:
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
                    before_seats=(lambda booking: [s.save(booking) for s in sections])
                    if sections
                    else None,
                )
                # Before the commit expires the booking: no second read of the row.
                token = services.manage_token(booking)
            if attempt.ok:
                return redirect(url_for("bookings.confirmation", token=token), code=303)
            if isinstance(attempt.error, services.ChangedResubmission):  # flashed
                return redirect(
                    url_for("bookings.confirmation", token=attempt.error.token), code=303
                )
            if isinstance(attempt.error, services.AlreadyBooked):
                # Its own transaction: the refused registration was rolled back.
                with one_transaction():
                    services.send_existing_booking_link(attempt.error.booking_id)
        return page(422 if form.errors or not valid else 409)
    return page()


def _booking_or_404(token: str) -> Booking:
    booking = services.booking_for_token(token)
    if booking is None:
        abort(404)
    return booking


def _join(booking: Booking) -> tuple[str | None, datetime | None]:
    """A confirmed webinar booking's join link and when the room opens, else (None, None).

    Only the manage page and confirmation (both behind the booking's secret link) call it.
    """
    event = booking.event
    if booking.status != BookingStatus.CONFIRMED or not event.online_url:
        return None, None
    if event.kind != EventKind.WEBINAR:
        return None, None
    upcoming = [s for s in event.sessions if s.cancelled_at is None]
    if not upcoming:
        return None, None
    before = timedelta(minutes=current_app.config["JOIN_OPENS_MINUTES_BEFORE"])
    return event.online_url, upcoming[0].starts_at - before


def _page_context(booking: Booking, token: str) -> dict:
    join_url, join_opens_at = _join(booking)
    return {
        "booking": booking,
        "event": booking.event,
        "token": token,
        "join_url": join_url,
        "join_opens_at": join_opens_at,
        "join_opens_minutes": current_app.config["JOIN_OPENS_MINUTES_BEFORE"],
        "waiting_position": services.waiting_position(booking),
    }


@bp.get("/bookings/<token>/confirmation")
def confirmation(token: str):
    booking = _booking_or_404(token)
    return render_template("bookings/confirmation.html", **_page_context(booking, token))


@bp.get("/bookings/<token>")
def manage(token: str):
    booking = _booking_or_404(token)
    return _render_manage(booking, token, AddParticipantForm())


def _participant_sections(booking: Booking) -> list:
    """Sections other packages add to the add-participant form (per-participant questions)."""
    sent = signals.participant_sections.send(booking.event)
    return [section for _r, section in sent if section is not None]


def _can_change(booking: Booking) -> bool:
    """Companies change participants and contact until the event starts (as services do)."""
    starts = booking.event.starts_at
    return booking.is_active and (starts is None or utcnow() < starts)


def _render_manage(
    booking: Booking,
    token: str,
    add_form: AddParticipantForm,
    status: int = 200,
    sections: list | None = None,
):
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
            **_page_context(booking, token),
            add_form=add_form if can_add else None,
            add_sections=(sections if sections is not None else _participant_sections(booking))
            if can_add
            else [],
            can_change=_can_change(booking),
            confirm_form=ConfirmForm(),
            statuses=BookingStatus,
        ),
        status,
    )


def _checked(token: str) -> Booking:
    """The booking of a manage-page POST whose CSRF token is valid (400 otherwise)."""
    booking = _booking_or_404(token)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return booking


def _back(token: str):
    return redirect(url_for("bookings.manage", token=token), code=303)


def _freed_seats(booking: Booking, seats: int) -> list[str]:
    """What giving back ``seats`` of a booking means for the waiting list."""
    if booking.status != BookingStatus.CONFIRMED or seats == 0:
        return []
    freed = ngettext("%(num)s seat is given back.", "%(num)s seats are given back.", seats)
    if services.waiting_count(booking.event_id):
        return [
            freed,
            _(
                "The waiting list moves up: the first waiting bookings that fit get the "
                "seats, and those companies are emailed."
            ),
        ]
    return [freed, _("Others can then book the seats.")]


@bp.post("/bookings/<token>/cancel")
def cancel(token: str):
    booking = _checked(token)
    if booking.status == BookingStatus.WAITLISTED:
        lines = [
            _(
                "Your company leaves the waiting list, where it is number %(n)s.",
                n=services.waiting_position(booking),
            )
        ]
    elif booking.status == BookingStatus.PENDING:
        lines = [_("Your application is withdrawn; the organiser will not consider it.")]
    else:
        lines = _freed_seats(booking, booking.seats_held)
    lines += [
        ngettext(
            "%(num)s participant loses their place.",
            "All %(num)s participants lose their places.",
            len(booking.active_participants),
        ),
        _(
            "The contact person, and participants who were told they have a place, get an "
            "email about the cancellation."
        ),
        _("This cannot be undone. To take part after all, register again."),
    ]
    page = ask(
        _("Cancel the whole booking?"),
        lines,
        _("Yes, cancel the booking"),
        url_for("bookings.manage", token=token),
        question=_(
            "%(company)s's booking for %(title)s",
            company=booking.company.name,
            title=booking.event.text("title"),
        ),
    )
    if page is not None:
        return page
    with one_transaction() as attempt:
        services.cancel(booking.id)
    if attempt.ok:
        flash(_("Your booking has been cancelled."), "success")
    return _back(token)


def _participant_of(booking: Booking, participant_id: int) -> Participant:
    participant = next((p for p in booking.active_participants if p.id == participant_id), None)
    if participant is None:
        abort(404)
    return participant


@bp.post("/bookings/<token>/participants/<int:participant_id>/remove")
def remove_participant(token: str, participant_id: int):
    booking = _checked(token)
    participant = _participant_of(booking, participant_id)
    lines = [_("%(name)s is taken off the booking.", name=participant.name)]
    lines += _freed_seats(booking, 1)
    if booking.status == BookingStatus.CONFIRMED:
        lines.append(
            _("%(name)s gets an email saying their place is cancelled.", name=participant.name)
        )
    lines.append(_("To bring them back, add them again (if seats are left)."))
    page = ask(
        _("Remove %(name)s?", name=participant.name),
        lines,
        _("Yes, remove %(name)s", name=participant.name),
        url_for("bookings.manage", token=token),
    )
    if page is not None:
        return page
    with one_transaction() as attempt:
        services.remove_participant(booking.id, participant.id)
    if attempt.ok:
        flash(_("The participant has been removed."), "success")
    return _back(token)


@bp.post("/bookings/<token>/participants")
def add_participant(token: str):
    booking = _booking_or_404(token)
    form = AddParticipantForm()
    sections = _participant_sections(booking)
    valid = form.validate_on_submit()
    if not (all([section.validate() for section in sections]) and valid):
        return _render_manage(booking, token, form, 422, sections)
    with one_transaction() as attempt:
        (added,) = services.add_participants(booking.id, [form.participant.form.to_data()])
        for section in sections:
            section.save(added)
    if not attempt.ok:
        return _render_manage(booking, token, form, 409, sections)
    flash(_("The participant has been added."), "success")
    return _back(token)


@bp.route("/bookings/<token>/participants/<int:participant_id>/edit", methods=["GET", "POST"])
def edit_participant(token: str, participant_id: int):
    booking = _booking_or_404(token)
    participant = _participant_of(booking, participant_id)
    if not _can_change(booking):
        flash(_("The booking can no longer be changed here; contact the organiser."), "error")
        return _back(token)
    form = ParticipantEditForm()
    if request.method == "GET":
        form.participant.form.fill(participant)
    elif form.validate_on_submit():
        with one_transaction(form.participant.form, field="email") as attempt:
            services.update_participant(booking.id, participant.id, form.participant.form.to_data())
        if attempt.ok:
            flash(_("The participant's details have been saved."), "success")
            return _back(token)
    return render_template(
        "bookings/participant.html",
        form=form,
        participant=participant,
        **_page_context(booking, token),
    ), (422 if form.errors else 200)


@bp.route("/bookings/<token>/contact", methods=["GET", "POST"])
def edit_contact(token: str):
    booking = _booking_or_404(token)
    if not _can_change(booking):
        flash(_("The booking can no longer be changed here; contact the organiser."), "error")
        return _back(token)
    form = ContactForm()
    if request.method == "GET":
        form.fill(booking)
    elif form.validate_on_submit():
        with one_transaction(form, field="contact_email") as attempt:
            services.update_contact(booking.id, form.contact_data())
        if attempt.ok:
            flash(
                _("The contact person has been saved; the booking's emails go to them now."),
                "success",
            )
            return _back(token)
    return render_template("bookings/contact.html", form=form, **_page_context(booking, token)), (
        422 if form.errors else 200
    )
