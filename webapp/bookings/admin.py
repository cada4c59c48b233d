"""Organisers' booking pages: attendee lists, exports, selection, bookings, attendance."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required

from webapp import signals
from webapp.accounts.forms import ConfirmForm
from webapp.accounts.models import Role
from webapp.bookings import attendance as attendance_service
from webapp.bookings import attendees as attendee_lists
from webapp.bookings import exports, organising, services
from webapp.bookings.forms import AddParticipantForm, ParticipantEditForm
from webapp.bookings.models import Booking, BookingStatus, Participant
from webapp.bookings.organiser_forms import MoveForm, OrganiserBookingForm, SelectionForm
from webapp.confirming import ORGANISER_LAYOUT, ask
from webapp.db import db, utcnow
from webapp.errors import one_transaction
from webapp.events.admin import event_or_404
from webapp.events.models import Event, EventSession
from webapp.formtools import parse_id
from webapp.i18n import format_long_span
from webapp.organisations.services import NotAllowed, current_notice, has_role, role_in

bp = Blueprint("booking_admin", __name__, url_prefix="/organisers")


def _readable_event(event_id: int) -> Event:
    """The event if the user may read its attendee list (members and project partners)."""
    event = attendee_lists.event_for_reader(current_user, event_id)
    if event is None:
        abort(404)
    return event


def _filters() -> attendee_lists.AttendeeFilter:
    args = request.args
    return attendee_lists.AttendeeFilter.from_args(args.get("status"), args.get("q"))


def _listed(event: Event) -> tuple[list[Booking], list]:
    """The bookings the list shows, and what other packages add to it (the answers to the
    event's questions, with their filters): see signals.attendee_list_extras. Answers are
    the running organisation's to read: partner organisations see the list without them
    (free text can say anything about a person)."""
    bookings = attendee_lists.list_bookings(event, _filters())
    if role_in(current_user, event.organisation_id) is None:
        return bookings, []
    sent = signals.attendee_list_extras.send(event, args=request.args)
    extras = [extra for _r, extra in sent if extra is not None]
    for extra in extras:
        bookings = extra.apply(bookings)
    return bookings, extras


@bp.get("/events/<int:event_id>/attendees")
@login_required
def attendees(event_id: int):
    event = _readable_event(event_id)
    filters = _filters()
    bookings, extras = _listed(event)
    return render_template(
        "organisers/bookings/attendees.html",
        event=event,
        bookings=bookings,
        extras=extras,
        counts=attendee_lists.counts(event),
        filters=filters,
        statuses=list(BookingStatus),
        can_edit=has_role(current_user, event.organisation_id, Role.ORGANISER),
        private=attendee_lists.sees_needs(current_user, event),
        need_counts=attendee_lists.need_counts(event),
        role=role_in(current_user, event.organisation_id),
        selection_form=SelectionForm(),
    )


@bp.get("/events/<int:event_id>/attendees/print")
@login_required
def print_list(event_id: int):
    event = _readable_event(event_id)
    filters = _filters()
    bookings, extras = _listed(event)
    return render_template(
        "organisers/bookings/print.html",
        event=event,
        bookings=bookings,
        extras=extras,
        counts=attendee_lists.counts(event),
        filters=filters,
        private=attendee_lists.sees_needs(current_user, event),
        need_counts=attendee_lists.need_counts(event),
        now=utcnow(),
    )


@bp.get("/events/<int:event_id>/catering")
@login_required
def catering(event_id: int):
    """The caterer's list: counts of each dietary need per session, no names (organisers)."""
    event = _readable_event(event_id)
    return render_template(
        "organisers/bookings/catering.html",
        event=event,
        lines=attendee_lists.catering(current_user, event),
        now=utcnow(),
    )


def _download(body: bytes, mimetype: str, event: Event, extension: str) -> Response:
    filename = f"attendees-{event.id}-{utcnow():%Y%m%d}.{extension}"
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.get("/events/<int:event_id>/attendees.csv")
@login_required
def export_csv(event_id: int):
    event = _readable_event(event_id)
    bookings, extras = _listed(event)
    private = attendee_lists.sees_needs(current_user, event)
    body = exports.to_csv(event, bookings, attendance_service.marks(event), private, extras)
    return _download(body, "text/csv", event, "csv")


@bp.get("/events/<int:event_id>/attendees.xlsx")
@login_required
def export_xlsx(event_id: int):
    event = _readable_event(event_id)
    bookings, extras = _listed(event)
    private = attendee_lists.sees_needs(current_user, event)
    marks = attendance_service.marks(event)
    body = exports.to_xlsx(event, bookings, marks, utcnow(), private, extras)
    return _download(body, exports.XLSX_MIMETYPE, event, "xlsx")


def _back_to_list(event_id: int):
    return redirect(url_for("booking_admin.attendees", event_id=event_id, **request.args), code=303)


@bp.post("/events/<int:event_id>/selection")
@login_required
def select(event_id: int):
    event = event_or_404(event_id, Role.ORGANISER)
    form = SelectionForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors or form.decision.data:
            abort(400)  # a forged token or a decision no page offers
        flash(" ".join(map(str, form.decision.errors)), "error")
        return _back_to_list(event_id)
    ids = [i for i in map(parse_id, request.form.getlist("booking")) if i is not None]
    approve = form.decision.data == "approve"
    if not approve and ids:
        page = ask(
            ngettext("Decline %(num)s booking?", "Decline %(num)s bookings?", len(ids)),
            [
                _("Each company is emailed that it was not selected."),
                _("A declined booking cannot be approved later; the company would register again."),
            ],
            _("Yes, decline"),
            url_for("booking_admin.attendees", event_id=event_id, **request.args),
            layout=ORGANISER_LAYOUT,
        )
        if page is not None:
            return page
    with one_transaction() as attempt:
        done = organising.decide(current_user, event, ids, approve=approve)
    if not attempt.ok:
        flash(_("Nothing was changed."), "warning")
    else:
        message = (
            ngettext(
                "%(num)s booking approved; the company is told.",
                "%(num)s bookings approved; the companies are told.",
                len(done),
            )
            if approve
            else ngettext(
                "%(num)s booking declined; the company is told.",
                "%(num)s bookings declined; the companies are told.",
                len(done),
            )
        )
        flash(message, "success")
    return _back_to_list(event_id)


def _notice_version(event: Event) -> str:
    notice = current_notice(event.organisation_id)
    return str(notice.version) if notice else "none"


@bp.route("/events/<int:event_id>/bookings/new", methods=["GET", "POST"])
@login_required
def add_booking(event_id: int):
    event = event_or_404(event_id, Role.ORGANISER)
    cap = current_app.config["MAX_PARTICIPANTS_PER_BOOKING"]
    form = OrganiserBookingForm(max_participants=min(event.max_per_company or cap, cap))
    # Sections other packages add (the de minimis declaration as the company gave it, the
    # event's own questions).
    sections = [
        s
        for _r, s in signals.registration_sections.send(event, form=form, by_organiser=True)
        if s is not None
    ]

    def page(status: int = 200):
        return render_template(
            "organisers/bookings/new.html", event=event, form=form, sections=sections
        ), status

    if request.method == "POST":
        if form.change_participant_blocks():
            return page()
        valid = form.validate_on_submit()
        valid = all([section.validate() for section in sections]) and valid
        if valid:
            with one_transaction() as attempt:
                booking = organising.add_booking(
                    current_user,
                    event,
                    form.company_data(),
                    form.contact_data(),
                    form.participants_data(),
                    consent_version=f"{_notice_version(event)}/organiser",
                    language=form.language.data,
                    submission_key=form.submission_reference(),
                    before_seats=lambda booking: [s.save(booking) for s in sections],
                )
            if attempt.ok:
                flash(
                    _("The booking has been added: %(status)s.", status=booking.status.label),
                    "success",
                )
                return redirect(url_for("booking_admin.booking", booking_id=booking.id), code=303)
            if isinstance(attempt.error, services.ChangedResubmission):  # flashed
                target = url_for("booking_admin.booking", booking_id=attempt.error.booking_id)
                return redirect(target, code=303)
        return page(422 if form.errors or not valid else 409)
    return page()


MOVE_QUESTIONS = {
    organising.Move.WAITLIST: _l("Move the booking to the waiting list?"),
    organising.Move.DECLINE: _l("Decline the booking?"),
    organising.Move.CANCEL: _l("Cancel the booking?"),
}


def _move_effects(booking: Booking, target: organising.Move) -> list[str]:
    """What moving a booking away from its place means, for the confirmation page."""
    lines = []
    if booking.status == BookingStatus.CONFIRMED and booking.seats_held:
        lines.append(
            ngettext(
                "%(num)s seat is given back; the first waiting bookings that fit get it.",
                "%(num)s seats are given back; the first waiting bookings that fit get them.",
                booking.seats_held,
            )
        )
    if target == organising.Move.WAITLIST:
        lines.append(_("The booking waits behind the bookings already on the waiting list."))
    lines.append(_("The contact person and the participants who had a place are emailed."))
    if target != organising.Move.WAITLIST:
        lines.append(_("This cannot be undone; the company would have to register again."))
    return lines


def _render_booking(booking_id: int, add_form: AddParticipantForm | None = None, status: int = 200):
    booking = organising.booking_for(current_user, booking_id)
    return render_template(
        "organisers/bookings/booking.html",
        booking=booking,
        event=booking.event,
        move_form=MoveForm(),
        add_form=add_form or AddParticipantForm(),
        confirm_form=ConfirmForm(),
    ), status


@bp.get("/bookings/<int:booking_id>")
@login_required
def booking(booking_id: int):
    return _render_booking(booking_id)


def _back_to_booking(booking_id: int):
    return redirect(url_for("booking_admin.booking", booking_id=booking_id), code=303)


@bp.post("/bookings/<int:booking_id>/move")
@login_required
def move(booking_id: int):
    booking = organising.booking_for(current_user, booking_id)
    form = MoveForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors or form.target.data:
            abort(400)  # a forged token or a target no page offers
        flash(" ".join(map(str, form.target.errors)), "error")
        return _back_to_booking(booking_id)
    target = organising.Move(form.target.data)
    if target != organising.Move.CONFIRM:
        page = ask(
            MOVE_QUESTIONS[target],
            _move_effects(booking, target),
            _("Yes, go ahead"),
            url_for("booking_admin.booking", booking_id=booking_id),
            layout=ORGANISER_LAYOUT,
        )
        if page is not None:
            return page
    with one_transaction() as attempt:
        result = organising.move(current_user, booking_id, target)
    if attempt.ok:
        flash(_("The booking is now: %(status)s.", status=result.status.label), "success")
    return _back_to_booking(booking_id)


@bp.post("/bookings/<int:booking_id>/participants")
@login_required
def add_participant(booking_id: int):
    organising.booking_for(current_user, booking_id)
    form = AddParticipantForm()
    if not form.validate_on_submit():
        return _render_booking(booking_id, form, 422)
    with one_transaction() as attempt:
        organising.add_participant(current_user, booking_id, form.participant.form.to_data())
    if not attempt.ok:
        return _render_booking(booking_id, form, 409)
    flash(_("The participant has been added."), "success")
    return _back_to_booking(booking_id)


@bp.route("/participants/<int:participant_id>/edit", methods=["GET", "POST"])
@login_required
def edit_participant(participant_id: int):
    participant = db.get_or_404(Participant, participant_id)
    booking = organising.booking_for(current_user, participant.booking_id)
    form = ParticipantEditForm()
    if request.method == "GET":
        form.participant.form.fill(participant)
    elif form.validate_on_submit():
        with one_transaction(form.participant.form, field="email") as attempt:
            organising.edit_participant(
                current_user, participant.id, form.participant.form.to_data()
            )
        if attempt.ok:
            flash(_("The participant's details have been saved."), "success")
            return _back_to_booking(booking.id)
    status = 422 if form.errors else 200
    return render_template(
        "organisers/bookings/participant.html",
        form=form,
        participant=participant,
        booking=booking,
        event=booking.event,
    ), status


@bp.post("/participants/<int:participant_id>/remove")
@login_required
def remove_participant(participant_id: int):
    participant = db.get_or_404(Participant, participant_id)
    booking = organising.booking_for(current_user, participant.booking_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    lines = [_("%(name)s is taken off the booking.", name=participant.name)]
    if booking.status == BookingStatus.CONFIRMED:
        lines += [
            _("Their seat is given back; the first waiting booking that fits gets it."),
            _("%(name)s gets an email saying their place is cancelled.", name=participant.name),
        ]
    page = ask(
        _("Remove %(name)s?", name=participant.name),
        lines,
        _("Yes, remove %(name)s", name=participant.name),
        url_for("booking_admin.booking", booking_id=booking.id),
        layout=ORGANISER_LAYOUT,
    )
    if page is not None:
        return page
    with one_transaction() as attempt:
        organising.remove_participant(current_user, participant.id)
    if attempt.ok:
        flash(_("The participant has been removed."), "success")
    return _back_to_booking(participant.booking_id)


def _more_than_a_day_ahead(session: EventSession) -> bool:
    """Attendance for such a session is more likely a slip than a door list: ask first."""
    return session.starts_at - utcnow() > timedelta(days=1)


@bp.route("/events/<int:event_id>/attendance", methods=["GET", "POST"])
@login_required
def attendance(event_id: int):
    event = event_or_404(event_id, Role.VIEWER)
    live = [s for s in event.sessions if s.cancelled_at is None]
    session_id = request.values.get("session", type=parse_id)
    chosen = next((s for s in live if s.id == session_id), live[0] if live else None)
    can_mark = has_role(current_user, event.organisation_id, Role.ORGANISER)
    form = ConfirmForm()
    if request.method == "POST":
        if not can_mark:
            raise NotAllowed()
        if chosen is None or not form.validate_on_submit():
            abort(400)
        if request.form.get("all_present"):
            present = [p.id for p in attendance_service.expected_participants(event.id)]
        else:
            present = [i for i in map(parse_id, request.form.getlist("present")) if i is not None]
        if _more_than_a_day_ahead(chosen):
            page = ask(
                _("Save attendance for a session that has not happened yet?"),
                [
                    _(
                        "The session starts %(when)s, more than a day from now.",
                        when=format_long_span(chosen.starts_at, chosen.ends_at),
                    ),
                    _(
                        "Attendance is usually marked at the door or afterwards; "
                        "it feeds the funders' reports."
                    ),
                    _("You can change it again later."),
                ],
                _("Yes, save it now"),
                url_for("booking_admin.attendance", event_id=event.id, session=chosen.id),
                layout=ORGANISER_LAYOUT,
            )
            if page is not None:
                return page
        n_present, n_absent = attendance_service.mark(current_user, event, chosen.id, present)
        db.session.commit()
        flash(
            _("Saved: %(present)s present, %(absent)s absent.", present=n_present, absent=n_absent),
            "success",
        )
        return redirect(
            url_for("booking_admin.attendance", event_id=event.id, session=chosen.id), code=303
        )
    session_rates, overall = attendance_service.rates(event)
    return render_template(
        "organisers/bookings/attendance.html",
        event=event,
        sessions=live,
        chosen=chosen,
        participants=attendance_service.expected_participants(event.id),
        present=attendance_service.present_ids(chosen.id) if chosen else set(),
        session_rates=session_rates,
        overall=overall,
        can_mark=can_mark,
        future=chosen is not None and _more_than_a_day_ahead(chosen),
        form=form,
        role=role_in(current_user, event.organisation_id),
    )
