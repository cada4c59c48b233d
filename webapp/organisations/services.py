"""Organisations, their settings and privacy notices, projects and partnerships; roles.

Every change checks the acting user's role first (:func:`require_role`; site administrators
through :func:`require_site_admin`) and writes an audit entry in the same transaction.
Services flush, never commit; the caller commits once. Refusals are
:class:`OrganisationError` (a :class:`webapp.errors.RuleViolation`) naming the form field
they concern, so a view shows them next to it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, delete, func, or_, select
from sqlalchemy.orm import selectinload

from webapp.db import begin_write, db, lock_row, utcnow
from webapp.errors import RuleViolation
from webapp.organisations import audit
from webapp.organisations.models import (
    Organisation,
    OrganisationSlug,
    PartnerInvitation,
    PartnerInvitationStatus,
    PrivacyNotice,
    Project,
    ProjectStatus,
    Role,
    project_partners,
)

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


def project_choices(organisation_id: int, keep: int | None = None) -> list[Project]:
    """Active projects an organisation's events may join: those it leads or is a partner in.

    ``keep`` is the project an event already belongs to: offered even when it has closed,
    so editing an old event does not take it out of its project.
    """
    return list(
        db.session.scalars(
            select(Project)
            .where(
                or_(
                    Project.organisation_id == organisation_id,
                    Project.id.in_(partner_project_ids([organisation_id])),
                ),
                or_(Project.status == ProjectStatus.ACTIVE, Project.id == keep),
            )
            .order_by(Project.name)
        )
    )


# --- organisations -----------------------------------------------------------------------

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

DEFAULT_NOTICE_SV = (
    "Vi behandlar uppgifterna i anmälan (namn, e-post, företag och deltagare) för att "
    "administrera evenemanget, skicka bekräftelser och påminnelser och rapportera deltagande "
    "till projektets finansiärer. Uppgifter om kost och tillgänglighet raderas efter "
    "evenemanget. Du kan när som helst be om utdrag eller radering."
)
DEFAULT_NOTICE_EN = (
    "We process the details in the registration (names, email addresses, company and "
    "participants) to run the event, send confirmations and reminders and report "
    "participation to the project's funders. Dietary and accessibility needs are erased "
    "after the event. You may ask for a copy or for erasure at any time."
)


@dataclass(frozen=True)
class OrganisationData:
    """An organisation's settings as an admin edits them (already stripped; None = empty)."""

    name: str
    slug: str
    country: str = "SE"
    county: str | None = None
    website: str | None = None
    contact_email: str | None = None
    reply_to: str | None = None
    sender_name: str | None = None
    description: str = ""
    #: Days after an event before needs and messages are erased (webapp.privacy).
    needs_retention_days: int = 30


def check_slug(slug: str) -> str:
    """The slug if it is one (lower-case ASCII letters, digits, single hyphens), else refuse."""
    if not _SLUG.fullmatch(slug or "") or len(slug) > 80:
        raise OrganisationError(
            _l("Use lower-case letters a–z, digits and hyphens only, e.g. teknikparken-vast."),
            field="slug",
        )
    return slug


def _slug_taken(slug: str, organisation_id: int | None) -> bool:
    owner = db.session.scalar(select(Organisation.id).where(Organisation.slug == slug))
    if owner is None:
        owner = db.session.scalar(
            select(OrganisationSlug.organisation_id).where(OrganisationSlug.slug == slug)
        )
    return owner is not None and owner != organisation_id


def organisation_by_slug(slug: str) -> tuple[Organisation | None, bool]:
    """The organisation a slug names, and whether it was an earlier slug of it (redirect)."""
    organisation = db.session.scalars(select(Organisation).where(Organisation.slug == slug)).first()
    if organisation is not None:
        return organisation, False
    old = db.session.get(OrganisationSlug, slug)
    return (old and db.session.get(Organisation, old.organisation_id)), old is not None


def renamed_slug(slug: str | None) -> str | None:
    """The current slug of the organisation ``slug`` used to name, or None (not renamed)."""
    if not slug:
        return None
    organisation, renamed = organisation_by_slug(slug)
    return organisation.slug if renamed and organisation is not None else None


def require_site_admin(user: User | None) -> None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_site_admin:
        raise NotAllowed()


