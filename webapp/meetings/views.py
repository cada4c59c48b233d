"""Meeting pages: the participant's (behind the booking's manage link) and the organisers'
(settings, slot generator, slots × tables grid, moves, cancellations, printable agendas)."""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp import signals
from webapp.accounts.models import Role
from webapp.bookings import services as booking_services
from webapp.bookings.forms import ConfirmForm
from webapp.bookings.models import Booking, Participant
from webapp.db import db, utcnow
from webapp.errors import RuleViolation, one_transaction
from webapp.events.admin import event_or_404
from webapp.extensions import limiter
from webapp.formtools import parse_id
from webapp.i18n import format_span
from webapp.meetings import calendar, forms, services
from webapp.meetings.models import Meeting, MeetingSlot, MeetingStatus
from webapp.organisations.services import has_role, role_in

bp = Blueprint("meetings", __name__)
admin = Blueprint("meeting_admin", __name__, url_prefix="/organisers")


def _public_post_limit() -> str:
    return current_app.config["PUBLIC_POST_LIMIT"]


# The participants' posts share the public limit per client address, counted before CSRF.
limiter.limit(_public_post_limit, methods=["POST"])(bp)


def init_app(app: Flask) -> None:
    """The blueprints, the booking listeners, the feed and report hooks, template helpers."""
    app.register_blueprint(bp)
    app.register_blueprint(admin)
    services.connect()
    signals.participant_feed_entries.connect(calendar.feed_entries, weak=False)
    signals.report_figures.connect(_report_lines, weak=False)
    app.jinja_env.globals.update(meetings_enabled=services.enabled)


def _report_lines(_sender: object, **scope: object) -> list[tuple[str, int]]:
    return services.report_lines(**scope)


def slot_label(slot) -> str:
    """``2026-12-31 13:00–13:20`` (Swedish time)."""
    return format_span(slot.starts_at, slot.ends_at)


# --- the participant's pages ---------------------------------------------------------------


def _booking(token: str) -> Booking:
    booking = booking_services.booking_for_token(token)
    if booking is None:
        abort(404)
    return booking


def _acting(booking: Booking) -> Participant:
    """The participant the page is for (``?participant=``), or 404 when meetings are not
    open to this booking (not enabled, not confirmed, not its participant)."""
    given = request.args.get("participant")
    chosen = parse_id(given) if given is not None else None
    if given is not None and chosen is None:
        abort(404)  # ?participant=abc names nobody: not the booking's first participant
    try:
        return services.acting_participant(booking, chosen)
    except RuleViolation:
        abort(404)


def _back(token: str, person: Participant, anchor: str | None = None):
    return redirect(
        url_for("meetings.manage", token=token, participant=person.id, _anchor=anchor), code=303
    )


def _render_manage(booking: Booking, token: str, person: Participant, form=None, status=200):
    profile = services.profile_of(person.id)
    if form is None:
        start = profile or services.prefill(person)
        form = forms.ProfileForm(
            formdata=None,
            data={
                "display_name": start.display_name,
                "company_name": start.company_name,
                "offers": start.offers,
                "seeks": start.seeks,
                "description": start.description,
            },
        )
    meetings = services.meetings_of(person.id)
    profiles = services.profiles_by_participant(m.other(person.id).id for m in meetings)
    return render_template(
        "meetings/manage.html",
        booking=booking,
        event=booking.event,
        token=token,
        person=person,
        profile=profile,
        form=form,
        others=services.others(booking.event_id, person.id) if profile else [],
        meetings=meetings,
        profiles=profiles,
        statuses=MeetingStatus,
        confirm_form=ConfirmForm(),
        slot_label=slot_label,
        now=utcnow(),
    ), status


@bp.get("/bookings/<token>/meetings")
def manage(token: str):
    booking = _booking(token)
    return _render_manage(booking, token, _acting(booking))


@bp.post("/bookings/<token>/meetings/profile")
def save_profile(token: str):
    booking = _booking(token)
    person = _acting(booking)
    form = forms.ProfileForm()
    if not form.validate_on_submit():
        return _render_manage(booking, token, person, form, 422)
    with one_transaction(form) as attempt:
        services.save_profile(booking, person.id, form.data_object())
    if not attempt.ok:
        return _render_manage(booking, token, person, form, 409)
    flash(_("Your meeting profile has been saved."), "success")
    return _back(token, person)


def _render_request(booking, token, person, target, form, status=200):
    free = services.free_slots(booking.event_id, person.id, target.participant_id)
    form.slot.choices = [(s.id, slot_label(s)) for s in free]
    return render_template(
        "meetings/request.html",
        booking=booking,
        event=booking.event,
        token=token,
        person=person,
        target=target,
        form=form,
        free=free,
    ), status


