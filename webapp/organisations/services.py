"""Reading organisations, projects and partnerships for the packages above this one.

Services flush, never commit; the caller commits once. Refusals are
:class:`OrganisationError` (a :class:`webapp.errors.RuleViolation`).
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select

from webapp.db import db
from webapp.errors import RuleViolation
from webapp.organisations.models import Organisation, Project, project_partners


class OrganisationError(RuleViolation):
    default = _l("The organisation could not be changed.")


def partner_project_ids(organisation_ids: Iterable[int]) -> Select[tuple[int]]:
    """A subquery: the projects in which any of the organisations is a partner."""
    return select(project_partners.c.project_id).where(
        project_partners.c.organisation_id.in_(list(organisation_ids))
    )


def partner_organisation_ids(project_id: int | None) -> set[int]:
    """The partner organisations of a project (empty for None)."""
    if project_id is None:
        return set()
    rows = db.session.scalars(
        select(project_partners.c.organisation_id).where(
            project_partners.c.project_id == project_id
        )
    )
    return set(rows)


def project_choices(organisation_id: int) -> list[Project]:
    """Projects an organisation's events may belong to: those it leads or is a partner in."""
    return list(
        db.session.scalars(
            select(Project)
            .where(
                or_(
                    Project.organisation_id == organisation_id,
                    Project.id.in_(partner_project_ids([organisation_id])),
                )
            )
            .order_by(Project.name)
        )
    )


def organisation_by_slug(slug: str) -> Organisation | None:
    return db.session.scalars(select(Organisation).where(Organisation.slug == slug)).first()