def create_organisation(acting: User | None, data: OrganisationData) -> Organisation:
    """A new organisation with version 1 of the default privacy notice.

    Needs a site administrator; ``acting`` is None only for ``flask setup``.
    """
    if acting is not None:
        require_site_admin(acting)
    begin_write()
    check_slug(data.slug)
    if _slug_taken(data.slug, None):
        raise OrganisationError(_l("That address is taken; choose another."), field="slug")
    organisation = Organisation(**asdict(data))
    db.session.add(organisation)
    db.session.flush()
    db.session.add(
        PrivacyNotice(
            organisation_id=organisation.id,
            version=1,
            text_sv=DEFAULT_NOTICE_SV,
            text_en=DEFAULT_NOTICE_EN,
        )
    )
    audit.record(
        acting,
        "organisation.created",
        organisation_id=organisation.id,
        name=organisation.name,
        slug=organisation.slug,
    )
    db.session.flush()
    return organisation


def update_organisation(acting: User, organisation_id: int, data: OrganisationData) -> Organisation:
    """Change an organisation's settings. Needs admin.

    A new slug keeps the old one as an alias, so feed URLs already subscribed to and
    links already shared keep working (by redirect).
    """
    require_role(acting, organisation_id, Role.ADMIN)
    organisation = lock_row(Organisation, organisation_id)
    check_slug(data.slug)
    if _slug_taken(data.slug, organisation.id):
        raise OrganisationError(_l("That address is taken; choose another."), field="slug")
    changed = {
        name: [getattr(organisation, name), value]
        for name, value in asdict(data).items()
        if getattr(organisation, name) != value
    }
    if "slug" in changed:
        db.session.execute(delete(OrganisationSlug).where(OrganisationSlug.slug == data.slug))
        db.session.add(OrganisationSlug(slug=organisation.slug, organisation_id=organisation.id))
    for name, value in asdict(data).items():
        setattr(organisation, name, value)
    if changed:
        audit.record(
            acting, "organisation.edited", organisation_id=organisation.id, changes=changed
        )
    db.session.flush()
    return organisation


def current_notice(organisation_id: int) -> PrivacyNotice | None:
    """The newest version of the organisation's privacy notice."""
    return db.session.scalars(_current_notice_statement(), {"id": organisation_id}).first()


@cache
def _current_notice_statement() -> Select[tuple[PrivacyNotice]]:
    return (
        select(PrivacyNotice)
        .where(PrivacyNotice.organisation_id == bindparam("id"))
        .order_by(PrivacyNotice.version.desc())
        .limit(1)
    )


def update_privacy_notice(
    acting: User, organisation_id: int, text_sv: str, text_en: str
) -> PrivacyNotice:
    """Save the notice text; a changed text is a new version (old ones are kept). Needs admin."""
    require_role(acting, organisation_id, Role.ADMIN)
    lock_row(Organisation, organisation_id)
    text_sv, text_en = text_sv.strip(), text_en.strip()
    if not text_sv:
        raise OrganisationError(_l("Write the notice in Swedish."), field="text_sv")
    if not text_en:
        raise OrganisationError(_l("Write the notice in English."), field="text_en")
    current = current_notice(organisation_id)
    if current is not None and (current.text_sv, current.text_en) == (text_sv, text_en):
        return current
    notice = PrivacyNotice(
        organisation_id=organisation_id,
        version=(current.version + 1) if current else 1,
        text_sv=text_sv,
        text_en=text_en,
    )
    db.session.add(notice)
    db.session.flush()
    audit.record(
        acting, "privacy_notice.changed", organisation_id=organisation_id, version=notice.version
    )
    return notice


def notice_for(acting: User, notice_id: int) -> PrivacyNotice:
    """One version of a notice, for members of its organisation (NotAllowed otherwise)."""
    notice = db.session.get(PrivacyNotice, notice_id)
    if notice is None:
        raise NotAllowed()
    require_role(acting, notice.organisation_id, Role.VIEWER)
    return notice


def notice_versions(acting: User, organisation_id: int) -> list[PrivacyNotice]:
    require_role(acting, organisation_id, Role.VIEWER)
    return list(
        db.session.scalars(
            select(PrivacyNotice)
            .where(PrivacyNotice.organisation_id == organisation_id)
            .order_by(PrivacyNotice.version.desc())
        )
    )


# --- projects ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectData:
    name: str
    slug: str
    funder: str | None = None
    funding_programme: str | None = None
    funder_reference: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    description: str = ""
    funding_statement: str = ""
    status: ProjectStatus = ProjectStatus.ACTIVE
    #: Years after an event before its people are anonymised; None: the site's default.
    retention_years: int | None = None


def _check_project(data: ProjectData, project_id: int | None) -> None:
    check_slug(data.slug)
    taken = db.session.scalar(
        select(Project.id).where(Project.slug == data.slug, Project.id != (project_id or 0))
    )
    if taken is not None:
        raise OrganisationError(
            _l("Another project has that address; choose another."), field="slug"
        )
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise OrganisationError(
            _l("The period must end on or after its first day."), field="ends_on"
        )