@bp.route("/bookings/<token>/meetings/request/<int:invitee_id>", methods=["GET", "POST"])
def request_meeting(token: str, invitee_id: int):
    booking = _booking(token)
    person = _acting(booking)
    target = services.visible_profile(booking.event_id, invitee_id)
    if target is None or services.profile_of(person.id) is None:
        abort(404)
    form = forms.RequestForm()
    if request.method == "GET":
        return _render_request(booking, token, person, target, form)
    if not form.validate_on_submit():
        return _render_request(booking, token, person, target, form, 422)
    with one_transaction(form) as attempt:
        services.request(booking, person.id, invitee_id, form.chosen_slot(), form.message.data)
    if not attempt.ok:
        return _render_request(booking, token, person, target, form, 409)
    flash(
        _(
            "Your request has been sent. You will get an email when %(name)s answers.",
            name=target.display_name,
        ),
        "success",
    )
    return _back(token, person, "meetings")


def _meeting_action(token: str, meeting_id: int, action, done: str):
    """Do ``action(booking, participant_id, meeting_id)`` for the acting participant in one
    transaction, and go back to their meetings saying ``done`` (or what went wrong)."""
    booking = _booking(token)
    person = _acting(booking)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with one_transaction() as attempt:
        action(booking, person.id, meeting_id)
    if attempt.ok:
        flash(done, "success")
    return _back(token, person, "meetings")


@bp.post("/bookings/<token>/meetings/<int:meeting_id>/accept")
def accept(token: str, meeting_id: int):
    return _meeting_action(
        token,
        meeting_id,
        lambda b, p, m: services.answer(b, p, m, True),
        _("The meeting is booked; you will find its table in your agenda."),
    )


@bp.post("/bookings/<token>/meetings/<int:meeting_id>/decline")
def decline(token: str, meeting_id: int):
    return _meeting_action(
        token,
        meeting_id,
        lambda b, p, m: services.answer(b, p, m, False),
        _("You have declined the request."),
    )


@bp.post("/bookings/<token>/meetings/<int:meeting_id>/cancel")
def cancel(token: str, meeting_id: int):
    return _meeting_action(
        token,
        meeting_id,
        services.cancel_by_participant,
        _("The meeting has been cancelled; the other participant is told."),
    )


# --- organisers --------------------------------------------------------------------------


def _columns(slots) -> list[str]:
    """The grid's column headings: a table's name where every time names that column
    alike, else "Table n" (the cells then say each time's name)."""
    width = max((len(s.tables) for s in slots), default=0)
    headings = []
    for i in range(width):
        names = {s.tables[i].name for s in slots if i < len(s.tables)}
        (name,) = names if len(names) == 1 else (None,)
        headings.append(name or _("Table %(number)s", number=i + 1))
    return headings


def _render_admin(event, settings_form=None, slots_form=None, status=200):
    slots = services.slots(event.id)
    meetings = services.event_meetings(event.id, (MeetingStatus.REQUESTED, MeetingStatus.ACCEPTED))
    grid = {(m.slot_id, m.table_id): m for m in meetings if m.status == MeetingStatus.ACCEPTED}
    waiting = [m for m in meetings if m.status == MeetingStatus.REQUESTED]
    profiles = services.profiles_by_participant(
        pid for m in meetings for pid in (m.requester_id, m.invitee_id)
    )
    organiser = has_role(current_user, event.organisation_id, Role.ORGANISER)
    settings = services.settings_for(event.id)
    return render_template(
        "meetings/organise.html",
        event=event,
        role=role_in(current_user, event.organisation_id),
        organiser=organiser,
        enabled=settings is not None and settings.enabled,
        settings_form=settings_form
        or forms.SettingsForm(formdata=None, data={"enabled": bool(settings and settings.enabled)}),
        slots_form=slots_form or forms.SlotsForm(formdata=None),
        slots=slots,
        columns=_columns(slots),
        grid=grid,
        waiting=waiting,
        profiles=profiles,
        figures=services.event_figures(event.id),
        confirm_form=ConfirmForm(),
        slot_label=slot_label,
    ), status


@admin.get("/events/<int:event_id>/meetings")
@login_required
def organise(event_id: int):
    return _render_admin(event_or_404(event_id, Role.VIEWER))


@admin.post("/events/<int:event_id>/meetings/settings")
@login_required
def settings(event_id: int):
    event = event_or_404(event_id, Role.ORGANISER)
    form = forms.SettingsForm()
    if not form.validate_on_submit():
        return _render_admin(event, settings_form=form, status=422)
    with one_transaction(form) as attempt:
        services.set_enabled(current_user, event.id, form.enabled.data)
    if attempt.ok:
        flash(
            _("Participants can now request meetings.")
            if form.enabled.data
            else _("Meetings are closed: no new requests or answers."),
            "success",
        )
    return redirect(url_for("meeting_admin.organise", event_id=event.id), code=303)


@admin.post("/events/<int:event_id>/meetings/slots")
@login_required
def add_slots(event_id: int):
    event = event_or_404(event_id, Role.ORGANISER)
    form = forms.SlotsForm()
    if not form.validate_on_submit():
        return _render_admin(event, slots_form=form, status=422)
    with one_transaction(form) as attempt:
        made = services.generate_slots(
            current_user,
            event.id,
            form.day.data,
            forms.parse_time(form.first.data),
            forms.parse_time(form.last.data),
            form.minutes.data,
            form.tables.data,
            form.names(),
        )
    if not attempt.ok:
        return _render_admin(event, slots_form=form, status=409)
    flash(_("%(num)s meeting times have been added.", num=len(made)), "success")
    return redirect(url_for("meeting_admin.organise", event_id=event.id), code=303)


