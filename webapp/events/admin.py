"""Organisers' event pages: the dashboard, create, edit, publish, cancel, duplicate, log."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp.accounts.forms import ConfirmForm
from webapp.accounts.models import Role
from webapp.accounts.services import organisations_of
from webapp.confirming import ORGANISER_LAYOUT, ask
from webapp.db import utcnow
from webapp.errors import one_transaction
from webapp.events import log as event_log
from webapp.events import management
from webapp.events.forms import EventForm
from webapp.events.models import Event, translation_label
from webapp.formtools import parse_id
from webapp.organisations import audit
from webapp.organisations.services import (
    NotAllowed,
    invitations_for,
    project_choices,
    projects_of,
    require_role,
    role_in,
)

bp = Blueprint("event_admin", __name__, url_prefix="/organisers")
bp.add_app_template_filter(translation_label)


def event_or_404(event_id: int, role: Role) -> Event:
    """The event with its sessions, if the current user holds ``role`` in its organisation.

    404 for an unknown event, 403 (NotAllowed) without the role.
    """
    event = management.get_event(event_id)
    if event is None:
        abort(404)
    require_role(current_user, event.organisation_id, role)
    return event


@bp.get("/")
@login_required
def index():
    own, partner = management.dashboard_events(current_user)
    organisations = organisations_of(current_user)
    now = utcnow()
    upcoming = [e for e in own if e.ends_at is None or e.ends_at >= now]
    figures = management.dashboard_figures([e.id for e in upcoming])
    return render_template(
        "organisers/events/index.html",
        own=own,
        partner=partner,
        upcoming=sorted(upcoming, key=lambda e: (e.starts_at is None, e.starts_at or now)),
        past=[e for e in own if e.ends_at is not None and e.ends_at < now],
        figures=figures,
        attention=[
            e
            for e in upcoming
            if figures.get(e.id) and (figures[e.id].pending or figures[e.id].failed_emails)
        ],
        organisations=organisations,
        projects={o.id: projects_of(o.id) for o in organisations},
        invitations={o.id: invitations_for(o.id) for o in organisations},
        can_create=bool(organisations_of(current_user, Role.ORGANISER)),
        role_in=role_in,
    )


def _handle_session_buttons(form: EventForm) -> bool:
    """Add or remove a session row when one of those buttons was pressed; True if so."""
    remove = request.form.get("remove_session", type=int)
    if form.add_session.data:
        form.sessions.append_entry()
        return True
    if remove is not None:
        if len(form.sessions.entries) > 1 and 0 <= remove < len(form.sessions.entries):
            form.sessions.entries.pop(remove)
        return True
    return False


@bp.route("/events/new", methods=["GET", "POST"])
@login_required
def create():
    organisations = organisations_of(current_user, Role.ORGANISER)
    if not organisations:
        raise NotAllowed()
    chosen = request.form.get("organisation", type=parse_id) or organisations[0].id
    if chosen not in {o.id for o in organisations}:
        chosen = organisations[0].id
    form = EventForm(organisations=organisations, projects=project_choices(chosen))
    if request.method == "POST" and not _handle_session_buttons(form):
        if form.validate_on_submit():
            with one_transaction(form) as attempt:
                event = management.create_event(
                    current_user, form.organisation.data, form.to_data()
                )
            if attempt.ok:
                flash(
                    _("The event has been saved as a draft. Publish it when it is ready."),
                    "success",
                )
                return redirect(url_for("event_admin.edit", event_id=event.id), code=303)
        return render_template("organisers/events/form.html", form=form, event=None), (
            422 if form.errors else 409
        )
    return render_template("organisers/events/form.html", form=form, event=None)


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit(event_id: int):
    event = event_or_404(event_id, Role.ORGANISER)
    form = EventForm(
        organisations=[event.organisation],
        projects=project_choices(event.organisation_id, keep=event.project_id),
    )
    if request.method == "GET":
        form.fill_from(event)
    elif not _handle_session_buttons(form):
        # The organisation of an event never changes; the select only shows it.
        form.organisation.data = event.organisation_id
        if form.validate_on_submit():
            with one_transaction(form) as attempt:
                management.update_event(current_user, event.id, form.to_data())
            if attempt.ok:
                flash(_("The event has been saved."), "success")
                return redirect(url_for("event_admin.edit", event_id=event.id), code=303)
            event = event_or_404(event_id, Role.ORGANISER)
        return _render_edit(event, form, 422 if form.errors else 409)
    return _render_edit(event, form)


def _render_edit(event: Event, form: EventForm, status: int = 200):
    return render_template(
        "organisers/events/form.html", form=form, event=event, confirm_form=ConfirmForm()
    ), status


def _status_action(event_id: int, action, success: str):
    """Run one status change (publish, cancel, ...) as one transaction, then show the event."""
    event = event_or_404(event_id, Role.ORGANISER)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with one_transaction() as attempt:
        result = action(current_user, event.id)
    if not attempt.ok:
        return redirect(url_for("event_admin.edit", event_id=event_id), code=303)
    flash(success, "success")
    return redirect(url_for("event_admin.edit", event_id=result.id), code=303)


@bp.post("/events/<int:event_id>/publish")
@login_required
def publish(event_id: int):
    return _status_action(event_id, management.publish, _("The event is published."))


@bp.post("/events/<int:event_id>/unpublish")
@login_required
def unpublish(event_id: int):
    return _status_action(event_id, management.unpublish, _("The event is a draft again."))


@bp.post("/events/<int:event_id>/cancel")
@login_required
def cancel(event_id: int):
    event = event_or_404(event_id, Role.ORGANISER)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    page = ask(
        _("Cancel %(title)s?", title=event.title),
        [
            _("The event is shown as cancelled; nobody can register any more."),
            _(
                "Every booked company and every participant with a place is emailed, "
                "and no more reminders are sent."
            ),
            _("The bookings are kept for the record and the reports."),
            _("This cannot be undone."),
        ],
        _("Yes, cancel the event"),
        url_for("event_admin.edit", event_id=event.id),
        layout=ORGANISER_LAYOUT,
    )
    if page is not None:
        return page
    return _status_action(
        event_id,
        management.cancel,
        _("The event is cancelled. Every booked company is told; the bookings are kept."),
    )


@bp.post("/events/<int:event_id>/duplicate")
@login_required
def duplicate(event_id: int):
    return _status_action(
        event_id,
        management.duplicate,
        _("This is a draft copy. Move its sessions to the new dates and publish it."),
    )


@bp.get("/events/<int:event_id>/log")
@login_required
def log(event_id: int):
    event = event_or_404(event_id, Role.VIEWER)
    return render_template(
        "organisers/events/log.html",
        event=event,
        entries=audit.entries_for_event(event.id),
        describe=lambda entry: event_log.describe(entry, event),
    )


@bp.post("/events/<int:event_id>/leave-project")
@login_required
def leave_project(event_id: int):
    event = management.get_event(event_id)
    if event is None or event.project_id is None:
        abort(404)
    project_id = event.project_id
    require_role(current_user, event.project.organisation_id, Role.ADMIN)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with one_transaction() as attempt:
        management.leave_project(current_user, event_id)
    if attempt.ok:
        flash(_("The event is no longer part of the project."), "success")
    return redirect(url_for("organisations.project", project_id=project_id), code=303)