def create_project(acting: User, organisation_id: int, data: ProjectData) -> Project:
    """A new project led by the organisation. Needs admin of it."""
    require_role(acting, organisation_id, Role.ADMIN)
    lock_row(Organisation, organisation_id)
    _check_project(data, None)
    project = Project(organisation_id=organisation_id, **asdict(data))
    db.session.add(project)
    db.session.flush()
    audit.record(acting, "project.created", organisation_id=organisation_id, project=project.slug)
    return project


def _project_for_lead_admin(acting: User, project_id: int) -> Project:
    project = db.session.get(Project, project_id)
    if project is None:
        raise NotAllowed()
    require_role(acting, project.organisation_id, Role.ADMIN)
    return lock_row(Project, project_id)


def update_project(acting: User, project_id: int, data: ProjectData) -> Project:
    """Edit a project (closing it stops new events joining). Needs admin of the lead."""
    project = _project_for_lead_admin(acting, project_id)
    _check_project(data, project.id)
    changed = {
        name: [str(getattr(project, name) or ""), str(value or "")]
        for name, value in asdict(data).items()
        if getattr(project, name) != value
    }
    for name, value in asdict(data).items():
        setattr(project, name, value)
    if changed:
        audit.record(
            acting,
            "project.edited",
            organisation_id=project.organisation_id,
            project=project.slug,
            changes=changed,
        )
    db.session.flush()
    return project


def project_for_member(acting: User, project_id: int) -> Project:
    """A project for members of its lead or partner organisations (NotAllowed otherwise).

    Its partners and events are loaded with it, and the events' organisations, so the page
    takes the same few queries however many events the project has.
    """
    project = db.session.scalars(
        select(Project)
        .where(Project.id == project_id)
        .options(selectinload(Project.partners), selectinload(Project.events))
    ).first()
    if project is None:
        raise NotAllowed()
    if role_in(acting, project.organisation_id) is None and not (
        {m.organisation_id for m in acting.memberships} & partner_organisation_ids(project.id)
    ):
        raise NotAllowed()
    # Many-to-one loads find these in the identity map instead of one query per event.
    ids = {e.organisation_id for e in project.events}
    if ids:
        db.session.scalars(select(Organisation).where(Organisation.id.in_(ids))).all()
    return project


def projects_of(organisation_id: int) -> tuple[list[Project], list[Project]]:
    """The projects an organisation leads, and those it is a partner in, by name."""
    led = db.session.scalars(
        select(Project).where(Project.organisation_id == organisation_id).order_by(Project.name)
    ).all()
    partnered = db.session.scalars(
        select(Project)
        .where(Project.id.in_(partner_project_ids([organisation_id])))
        .order_by(Project.name)
    ).all()
    return list(led), list(partnered)


def public_project(slug: str) -> Project | None:
    return db.session.scalars(select(Project).where(Project.slug == slug)).first()


# --- partners ----------------------------------------------------------------------------


def invite_partner(
    acting: User, project_id: int, organisation_slug: str, now: datetime | None = None
) -> PartnerInvitation:
    """Invite another organisation into the project. Needs admin of the lead."""
    project = _project_for_lead_admin(acting, project_id)
    partner, _old = organisation_by_slug(organisation_slug.strip().lower())
    if partner is None:
        raise OrganisationError(
            _l("There is no organisation with that address."), field="organisation"
        )
    if partner.id == project.organisation_id:
        raise OrganisationError(
            _l("The lead organisation is part of the project already."), field="organisation"
        )
    if project.status != ProjectStatus.ACTIVE:
        raise OrganisationError(_l("The project is closed."))
    if partner.id in partner_organisation_ids(project.id):
        raise OrganisationError(
            _l("%(name)s is a partner in the project already.", name=partner.name),
            field="organisation",
        )
    if _open_invitation(project.id, partner.id) is not None:
        raise OrganisationError(
            _l("%(name)s has been invited already and not yet answered.", name=partner.name),
            field="organisation",
        )
    invitation = PartnerInvitation(
        project_id=project.id, organisation_id=partner.id, created_at=now or utcnow()
    )
    db.session.add(invitation)
    db.session.flush()
    for organisation_id in (project.organisation_id, partner.id):
        audit.record(
            acting,
            "partner.invited",
            organisation_id=organisation_id,
            project=project.slug,
            partner=partner.slug,
        )
    return invitation


