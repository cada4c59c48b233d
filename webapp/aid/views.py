"""De minimis pages: certificates (manage link and organisers), aid settings, the booking's
tally with approval over the ceiling, corrections, and the register export."""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp import signals, xlsx
from webapp.accounts.models import Role
from webapp.aid import certificate, exports, forms, services
from webapp.aid.models import AidGrant, AidGrantor
from webapp.bookings import services as booking_services
from webapp.bookings.models import Booking
from webapp.bookings.organising import booking_for
from webapp.db import db, utcnow
from webapp.errors import one_transaction
from webapp.events.admin import event_or_404
from webapp.i18n import local
from webapp.organisations.models import Organisation, Project
from webapp.organisations.services import NotAllowed, has_role, require_role, role_in

bp = Blueprint("aid", __name__)


def init_app(app: Flask) -> None:
    """The blueprint, the booking listeners, the registration section, template helpers."""
    app.register_blueprint(bp)
    services.connect()
    signals.registration_sections.connect(forms.registration_section, weak=False)
    app.jinja_env.globals.update(
        aid_tallies_for=tallies_for_event,
        aid_tallies_for_companies=tallies_for_companies,
        aid_for_booking=aid_for_booking,
        aid_for_company=aid_for_company,
        aid_grant_for=granted_aid,
        format_eur=services.format_eur,
    )


# --- template helpers for pages of lower packages (selection, booking, company) ------------


def tallies_for_event(event, bookings) -> dict[int, services.Tally]:
    """Each booked company's tally today when the event is aid (else nothing): one call per
    page, a fixed number of queries."""
    if services.scheme_for(event) is None:
        return {}
    return services.tallies({b.company_id for b in bookings}, local(utcnow()).date())


def tallies_for_companies(companies) -> dict[int, services.Tally]:
    """The register list's tallies today, for the companies of one page (two queries)."""
    return services.tallies({c.id for c in companies}, local(utcnow()).date())


def aid_for_booking(booking: Booking) -> dict | None:
    """The booking page's aid box: tally, this booking's grant, the value if approved."""
    scheme = services.scheme_for(booking.event)
    grant = services.grant_for_booking(booking.id)
    if scheme is None and grant is None:
        return None
    today = local(utcnow()).date()
    return {
        "tally": services.tally(booking.company_id, today),
        "grant": grant,
        "prospective": services.prospective_eur(booking, today) if scheme else None,
        "excess": services.excess(booking, today) if scheme else 0,
        "form": forms.OverCeilingForm(),
    }


def granted_aid(booking: Booking) -> AidGrant | None:
    grant = services.grant_for_booking(booking.id)
    return grant if grant is not None and grant.status.value == "granted" else None


def aid_for_company(company) -> dict:
    """The company page's aid section: tally, grants (those the user may see), declarations."""
    grants = [
        g
        for g in services.grants_for_company(company.id)
        if has_role(current_user, g.organisation_id, Role.VIEWER)
    ]
    return {
        "tally": services.tally(company.id),
        "grants": grants,
        "declarations": services.declarations(company.id),
    }


# --- certificates ----------------------------------------------------------------------------


def _granted(grant: AidGrant | None) -> AidGrant:
    if grant is None or grant.status.value != "granted":
        abort(404)
    return grant


def _pdf_response(grant: AidGrant) -> Response:
    cert = certificate.build(grant)
    return Response(
        certificate.pdf(grant),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{cert.filename}"'},
    )


def _booking_grant(token: str) -> AidGrant:
    booking = booking_services.booking_for_token(token)
    if booking is None:
        abort(404)
    return _granted(services.grant_for_booking(booking.id))


@bp.get("/bookings/<token>/aid/certificate")
def certificate_page(token: str):
    grant = _booking_grant(token)
    return render_template(
        "aid/certificate.html",
        certificate=certificate.build(grant),
        pdf_url=url_for("aid.certificate_pdf", token=token),
    )


@bp.get("/bookings/<token>/aid/certificate.pdf")
def certificate_pdf(token: str):
    return _pdf_response(_booking_grant(token))


