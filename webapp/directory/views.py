"""The directory's pages: the public list and profiles, a project's companies, the
company's own edit page (secret link, no account), and the organisers' hide and show."""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp.directory import services
from webapp.directory.forms import HideForm, ProfileForm, UnhideForm, WithdrawForm
from webapp.directory.models import INDUSTRIES, CompanyProfile
from webapp.errors import one_transaction
from webapp.extensions import limiter
from webapp.organisations.services import public_project
from webapp.regions import COUNTIES, country_choices

bp = Blueprint("directory", __name__)
admin_bp = Blueprint("directory_admin", __name__, url_prefix="/organisers/companies")


def _public_post_limit() -> str:
    return current_app.config["PUBLIC_POST_LIMIT"]


# The edit page's posts are public (a secret link, no account): one limit per address,
# checked before CSRF so floods of forged posts count too.
limiter.limit(_public_post_limit, methods=["POST"])(bp)


def init_app(app: Flask) -> None:
    """The blueprints, the booking listeners and the company page's section."""
    services.connect()
    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    app.jinja_env.globals.update(directory_for_company=directory_for_company)


# --- the public directory -----------------------------------------------------------------


def _page() -> int:
    return min(max(request.args.get("page", 1, type=int), 1), 100_000)


def _query(filters: services.DirectoryFilter, project_slug: str | None = None) -> dict[str, str]:
    query = {
        "q": filters.search,
        "industry": filters.industry or "",
        "county": filters.county or "",
        "country": filters.country or "",
        "project": project_slug or "",
    }
    return {k: v for k, v in query.items() if v}


def _render_list(template: str, filters, project=None, projects=(), **context):
    pagination = services.search(filters, _page())
    return render_template(
        template,
        pagination=pagination,
        filters=filters,
        project=project,
        projects=projects,
        industries=INDUSTRIES.items(),
        counties=COUNTIES.items(),
        countries=country_choices(),
        **context,
    )


@bp.get("/directory")
def index():
    project = services.project_by_slug(request.args.get("project"))
    filters = services.DirectoryFilter.from_args(
        request.args, project.id if project is not None else None
    )
    return _render_list(
        "directory/index.html",
        filters,
        project=project,
        projects=services.project_options(),
        query=_query(filters, project.slug if project else None),
        action=url_for("directory.index"),
    )


@bp.get("/projects/<slug>/companies")
def project(slug: str):
    found = public_project(slug)
    if found is None:
        abort(404)
    filters = services.DirectoryFilter.from_args(request.args, found.id)
    return _render_list(
        "directory/project.html",
        filters,
        project=found,
        query=_query(filters),
        action=url_for("directory.project", slug=found.slug),
    )


@bp.get("/directory/<int:profile_id>")
def detail(profile_id: int):
    profile = services.public_profile(profile_id)
    if profile is None:
        abort(404)
    return render_template("directory/detail.html", profile=profile)


# --- the company's own page (secret link) -------------------------------------------------------


def _profile_or_404(token: str) -> CompanyProfile:
    profile = services.profile_for_token(token)
    if profile is None:
        abort(404)
    return profile


def _private(response: Response) -> Response:
    # The secret is in the path: no cache keeps the page.
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _render_edit(profile: CompanyProfile, token: str, form: ProfileForm, status: int = 200):
    html = render_template(
        "directory/edit.html",
        profile=profile,
        token=token,
        form=form,
        withdraw_form=WithdrawForm(),
    )
    return _private(make_response(html, status))


@bp.route("/directory/profile/<token>", methods=["GET", "POST"])
def edit(token: str):
    profile = _profile_or_404(token)
    form = ProfileForm()
    if request.method == "GET":
        form.fill(profile)
        return _render_edit(profile, token, form)
    if form.validate_on_submit():
        publish = bool(form.publish.data)
        was_public = profile.published_at is not None
        with one_transaction(form) as attempt:
            services.save(profile, form.data_for_service(), publish=publish)
        if attempt.ok:
            if publish and not was_public:
                flash(_("Your profile is published in the directory."), "success")
            else:
                flash(_("Your changes are saved."), "success")
            return redirect(url_for("directory.edit", token=token), code=303)
    return _render_edit(profile, token, form, 422)


@bp.post("/directory/profile/<token>/withdraw")
def withdraw(token: str):
    profile = _profile_or_404(token)
    if not WithdrawForm().validate_on_submit():
        abort(400)
    with one_transaction():
        services.withdraw(profile)
    flash(_("Your profile is no longer in the directory. You can publish it again."), "success")
    return redirect(url_for("directory.edit", token=token), code=303)


# --- organisers: the company page's section, hide and show -------------------------------------


def directory_for_company(company_id: int) -> dict | None:
    """The company page's directory box (a template global), or None without a profile."""
    profile = services.profile_of_company(company_id)
    if profile is None:
        return None
    return {
        "profile": profile,
        "may_hide": services.may_hide(current_user, company_id),
        "unhide_form": UnhideForm(),
    }


def _to_company(company_id: int) -> Response:
    return redirect(url_for("company_pages.detail", company_id=company_id), code=303)


@admin_bp.route("/<int:company_id>/directory/hide", methods=["GET", "POST"])
@login_required
def hide(company_id: int):
    if not services.may_hide(current_user, company_id):
        # One answer for an unknown company and one the user may not act on.
        abort(403)
    profile = services.profile_of_company(company_id)
    if profile is None:
        abort(404)
    form = HideForm()
    if request.method == "POST" and form.validate_on_submit():
        with one_transaction(form) as attempt:
            services.hide(current_user, company_id, form.reason.data)
        if attempt.ok:
            flash(_("The profile is hidden from the directory."), "success")
            return _to_company(company_id)
    status = 422 if form.errors else 200
    return render_template("directory/hide.html", profile=profile, form=form), status


@admin_bp.post("/<int:company_id>/directory/show")
@login_required
def unhide(company_id: int):
    if not UnhideForm().validate_on_submit():
        abort(400)
    with one_transaction() as attempt:
        services.unhide(current_user, company_id)
    if attempt.ok:
        flash(
            _("The profile is shown in the directory again (while the company publishes it)."),
            "success",
        )
    return _to_company(company_id)
