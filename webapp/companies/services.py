"""The register's rules: who owns master data, who sees which company, corrections, merges.

- **Master data is the register's.** :func:`find_or_create` makes a company from the first
  registration under a country and organisation number; later registrations find it and
  change nothing in it (what they declared is kept on their booking, webapp.bookings).
- **Need to know.** An organiser sees a company only when it has a booking for an event of
  one of their organisations, or of a project one of their organisations leads or is a
  partner in (:func:`visible_events`). Organisers (not viewers, not partners) of an
  organisation whose events the company booked may correct it (:func:`may_correct`).
- **History.** Every creation, correction and merge writes a :class:`CompanyChange` in the
  same transaction, and corrections and merges an audit entry.
- **Merges** move every booking of the duplicate record to the one kept; the duplicate stays
  as a pointer (``merged_into_id``), so a later registration under its identifier books
  the company kept, and every count by company counts it once.

This package sits below bookings: it reads and moves bookings through the ``bookings``
table by name and never imports webapp.bookings. Services flush, callers commit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Select,
    and_,
    bindparam,
    column,
    exists,
    func,
    or_,
    select,
    table,
    union,
    update,
)
from sqlalchemy.orm import joinedload

from webapp import signals
from webapp.accounts.models import User
from webapp.companies.models import (
    MASTER_FIELDS,
    BalanceBand,
    ChangeKind,
    Company,
    CompanyChange,
    SizeClass,
    StaffBand,
    TurnoverBand,
)
from webapp.db import db, insert_loaded, lock_row, utcnow
from webapp.errors import RuleViolation
from webapp.events.models import Event
from webapp.organisations import audit
from webapp.organisations.models import Project, Role
from webapp.organisations.services import NotAllowed, partner_project_ids

# Bookings by table name: the register must not import the bookings package (it uses us).
_bookings = table("bookings", column("id"), column("company_id"), column("event_id"))

PER_PAGE = 50


class CompanyError(RuleViolation):
    default = _l("The company could not be changed.")


class CompanyNotFound(CompanyError):
    default = _l("There is no such company in the register.")


@dataclass(frozen=True)
class CompanyData:
    """What a registrant declares about their company (or an organiser for them)."""

    country: str
    org_number: str  # already normalised (see companies.orgnumbers)
    name: str
    size_class: SizeClass
    county: str | None = None
    industry_code: str | None = None
    #: The bands the size class was derived from; None when the class was given directly.
    staff_band: StaffBand | None = None
    turnover_band: TurnoverBand | None = None
    balance_band: BalanceBand | None = None


@dataclass(frozen=True)
class MasterData:
    """An organiser's correction of a company's master data."""

    name: str
    country: str
    org_number: str  # already normalised
    size_class: SizeClass
    county: str | None = None
    industry_code: str | None = None


# --- registration ------------------------------------------------------------------------


def _identity(country: object, org_number: object) -> Select[tuple[Company]]:
    return select(Company).where(Company.country == country, Company.org_number == org_number)


@cache
def _find_statement(dialect: str) -> Select[tuple[Company]]:
    """find_or_create's lookup for ``dialect``, built once a process (building it costs
    more than running it)."""
    find = _identity(bindparam("country"), bindparam("org_number"))
    if dialect == "postgresql":
        # A merge of this record holds its row lock until it commits; waiting for it here
        # means the booking goes to the record kept, never to the one merged away.
        find = find.with_for_update(read=True)
    return find


def _kept(company: Company) -> Company:
    """The record a merged company now lives on (merges keep one level of pointers)."""
    if company.merged_into_id is None:
        return company
    return db.session.get(Company, company.merged_into_id)


def find_or_create(data: CompanyData) -> tuple[Company, bool]:
    """The company registered under this country and number, else a new one from ``data``;
    and whether it was created now (a new company has no bookings yet).

    An existing company is returned unchanged: the register's master data is not the
    registrant's to rewrite. A record merged into another gives the one it was merged into.
    """
    find = _find_statement(db.session.get_bind().dialect.name)
    identity = {"country": data.country, "org_number": data.org_number}
    company = db.session.scalars(find, identity).one_or_none()
    if company is not None:
        return _kept(company), False
    fields = {
        "name": data.name,
        "country": data.country,
        "org_number": data.org_number,
        "county": data.county,
        "size_class": data.size_class,
        "industry_code": data.industry_code or None,
    }
    # Two first registrations of one company for different events may race (they lock
    # different events): the loser's insert does nothing (PostgreSQL waits for the
    # winner's commit first) and it reads the winner's row. One statement, no savepoint.
    company = Company(**fields)
    if not insert_loaded([company], unless_exists=("country", "org_number")):
        return _kept(db.session.scalars(find, identity).one()), False
    _change(company, ChangeKind.CREATED, None, _created(fields))
    return company, True


def _created(fields: dict[str, object]) -> dict[str, list[object]]:
    return {name: [None, _plain(fields[name])] for name in MASTER_FIELDS if fields[name]}


def _plain(value: object) -> object:
    return value.value if isinstance(value, SizeClass) else value


def _change(
    company: Company,
    kind: ChangeKind,
    user: User | None,
    changes: dict[str, object],
    reason: str | None = None,
) -> CompanyChange:
    entry = CompanyChange(
        company=company,
        kind=kind,
        user_id=user.id if user else None,
        changes=changes,
        reason=reason or None,
        created_at=utcnow(),
    )
    insert_loaded([entry])  # written now, without a flush: no one reads it back
    return entry


# --- who sees what -----------------------------------------------------------------------


def _organisation_ids(user: User, role: Role = Role.VIEWER) -> list[int]:
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return [m.organisation_id for m in user.memberships if m.role.rank >= role.rank]


def visible_events(user: User) -> Select[tuple[int]]:
    """Ids of the events whose companies the user may see (no query is run here).

    Events of the user's organisations, and events of projects one of them leads or is a
    partner in.
    """
    mine = _organisation_ids(user)
    projects = union(
        select(Project.id).where(Project.organisation_id.in_(mine)), partner_project_ids(mine)
    )
    return select(Event.id).where(
        or_(Event.organisation_id.in_(mine), Event.project_id.in_(projects))
    )


def _booked_at(company_id: int, events: Select[tuple[int]]) -> object:
    return exists().where(_bookings.c.company_id == company_id, _bookings.c.event_id.in_(events))


def may_see(user: User, company_id: int) -> bool:
    return bool(db.session.scalar(select(_booked_at(company_id, visible_events(user)))))


def may_correct(user: User, company_id: int) -> bool:
    """Organisers of an organisation whose events the company booked may correct it."""
    mine = _organisation_ids(user, Role.ORGANISER)
    if not mine:
        return False
    own_events = select(Event.id).where(Event.organisation_id.in_(mine))
    return bool(db.session.scalar(select(_booked_at(company_id, own_events))))


def _correcting_organisation(user: User, company_id: int) -> int | None:
    """One of the user's organisations (as organiser) whose event the company booked."""
    mine = _organisation_ids(user, Role.ORGANISER)
    return db.session.scalar(
        select(Event.organisation_id)
        .join(_bookings, _bookings.c.event_id == Event.id)
        .where(_bookings.c.company_id == company_id, Event.organisation_id.in_(mine))
        .order_by(Event.organisation_id)
        .limit(1)
    )


