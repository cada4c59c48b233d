"""The company directory's rules: invitation, the company's own edits, publishing and
withdrawing, organisers hiding, and the public search.

- **Who may be in it.** A company that has taken part: its first confirmed booking (at
  registration, by promotion from the waiting list or by the organisers' approval) makes
  its profile row, unpublished, and invites the booking's contact by email (the outbox,
  through ``signals.directory_invited``), once per company, never again on later bookings.
- **Opt-in.** Nothing shows until the company publishes from its secret edit link
  (webapp.tokens, purpose ``directory``: derived, nothing secret stored, a new nonce
  revokes). Withdrawing takes it off every page, the API and the embed in the same commit.
- **Hiding.** Organisers of an organisation whose events the company booked (the
  register's rule for correcting a company, webapp.companies.services.may_correct) hide a
  profile with a reason and show it again; both are audit-logged. A hidden profile shows
  nowhere, whatever the company does, until it is shown again.
- **Search.** Published, not hidden profiles of companies not merged away
  (:func:`public_condition`), filtered by free text, industry, county, country and project
  (companies with a confirmed booking for a published event of the project); a page costs
  two queries (count and rows with their company) whatever the data.

Services flush; callers commit (views use ``one_transaction``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import contains_eager

from webapp import signals, tokens
from webapp.bookings.models import Booking, BookingStatus
from webapp.companies import services as register
from webapp.companies.models import Company
from webapp.db import db, insert_loaded, utcnow
from webapp.directory.models import (
    DESCRIPTION_MAX,
    HIDDEN_REASON_MAX,
    INDUSTRIES,
    LANGUAGES,
    OFFERS_MAX,
    SEEKS_MAX,
    WEBSITE_MAX,
    CompanyProfile,
)
from webapp.errors import RuleViolation
from webapp.events.models import Event, EventStatus
from webapp.organisations import audit
from webapp.organisations.models import Project, Role
from webapp.organisations.services import NotAllowed
from webapp.regions import COUNTIES, COUNTRIES

if TYPE_CHECKING:
    from webapp.accounts.models import User

TOKEN_PURPOSE = "directory"
PER_PAGE = 20
SEARCH_MAX = 100


class DirectoryError(RuleViolation):
    default = _l("The profile could not be saved.")


# --- the secret edit link ------------------------------------------------------------------


def edit_token(profile: CompanyProfile) -> str:
    """The token of the profile's edit link (emailed to the booking contact)."""
    return tokens.make(TOKEN_PURPOSE, profile.id, profile.edit_nonce)


def profile_for_token(token: str) -> CompanyProfile | None:
    """The profile whose current edit token this is, or None."""
    profile_id = tokens.parse_id(token)
    if profile_id is None:
        return None
    profile = db.session.get(CompanyProfile, profile_id)
    if profile is None or not tokens.matches(TOKEN_PURPOSE, profile.id, profile.edit_nonce, token):
        return None
    return profile


def revoke_edit_link(profile: CompanyProfile) -> None:
    """A new nonce: the link sent before opens nothing any more."""
    profile.edit_nonce = tokens.new_nonce()


def revoke_invitations(company_ids: Collection[int]) -> int:
    """Privacy: the contacts these companies' invitations went to are being anonymised.
    Their profiles keep content and state (company data) but get a new edit link, so the
    one in the person's mailbox opens nothing; ``invited_at`` is cleared, so the company's
    next confirmed booking invites its contact then. Returns how many profiles."""
    if not company_ids:
        return 0
    profiles = list(
        db.session.scalars(
            select(CompanyProfile).where(CompanyProfile.company_id.in_(list(company_ids)))
        )
    )
    for profile in profiles:
        revoke_edit_link(profile)
        profile.invited_at = None
    db.session.flush()
    return len(profiles)


# --- invitation after a confirmed booking ----------------------------------------------------


