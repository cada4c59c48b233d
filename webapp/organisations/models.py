"""Organisations, the funded projects they lead, and the partner organisations of a project.

This is the lowest domain package: accounts and events build on it. Relationships that point
up (an organisation's events) are declared with string names and ``TYPE_CHECKING`` imports, so
nothing here imports a higher package at run time.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db import UTCDateTime, db, utcnow

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
    #: Reply address for emails about this organisation's events.
    contact_email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    events: Mapped[list[Event]] = relationship(back_populates="organisation")
    projects: Mapped[list[Project]] = relationship(back_populates="organisation")


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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="projects")
    partners: Mapped[list[Organisation]] = relationship(secondary=project_partners)
    events: Mapped[list[Event]] = relationship(back_populates="project")
