"""The organisers' check-in page, the link a check-in QR code carries, and badge sheets.

The page works without JavaScript: a code typed (or typed by a hand-held scanner, which
acts as a keyboard) into the code form, or a name search whose results each have a mark
button. The camera scan (static/checkin.js) only fills the code form and submits it.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp.accounts.models import Role
from webapp.bookings.attendance import expected_participants
from webapp.checkin import badges, services
from webapp.checkin.forms import BadgeForm, CheckinForm, SearchForm
from webapp.errors import one_transaction
from webapp.events.admin import event_or_404
from webapp.events.models import Event
from webapp.formtools import parse_id
from webapp.i18n import format_time
from webapp.organisations.services import require_role, role_in

bp = Blueprint("checkin", __name__, url_prefix="/organisers")


def _event(event_id: int) -> Event:
    """The event, for its organisers, if it is one that checks people in (else 404)."""
    event = event_or_404(event_id, Role.ORGANISER)
    if not services.has_checkin(event):
        abort(404)
    return event


def _page(event: Event, form: CheckinForm, status: int = 200):
    if form.code.errors:
        form.code.data = ""
    chosen_id = request.values.get("session", type=parse_id)
    live = services.live_sessions(event)
    chosen = next((s for s in live if s.id == chosen_id), None) or services.current_session(event)
    search = SearchForm(request.args)
    found = services.search(event, search.q.data or "") if search.q.data else []
    present = services.checked_in(chosen) if chosen else {}
    return (
        render_template(
            "checkin/page.html",
            event=event,
            sessions=live,
            chosen=chosen,
            form=form,
            search=search,
            found=found,
            present=present,
            expected=len(expected_participants(event.id)),
            badge_form=BadgeForm(request.args),
            role=role_in(current_user, event.organisation_id),
            # After a scan the camera starts again for the next person, also after a refusal.
            scanning="1" in (request.args.get("scan"), form.scan.data),
            # After a typed code (a hand scanner types too) the field is ready for the next.
            # After a refusal too, emptied, with the reason beside it: the next scan or
            # code must not be typed onto the one refused.
            typing=request.args.get("typed") == "1" or bool(form.code.errors),
        ),
        status,
    )


@bp.get("/events/<int:event_id>/check-in")
@login_required
def page(event_id: int):
    event = _event(event_id)
    form = CheckinForm(formdata=None)
    form.code.data = request.args.get("code", "")
    return _page(event, form)


@bp.post("/events/<int:event_id>/check-in")
@login_required
def mark(event_id: int):
    event = _event(event_id)
    form = CheckinForm()
    if not form.validate_on_submit():
        return _page(event, form, 400)
    code_text = (form.code.data or "").strip()
    participant_id = parse_id(form.participant.data)
    if not code_text and participant_id is None:
        form.code.errors = [_("Scan a QR code, type a check-in code or search by name.")]
        return _page(event, form, 422)
    with one_transaction(form) as attempt:
        done = services.check_in(
            current_user,
            event,
            parse_id(form.session.data),
            code_text=code_text or None,
            participant_id=None if code_text else participant_id,
        )
    if not attempt.ok:
        return _page(event, form, 422)
    flash(
        _(
            "Checked in: %(name)s, %(company)s, at %(time)s.",
            name=done.participant.name,
            company=done.participant.booking.company.name,
            time=format_time(done.marked_at),
        ),
        "success",
    )
    back = {"session": done.session.id}
    if form.scan.data == "1":
        back["scan"] = "1"
    elif code_text:
        back["typed"] = "1"
    if request.args.get("q"):
        back["q"] = request.args["q"]
    return redirect(url_for("checkin.page", event_id=event.id, **back), code=303)


@bp.get("/check-in/<token>")
@login_required
def link(token: str):
    """Where a phone's own camera app leads with a participant's QR code: the check-in page
    of their event with the code filled in, to be confirmed with one tap (a GET marks
    nothing)."""
    try:
        participant = services.participant_of(token)
    except services.UnknownCode:
        abort(404)
    event = participant.booking.event
    require_role(current_user, event.organisation_id, Role.ORGANISER)
    return redirect(url_for("checkin.page", event_id=event.id, code=token))


@bp.get("/events/<int:event_id>/badges.pdf")
@login_required
def badge_sheets(event_id: int):
    event = _event(event_id)
    form = BadgeForm(request.args)
    if not form.validate() or form.layout.data not in badges.LAYOUTS:
        abort(400)
    filename = f"badges-{event.id}-{form.layout.data}.pdf"
    return Response(
        badges.pdf(event, form.layout.data),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