def company_for(user: User, company_id: int, *, correct: bool = False) -> Company:
    """The company if the user may see it (``correct``: may correct it).

    Raises CompanyNotFound for an unknown id and NotAllowed otherwise. A merged record
    is found too, for those who may see the record it was merged into (its page says so).
    """
    company = db.session.get(Company, company_id)
    if company is None:
        raise CompanyNotFound()
    # A merged record's bookings are on the record kept: whoever may see that sees both.
    checked = company.merged_into_id or company.id
    allowed = may_correct(user, checked) if correct else may_see(user, checked)
    if not allowed:
        raise NotAllowed()
    return company


# --- the list ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CompanyFilter:
    """What the organiser narrowed the list to; unknown values mean "all"."""

    search: str = ""
    county: str | None = None
    country: str | None = None
    size_class: SizeClass | None = None

    @classmethod
    def from_args(
        cls, search: str | None, county: str | None, country: str | None, size: str | None
    ) -> CompanyFilter:
        try:
            size_class = SizeClass(size) if size else None
        except ValueError:
            size_class = None
        return cls(
            search=(search or "").strip()[:100],
            county=(county or "").strip()[:2] or None,
            country=(country or "").strip().upper()[:2] or None,
            size_class=size_class,
        )


@dataclass(frozen=True)
class CompanyRow:
    company: Company
    #: Events (visible to the user) the company has booked, and its bookings there.
    events: int
    bookings: int


