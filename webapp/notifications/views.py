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
from webapp.accounts.models import Role
from webapp.accounts.services import role_in
from webapp.confirming import CONFIRMED, ORGANISER_LAYOUT, is_confirmed
from webapp.db import db
from webapp.errors import one_transaction
from webapp.events.admin import event_or_404
from webapp.events.models import Event
from webapp.extensions import csrf, limiter
from webapp.i18n import format_long_span
from webapp.notifications import dispatch, messages, rendering, services, unsubscribe
from webapp.notifications.forms import FollowUpForm, MessageForm
from webapp.notifications.models import NotWanted, OutboxMessage

bp = Blueprint("notifications", __name__)


def _render(message: OutboxMessage) -> rendering.RenderedEmail | None:
    """The message rendered, or None when that fails or its content was erased (the page
    says so)."""
    if message.content_erased_at is not None:
        return None
    with rendering.email_context():
        try:
            return rendering.render(message)
        except NotWanted:  # no longer goes out (its booking was cancelled): nothing broke
            return None
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
            sent_messages=messages.sent_messages(current_user, event_id),
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
    event_or_404(event_id, Role.ORGANISER)  # who may send, before what was typed
    form = FollowUpForm()
    if not form.validate_on_submit():
        return _outbox_page(event_id, form, 422)
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
    if count == 0:
        flash(
            _(
                "Nobody new to thank: everyone who took part has been sent the thank-you "
                "already (or nobody took part)."
            ),
            "info",
        )
    else:
        flash(_("The thank-you was queued for %(n)s participants.", n=count), "success")
    return redirect(url_for("notifications.event_outbox", event_id=event_id), code=303)


def _message_form(event: Event) -> MessageForm:
    sessions = [
        (str(s.id), format_long_span(s.starts_at, s.ends_at) + (f" – {s.title}" if s.title else ""))
        for s in event.sessions
        if s.cancelled_at is None
    ]
    return MessageForm(sessions=sessions)


def _compose_page(event: Event, form: MessageForm, status: int = 200):
    return (
        render_template(
            "notifications/compose.html",
            event=event,
            form=form,
            role=role_in(current_user, event.organisation_id),
        ),
        status,
    )


@bp.route("/organisers/events/<int:event_id>/messages/new", methods=["GET", "POST"])
@login_required
def compose(event_id: int):
    """Write a message (GET), see its recipients and one email (POST), send it (POST with
    ``confirmed=yes``, from the preview page; see webapp.confirming)."""
    event = event_or_404(event_id, Role.ORGANISER)
    form = _message_form(event)
    if request.method == "GET":
        return _compose_page(event, form)
    if not form.validate_on_submit():
        return _compose_page(event, form, 422)
    if request.form.get("change"):
        # "Change the message" on the preview: the form again, as it was filled in.
        return _compose_page(event, form)
    draft = form.to_draft()
    if not is_confirmed():
        with one_transaction(form) as attempt:
            preview = messages.preview(current_user, event.id, draft)
        if not attempt.ok:
            return _compose_page(event, form, 422)
        with rendering.email_context():
            sample = rendering.render(preview.sample)
        fields = [
            (name, value)
            for name, value in request.form.items(multi=True)
            if name not in ("csrf_token", CONFIRMED, "change")
        ]
        return render_template(
            "notifications/message_preview.html",
            layout=ORGANISER_LAYOUT,
            event=event,
            preview=preview,
            sample=sample,
            fields=fields,
            action=request.full_path.rstrip("?"),
        )
    with one_transaction(form) as attempt:
        message = messages.send(current_user, event.id, draft)
    if not attempt.ok:
        return _compose_page(event, form, 422)
    flash(
        _("The message was queued for %(n)s recipients.", n=message.recipient_count),
        "success",
    )
    return redirect(url_for("notifications.event_outbox", event_id=event.id), code=303)


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