def _open_invitation(project_id: int, organisation_id: int) -> PartnerInvitation | None:
    return db.session.scalars(
        select(PartnerInvitation).where(
            PartnerInvitation.project_id == project_id,
            PartnerInvitation.organisation_id == organisation_id,
            PartnerInvitation.status == PartnerInvitationStatus.PENDING,
        )
    ).first()


def answer_invitation(
    acting: User, invitation_id: int, *, accept: bool, now: datetime | None = None
) -> PartnerInvitation:
    """Accept or decline an invitation into a project. Needs admin of the invited organisation."""
    invitation = db.session.get(PartnerInvitation, invitation_id)
    if invitation is None:
        raise NotAllowed()
    require_role(acting, invitation.organisation_id, Role.ADMIN)
    invitation = lock_row(PartnerInvitation, invitation_id)
    if invitation.status != PartnerInvitationStatus.PENDING:
        raise OrganisationError(_l("This invitation has been answered or withdrawn already."))
    project = invitation.project
    if accept and project.status != ProjectStatus.ACTIVE:
        raise OrganisationError(_l("The project is closed."))
    invitation.status = (
        PartnerInvitationStatus.ACCEPTED if accept else PartnerInvitationStatus.DECLINED
    )
    invitation.answered_at = now or utcnow()
    if accept:
        db.session.execute(
            project_partners.insert().values(
                project_id=project.id, organisation_id=invitation.organisation_id
            )
        )
    action = "partner.accepted" if accept else "partner.declined"
    for organisation_id in (project.organisation_id, invitation.organisation_id):
        audit.record(
            acting,
            action,
            organisation_id=organisation_id,
            project=project.slug,
            partner=invitation.organisation.slug,
        )
    _partners_changed(project)
    return invitation


def withdraw_invitation(acting: User, invitation_id: int) -> PartnerInvitation:
    """Take back an unanswered invitation. Needs admin of the lead."""
    invitation = db.session.get(PartnerInvitation, invitation_id)
    if invitation is None:
        raise NotAllowed()
    _project_for_lead_admin(acting, invitation.project_id)
    if invitation.status != PartnerInvitationStatus.PENDING:
        raise OrganisationError(_l("This invitation has been answered or withdrawn already."))
    invitation.status = PartnerInvitationStatus.WITHDRAWN
    invitation.answered_at = utcnow()
    audit.record(
        acting,
        "partner.withdrawn",
        organisation_id=invitation.project.organisation_id,
        project=invitation.project.slug,
        partner=invitation.organisation.slug,
    )
    db.session.flush()
    return invitation


def remove_partner(acting: User, project_id: int, organisation_id: int) -> None:
    """Take a partner out of the project. Needs admin of the lead.

    The partner's events stay theirs and stay in the project (reports count them); the lead
    moves them out by editing them if it wants to.
    """
    project = _project_for_lead_admin(acting, project_id)
    if organisation_id not in partner_organisation_ids(project.id):
        raise OrganisationError(_l("That organisation is not a partner in the project."))
    db.session.execute(
        delete(project_partners).where(
            project_partners.c.project_id == project.id,
            project_partners.c.organisation_id == organisation_id,
        )
    )
    partner = db.session.get(Organisation, organisation_id)
    for org_id in (project.organisation_id, organisation_id):
        audit.record(
            acting,
            "partner.removed",
            organisation_id=org_id,
            project=project.slug,
            partner=partner.slug,
        )
    _partners_changed(project)


def _partners_changed(project: Project) -> None:
    """After ``project_partners`` changed: the project's row moves too, because the public
    pages that name its partners (the project's page) are cached under the projects'
    ``updated_at`` (webapp.events.page_versions), which a row of the link table does not move."""
    project.updated_at = utcnow()
    db.session.flush()
    db.session.expire(project, ["partners"])


def invitations_for(organisation_id: int) -> list[PartnerInvitation]:
    """Unanswered invitations of the organisation into other organisations' projects."""
    return list(
        db.session.scalars(
            select(PartnerInvitation)
            .where(
                PartnerInvitation.organisation_id == organisation_id,
                PartnerInvitation.status == PartnerInvitationStatus.PENDING,
            )
            .order_by(PartnerInvitation.created_at)
        )
    )


def invitations_of_project(project_id: int) -> list[PartnerInvitation]:
    return list(
        db.session.scalars(
            select(PartnerInvitation)
            .where(PartnerInvitation.project_id == project_id)
            .order_by(PartnerInvitation.created_at.desc())
        )
    )


def organisation_count() -> int:
    return db.session.scalar(select(func.count(Organisation.id))) or 0