@bp.get("/organisers/aid/grants/<int:grant_id>")
@login_required
def grant(grant_id: int):
    return _render_grant(services.grant_for(current_user, grant_id), forms.CorrectionForm())


def _render_grant(grant: AidGrant, form: forms.CorrectionForm, status: int = 200):
    return render_template(
        "aid/grant.html",
        grant=grant,
        certificate=certificate.build(grant) if grant.status.value == "granted" else None,
        pdf_url=url_for("aid.grant_pdf", grant_id=grant.id),
        form=form if has_role(current_user, grant.organisation_id, Role.ORGANISER) else None,
    ), status


@bp.get("/organisers/aid/grants/<int:grant_id>.pdf")
@login_required
def grant_pdf(grant_id: int):
    return _pdf_response(_granted(services.grant_for(current_user, grant_id)))


@bp.post("/organisers/aid/grants/<int:grant_id>/correct")
@login_required
def correct(grant_id: int):
    grant = services.grant_for(current_user, grant_id, Role.ORGANISER)
    form = forms.CorrectionForm()
    if not form.validate_on_submit():
        return _render_grant(grant, form, 422)
    with one_transaction(form) as attempt:
        services.correct(current_user, grant_id, form.amount_sek.decimal, form.reason.data)
    if not attempt.ok:
        return _render_grant(grant, form, 409)
    flash(
        _("The aid record has been corrected; the company gets a corrected certificate."), "success"
    )
    return redirect(url_for("aid.grant", grant_id=grant_id), code=303)


# --- approval over the ceiling ---------------------------------------------------------------


@bp.post("/organisers/bookings/<int:booking_id>/aid/approve")
@login_required
def approve_over_ceiling(booking_id: int):
    booking = booking_for(current_user, booking_id)
    form = forms.OverCeilingForm()
    if form.validate_on_submit():
        with one_transaction() as attempt:
            services.approve_over_ceiling(current_user, booking.id, form.reason.data)
        if attempt.ok:
            flash(_("The booking is approved over the ceiling; the reason is logged."), "success")
    else:
        for message in form.reason.errors:
            flash(message, "error")
    return redirect(url_for("booking_admin.booking", booking_id=booking_id), code=303)


# --- settings ------------------------------------------------------------------------------


@bp.route("/organisers/events/<int:event_id>/aid", methods=["GET", "POST"])
@login_required
def event_settings(event_id: int):
    event = event_or_404(event_id, Role.ORGANISER)
    own = services.own_scheme(event_id=event.id)
    form = forms.EventAidForm(
        data={"basis": own.basis.value, "amount_sek": f"{own.amount_sek}"} if own else None
    )
    status = 200
    if form.validate_on_submit():
        with one_transaction(form) as attempt:
            services.set_event_scheme(
                current_user, event.id, form.chosen_basis(), form.amount_sek.decimal
            )
        if attempt.ok:
            flash(_("The aid settings have been saved."), "success")
            return redirect(url_for("aid.event_settings", event_id=event.id), code=303)
        status = 409
    elif request.method == "POST":
        status = 422
    return render_template(
        "aid/event_settings.html",
        event=event,
        form=form,
        applies=services.scheme_for(event),
        role=role_in(current_user, event.organisation_id),
        # Only the lead organisation's organisers may open the project's settings.
        project_settings_open=event.project is not None
        and has_role(current_user, event.project.organisation_id, Role.ORGANISER),
    ), status


def _project_or_404(project_id: int, role: Role) -> Project:
    project = db.session.get(Project, project_id)
    if project is None:
        abort(404)
    require_role(current_user, project.organisation_id, role)
    return project


def _render_project(project: Project, form, rate_form, status: int = 200):
    return render_template(
        "aid/project_settings.html",
        project=project,
        form=form,
        rate_form=rate_form,
        rates=services.rates(project.id),
        export_form=forms.ExportForm(),
    ), status


