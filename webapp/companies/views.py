"""Organisers' register pages: the company list, corrections and merges.

The company page itself, with the company's bookings, lives in webapp.bookings
(``company_pages.detail``): it needs bookings, which this package must not import.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from webapp.companies import services
from webapp.companies.forms import CorrectionForm, FindDuplicateForm, MergeForm
from webapp.companies.models import FIELD_LABELS, SizeClass
from webapp.errors import one_transaction
from webapp.formtools import parse_id
from webapp.regions import country_choices, county_choices

bp = Blueprint("companies", __name__, url_prefix="/organisers/companies")


@bp.app_template_filter("size_label")
def size_label(value: str) -> str:
    """A size class, or its value as stored in the history, in words."""
    return SizeClass(value).label if value in set(SizeClass) else str(value)


@bp.app_template_global("company_field_label")
def company_field_label(name: str) -> str:
    """The name of a master-data field, as the history and booking pages show it."""
    return str(FIELD_LABELS.get(name, name))


def _company_or_404(company_id: int, *, correct: bool = False) -> services.Company:
    try:
        return services.company_for(current_user, company_id, correct=correct)
    except services.CompanyNotFound:
        abort(404)


def _to_page(company_id: int):
    return redirect(url_for("company_pages.detail", company_id=company_id), code=303)


@bp.get("")
@login_required
def index():
    args = request.args
    filters = services.CompanyFilter.from_args(
        args.get("q"), args.get("county"), args.get("country"), args.get("size")
    )
    page = services.search(current_user, filters, parse_id(args.get("page")) or 1)
    query = {
        "q": filters.search,
        "county": filters.county or "",
        "country": filters.country or "",
        "size": filters.size_class.value if filters.size_class else "",
    }
    return render_template(
        "companies/index.html",
        page=page,
        filters=filters,
        query={k: v for k, v in query.items() if v},
        counties=county_choices(),
        countries=country_choices(),
        sizes=list(SizeClass),
    )


@bp.route("/<int:company_id>/edit", methods=["GET", "POST"])
@login_required
def edit(company_id: int):
    company = _company_or_404(company_id, correct=True)
    form = CorrectionForm()
    if request.method == "GET":
        form.fill(company)
    elif form.validate_on_submit():
        with one_transaction(form) as attempt:
            entry = services.correct(current_user, company.id, form.master_data(), form.reason.data)
        if attempt.ok:
            if entry is None:
                flash(_("Nothing was different, so nothing was changed."), "warning")
            else:
                flash(_("The correction has been saved and added to the history."), "success")
            return _to_page(company.id)
    status = 422 if form.errors else 200
    return render_template("companies/edit.html", company=company, form=form), status


@bp.route("/<int:company_id>/merge", methods=["GET", "POST"])
@login_required
def merge(company_id: int):
    company = _company_or_404(company_id, correct=True)
    if request.method == "POST":
        form = MergeForm()
        duplicate_id = parse_id(form.duplicate.data)
        if not form.validate_on_submit() or duplicate_id is None:
            abort(400)
        with one_transaction() as attempt:
            moved = services.merge(current_user, company.id, duplicate_id)
        if not attempt.ok:
            return redirect(url_for("companies.merge", company_id=company.id), code=303)
        flash(
            ngettext(
                "The records have been merged: %(num)s booking moved to this company.",
                "The records have been merged: %(num)s bookings moved to this company.",
                moved,
            ),
            "success",
        )
        return _to_page(company.id)
    find = FindDuplicateForm(request.args)
    duplicate, status = None, 200
    if "org_number" in request.args:
        if find.validate():
            try:
                duplicate = services.find_duplicate(
                    current_user, company.id, find.country.data, find.org_number.data
                )
            except services.CompanyError as error:
                find.org_number.errors = [*find.org_number.errors, str(error)]
        status = 200 if duplicate else 422
    confirm = MergeForm(duplicate=str(duplicate.id)) if duplicate else None
    return render_template(
        "companies/merge.html",
        company=company,
        find=find,
        duplicate=duplicate,
        confirm=confirm,
    ), status