def invite(booking: Booking) -> CompanyProfile | None:
    """After a confirmed booking: the company's profile row, and its one invitation.

    Two confirmations of one company racing make one row (``ON CONFLICT DO NOTHING`` on
    the unique company), so a booking never fails because of the directory; the outbox's
    dedupe key per company makes the email once. A company's first profile goes in invited
    (one statement); one that exists is invited unless it was before. Returns the profile
    when it was invited now, None when the company had been invited before (or the
    booking is not confirmed).
    """
    if booking.status != BookingStatus.CONFIRMED:
        return None
    company = booking.company
    if company.merged_into_id is not None:
        company = db.session.get(Company, company.merged_into_id)
    db.session.flush()
    now = utcnow()
    profile = CompanyProfile(
        company_id=company.id,
        offers="",
        seeks="",
        description="",
        description_en="",
        languages=[],
        country=company.country if company.country in COUNTRIES else "SE",
        county=company.county if company.country == "SE" else None,
        edit_nonce=tokens.new_nonce(),
        invited_at=now,
        created_at=now,
        updated_at=now,
    )
    if not insert_loaded([profile], unless_exists=("company_id",)):
        profile = db.session.scalars(
            select(CompanyProfile)
            .where(CompanyProfile.company_id == company.id)
            .execution_options(populate_existing=True)
        ).one()
        if profile.invited_at is not None:
            return None
        profile.invited_at = now
        db.session.flush()
    signals.directory_invited.send(profile, booking=booking)
    return profile


def _on_confirmed(booking: Booking, **_: object) -> None:
    invite(booking)


def _on_decided(booking: Booking, *, approved: bool, **_: object) -> None:
    if approved:
        invite(booking)


def _on_left(booking: Booking, **_: object) -> None:
    """A booking cancelled, declined or moved to the waiting list before its event ended:
    the company has not taken part through it, so its pending invitation is not sent
    (notifications.rendering checks the booking) and the company is invited again with its
    next confirmed booking (a new edit nonce makes a new invitation key)."""
    event = booking.event
    if event.ends_at is not None and event.ends_at <= utcnow():
        return
    profile = profile_of_company(booking.company_id)
    if profile is None or profile.invited_at is None or profile.published_at is not None:
        return
    profile.invited_at = None
    profile.edit_nonce = tokens.new_nonce()
    db.session.flush()
    other = db.session.scalar(
        select(Booking)
        .where(
            Booking.company_id == booking.company_id,
            Booking.status == BookingStatus.CONFIRMED,
            Booking.id != booking.id,
        )
        .limit(1)
    )
    if other is not None:
        invite(other)


def _on_companies_merged(keep: Company, *, duplicate: Company, **_: object) -> None:
    """One profile per company: the kept company's, unless only the duplicate's was ever
    published (the company's own choice then wins over an untouched draft)."""
    theirs = profile_of_company(duplicate.id)
    if theirs is None:
        return
    ours = profile_of_company(keep.id)
    if ours is not None and (ours.published_at is not None or theirs.published_at is None):
        db.session.delete(theirs)
        db.session.flush()
        return
    if ours is not None:
        db.session.delete(ours)
        db.session.flush()
    theirs.company_id = keep.id
    db.session.flush()


def connect() -> None:
    """Follow the booking signals (called once by the app factory)."""
    for signal, receiver in (
        (signals.booking_placed, _on_confirmed),
        (signals.booking_promoted, _on_confirmed),
        (signals.booking_decided, _on_decided),
        (signals.booking_cancelled, _on_left),
        (signals.booking_waitlisted, _on_left),
        (signals.companies_merged, _on_companies_merged),
    ):
        signal.connect(receiver, weak=False)


# --- the company's own edits -----------------------------------------------------------------


@dataclass
class ProfileData:
    """What the company typed (forms.ProfileForm.data_for_service)."""

    offers: str = ""
    seeks: str = ""
    description: str = ""
    description_en: str = ""
    website: str | None = None
    languages: list[str] = field(default_factory=list)
    industry: str | None = None
    county: str | None = None
    country: str = "SE"


def website_ok(value: str) -> bool:
    """An absolute http(s) address of a public web site: a host name with a dot (not
    ``localhost`` or a bare name), no port, no user name, nothing that is never part of a
    real address (spaces, quotes, angle brackets)."""
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return False
    host = parts.hostname or ""
    return (
        parts.scheme in ("http", "https")
        and "." in host.strip(".")
        and port is None
        and not parts.username
        and not any(c in value for c in " \t\"'<>\\")
    )