@admin.post("/meetings/slots/<int:slot_id>/delete")
@login_required
def delete_slot(slot_id: int):
    if db.session.get(MeetingSlot, slot_id) is None:
        abort(404)
    slot = services.slot_for(current_user, slot_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    event_id = slot.event_id
    with one_transaction() as attempt:
        services.delete_slot(current_user, slot_id)
    if attempt.ok:
        flash(_("The meeting time has been removed."), "success")
    return redirect(url_for("meeting_admin.organise", event_id=event_id), code=303)


def _meeting_or_404(meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        abort(404)
    return services.meeting_for(current_user, meeting.id, Role.ORGANISER)


def _render_move(meeting: Meeting, form, status=200):
    slots = services.slots(meeting.event_id)
    form.slot.choices = [(s.id, slot_label(s)) for s in slots]
    chosen = form.slot.data if isinstance(form.slot.data, int) else meeting.slot_id
    slot = next((s for s in slots if s.id == chosen), meeting.slot)
    form.table.choices = [(t.id, t.label) for t in slot.tables]
    return render_template(
        "meetings/move.html",
        meeting=meeting,
        event=meeting.slot.event,
        form=form,
        profiles=services.profiles_by_participant([meeting.requester_id, meeting.invitee_id]),
        slot_label=slot_label,
    ), status


@admin.route("/meetings/<int:meeting_id>/move", methods=["GET", "POST"])
@login_required
def move(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    if request.method == "GET":
        form = forms.MoveForm(
            formdata=None, data={"slot": meeting.slot_id, "table": meeting.table_id}
        )
        return _render_move(meeting, form)
    form = forms.MoveForm()
    if not form.validate_on_submit():
        return _render_move(meeting, form, 422)
    with one_transaction(form) as attempt:
        services.move(current_user, meeting.id, form.slot.data, form.table.data)
    if not attempt.ok:
        return _render_move(meeting, form, 409)
    flash(_("The meeting has been moved; both participants are told."), "success")
    return redirect(url_for("meeting_admin.organise", event_id=meeting.event_id), code=303)


@admin.route("/meetings/<int:meeting_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel_meeting(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    form = forms.CancelForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            with one_transaction(form) as attempt:
                services.cancel_by_organiser(current_user, meeting.id, form.reason.data)
            if attempt.ok:
                flash(_("The meeting has been cancelled; both participants are told."), "success")
                return redirect(
                    url_for("meeting_admin.organise", event_id=meeting.event_id), code=303
                )
            status = 409
        else:
            status = 422
    return render_template(
        "meetings/cancel.html",
        meeting=meeting,
        event=meeting.slot.event,
        form=form,
        profiles=services.profiles_by_participant([meeting.requester_id, meeting.invitee_id]),
        slot_label=slot_label,
    ), status


@admin.get("/events/<int:event_id>/meetings/agendas")
@login_required
def agendas(event_id: int):
    """Printable agendas, one per participant (``?participant=`` for one)."""
    event = event_or_404(event_id, Role.VIEWER)
    meetings = services.event_meetings(event.id, (MeetingStatus.ACCEPTED,))
    only = request.args.get("participant", type=parse_id)
    people: dict[int, list[Meeting]] = {}
    for m in meetings:
        for pid in (m.requester_id, m.invitee_id):
            if only is None or pid == only:
                people.setdefault(pid, []).append(m)
    if only is not None and only not in people:
        abort(404)
    profiles = services.profiles_by_participant(people)
    participants = {m.requester_id: m.requester for m in meetings} | {
        m.invitee_id: m.invitee for m in meetings
    }
    order = sorted(people, key=lambda pid: participants[pid].name.lower())
    return render_template(
        "meetings/agendas.html",
        event=event,
        people=[(participants[pid], people[pid]) for pid in order],
        profiles=profiles,
        slot_label=slot_label,
        now=utcnow(),
    )


@admin.get("/events/<int:event_id>/meetings/tables")
@login_required
def tables(event_id: int):
    """Printable lists per table: who meets whom there, slot by slot."""
    event = event_or_404(event_id, Role.VIEWER)
    slots = services.slots(event.id)
    meetings = services.event_meetings(event.id, (MeetingStatus.ACCEPTED,))
    by_table = {m.table_id: m for m in meetings}
    labels: dict[int, str] = {}
    for s in slots:
        for t in s.tables:
            labels.setdefault(t.number, t.label)
    numbers = sorted(labels.items())
    rows = {
        number: [(s, next((t for t in s.tables if t.number == number), None)) for s in slots]
        for number, _label in numbers
    }
    return render_template(
        "meetings/tables.html",
        event=event,
        numbers=numbers,
        rows=rows,
        by_table=by_table,
        profiles=services.profiles_by_participant(
            pid for m in meetings for pid in (m.requester_id, m.invitee_id)
        ),
        slot_label=slot_label,
        now=utcnow(),
    )
