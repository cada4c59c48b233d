"""The register export: every aid record of an organisation or a project in a period, as
XLSX for reporting to the central register of de minimis aid.

Amounts and the rate are numeric cells (not text), so the register's import and any sum in
a spreadsheet work on them; dates are ISO text, as everywhere else in Träffpunkt.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from webapp import xlsx
from webapp.accounts.models import Role, User
from webapp.aid.models import AidGrant
from webapp.db import db
from webapp.organisations.models import Organisation, Project
from webapp.organisations.services import NotAllowed, require_role


def grants_in_period(
    user: User,
    start: date,
    end: date,
    *,
    organisation_id: int | None = None,
    project_id: int | None = None,
) -> list[AidGrant]:
    """Aid records granted from ``start`` to ``end`` (inclusive) by an organisation, or for
    a project; needs viewer in the organisation (the project's lead). Raises NotAllowed."""
    stmt = select(AidGrant)
    if project_id is not None:
        project = db.session.get(Project, project_id)
        if project is None:
            raise NotAllowed()
        require_role(user, project.organisation_id, Role.VIEWER)
        stmt = stmt.where(AidGrant.project_id == project_id)
    else:
        if organisation_id is None or db.session.get(Organisation, organisation_id) is None:
            raise NotAllowed()
        require_role(user, organisation_id, Role.VIEWER)
        stmt = stmt.where(AidGrant.organisation_id == organisation_id)
    return list(
        db.session.scalars(
            stmt.where(AidGrant.granted_on >= start, AidGrant.granted_on <= end)
            .options(joinedload(AidGrant.company), joinedload(AidGrant.event))
            .order_by(AidGrant.granted_on, AidGrant.id)
        )
    )


def headers() -> list[str]:
    return [
        _("Company"),
        _("Organisation number"),
        _("Event"),
        _("Date granted"),
        _("Amount (SEK)"),
        _("Amount (EUR)"),
        _("SEK per EUR"),
        _("Status"),
    ]


def rows(grants: list[AidGrant]) -> Iterator[list[xlsx.Cell]]:
    for grant in grants:
        yield [
            grant.company.name,
            grant.company.org_number,
            grant.event.title,
            grant.granted_on.isoformat(),
            grant.amount_sek,
            grant.amount_eur,
            grant.sek_per_eur,
            grant.status.label,
        ]


def to_xlsx(grants: list[AidGrant], title: str) -> bytes:
    """One sheet: a bold, frozen header row, then one row per aid record."""
    workbook = xlsx.Workbook(title)
    workbook.add_sheet(
        _("De minimis aid"), headers(), rows(grants), (30, 16, 34, 13, 14, 14, 12, 12)
    )
    return workbook.close()
