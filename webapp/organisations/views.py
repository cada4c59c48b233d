"""Organisers' pages for an organisation: settings, privacy notice, projects and partners.

Thin views: parse the form, call a service (which checks the role), commit or show the
refusal on its field (:func:`webapp.errors.one_transaction`).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp.db import db
from webapp.errors import one_transaction
from webapp.formtools import AppForm
from webapp.organisations import audit, services
from webapp.organisations.forms import (
    OrganisationForm,
    PartnerInviteForm,
    PrivacyNoticeForm,
    ProjectForm,
)
from webapp.organisations.models import Organisation, PartnerInvitation, Project, Role

bp = Blueprint("organisations", __name__, url_prefix="/organisers")


def _organisation(organisation_id: int, role: Role) -> Organisation:
    organisation = db.get_or_404(Organisation, organisation_id)
    services.require_role(current_user, organisation.id, role)
    return organisation


def _confirmed() -> None:
    if not AppForm().validate_on_submit():
        abort(400)


# --- settings and privacy notice ---------------------------------------------------------


def _render_settings(
    organisation: Organisation,
    form: OrganisationForm,
    notice_form: PrivacyNoticeForm,
    status: int = 200,
):
    return render_template(
        "organisers/organisations/settings.html",
        organisation=organisation,
        form=form,
        notice_form=notice_form,
        versions=services.notice_versions(current_user, organisation.id),
    ), status


def _notice_form(organisation: Organisation) -> PrivacyNoticeForm:
    form = PrivacyNoticeForm(formdata=None)
    notice = services.current_notice(organisation.id)
    if notice is not None:
        form.text_sv.data, form.text_en.data = notice.text_sv, notice.text_en
    return form


@bp.route("/organisations/<int:organisation_id>/settings", methods=["GET", "POST"])
@login_required
def settings(organisation_id: int):
    organisation = _organisation(organisation_id, Role.ADMIN)
    form = OrganisationForm()
    if not form.is_submitted():
        form.fill_from(organisation)
    elif form.validate():
        with one_transaction(form) as attempt:
            services.update_organisation(current_user, organisation.id, form.to_data())
        if attempt.ok:
            flash(_("The settings have been saved."), "success")
            return redirect(url_for(".settings", organisation_id=organisation.id), code=303)
        db.session.refresh(organisation)
    status = 422 if form.errors else 200
    return _render_settings(organisation, form, _notice_form(organisation), status)


@bp.post("/organisations/<int:organisation_id>/privacy-notice")
@login_required
def privacy_notice(organisation_id: int):
    organisation = _organisation(organisation_id, Role.ADMIN)
    form = PrivacyNoticeForm()
    if form.validate_on_submit():
        before = services.current_notice(organisation.id)
        with one_transaction(form) as attempt:
            notice = services.update_privacy_notice(
                current_user, organisation.id, form.text_sv.data, form.text_en.data
            )
        if attempt.ok:
            if before is not None and notice.id == before.id:
                flash(
                    _("The text is unchanged; it is still version %(num)s.", num=notice.version),
                    "info",
                )
            else:
                flash(
                    _(
                        "Version %(num)s of the privacy notice is in use from now on.",
                        num=notice.version,
                    ),
                    "success",
                )
            return redirect(url_for(".settings", organisation_id=organisation.id), code=303)
    settings_form = OrganisationForm(formdata=None)
    settings_form.fill_from(organisation)
    return _render_settings(organisation, settings_form, form, 422)


@bp.get("/privacy-notices/<int:notice_id>")
@login_required
def notice(notice_id: int):
    found = services.notice_for(current_user, notice_id)
    return render_template("organisers/organisations/notice.html", notice=found)


@bp.get("/organisations/<int:organisation_id>/log")
@login_required
def log(organisation_id: int):
    organisation = _organisation(organisation_id, Role.ADMIN)
    return render_template(
        "organisers/organisations/log.html",
        organisation=organisation,
        entries=audit.entries_for_organisation(organisation.id),
    )


# --- projects ----------------------------------------------------------------------------


@bp.get("/organisations/<int:organisation_id>/projects")
@login_required
def projects(organisation_id: int):
    organisation = _organisation(organisation_id, Role.VIEWER)
    led, partnered = services.projects_of(organisation.id)
    return render_template(
        "organisers/organisations/projects.html",
        organisation=organisation,
        led=led,
        partnered=partnered,
        invitations=services.invitations_for(organisation.id),
        is_admin=services.has_role(current_user, organisation.id, Role.ADMIN),
        confirm_form=AppForm(),
    )


@bp.route("/organisations/<int:organisation_id>/projects/new", methods=["GET", "POST"])
@login_required
def new_project(organisation_id: int):
    organisation = _organisation(organisation_id, Role.ADMIN)
    form = ProjectForm()
    if form.validate_on_submit():
        with one_transaction(form) as attempt:
            project = services.create_project(current_user, organisation.id, form.to_data())
        if attempt.ok:
            flash(_("The project has been created."), "success")
            return redirect(url_for(".project", project_id=project.id), code=303)
    status = 422 if form.errors else 200
    return render_template(
        "organisers/organisations/project_form.html",
        form=form,
        organisation=organisation,
        project=None,
    ), status


def _render_project(project: Project, invite_form: PartnerInviteForm, status: int = 200):
    return render_template(
        "organisers/organisations/project.html",
        project=project,
        invitations=services.invitations_of_project(project.id),
        invite_form=invite_form,
        confirm_form=AppForm(),
        is_lead_admin=services.has_role(current_user, project.organisation_id, Role.ADMIN),
        partner_ids={o.id for o in project.partners},
    ), status


@bp.get("/projects/<int:project_id>")
@login_required
def project(project_id: int):
    db.get_or_404(Project, project_id)
    return _render_project(
        services.project_for_member(current_user, project_id), PartnerInviteForm(formdata=None)
    )


@bp.route("/projects/<int:project_id>/edit", methods=["GET", "POST"])
@login_required
def edit_project(project_id: int):
    project = db.get_or_404(Project, project_id)
    services.require_role(current_user, project.organisation_id, Role.ADMIN)
    form = ProjectForm()
    if not form.is_submitted():
        form.fill_from(project)
    elif form.validate():
        with one_transaction(form) as attempt:
            services.update_project(current_user, project.id, form.to_data())
        if attempt.ok:
            flash(_("The project has been saved."), "success")
            return redirect(url_for(".project", project_id=project.id), code=303)
        project = db.session.get(Project, project_id)
    status = 422 if form.errors else 200
    return render_template(
        "organisers/organisations/project_form.html",
        form=form,
        organisation=project.organisation,
        project=project,
    ), status


# --- partners ----------------------------------------------------------------------------


@bp.post("/projects/<int:project_id>/partners")
@login_required
def invite_partner(project_id: int):
    project = db.get_or_404(Project, project_id)
    services.require_role(current_user, project.organisation_id, Role.ADMIN)
    form = PartnerInviteForm()
    if form.validate_on_submit():
        with one_transaction(form, field="organisation") as attempt:
            invitation = services.invite_partner(current_user, project.id, form.organisation.data)
        if attempt.ok:
            flash(
                _(
                    "%(name)s has been invited. Its administrators accept or decline on "
                    "their projects page.",
                    name=invitation.organisation.name,
                ),
                "success",
            )
            return redirect(url_for(".project", project_id=project.id), code=303)
    return _render_project(db.session.get(Project, project_id), form, 422)


@bp.post("/projects/<int:project_id>/partners/<int:organisation_id>/remove")
@login_required
def remove_partner(project_id: int, organisation_id: int):
    project = db.get_or_404(Project, project_id)
    services.require_role(current_user, project.organisation_id, Role.ADMIN)
    _confirmed()
    with one_transaction() as attempt:
        services.remove_partner(current_user, project.id, organisation_id)
    if attempt.ok:
        flash(
            _("The partner has been removed. Its events stay in the project until you move them."),
            "success",
        )
    return redirect(url_for(".project", project_id=project_id), code=303)


def _answer(invitation_id: int, accept: bool):
    invitation = db.get_or_404(PartnerInvitation, invitation_id)
    services.require_role(current_user, invitation.organisation_id, Role.ADMIN)
    _confirmed()
    organisation_id = invitation.organisation_id
    with one_transaction() as attempt:
        services.answer_invitation(current_user, invitation_id, accept=accept)
    if attempt.ok:
        flash(
            _("You are a partner in the project now.")
            if accept
            else _("The invitation has been declined."),
            "success",
        )
    return redirect(url_for(".projects", organisation_id=organisation_id), code=303)


@bp.post("/partner-invitations/<int:invitation_id>/accept")
@login_required
def accept_invitation(invitation_id: int):
    return _answer(invitation_id, True)


@bp.post("/partner-invitations/<int:invitation_id>/decline")
@login_required
def decline_invitation(invitation_id: int):
    return _answer(invitation_id, False)


@bp.post("/partner-invitations/<int:invitation_id>/withdraw")
@login_required
def withdraw_invitation(invitation_id: int):
    invitation = db.get_or_404(PartnerInvitation, invitation_id)
    services.require_role(current_user, invitation.project.organisation_id, Role.ADMIN)
    _confirmed()
    project_id = invitation.project_id
    with one_transaction() as attempt:
        services.withdraw_invitation(current_user, invitation_id)
    if attempt.ok:
        flash(_("The invitation has been withdrawn."), "success")
    return redirect(url_for(".project", project_id=project_id), code=303)
