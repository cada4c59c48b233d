"""Reading organisations, projects and partnerships for the packages above this one.

Services flush, never commit; the caller commits once. Refusals are
:class:`OrganisationError` (a :class:`webapp.errors.RuleViolation`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select

from webapp.db import db
from webapp.errors import RuleViolation
from webapp.organisations.models import Organisation, Project, Role, project_partners

if TYPE_CHECKING:
    from webapp.accounts.models import User


class NotAllowed(Exception):
    """The user lacks the role the action needs (views answer 403)."""


class OrganisationError(RuleViolation):
    default = _l("The organisation could not be changed.")


# --- roles -------------------------------------------------------------------------------


def role_in(user: User | None, organisation_id: int) -> Role | None:
    """The user's role in the organisation, or None (anonymous users have none)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    for membership in user.memberships:
        if membership.organisation_id == organisation_id:
            return membership.role
    return None


def has_role(user: User | None, organisation_id: int, role: str) -> bool:
    held = role_in(user, organisation_id)
    return held is not None and held.rank >= Role(role).rank


def require_role(user: User | None, organisation_id: int, role: str) -> None:
    """Raise NotAllowed unless the user holds ``role`` (or a higher one) in the organisation."""
    if not has_role(user, organisation_id, role):
        raise NotAllowed()


# --- partnerships -------------------------------------------------------------------------


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