def check(data: ProfileData) -> None:
    """Raise DirectoryError naming the field for anything the form should have refused."""
    for name, limit in (
        ("offers", OFFERS_MAX),
        ("seeks", SEEKS_MAX),
        ("description", DESCRIPTION_MAX),
        ("description_en", DESCRIPTION_MAX),
    ):
        if len(getattr(data, name)) > limit:
            raise DirectoryError(_l("At most %(max)s characters.", max=limit), field=name)
    if data.website is not None and (
        len(data.website) > WEBSITE_MAX or not website_ok(data.website)
    ):
        raise DirectoryError(
            _l("Give the full address, starting with https:// or http://."), field="website"
        )
    if data.industry is not None and data.industry not in INDUSTRIES:
        raise DirectoryError(_l("Choose an industry from the list."), field="industry")
    if data.country not in COUNTRIES:
        raise DirectoryError(_l("Choose a country from the list."), field="country")
    if data.county is not None:
        if data.county not in COUNTIES:
            raise DirectoryError(_l("Choose a county from the list."), field="county")
        if data.country != "SE":
            raise DirectoryError(
                _l("Counties are Swedish: leave it empty for a company abroad."), field="county"
            )
    if any(code not in LANGUAGES for code in data.languages):
        raise DirectoryError(_l("Choose languages from the list."), field="languages")


def save(profile: CompanyProfile, data: ProfileData, *, publish: bool = False) -> CompanyProfile:
    """Store the company's profile; ``publish`` also publishes it (it may be hidden still).

    Raises DirectoryError (with its field) and stores nothing when a value breaks a rule,
    or when publishing a profile that says nothing.
    """
    check(data)
    if publish and not (data.offers or data.seeks or data.description or data.description_en):
        raise DirectoryError(
            _l("Say what the company offers, seeks or does before publishing."), field="offers"
        )
    profile.offers = data.offers
    profile.seeks = data.seeks
    profile.description = data.description
    profile.description_en = data.description_en
    profile.website = data.website
    profile.languages = [code for code in LANGUAGES if code in set(data.languages)]
    profile.industry = data.industry
    profile.county = data.county
    profile.country = data.country
    if publish and profile.published_at is None:
        profile.published_at = utcnow()
    db.session.flush()
    return profile


def withdraw(profile: CompanyProfile) -> None:
    """Take the profile out of the directory at once (the text is kept as a draft)."""
    profile.published_at = None
    db.session.flush()


# --- organisers hiding a profile --------------------------------------------------------------


def _hiding_organisation(user: User, company_id: int) -> int:
    """One of the user's organisations (as organiser) whose events the company booked.

    Raises NotAllowed when there is none: the register's rule for correcting a company.
    """
    if not register.may_correct(user, company_id):
        raise NotAllowed()
    mine = [m.organisation_id for m in user.memberships if m.role.rank >= Role.ORGANISER.rank]
    return db.session.scalar(
        select(Event.organisation_id)
        .join(Booking, Booking.event_id == Event.id)
        .where(Booking.company_id == company_id, Event.organisation_id.in_(mine))
        .order_by(Event.organisation_id)
        .limit(1)
    )


def profile_of_company(company_id: int) -> CompanyProfile | None:
    return db.session.scalars(
        select(CompanyProfile).where(CompanyProfile.company_id == company_id)
    ).first()


def may_hide(user: User, company_id: int) -> bool:
    return register.may_correct(user, company_id)


def hide(user: User, company_id: int, reason: str) -> CompanyProfile:
    """Hide the company's profile everywhere, with the organiser's reason (audit-logged).

    Raises NotAllowed for anyone but organisers of an organisation the company booked
    with, DirectoryError for a missing or too long reason or a company without a profile.
    """
    organisation_id = _hiding_organisation(user, company_id)
    reason = (reason or "").strip()
    if not reason:
        raise DirectoryError(_l("Say why the profile is hidden."), field="reason")
    if len(reason) > HIDDEN_REASON_MAX:
        raise DirectoryError(
            _l("At most %(max)s characters.", max=HIDDEN_REASON_MAX), field="reason"
        )
    profile = profile_of_company(company_id)
    if profile is None:
        raise DirectoryError(_l("The company has no profile in the directory."))
    profile.hidden_at = utcnow()
    profile.hidden_reason = reason
    audit.record(
        user,
        "directory.hidden",
        organisation_id=organisation_id,
        company_id=company_id,
        profile_id=profile.id,
        reason=reason,
    )
    db.session.flush()
    return profile


def unhide(user: User, company_id: int) -> CompanyProfile:
    """Show a hidden profile again (if the company still publishes it). Audit-logged."""
    organisation_id = _hiding_organisation(user, company_id)
    profile = profile_of_company(company_id)
    if profile is None or profile.hidden_at is None:
        raise DirectoryError(_l("The profile is not hidden."))
    audit.record(
        user,
        "directory.shown",
        organisation_id=organisation_id,
        company_id=company_id,
        profile_id=profile.id,
        reason=profile.hidden_reason,
    )
    profile.hidden_at = None
    profile.hidden_reason = None
    db.session.flush()
    return profile


