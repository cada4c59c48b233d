"""The company directory's one table: a company's public profile, opt-in.

A profile is *company* data, written by the company itself: what it offers, what it seeks,
a short description in Swedish and/or English, its website, the languages it works in, its
industry (an SNI 2007 section), county and country. It holds nothing about a person: no
contact name, no email address, no phone (the booking contact who is invited to write it
stays on the booking, where webapp.privacy erases them in time).

The row is made, unpublished, when the company is first invited (after its first confirmed
booking); it shows nowhere until the company publishes it (``published_at``), disappears
at once when the company withdraws it (``published_at`` back to None) and while organisers
have hidden it (``hidden_at``, with their reason). :attr:`CompanyProfile.is_public` is the
one rule every page, the API and the embed apply (services.public_condition in SQL).

Other packages may read a profile to prefill their own forms (B2B meetings do): read
``offers``, ``seeks``, ``description``/``description_en``, ``website``, ``languages``,
``industry``, ``county`` and ``country``; all may be empty, a draft included.
"""

from __future__ import annotations

from datetime import datetime

from babel import Locale
from flask_babel import get_locale
from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.companies.models import Company
from webapp.db import UTCDateTime, db, utcnow
from webapp.reports.labels import SNI_SECTIONS

#: Industries a profile may name: the SNI 2007 sections (A–U), labelled as the reports do.
INDUSTRIES = SNI_SECTIONS

#: Languages a company may say it works in (ISO 639-1), Nordic and Baltic neighbours first.
LANGUAGES: tuple[str, ...] = (
    "sv",
    "en",
    "no",
    "da",
    "fi",
    "is",
    "et",
    "lv",
    "lt",
    "de",
    "pl",
    "fr",
    "es",
    "it",
    "nl",
    "ru",
    "uk",
    "ar",
    "zh",
)

#: Longest texts, in characters; the form says so and refuses more.
OFFERS_MAX = 1000
SEEKS_MAX = 1000
DESCRIPTION_MAX = 2000
WEBSITE_MAX = 300
HIDDEN_REASON_MAX = 500


def language_name(code: str) -> str:
    """A language's name in the page's language ("engelska", "English")."""
    name = get_locale().languages.get(code) or Locale("en").languages.get(code, code)
    return name[:1].upper() + name[1:] if get_locale().language == "en" else name


class CompanyProfile(db.Model):
    """One company's public profile in the directory (at most one per company)."""

    __tablename__ = "company_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), unique=True
    )
    #: What the company offers (products, services, know-how).
    offers: Mapped[str] = mapped_column(Text, default="")
    #: What it is looking for (partners, suppliers, customers, skills).
    seeks: Mapped[str] = mapped_column(Text, default="")
    #: A short description in Swedish, and in English; either or both may be empty.
    description: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    #: http(s) address of the company's website, or None.
    website: Mapped[str | None] = mapped_column(String(WEBSITE_MAX))
    #: ISO 639-1 codes from LANGUAGES, in the order of that tuple.
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: SNI 2007 section letter (a key of INDUSTRIES), or None.
    industry: Mapped[str | None] = mapped_column(String(1), index=True)
    #: Swedish county code (webapp.regions.COUNTIES) for a company in Sweden, else None.
    county: Mapped[str | None] = mapped_column(String(2), index=True)
    #: ISO 3166 country code (webapp.regions.COUNTRIES).
    country: Mapped[str] = mapped_column(String(2), index=True)
    #: Nonce of the secret edit link (webapp.tokens, purpose "directory"); a new one revokes it.
    edit_nonce: Mapped[str] = mapped_column(String(32))
    #: When the booking contact was first invited (once per company, never again).
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Set while the profile is published by the company; None for a draft or withdrawn.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: Set while organisers hide the profile (e.g. for abuse); it then shows nowhere.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The organiser's reason for hiding it (shown to the company on its edit page).
    hidden_reason: Mapped[str | None] = mapped_column(String(HIDDEN_REASON_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    company: Mapped[Company] = relationship()

    @property
    def is_public(self) -> bool:
        """Published by the company and not hidden by organisers."""
        return self.published_at is not None and self.hidden_at is None

    @property
    def industry_label(self) -> str:
        return str(INDUSTRIES[self.industry]) if self.industry in INDUSTRIES else ""

    @property
    def language_names(self) -> list[str]:
        return [language_name(code) for code in self.languages or ()]
