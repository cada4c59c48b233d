"""The evaluation: the public answer form (secret link, no account) and the organisers'
results page with the event's questions."""

from __future__ import annotations

from dataclasses import asdict

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
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp.accounts.models import Role
from webapp.bookings.models import Participant
from webapp.errors import one_transaction
from webapp.events.admin import event_or_404
from webapp.extensions import limiter
from webapp.feedback import services
from webapp.feedback.forms import FeedbackForm, QuestionsForm
from webapp.i18n import LANG_COOKIE
from webapp.organisations.services import role_in

bp = Blueprint("feedback", __name__)
#: The answer form, reached by secret link; every POST to it counts against the public
#: limit per client address. A blueprint limit is checked before CSRF validation, so
#: floods of forged or broken posts are counted too.
public_bp = Blueprint("feedback_public", __name__)
limiter.limit(lambda: current_app.config["PUBLIC_POST_LIMIT"], methods=["POST"])(public_bp)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(public_bp)
    app.jinja_env.globals["format_average"] = services.format_average


# --- the public form ------------------------------------------------------------------------


def _language(participant: Participant) -> str:
    """The visitor's own choice (the switch), else the language the booking was made in."""
    languages = current_app.config["LANGUAGES"]
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in languages:
        return chosen
    booking_language = participant.booking.language
    return booking_language if booking_language in languages else "sv"


def _answer_page(participant: Participant, token: str, language: str):
    form = FeedbackForm()
    first, second = services.questions(participant.booking.event_id).texts(language)
    form.answer_1.label.text, form.answer_2.label.text = first, second
    refusal = services.refusal(participant)
    status = 200
    if request.method == "POST":
        if refusal is not None:
            status = 409  # answered already, not present, or closed: nothing is stored
        elif form.validate_on_submit():
            with one_transaction(form) as attempt:
                services.submit(
                    participant.id,
                    overall=form.overall.value,
                    usefulness=form.usefulness.value,
                    answer_1=form.answer_1.data,
                    answer_2=form.answer_2.data,
                    language=language,
                )
            if attempt.ok:
                flash(_("Thank you! Your answers have been received."), "success")
                return redirect(url_for("feedback_public.answer", token=token), code=303)
            # A refusal about the whole form (a second answer sent at the same moment)
            # was flashed; the page then says what holds now.
            refusal = services.refusal(participant) if attempt.error.field is None else None
            status = 409 if refusal is not None else 422
        else:
            status = 422
    return render_template(
        "feedback/answer.html",
        event=participant.booking.event,
        participant=participant,
        form=form,
        refusal=refusal,
        answered=isinstance(refusal, services.AlreadyAnswered),
    ), status


@public_bp.route("/feedback/<token>", methods=["GET", "POST"])
def answer(token: str):
    """GET: the evaluation (or why it cannot be answered). POST: the one answer."""
    participant = services.participant_for(token)
    if participant is None:
        abort(404)
    language = _language(participant)
    with force_locale(language):
        return _answer_page(participant, token, language)


# --- organisers -----------------------------------------------------------------------------


def _results_page(event_id: int, form: QuestionsForm | None, status: int = 200):
    event = event_or_404(event_id, Role.VIEWER)
    role = role_in(current_user, event.organisation_id)
    results = services.results(current_user, event)
    if form is None:
        form = QuestionsForm(data=asdict(results.questions))
    for name in services.QUESTION_FIELDS:
        number, language = int(name[9]) - 1, name[-2:]
        default = services.DEFAULT_QUESTIONS[language][number]
        form[name].description = _("Default: %(text)s", text=default)
    return render_template(
        "feedback/results.html",
        event=event,
        results=results,
        form=form if role is not None and role.rank >= Role.ORGANISER.rank else None,
        role=role,
    ), status


@bp.get("/organisers/events/<int:event_id>/feedback")
@login_required
def results(event_id: int):
    return _results_page(event_id, None)


@bp.post("/organisers/events/<int:event_id>/feedback/questions")
@login_required
def questions(event_id: int):
    event = event_or_404(event_id, Role.ORGANISER)
    form = QuestionsForm()
    if not form.validate_on_submit():
        return _results_page(event.id, form, 422)
    with one_transaction(form) as attempt:
        services.set_questions(
            current_user, event.id, {name: form[name].data for name in services.QUESTION_FIELDS}
        )
    if not attempt.ok:
        return _results_page(event.id, form, 409)
    flash(_("The evaluation's questions have been saved."), "success")
    return redirect(url_for("feedback.results", event_id=event.id), code=303)
