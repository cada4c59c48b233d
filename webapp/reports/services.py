"""Reports for funders: who may read which report, over which period.

A report covers either one project's events (whichever organisation runs them) or one
organisation's own events, over a period of whole days in Europe/Stockholm. Who may read:

- an organisation's report: its members, any role (viewers read reports);
- a project's report: members of its lead organisation and of its partner organisations —
  partners see the whole project, not only their own events.

The access rule is checked here, before anything is read, so a view cannot forget it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from webapp import signals
from webapp.accounts.models import User
from webapp.aid import services as aid_services
from webapp.db import db
from webapp.errors import RuleViolation
from webapp.i18n import STOCKHOLM
from webapp.organisations.models import Organisation, Project
from webapp.organisations.services import (
    NotAllowed,
    partner_organisation_ids,
    partner_project_ids,
    role_in,
)
from webapp.reports import figures

#: Longest period one report covers; months are listed one by one in the SQL.
MAX_PERIOD_DAYS = 10 * 366
#: Companies listed on the report page by hours of support; the workbook has all of them.
COMPANIES_ON_PAGE = 50


class ReportError(RuleViolation):
    default = _l("The report could not be made.")


class NotFound(ReportError):
    """No such organisation or project (views answer 404)."""


@dataclass(frozen=True)
class Period:
    """Whole days, first and last included, in Europe/Stockholm."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ReportError(_l("The period ends before it starts."))
        if (self.last - self.first).days > MAX_PERIOD_DAYS:
            raise ReportError(_l("A report covers at most ten years."))

    @property
    def start(self) -> datetime:
        """The first moment of the period."""
        return datetime.combine(self.first, time(), STOCKHOLM)

    @property
    def end(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.last + timedelta(days=1), time(), STOCKHOLM)

    def months(self) -> list[tuple[str, datetime]]:
        """Each local month the period touches, as ("2026-03", first moment after it)."""
        result = []
        year, month = self.first.year, self.first.month
        while date(year, month, 1) <= self.last:
            following = date(year + month // 12, month % 12 + 1, 1)
            result.append(
                (f"{year:04d}-{month:02d}", datetime.combine(following, time(), STOCKHOLM))
            )
            year, month = following.year, following.month
        return result

    @classmethod
    def calendar_year(cls, today: date) -> Period:
        return cls(date(today.year, 1, 1), date(today.year, 12, 31))


@dataclass(frozen=True)
class Scope:
    """What a report covers: a project, or an organisation's own events."""

    organisation: Organisation
    project: Project | None = None

    @property
    def name(self) -> str:
        return self.project.name if self.project else self.organisation.name

    @property
    def kind(self) -> str:
        return "project" if self.project else "organisation"

    @property
    def id(self) -> int:
        return self.project.id if self.project else self.organisation.id


@dataclass(frozen=True)
class Report:
    scope: Scope
    period: Period
    figures: figures.Figures
    #: De minimis aid granted in the scope and period, per company, with each tally.
    aid: list[aid_services.CompanyAid] = field(default_factory=list)
    #: Summary lines higher packages add (webapp.signals.report_figures): (label, number).
    extra: tuple[tuple[str, int], ...] = ()


def _authenticated_memberships(user: User | None) -> set[int]:
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return {m.organisation_id for m in user.memberships}


def organisation_scope(user: User | None, organisation_id: int) -> Scope:
    """The organisation's report scope. Raises NotFound, or NotAllowed for non-members."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound()
    if role_in(user, organisation_id) is None:
        raise NotAllowed()
    return Scope(organisation)


def project_scope(user: User | None, project_id: int) -> Scope:
    """The project's report scope, for members of its lead and partner organisations.

    Raises NotFound, or NotAllowed for anyone else.
    """
    project = db.session.scalars(
        select(Project).where(Project.id == project_id).options(joinedload(Project.organisation))
    ).first()
    if project is None:
        raise NotFound()
    mine = _authenticated_memberships(user)
    if not mine & ({project.organisation_id} | partner_organisation_ids(project_id)):
        raise NotAllowed()
    return Scope(project.organisation, project)


def available(user: User) -> tuple[list[Organisation], list[Project]]:
    """The organisations and projects whose reports the user may read, by name."""
    mine = _authenticated_memberships(user)
    if not mine:
        return [], []
    organisations = db.session.scalars(
        select(Organisation).where(Organisation.id.in_(mine)).order_by(Organisation.name)
    ).all()
    projects = db.session.scalars(
        select(Project)
        .where(or_(Project.organisation_id.in_(mine), Project.id.in_(partner_project_ids(mine))))
        .options(joinedload(Project.organisation))
        .order_by(Project.name, Project.id)
    ).all()
    return list(organisations), list(projects)


def default_period(scope: Scope, today: date) -> Period:
    """The period a report opens with: a project's funded period (what its funder asks
    about; the current year stands in for a missing start or end), else the current
    calendar year."""
    year = Period.calendar_year(today)
    project = scope.project
    if project is None or (project.starts_on is None and project.ends_on is None):
        return year
    first, last = project.starts_on or year.first, project.ends_on or year.last
    if last < first or (last - first).days > MAX_PERIOD_DAYS:
        return year
    return Period(first, last)


def _ids(scope: Scope) -> tuple[int | None, int | None]:
    if scope.project is not None:
        return scope.project.id, None
    return None, scope.organisation.id


def report(scope: Scope, period: Period) -> Report:
    """Every figure of the report (a fixed number of aggregate queries)."""
    project_id, organisation_id = _ids(scope)
    extra = signals.report_figures.send(
        None,
        project_id=project_id,
        organisation_id=organisation_id,
        start=period.start,
        end=period.end,
    )
    return Report(
        scope,
        period,
        figures.compute(project_id, organisation_id, period.start, period.end, period.months()),
        aid_services.company_aid(
            project_id=project_id,
            organisation_id=organisation_id,
            first=period.first,
            last=period.last,
        ),
        tuple(line for _receiver, lines in extra for line in lines or ()),
    )


def participants(
    scope: Scope, period: Period
) -> tuple[list[figures.ParticipantRow], dict[int, list[datetime]]]:
    """The participant sheet of the report and each event's held session starts."""
    project_id, organisation_id = _ids(scope)
    return figures.participant_sheet(
        project_id, organisation_id, period.start, period.end, period.months()
    )
