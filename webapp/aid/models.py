"""De minimis aid: what an event is worth to a company, the EUR rates, the companies'
declarations of other aid, and the grants recorded for bookings.

Commission Regulation (EU) 2023/2831 caps de minimis aid at EUR 300,000 per single
undertaking over any period of three years, counted from when the legal right to the aid
is given. Träffpunkt gives that right when a booking is confirmed (directly or by an
organiser's approval), so that moment is the grant's date (see webapp.aid.services).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.bookings.models import Booking
from webapp.companies.models import Company
from webapp.db import UTCDateTime, db, str_enum, utcnow
from webapp.events.models import Event
from webapp.organisations.models import Organisation, Project

#: The ceiling per single undertaking over three years, Article 3(2) of the regulation.
CEILING_EUR = Decimal("300000")

#: The regulation as the certificate must cite it (title and Official Journal reference).
REGULATION_SV = (
    "Kommissionens förordning (EU) 2023/2831 av den 13 december 2023 om tillämpningen av "
    "artiklarna 107 och 108 i fördraget om Europeiska unionens funktionssätt på stöd av "
    "mindre betydelse (EUT L, 2023/2831, 15.12.2023)"
)
REGULATION_EN = (
    "Commission Regulation (EU) 2023/2831 of 13 December 2023 on the application of Articles "
    "107 and 108 of the Treaty on the Functioning of the European Union to de minimis aid "
    "(OJ L, 2023/2831, 15.12.2023)"
)


class AidBasis(enum.StrEnum):
    """What the aid amount is counted per."""

    PER_PARTICIPANT = "per_participant"
    PER_COMPANY = "per_company"
    #: An event's own setting saying it is not aid although its project's events are.
    NONE = "none"

    @property
    def label(self) -> str:
        return str(_BASIS_LABELS[self])


_BASIS_LABELS = {
    AidBasis.PER_PARTICIPANT: _l("Per participant"),
    AidBasis.PER_COMPANY: _l("Per company (booking)"),
    AidBasis.NONE: _l("Not de minimis aid"),
}


class GrantStatus(enum.StrEnum):
    GRANTED = "granted"
    WITHDRAWN = "withdrawn"  # the booking was cancelled before the event started

    @property
    def label(self) -> str:
        return str(_STATUS_LABELS[self])


_STATUS_LABELS = {GrantStatus.GRANTED: _l("Granted"), GrantStatus.WITHDRAWN: _l("Withdrawn")}


class AidScheme(db.Model):
    """An event's (or, as the default for its events, a project's) de minimis value."""

    __tablename__ = "aid_schemes"
    __table_args__ = (
        CheckConstraint("amount_sek >= 0", name="amount_not_negative"),
        CheckConstraint("(event_id IS NULL) <> (project_id IS NULL)", name="event_or_project"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Set for an event's own setting; it overrides its project's.
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), unique=True
    )
    #: Set for a project's default for its events.
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), unique=True
    )
    basis: Mapped[AidBasis] = mapped_column(str_enum(AidBasis, "aid_basis"))
    #: The aid's value in kronor (gross grant equivalent), per participant or per company.
    amount_sek: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped[Event | None] = relationship()
    project: Mapped[Project | None] = relationship()


class EurRate(db.Model):
    """Kronor per euro a project uses for its aid from ``valid_from`` on."""

    __tablename__ = "aid_eur_rates"
    __table_args__ = (
        UniqueConstraint("project_id", "valid_from"),
        CheckConstraint("sek_per_eur > 0", name="rate_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    valid_from: Mapped[date] = mapped_column(Date)
    sek_per_eur: Mapped[Decimal] = mapped_column(Numeric(10, 4))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AidDeclaration(db.Model):
    """A company's declaration, made with a registration, of the de minimis aid it (with the
    undertakings it forms a single undertaking with) received in the three years before.

    A company's current declaration is its latest; older ones are kept for the record.
    """

    __tablename__ = "aid_declarations"
    __table_args__ = (
        CheckConstraint("amount_eur >= 0", name="amount_not_negative"),
        Index("ix_aid_declarations_company_declared", "company_id", "declared_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), unique=True
    )
    #: Other de minimis aid received in the last three years; 0 when "none".
    amount_eur: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    #: Organisation numbers of the other undertakings in the single undertaking (normalised).
    linked_org_numbers: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Who confirmed it was true (the booking's contact person), the version of the
    #: declaration's wording, the wording itself in the language shown, and when.
    confirmed_by: Mapped[str] = mapped_column(String(200))
    text_version: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    company: Mapped[Company] = relationship()
    booking: Mapped[Booking] = relationship()

    @property
    def is_none(self) -> bool:
        return self.amount_eur == 0


class AidGrantor(db.Model):
    """What a certificate says about the granting organisation beyond its name."""

    __tablename__ = "aid_grantors"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    #: The organisation's Swedish organisation number (NNNNNN-NNNN).
    org_number: Mapped[str] = mapped_column(String(40))


class AidGrant(db.Model):
    """The de minimis aid one booking gives its company."""

    __tablename__ = "aid_grants"
    __table_args__ = (
        CheckConstraint("amount_sek >= 0", name="amount_not_negative"),
        CheckConstraint("sek_per_eur > 0", name="rate_positive"),
        Index("ix_aid_grants_company_granted", "company_id", "granted_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), unique=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    #: The grantor: the organisation running the event.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    status: Mapped[GrantStatus] = mapped_column(
        str_enum(GrantStatus, "aid_grant_status"), default=GrantStatus.GRANTED
    )
    basis: Mapped[AidBasis] = mapped_column(str_enum(AidBasis, "aid_grant_basis"))
    #: Participants counted (per participant) or 1 (per company).
    units: Mapped[int] = mapped_column(Integer)
    amount_sek: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    #: The rate used and the date it applies from; EUR = SEK / rate, to the cent.
    sek_per_eur: Mapped[Decimal] = mapped_column(Numeric(10, 4))
    rate_valid_from: Mapped[date] = mapped_column(Date)
    amount_eur: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    #: When the booking was confirmed (the legal right given), and that day in Stockholm:
    #: the three-year window counts days.
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    granted_on: Mapped[date] = mapped_column(Date)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Set when an organiser corrected the record (the reason is in the audit log).
    corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    booking: Mapped[Booking] = relationship()
    company: Mapped[Company] = relationship()
    organisation: Mapped[Organisation] = relationship()
    event: Mapped[Event] = relationship()
    project: Mapped[Project | None] = relationship()
