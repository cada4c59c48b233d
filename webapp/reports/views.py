"""Organisers' report pages: the list of reports, a report, its XLSX workbook and CSV.

URLs name what the report covers: ``/organisers/reports/projects/7`` or
``/organisers/reports/organisations/3``, with the period in the query string
(``?first=2026-01-01&last=2026-06-30``), so a report can be bookmarked and shared with
colleagues who may read it.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user, login_required

from webapp.bookings.exports import XLSX_MIMETYPE
from webapp.db import utcnow
from webapp.i18n import local
from webapp.reports import labels, services, workbook
from webapp.reports.forms import PeriodForm

bp = Blueprint("reports", __name__, url_prefix="/organisers/reports")

_SCOPES = {"organisations": services.organisation_scope, "projects": services.project_scope}
_KINDS = "<any(organisations, projects):kind>/<int:scope_id>"


def _scope(kind: str, scope_id: int) -> services.Scope:
    """The report's scope if the user may read it: 404 when unknown, 403 otherwise."""
    try:
        return _SCOPES[kind](current_user, scope_id)
    except services.NotFound:
        abort(404)


def _period(scope: services.Scope) -> tuple[PeriodForm, services.Period | None]:
    """The chosen period, or the default one when none is chosen; None when it is wrong."""
    chosen = "first" in request.args or "last" in request.args
    form = PeriodForm(formdata=request.args if chosen else None)
    if not chosen:
        period = services.default_period(scope, local(utcnow()).date())
        form.first.data, form.last.data = period.first, period.last
        return form, period
    if not form.validate():
        return form, None
    try:
        return form, services.Period(form.first.data, form.last.data)
    except services.ReportError as error:
        form.last.errors = [*form.last.errors, str(error)]
        return form, None


@bp.get("/")
@login_required
def index():
    organisations, projects = services.available(current_user)
    return render_template("reports/index.html", organisations=organisations, projects=projects)


@bp.get(f"/{_KINDS}")
@login_required
def show(kind: str, scope_id: int):
    scope = _scope(kind, scope_id)
    form, period = _period(scope)
    if period is None:
        return render_template(
            "reports/report.html", scope=scope, form=form, report=None, kind=kind
        ), 422
    return render_template(
        "reports/report.html",
        scope=scope,
        form=form,
        kind=kind,
        report=services.report(scope, period),
        labels=labels,
        top=services.COMPANIES_ON_PAGE,
    )


def _download(body: bytes, content_type: str, name: str) -> Response:
    return Response(
        body,
        content_type=content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
        },
    )


class _WrongPeriod(Exception):
    """A download asked for a period that is not one; the message says why."""


def _period_or_400(scope: services.Scope) -> services.Period:
    form, period = _period(scope)
    if period is None:
        raise _WrongPeriod(" ".join(str(e) for field in form for e in field.errors))
    return period


@bp.errorhandler(_WrongPeriod)
def _wrong_period(error: _WrongPeriod):
    return render_template("error.html", code=400, message=str(error)), 400


def _filename(scope: services.Scope, period: services.Period, what: str, ext: str) -> str:
    return f"{what}-{scope.kind}-{scope.id}-{period.first:%Y%m%d}-{period.last:%Y%m%d}.{ext}"


@bp.get(f"/{_KINDS}/report.xlsx")
@login_required
def xlsx(kind: str, scope_id: int):
    scope = _scope(kind, scope_id)
    period = _period_or_400(scope)
    report = services.report(scope, period)
    body = workbook.to_xlsx(report, *services.participants(scope, period), generated=utcnow())
    return _download(body, XLSX_MIMETYPE, _filename(scope, period, "report", "xlsx"))


@bp.get(f"/{_KINDS}/participants.csv")
@login_required
def participants_csv(kind: str, scope_id: int):
    scope = _scope(kind, scope_id)
    period = _period_or_400(scope)
    body = workbook.participants_csv(*services.participants(scope, period))
    return _download(
        body, "text/csv; charset=utf-8", _filename(scope, period, "participants", "csv")
    )