def _project_form(project: Project) -> forms.ProjectAidForm:
    own = services.own_scheme(project_id=project.id)
    grantor = db.session.get(AidGrantor, project.organisation_id)
    data = {"grantor_org_number": grantor.org_number if grantor else ""}
    if own:
        data |= {"basis": own.basis.value, "amount_sek": f"{own.amount_sek}"}
    return forms.ProjectAidForm(data=data)


@bp.route("/organisers/projects/<int:project_id>/aid", methods=["GET", "POST"])
@login_required
def project_settings(project_id: int):
    project = _project_or_404(project_id, Role.ORGANISER)
    form = _project_form(project) if request.method == "GET" else forms.ProjectAidForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _render_project(project, form, forms.RateForm(formdata=None), 422)
        with one_transaction(form) as attempt:
            services.set_project_scheme(
                current_user, project.id, form.chosen_basis(), form.amount_sek.decimal
            )
            services.set_grantor(
                current_user, project.organisation_id, form.grantor_org_number.data
            )
        if not attempt.ok:
            return _render_project(project, form, forms.RateForm(formdata=None), 409)
        flash(_("The aid settings have been saved."), "success")
        return redirect(url_for("aid.project_settings", project_id=project.id), code=303)
    return _render_project(project, form, forms.RateForm(formdata=None))


@bp.post("/organisers/projects/<int:project_id>/aid/rates")
@login_required
def set_rate(project_id: int):
    project = _project_or_404(project_id, Role.ORGANISER)
    rate_form = forms.RateForm()
    if not rate_form.validate_on_submit():
        return _render_project(project, _project_form(project), rate_form, 422)
    with one_transaction(rate_form) as attempt:
        services.set_rate(
            current_user, project.id, rate_form.valid_from.data, rate_form.sek_per_eur.decimal
        )
    if not attempt.ok:
        return _render_project(project, _project_form(project), rate_form, 409)
    flash(_("The rate has been saved."), "success")
    return redirect(url_for("aid.project_settings", project_id=project.id), code=303)


# --- the register export ---------------------------------------------------------------------


def _period() -> tuple[forms.ExportForm, tuple[date, date] | None]:
    form = forms.ExportForm(request.args)
    return form, (form.period() if request.args and form.validate() else None)


def _register(title: str, owner: dict[str, int], endpoint: str):
    form, period = _period()
    try:
        grants = exports.grants_in_period(current_user, *period, **owner) if period else None
    except NotAllowed:
        abort(403)
    if period and request.path.endswith(".xlsx"):
        body = exports.to_xlsx(grants, title)
        name = f"de-minimis-{period[0].isoformat()}-{period[1].isoformat()}.xlsx"
        return Response(
            body,
            mimetype=xlsx.MIMETYPE,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    tallies = services.tallies({g.company_id for g in grants or []}, period[1]) if period else {}
    return render_template(
        "aid/register.html",
        title=title,
        form=form,
        grants=grants,
        tallies=tallies,
        period=period,
        xlsx_url=url_for(endpoint + "_xlsx", **owner, **request.args) if period else None,
    ), (422 if request.args and not period else 200)


@bp.get("/organisers/organisations/<int:organisation_id>/aid")
@bp.get(
    "/organisers/organisations/<int:organisation_id>/aid.xlsx",
    endpoint="organisation_register_xlsx",
)
@login_required
def organisation_register(organisation_id: int):
    organisation = db.session.get(Organisation, organisation_id) or abort(404)
    require_role(current_user, organisation.id, Role.VIEWER)
    return _register(
        _("De minimis aid granted by %(name)s", name=organisation.name),
        {"organisation_id": organisation.id},
        "aid.organisation_register",
    )


@bp.get("/organisers/projects/<int:project_id>/aid/register")
@bp.get("/organisers/projects/<int:project_id>/aid/register.xlsx", endpoint="project_register_xlsx")
@login_required
def project_register(project_id: int):
    project = _project_or_404(project_id, Role.VIEWER)
    return _register(
        _("De minimis aid in %(name)s", name=project.name),
        {"project_id": project.id},
        "aid.project_register",
    )
