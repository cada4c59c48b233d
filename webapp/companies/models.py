"""Companies in the register, their EU size class, and the history of changes to them.

The register owns a company's master data (name, country, organisation number, county,
size class, industry code). The first registration creates it; later registrations record
what the registrant declared on their booking and leave the register as it is; organisers
correct it, and every creation, correction and merge leaves a :class:`CompanyChange`.

The size class follows the EU SME definition, Commission Recommendation 2003/361/EC, Annex
article 2: an enterprise belongs to the smallest class whose staff ceiling it is under *and*
whose turnover *or* balance-sheet ceiling it does not exceed.

======  =============  ==========================  ===========================
class   staff (AWU)    annual turnover             or balance-sheet total
======  =============  ==========================  ===========================
micro   fewer than 10  at most EUR 2 million       at most EUR 2 million
small   fewer than 50  at most EUR 10 million      at most EUR 10 million
medium  fewer than 250 at most EUR 50 million      at most EUR 43 million
large   otherwise
======  =============  ==========================  ===========================

The registration form asks for a staff band and a turnover band, and optionally a
balance-sheet band; :func:`derive_size_class` takes the class each band allows, the more
favourable of the two financial ones (either suffices), and then the larger of staff and
finance. Companies registered before the bands were asked keep the class they have.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.accounts.models import User
from webapp.db import UTCDateTime, db, str_enum, utcnow

if TYPE_CHECKING:
    from webapp.bookings.models import Booking


class SizeClass(enum.StrEnum):
    """EU size classes, smallest first; the first three are SMEs."""

    MICRO = "micro"
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"

    @property
    def label(self) -> str:
        return str(_SIZE_LABELS[self])

    @property
    def rank(self) -> int:
        return list(SizeClass).index(self)

    @property
    def is_sme(self) -> bool:
        return self is not SizeClass.LARGE


_SIZE_LABELS = {
    SizeClass.MICRO: _l("Micro enterprise"),
    SizeClass.SMALL: _l("Small enterprise"),
    SizeClass.MEDIUM: _l("Medium-sized enterprise"),
    SizeClass.LARGE: _l("Large enterprise"),
}


class StaffBand(enum.StrEnum):
    """Staff headcount in annual work units, as the registration form asks for it."""

    UNDER_10 = "under_10"
    FROM_10 = "10_49"
    FROM_50 = "50_249"
    FROM_250 = "250_plus"

    @property
    def label(self) -> str:
        return str(_STAFF_LABELS[self])


class TurnoverBand(enum.StrEnum):
    """Annual turnover, last closed financial year."""

    UP_TO_2M = "up_to_2m"
    UP_TO_10M = "2m_10m"
    UP_TO_50M = "10m_50m"
    OVER_50M = "over_50m"

    @property
    def label(self) -> str:
        return str(_TURNOVER_LABELS[self])


class BalanceBand(enum.StrEnum):
    """Balance-sheet total, last closed financial year (the medium ceiling is EUR 43m)."""

    UP_TO_2M = "up_to_2m"
    UP_TO_10M = "2m_10m"
    UP_TO_43M = "10m_43m"
    OVER_43M = "over_43m"

    @property
    def label(self) -> str:
        return str(_BALANCE_LABELS[self])


_STAFF_LABELS = {
    StaffBand.UNDER_10: _l("Fewer than 10 people"),
    StaffBand.FROM_10: _l("10 to 49 people"),
    StaffBand.FROM_50: _l("50 to 249 people"),
    StaffBand.FROM_250: _l("250 people or more"),
}
_TURNOVER_LABELS = {
    TurnoverBand.UP_TO_2M: _l("Up to 2 million euros"),
    TurnoverBand.UP_TO_10M: _l("Over 2 and up to 10 million euros"),
    TurnoverBand.UP_TO_50M: _l("Over 10 and up to 50 million euros"),
    TurnoverBand.OVER_50M: _l("Over 50 million euros"),
}
_BALANCE_LABELS = {
    BalanceBand.UP_TO_2M: _l("Up to 2 million euros"),
    BalanceBand.UP_TO_10M: _l("Over 2 and up to 10 million euros"),
    BalanceBand.UP_TO_43M: _l("Over 10 and up to 43 million euros"),
    BalanceBand.OVER_43M: _l("Over 43 million euros"),
}

# The smallest class each band stays within (the bands are listed in class order).
_STAFF_CLASS = dict(zip(StaffBand, SizeClass, strict=True))
_TURNOVER_CLASS = dict(zip(TurnoverBand, SizeClass, strict=True))
_BALANCE_CLASS = dict(zip(BalanceBand, SizeClass, strict=True))


def derive_size_class(
    staff: StaffBand, turnover: TurnoverBand, balance: BalanceBand | None = None
) -> SizeClass:
    """The EU size class for the declared bands (see the module docstring).

    Either financial ceiling suffices, so the more favourable of turnover and balance-sheet
    total counts; staff and finance must both fit, so the larger of the two classes wins.
    """
    financial = _TURNOVER_CLASS[turnover]
    if balance is not None:
        financial = min(financial, _BALANCE_CLASS[balance], key=lambda c: c.rank)
    return max(_STAFF_CLASS[staff], financial, key=lambda c: c.rank)


#: Master-data fields organisers may correct, in the order pages show them.
MASTER_FIELDS = ("name", "country", "org_number", "county", "size_class", "industry_code")

FIELD_LABELS = {
    "name": _l("Name"),
    "country": _l("Country"),
    "org_number": _l("Organisation number"),
    "county": _l("County"),
    "size_class": _l("Size class"),
    "industry_code": _l("Industry code (SNI)"),
}


class Company(db.Model):
    """A company known by its country and national organisation number."""

    __tablename__ = "companies"
    __table_args__ = (UniqueConstraint("country", "org_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ISO 3166 country code.
    country: Mapped[str] = mapped_column(String(2))
    #: Normalised national number (Swedish: NNNNNN-NNNN); unique per country.
    org_number: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    #: County code for Swedish companies (see webapp.regions); None abroad.
    county: Mapped[str | None] = mapped_column(String(2), index=True)
    size_class: Mapped[SizeClass] = mapped_column(str_enum(SizeClass, "size_class"))
    #: SNI industry code, optional.
    industry_code: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: Set when this record was merged into another: its bookings moved there, and a later
    #: registration under this identifier books the other company. Hidden from lists.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    merged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    bookings: Mapped[list[Booking]] = relationship(back_populates="company")

    @property
    def is_sme(self) -> bool:
        return self.size_class.is_sme


class ChangeKind(enum.StrEnum):
    CREATED = "created"  # by the first registration
    CORRECTED = "corrected"  # by an organiser
    MERGED = "merged"  # another record was merged into this one, or this one into another

    @property
    def label(self) -> str:
        return str(_CHANGE_LABELS[self])


_CHANGE_LABELS = {
    ChangeKind.CREATED: _l("Created by the first registration"),
    ChangeKind.CORRECTED: _l("Corrected"),
    ChangeKind.MERGED: _l("Merged"),
}


class CompanyChange(db.Model):
    """One change to a company's master data, kept for good: the register's history."""

    __tablename__ = "company_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ChangeKind] = mapped_column(str_enum(ChangeKind, "company_change_kind"))
    #: The organiser who acted; None for a registration or a deleted user.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    #: ``{field: [old, new]}`` for creations and corrections; for merges
    #: ``{"merged_from": …}`` or ``{"merged_into": …}`` with the other record's identity.
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Why, in the organiser's words (optional).
    reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    company: Mapped[Company] = relationship()
    user: Mapped[User | None] = relationship()

    @property
    def label(self) -> str:
        return self.kind.label