@dataclass(frozen=True)
class Page:
    rows: list[CompanyRow]
    total: int
    number: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(math.ceil(self.total / self.per_page), 1)


def search(user: User, filters: CompanyFilter, page: int = 1, per_page: int = PER_PAGE) -> Page:
    """The companies the user may see that match ``filters``, by name, one page of them.

    Two queries whatever the size of the register: the count and the page.
    """
    booked = (
        select(
            _bookings.c.company_id.label("company_id"),
            func.count(func.distinct(_bookings.c.event_id)).label("events"),
            func.count(_bookings.c.id).label("bookings"),
        )
        .where(_bookings.c.event_id.in_(visible_events(user)))
        .group_by(_bookings.c.company_id)
        .subquery()
    )
    conditions = [Company.merged_into_id.is_(None)]
    if filters.search:
        term = filters.search.lower()
        conditions.append(
            or_(
                func.lower(Company.name).contains(term, autoescape=True),
                Company.org_number.contains(filters.search.upper(), autoescape=True),
            )
        )
    if filters.county:
        conditions.append(Company.county == filters.county)
    if filters.country:
        conditions.append(Company.country == filters.country)
    if filters.size_class:
        conditions.append(Company.size_class == filters.size_class)
    base = (
        select(Company, booked.c.events, booked.c.bookings)
        .join(booked, booked.c.company_id == Company.id)
        .where(and_(*conditions))
    )
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    number = min(max(page, 1), max(math.ceil(total / per_page), 1))
    rows = db.session.execute(
        base.order_by(func.lower(Company.name), Company.id)
        .limit(per_page)
        .offset((number - 1) * per_page)
    ).all()
    return Page(
        rows=[CompanyRow(company, events, bookings) for company, events, bookings in rows],
        total=total,
        number=number,
        per_page=per_page,
    )


def history(company_id: int) -> list[CompanyChange]:
    """The company's changes, newest first, with who made them (one query)."""
    return list(
        db.session.scalars(
            select(CompanyChange)
            .where(CompanyChange.company_id == company_id)
            .order_by(CompanyChange.created_at.desc(), CompanyChange.id.desc())
            .options(joinedload(CompanyChange.user))
        )
    )


# --- corrections and merges --------------------------------------------------------------


def correct(
    user: User, company_id: int, data: MasterData, reason: str | None = None
) -> CompanyChange | None:
    """Correct a company's master data (organisers of an organisation it booked with).

    Writes the changed fields' old and new values to the history and the audit log and
    returns the history entry; a correction that changes nothing writes nothing and returns
    None. Raises NotAllowed, CompanyNotFound,
    or CompanyError when another record already has the new country and number (merge the
    two instead) or the record was merged away.
    """
    company_for(user, company_id, correct=True)
    company = lock_row(Company, company_id)  # concurrent corrections apply one after another
    if company.merged_into_id is not None:
        raise CompanyError(_l("This record was merged into another; correct that one."))
    new = {
        "name": data.name,
        "country": data.country,
        "org_number": data.org_number,
        "county": data.county if data.country == "SE" else None,
        "size_class": data.size_class,
        "industry_code": data.industry_code or None,
    }
    changes = {
        name: [_plain(getattr(company, name)), _plain(new[name])]
        for name in MASTER_FIELDS
        if getattr(company, name) != new[name]
    }
    if not changes:
        return None
    if ("country" in changes or "org_number" in changes) and db.session.scalar(
        _identity(data.country, data.org_number).where(Company.id != company.id)
    ):
        raise CompanyError(
            _l(
                "Another company in the register has this organisation number. If they are "
                "the same company, merge the two records instead."
            ),
            field="org_number",
        )
    for name, (_old, _new) in changes.items():
        setattr(company, name, new[name])
    entry = _change(company, ChangeKind.CORRECTED, user, changes, reason)
    audit.record(
        user,
        "company.corrected",
        organisation_id=_correcting_organisation(user, company.id),
        company_id=company.id,
        company=company.name,
        fields=sorted(changes),
        reason=reason,
    )
    db.session.flush()
    return entry