# --- the public directory -----------------------------------------------------------------------


def public_condition() -> ColumnElement[bool]:
    """Profiles anyone may see (SQL; needs Company joined): published, not hidden, and
    of a company still in the register on its own."""
    return and_(
        CompanyProfile.published_at.is_not(None),
        CompanyProfile.hidden_at.is_(None),
        Company.merged_into_id.is_(None),
    )


def took_part_in(project_id: int) -> ColumnElement[bool]:
    """The profile's company has a confirmed booking for a published event of the project."""
    return exists().where(
        Booking.company_id == CompanyProfile.company_id,
        Booking.status == BookingStatus.CONFIRMED,
        Booking.event_id.in_(
            select(Event.id).where(
                Event.project_id == project_id, Event.status == EventStatus.PUBLISHED
            )
        ),
    )


@dataclass(frozen=True)
class DirectoryFilter:
    """What a visitor narrowed the directory to; the page ignores unknown values."""

    search: str = ""
    industry: str | None = None
    county: str | None = None
    country: str | None = None
    #: The project's id (the page and API take its slug; see :func:`project_by_slug`).
    project_id: int | None = None

    @classmethod
    def from_args(cls, args: Any, project_id: int | None = None) -> DirectoryFilter:
        """Forgiving, for the page: an unknown industry, county or country means all."""
        industry = (args.get("industry") or "").strip().upper()
        county = (args.get("county") or "").strip()
        country = (args.get("country") or "").strip().upper()
        return cls(
            search=(args.get("q") or "").strip()[:SEARCH_MAX],
            industry=industry if industry in INDUSTRIES else None,
            county=county if county in COUNTIES else None,
            country=country if country in COUNTRIES else None,
            project_id=project_id,
        )


def project_by_slug(slug: str | None) -> Project | None:
    if not slug:
        return None
    return db.session.scalars(select(Project).where(Project.slug == slug[:80])).first()


def _text_condition(term: str) -> ColumnElement[bool]:
    words = term.lower().split()
    columns = (
        Company.name,
        CompanyProfile.offers,
        CompanyProfile.seeks,
        CompanyProfile.description,
        CompanyProfile.description_en,
    )
    # Every word somewhere (any column), so "solar Värmland" narrows rather than widens.
    return and_(
        *(or_(*(func.lower(c).contains(word, autoescape=True) for c in columns)) for word in words)
    )


def listing(filters: DirectoryFilter) -> Select[tuple[CompanyProfile]]:
    """The public profiles matching the filters, by company name (not run here)."""
    stmt = (
        select(CompanyProfile)
        .join(CompanyProfile.company)
        .where(public_condition())
        .options(contains_eager(CompanyProfile.company))
    )
    if filters.search:
        stmt = stmt.where(_text_condition(filters.search))
    if filters.industry:
        stmt = stmt.where(CompanyProfile.industry == filters.industry)
    if filters.county:
        stmt = stmt.where(CompanyProfile.county == filters.county)
    if filters.country:
        stmt = stmt.where(CompanyProfile.country == filters.country)
    if filters.project_id is not None:
        stmt = stmt.where(took_part_in(filters.project_id))
    return stmt


def search(filters: DirectoryFilter, page: int = 1, per_page: int = PER_PAGE) -> Pagination:
    """One page of the directory (two queries whatever the size)."""
    return db.paginate(
        listing(filters).order_by(func.lower(Company.name), CompanyProfile.id),
        page=min(max(page, 1), 100_000),
        per_page=per_page,
        error_out=False,
        count=True,
    )


def after(
    filters: DirectoryFilter, after_id: int | None, limit: int
) -> tuple[list[CompanyProfile], bool]:
    """The API's keyset page: public profiles by id after ``after_id`` (one query)."""
    stmt = listing(filters).order_by(CompanyProfile.id).limit(limit + 1)
    if after_id is not None:
        stmt = stmt.where(CompanyProfile.id > after_id)
    rows = list(db.session.scalars(stmt).unique())
    return rows[:limit], len(rows) > limit


def public_profile(profile_id: int) -> CompanyProfile | None:
    """A profile anyone may see, with its company, or None (one query)."""
    return db.session.scalars(
        select(CompanyProfile)
        .join(CompanyProfile.company)
        .where(CompanyProfile.id == profile_id, public_condition())
        .options(contains_eager(CompanyProfile.company))
    ).first()


def project_options() -> list[Project]:
    """Projects to offer as a filter (one query)."""
    return list(db.session.scalars(select(Project).order_by(Project.name)))
