"""Organisations, the funded projects they lead, and the partner organisations of a project.

This is the lowest domain package: accounts and events build on it. Relationships that point
up (an organisation's events) are declared with string names and ``TYPE_CHECKING`` imports, so
nothing here imports a higher package at run time.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, Date, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db import UTCDateTime, db, str_enum, utcnow

if TYPE_CHECKING:
    from webapp.events.models import Event


class Role(enum.StrEnum):
    """What a member may do in one organisation; each role includes the ones below it."""

    VIEWER = "viewer"  # read attendee lists and reports
    ORGANISER = "organiser"  # run events and bookings
    ADMIN = "admin"  # members and settings

    @property
    def rank(self) -> int:
        return _RANKS[self]

    @property
    def label(self) -> str:
        return str(_ROLE_LABELS[self])


_RANKS = {Role.VIEWER: 1, Role.ORGANISER: 2, Role.ADMIN: 3}

_ROLE_LABELS = {
    Role.VIEWER: _l("Viewer (reads lists and reports)"),
    Role.ORGANISER: _l("Organiser (events and bookings)"),
    Role.ADMIN: _l("Administrator (members and settings)"),
}


class ProjectStatus(enum.StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return str(_PROJECT_STATUS_LABELS[self])


_PROJECT_STATUS_LABELS = {ProjectStatus.ACTIVE: _l("Active"), ProjectStatus.CLOSED: _l("Closed")}


class PartnerInvitationStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return str(_INVITATION_STATUS_LABELS[self])


_INVITATION_STATUS_LABELS = {
    PartnerInvitationStatus.PENDING: _l("Waiting for an answer"),
    PartnerInvitationStatus.ACCEPTED: _l("Accepted"),
    PartnerInvitationStatus.DECLINED: _l("Declined"),
    PartnerInvitationStatus.WITHDRAWN: _l("Withdrawn"),
}


project_partners = Table(
    "project_partners",
    db.metadata,
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "organisation_id",
        ForeignKey("organisations.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Organisation(db.Model):
    """A business-support organisation that runs events (a science park, a cluster, ...)."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Shown on every event page and in feeds.
    name: Mapped[str] = mapped_column(String(200))
    #: Used in URLs and filters.
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    #: County code (see webapp.regions) where the organisation is based.
    county: Mapped[str | None] = mapped_column(String(2))
    website: Mapped[str | None] = mapped_column(String(300))
    #: Public contact address (shown on pages; replies go here unless ``reply_to`` is set).
    contact_email: Mapped[str | None] = mapped_column(String(254))
    #: ISO country code: partners across the border (Norwegian, Finnish clusters) are
    #: ordinary organisations with another country.
    country: Mapped[str] = mapped_column(String(2), default="SE", server_default="SE")
    #: A short presentation for its public pages.
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: Reply-To of the emails sent about its events (else ``contact_email``).
    reply_to: Mapped[str | None] = mapped_column(String(254))
    #: The name emails about its events are sent in (else ``name``).
    sender_name: Mapped[str | None] = mapped_column(String(200))
    #: Days after an event ends before its participants' dietary and accessibility needs and
    #: the companies' messages are erased (webapp.privacy.retention).
    needs_retention_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Last change to this row: part of the public pages' cache version (webapp.http_cache);
    #: empty for rows not changed since it was added.
    updated_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, index=True
    )

    events: Mapped[list[Event]] = relationship(back_populates="organisation")
    projects: Mapped[list[Project]] = relationship(
        back_populates="organisation", order_by="Project.name"
    )
    privacy_notices: Mapped[list[PrivacyNotice]] = relationship(
        back_populates="organisation", order_by="PrivacyNotice.version.desc()"
    )

    @property
    def email_sender_name(self) -> str:
        """The display name of the From header of its emails."""
        return self.sender_name or self.name

    @property
    def email_reply_to(self) -> str | None:
        """Where replies to its emails go."""
        return self.reply_to or self.contact_email


class OrganisationSlug(db.Model):
    """A slug an organisation had before, so old feed and page URLs still find it."""

    __tablename__ = "organisation_slugs"

    slug: Mapped[str] = mapped_column(String(80), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PrivacyNotice(db.Model):
    """One version of an organisation's privacy notice; a changed text is a new version.

    Rows are never updated: a booking points at the version its contact agreed to, so
    organisers can read exactly that text later.
    """

    __tablename__ = "privacy_notices"
    __table_args__ = (UniqueConstraint("organisation_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    #: 1, 2, 3, ... per organisation.
    version: Mapped[int] = mapped_column(Integer)
    text_sv: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="privacy_notices")

    def text(self, language: str) -> str:
        return self.text_sv if language == "sv" else self.text_en


class Project(db.Model):
    """A funded programme run by a lead organisation together with partner organisations."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The lead organisation, which reports to the funder.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    #: Who pays, as the funder wants it written ("Europeiska regionala utvecklingsfonden").
    funder: Mapped[str | None] = mapped_column(String(200))
    #: The funder's reference for the project (diarienummer).
    funder_reference: Mapped[str | None] = mapped_column(String(100))
    #: The funder's programme the money comes from ("Regionalfonden Norra Mellansverige").
    funding_programme: Mapped[str | None] = mapped_column(String(200))
    #: The funded period; events outside it are still allowed (preparations, follow-ups).
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: What the funder requires on every page and material ("Medfinansieras av ...").
    funding_statement: Mapped[str] = mapped_column(String(500), default="", server_default="")
    #: Years after an event ends before its participants and contacts are anonymised; None
    #: means the site's ``PERSONAL_DATA_RETENTION_YEARS`` (webapp.privacy.retention).
    retention_years: Mapped[int | None] = mapped_column(Integer)
    #: Closed projects take no new events.
    status: Mapped[ProjectStatus] = mapped_column(
        str_enum(ProjectStatus, "project_status"),
        default=ProjectStatus.ACTIVE,
        server_default=ProjectStatus.ACTIVE.value,
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Last change to this row (see Organisation.updated_at).
    updated_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, index=True
    )

    organisation: Mapped[Organisation] = relationship(back_populates="projects")
    partners: Mapped[list[Organisation]] = relationship(
        secondary=project_partners, order_by="Organisation.name"
    )
    events: Mapped[list[Event]] = relationship(back_populates="project")

    @property
    def is_active(self) -> bool:
        return self.status == ProjectStatus.ACTIVE


class PartnerInvitation(db.Model):
    """The lead organisation's invitation of another organisation into a project.

    Accepting adds the organisation to ``project_partners``; the row stays as the record.
    """

    __tablename__ = "partner_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[PartnerInvitationStatus] = mapped_column(
        str_enum(PartnerInvitationStatus, "partner_invitation_status"),
        default=PartnerInvitationStatus.PENDING,
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship()
    organisation: Mapped[Organisation] = relationship()
