"""Registration questions: the organisers' page per event, and the hooks that ask the
questions in the registration form, show the answers and put them in the attendee list.

webapp.bookings does not import this package: the registration form gets its section
through ``signals.registration_sections``, the manage page its per-participant questions
through ``signals.participant_sections``, the attendee list and its exports their columns
and filters through ``signals.attendee_list_extras``, and booking pages read the answers
with the template helper ``booking_answers``.
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp import signals
from webapp.accounts.models import Role
from webapp.bookings.forms import ConfirmForm
from webapp.confirming import ORGANISER_LAYOUT, ask
from webapp.db import db
from webapp.errors import one_transaction
from webapp.events.admin import event_or_404
from webapp.i18n import current_language
from webapp.organisations.services import require_role, role_in
from webapp.questions import answers, forms, services
from webapp.questions.models import Question

bp = Blueprint("questions", __name__, url_prefix="/organisers")


def init_app(app: Flask) -> None:
    """The blueprint, the form sections, the attendee-list columns, the template helper."""
    app.register_blueprint(bp)
    signals.registration_sections.connect(forms.registration_section, weak=False)
    signals.participant_sections.connect(forms.participant_section, weak=False)
    signals.attendee_list_extras.connect(answers.attendee_list_extra, weak=False)
    signals.event_created.connect(services.on_event_created, weak=False)
    app.jinja_env.globals.update(booking_answers=answers.booking_answers)


def _question_or_404(question_id: int) -> Question:
    question = db.session.get(Question, question_id)
    if question is None:
        abort(404)
    require_role(current_user, question.event.organisation_id, Role.ORGANISER)
    return question


def _render_list(event, form, status: int = 200):
    return render_template(
        "questions/index.html",
        event=event,
        questions=services.questions_for(event.id),
        answer_counts=services.answer_counts(event.id),
        form=form,
        button_form=ConfirmForm(),
        role=role_in(current_user, event.organisation_id),
    ), status


def _back(event_id: int):
    return redirect(url_for("questions.index", event_id=event_id), code=303)


@bp.route("/events/<int:event_id>/questions", methods=["GET", "POST"])
@login_required
def index(event_id: int):
    """The event's questions, and the form that adds one."""
    event = event_or_404(event_id, Role.ORGANISER)
    form = forms.QuestionForm()
    if request.method == "GET":
        return _render_list(event, form)
    if not form.validate_on_submit():
        return _render_list(event, form, 422)
    with one_transaction(form) as attempt:
        services.add_question(current_user, event.id, form.to_data())
    if not attempt.ok:
        return _render_list(event, form, 409)
    flash(_("The question has been added."), "success")
    return _back(event.id)


@bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"])
@login_required
def edit(question_id: int):
    question = _question_or_404(question_id)
    event = question.event
    form = forms.QuestionForm()
    status = 200
    if request.method == "GET":
        form.fill(question)
    elif form.validate_on_submit():
        with one_transaction(form) as attempt:
            services.update_question(current_user, question.id, form.to_data())
        if attempt.ok:
            flash(_("The question has been saved."), "success")
            return _back(event.id)
        status = 409
    else:
        status = 422
    return render_template(
        "questions/edit.html",
        event=event,
        question=question,
        form=form,
        answered=services.answer_counts(event.id).get(question.id, 0),
        role=role_in(current_user, event.organisation_id),
    ), status


def _checked_question(question_id: int) -> Question:
    question = _question_or_404(question_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return question


@bp.post("/questions/<int:question_id>/move")
@login_required
def move(question_id: int):
    question = _checked_question(question_id)
    event_id = question.event_id
    with one_transaction():
        services.move_question(current_user, question.id, up=request.form.get("to") == "up")
    return _back(event_id)


@bp.post("/questions/<int:question_id>/hide")
@login_required
def hide(question_id: int):
    question = _checked_question(question_id)
    event_id, hidden = question.event_id, request.form.get("hidden") != "0"
    with one_transaction() as attempt:
        services.set_hidden(current_user, question.id, hidden)
    if attempt.ok:
        flash(
            _("The question is no longer asked; its answers are kept.")
            if hidden
            else _("The question is asked again."),
            "success",
        )
    return _back(event_id)


@bp.post("/questions/<int:question_id>/delete")
@login_required
def delete(question_id: int):
    question = _checked_question(question_id)
    event_id = question.event_id
    page = ask(
        _("Delete the question “%(text)s”?", text=question.text(current_language())),
        [_("It is no longer asked, and it cannot be brought back.")],
        _("Yes, delete the question"),
        url_for("questions.index", event_id=event_id),
        layout=ORGANISER_LAYOUT,
    )
    if page is not None:
        return page
    with one_transaction() as attempt:
        services.delete_question(current_user, question.id)
    if attempt.ok:
        flash(_("The question has been deleted."), "success")
    return _back(event_id)