def _identity_of(company: Company) -> dict[str, object]:
    return {
        "id": company.id,
        "name": company.name,
        "country": company.country,
        "org_number": company.org_number,
    }


def find_duplicate(user: User, keep_id: int, country: str, org_number: str) -> Company:
    """The record to merge into ``keep_id``, found by its country and number.

    Raises CompanyNotFound when there is none the user may correct, CompanyError when it
    is the same record or already merged.
    """
    company = db.session.scalars(_identity(country, org_number)).one_or_none()
    if company is None or not may_correct(user, company.merged_into_id or company.id):
        raise CompanyNotFound(
            _l("No company with that number has booked your organisation's events."),
            field="org_number",
        )
    if company.id == keep_id:
        raise CompanyError(_l("That is this company's own record."), field="org_number")
    if company.merged_into_id is not None:
        raise CompanyError(
            _l("That record has already been merged into another."), field="org_number"
        )
    return company


def merge(user: User, keep_id: int, duplicate_id: int, now: datetime | None = None) -> int:
    """Merge the duplicate record into the one kept; returns how many bookings moved.

    The user must be allowed to correct both. Every booking of the duplicate moves to the
    kept company, each with an audit entry on its event's log; the kept company's master
    data stays as it is; the duplicate points at the kept one from now on, and so do the
    records merged into it before. Raises NotAllowed, CompanyNotFound or CompanyError.
    """
    if keep_id == duplicate_id:
        raise CompanyError(_l("That is this company's own record."))
    company_for(user, keep_id, correct=True)
    company_for(user, duplicate_id, correct=True)
    # Locked in id order, so two merges of the same pair cannot deadlock.
    locked = {i: lock_row(Company, i) for i in sorted((keep_id, duplicate_id))}
    keep, duplicate = locked[keep_id], locked[duplicate_id]
    if keep.merged_into_id is not None or duplicate.merged_into_id is not None:
        raise CompanyError(_l("That record has already been merged into another."))
    now = now or utcnow()
    moved = db.session.execute(
        select(_bookings.c.id, Event.id, Event.organisation_id)
        .join(Event, Event.id == _bookings.c.event_id)
        .where(_bookings.c.company_id == duplicate.id)
        .order_by(_bookings.c.id)
    ).all()
    db.session.execute(
        update(_bookings).where(_bookings.c.company_id == duplicate.id).values(company_id=keep.id)
    )
    db.session.execute(
        update(Company)
        .where(Company.merged_into_id == duplicate.id)
        .values(merged_into_id=keep.id)
        .execution_options(synchronize_session=False)
    )
    duplicate.merged_into_id = keep.id
    duplicate.merged_at = now
    _change(keep, ChangeKind.MERGED, user, {"merged_from": _identity_of(duplicate)})
    _change(duplicate, ChangeKind.MERGED, user, {"merged_into": _identity_of(keep)})
    for booking_id, event_id, organisation_id in moved:
        audit.record(
            user,
            "booking.company_merged",
            organisation_id=organisation_id,
            event_id=event_id,
            booking_id=booking_id,
            company_id=keep.id,
            company=keep.name,
            merged_from=duplicate.org_number,
        )
    audit.record(
        user,
        "company.merged",
        organisation_id=_correcting_organisation(user, keep.id),
        company_id=keep.id,
        company=keep.name,
        merged_from=_identity_of(duplicate),
        bookings=len(moved),
    )
    db.session.flush()
    signals.companies_merged.send(keep, duplicate=duplicate)
    # Bookings loaded in this session still name the duplicate: reload them when read.
    db.session.expire_all()
    return len(moved)
