"""Pages for reading the outbox: per event for organisers, all of it for development.

With no SMTP server configured, mail stays in the outbox, and these pages are where one
reads what would have been sent, rendered exactly as it would go out now.
"""

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
from flask_login import current_user, login_required

from webapp.accounts.forms import ConfirmForm
from webapp.accounts.services import role_in
from webapp.db import db
from webapp.extensions import csrf, limiter
from webapp.notifications import dispatch, rendering, services, unsubscribe
from webapp.notifications.forms import FollowUpForm
from webapp.notifications.models import OutboxMessage

bp = Blueprint("notifications", __name__)


def _render(message: OutboxMessage) -> rendering.RenderedEmail | None:
    """The message rendered, or None when that fails or its content was erased (the page
    says so)."""
    if message.content_erased_at is not None:
        return None
    with rendering.email_context():
        try:
            return rendering.render(message)
        except Exception:  # noqa: BLE001 - a broken message must not break the page
            current_app.logger.exception("could not render outbox message %s", message.id)
            return None


def _outbox_page(event_id: int, follow_up_form: FollowUpForm, status: int = 200):
    try:
        summary = services.event_outbox(current_user, event_id)
    except services.MessageNotFound:
        abort(404)
    return (
        render_template(
            "notifications/event_outbox.html",
            event=summary.event,
            summary=summary,
            mail_enabled=dispatch.mail_enabled(),
            follow_up_form=follow_up_form,
            resend_form=ConfirmForm(),
            role=role_in(current_user, summary.event.organisation_id),
        ),
        status,
    )


@bp.get("/organisers/events/<int:event_id>/outbox")
@login_required
def event_outbox(event_id: int):
    return _outbox_page(event_id, FollowUpForm())


@bp.get("/organisers/outbox/<int:message_id>")
@login_required
def show(message_id: int):
    try:
        message = services.get_message(current_user, message_id)
    except services.MessageNotFound:
        abort(404)
    return render_template(
        "notifications/message.html",
        message=message,
        rendered=_render(message),
        resend_form=ConfirmForm(),
        role=role_in(current_user, message.event.organisation_id),
        back=url_for("notifications.event_outbox", event_id=message.event_id),
    )


@bp.post("/organisers/outbox/<int:message_id>/resend")
@login_required
def resend(message_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        message = services.resend(current_user, message_id)
    except services.MessageNotFound:
        abort(404)
    except services.CannotResend as refusal:
        if str(refusal) == "erased":
            flash(_("Its recipient and content were erased (personal data)."), "error")
        else:
            flash(_("That message is still waiting to be sent."), "error")
        return redirect(url_for("notifications.show", message_id=message_id), code=303)
    event_id = message.event_id
    db.session.commit()
    flash(_("The message will be sent again within a minute."), "success")
    return redirect(url_for("notifications.event_outbox", event_id=event_id), code=303)


@bp.post("/organisers/events/<int:event_id>/follow-up")
@login_required
def follow_up(event_id: int):
    form = FollowUpForm()
    if not form.validate_on_submit():
        return _outbox_page(event_id, form, 400)
    try:
        count = services.queue_follow_up(
            current_user,
            event_id,
            text=form.text.data,
            feedback_url=form.feedback_url.data,
            evaluation=form.evaluation.data,
        )
    except services.MessageNotFound:
        abort(404)
    db.session.commit()
    flash(_("The thank-you was queued for %(n)s participants.", n=count), "success")
    return redirect(url_for("notifications.event_outbox", event_id=event_id), code=303)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"], endpoint="unsubscribe")
@limiter.limit(lambda: current_app.config["PUBLIC_POST_LIMIT"], methods=["POST"])
@csrf.exempt  # RFC 8058: a mail client's one-click POST has no session; the token is the key
def unsubscribe_page(token: str):
    """GET: what unsubscribing stops, and a button (changes nothing: link scanners fetch
    links). POST (the button, or a mail client's one-click): unsubscribe, and say so."""
    participant = unsubscribe.participant_for(token)
    if participant is None:
        return render_template("notifications/unsubscribe.html", participant=None), 404
    done = False
    if request.method == "POST":
        participant = unsubscribe.unsubscribe(participant.id)
        db.session.commit()
        done = True
    return render_template(
        "notifications/unsubscribe.html",
        participant=participant,
        event=participant.booking.event,
        done=done,
    )


def _dev_only() -> None:
    if not (current_app.debug or current_app.config.get("SHOW_OUTBOX")):
        abort(404)


def _shown_here(message: OutboxMessage) -> bool:
    # An account message rendered holds a working password-reset or invitation link, a
    # credential: only a developer's own debug server shows it. With SHOW_OUTBOX alone
    # (a shared demo or staging site) anyone could read it and take the account.
    return current_app.debug or not message.kind.is_account


@bp.get("/dev/outbox")
def dev_outbox():
    _dev_only()
    messages = services.all_messages()
    return render_template(
        "notifications/dev_outbox.html",
        messages=[(m, _shown_here(m), _render(m) if _shown_here(m) else None) for m in messages],
        mail_enabled=dispatch.mail_enabled(),
    )
