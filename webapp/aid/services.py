"""The de minimis rules: which events are aid, grants, declarations, tallies, corrections.

**When aid is granted.** The legal right to the aid is given when a booking is confirmed
(directly at registration, from the waiting list, or by an organiser's approval); that
moment is the grant's date. Removing participants or cancelling the booking before the
event starts changes or withdraws the grant; after the event has started it stays as
granted (the company has had the place). Grants follow the booking signals
(:func:`connect`), so they commit or roll back with the booking change itself.

**The three-year window.** A company's tally on a date D counts every grant made through
Träffpunkt (any organisation) whose grant day (Europe/Stockholm) lies from D minus three
calendar years up to and including D, plus the amount of its latest declaration of other
de minimis aid made on or before D. So aid granted exactly three years before D counts,
and aid granted three years and one day before D does not. From 29 February, three years
back is 28 February.

**The ceiling.** EUR 300,000 per single undertaking (Article 3(2)). No aid over it is
granted without an organiser's reason:

- a booking that would take its company over it when it takes seats on its own (at
  registration, with the declaration just given, or by an organiser on the company's
  behalf, or on promotion from the waiting list) waits as pending instead
  (:func:`_on_review`, audit-logged), so an organiser decides;
- an organiser's approval that would take it over is refused, saying by how much, unless
  the organiser gives a reason (:func:`approve_over_ceiling`, audit-logged);
- adding participants to a confirmed booking (aid per participant) that would take it over
  is refused, saying by how much.

A grant withdrawn before the event tells the booking's contact (signals.aid_withdrawn).

Services flush, never commit; they raise :class:`AidError` (a RuleViolation).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, func, inspect, select, update

from webapp import signals
from webapp.accounts.models import Role, User
from webapp.aid.models import (
    CEILING_EUR,
    AidBasis,
    AidDeclaration,
    AidGrant,
    AidGrantor,
    AidScheme,
    EurRate,
    GrantStatus,
)
from webapp.bookings.models import Booking, BookingStatus, Participant
from webapp.bookings.organising import Move, booking_for
from webapp.bookings.organising import move as move_booking
from webapp.companies.models import Company
from webapp.db import db, utcnow
from webapp.errors import RuleViolation
from webapp.events.models import Event
from webapp.i18n import format_amount, local
from webapp.organisations import audit
from webapp.organisations.models import Project
from webapp.organisations.services import NotAllowed, require_role

CENT = Decimal("0.01")
#: No single event is worth more than this to one company; larger entries are typos.
MAX_AMOUNT_SEK = Decimal("10000000")
#: Kronor per euro outside this range is a typo (the rate has been 7–12 since 1995).
RATE_RANGE = (Decimal("1"), Decimal("100"))


class AidError(RuleViolation):
    default = _l("The aid record could not be changed.")


class CeilingExceeded(AidError):
    field = "reason"


@dataclass(frozen=True)
class Tally:
    """A company's de minimis aid over the three years up to ``on``, in EUR."""

    on: date
    granted_eur: Decimal
    declared_eur: Decimal
    declaration: AidDeclaration | None

    @property
    def total_eur(self) -> Decimal:
        return self.granted_eur + self.declared_eur

    @property
    def headroom_eur(self) -> Decimal:
        return max(CEILING_EUR - self.total_eur, Decimal(0))


def to_eur(amount_sek: Decimal, sek_per_eur: Decimal) -> Decimal:
    return (amount_sek / sek_per_eur).quantize(CENT, rounding=ROUND_HALF_UP)


def three_years_before(on: date) -> date:
    """The first day of the window ending on ``on`` (see the module docstring)."""
    try:
        return on.replace(year=on.year - 3)
    except ValueError:  # 29 February
        return on.replace(year=on.year - 3, day=28)


# --- settings ------------------------------------------------------------------------------


def scheme_for(event: Event) -> AidScheme | None:
    """The aid setting that applies to the event: its own, else its project's; None when
    the event is not de minimis aid (also when its own setting says so)."""
    by_event, by_project = _scheme_statements()
    scheme = db.session.scalar(by_event, {"id": event.id})
    if scheme is None and event.project_id is not None:
        scheme = db.session.scalar(by_project, {"id": event.project_id})
    if scheme is None or scheme.basis is AidBasis.NONE:
        return None
    return scheme


@cache
def _scheme_statements() -> tuple[Select[tuple[AidScheme]], Select[tuple[AidScheme]]]:
    """scheme_for's two reads, built once a process (a registration makes both)."""
    return (
        select(AidScheme).where(AidScheme.event_id == bindparam("id")),
        select(AidScheme).where(AidScheme.project_id == bindparam("id")),
    )


def own_scheme(*, event_id: int | None = None, project_id: int | None = None) -> AidScheme | None:
    if event_id is not None:
        return db.session.scalar(select(AidScheme).where(AidScheme.event_id == event_id))
    return db.session.scalar(select(AidScheme).where(AidScheme.project_id == project_id))


def _check_amount(basis: AidBasis | None, amount: Decimal | None) -> Decimal:
    if basis is None or basis is AidBasis.NONE:
        return Decimal(0)
    if amount is None or amount <= 0:
        raise AidError(_l("Enter the aid's value in kronor, more than 0."), field="amount_sek")
    if amount > MAX_AMOUNT_SEK:
        raise AidError(
            _l("The value is implausibly high; enter kronor, at most 10 000 000."),
            field="amount_sek",
        )
    return amount.quantize(CENT)


def _save_scheme(
    scheme: AidScheme | None, basis: AidBasis | None, amount: Decimal, **owner: int
) -> AidScheme | None:
    if basis is None:
        if scheme is not None:
            db.session.delete(scheme)
        db.session.flush()
        return None
    if scheme is None:
        scheme = AidScheme(**owner)
        db.session.add(scheme)
    scheme.basis, scheme.amount_sek = basis, amount
    db.session.flush()
    return scheme


def set_event_scheme(
    user: User, event_id: int, basis: AidBasis | None, amount_sek: Decimal | None
) -> AidScheme | None:
    """Set an event's own aid value; ``basis`` None falls back to its project's default,
    ``AidBasis.NONE`` says the event is not aid. Needs organiser. The EUR rate comes from the
    event's project, so an aid event needs a project with a rate."""
    event = db.session.get(Event, event_id)
    if event is None:
        raise NotAllowed()
    require_role(user, event.organisation_id, Role.ORGANISER)
    amount = _check_amount(basis, amount_sek)
    if basis not in (None, AidBasis.NONE):
        if event.project_id is None:
            raise AidError(
                _l("Choose the event's project first: the EUR rate is set per project."),
                field="basis",
            )
        _require_rate(event.project_id)
    scheme = _save_scheme(own_scheme(event_id=event_id), basis, amount, event_id=event_id)
    audit.record(
        user,
        "aid.settings_changed",
        organisation_id=event.organisation_id,
        event_id=event.id,
        basis=basis.value if basis else None,
        amount_sek=str(amount),
    )
    return scheme


def _project(user: User, project_id: int) -> Project:
    project = db.session.get(Project, project_id)
    if project is None:
        raise NotAllowed()
    require_role(user, project.organisation_id, Role.ORGANISER)
    return project


def set_project_scheme(
    user: User, project_id: int, basis: AidBasis | None, amount_sek: Decimal | None
) -> AidScheme | None:
    """Set the default aid value of a project's events (None: its events are not aid)."""
    project = _project(user, project_id)
    if basis is AidBasis.NONE:
        basis = None
    amount = _check_amount(basis, amount_sek)
    if basis is not None:
        _require_rate(project_id)
    scheme = _save_scheme(own_scheme(project_id=project_id), basis, amount, project_id=project_id)
    audit.record(
        user,
        "aid.settings_changed",
        organisation_id=project.organisation_id,
        project_id=project.id,
        basis=basis.value if basis else None,
        amount_sek=str(amount),
    )
    return scheme


def _require_rate(project_id: int) -> None:
    if not db.session.scalar(
        select(func.count(EurRate.id)).where(EurRate.project_id == project_id)
    ):
        raise AidError(
            _l("Add the project's EUR rate first: every aid record needs the rate it used."),
            field="basis",
        )


def set_rate(user: User, project_id: int, valid_from: date, sek_per_eur: Decimal) -> EurRate:
    """Kronor per euro for the project's aid from ``valid_from`` on (replacing a rate set for
    that same date). Grants already recorded keep the rate they used. Needs organiser."""
    project = _project(user, project_id)
    low, high = RATE_RANGE
    if not low <= sek_per_eur <= high:
        raise AidError(
            _l("Enter kronor per euro, e.g. 11.4852 (between 1 and 100)."), field="sek_per_eur"
        )
    rate = db.session.scalar(
        select(EurRate).where(EurRate.project_id == project_id, EurRate.valid_from == valid_from)
    )
    if rate is None:
        rate = EurRate(project_id=project_id, valid_from=valid_from)
        db.session.add(rate)
    rate.sek_per_eur = sek_per_eur.quantize(Decimal("0.0001"))
    db.session.flush()
    audit.record(
        user,
        "aid.rate_set",
        organisation_id=project.organisation_id,
        project_id=project.id,
        valid_from=valid_from.isoformat(),
        sek_per_eur=str(rate.sek_per_eur),
    )
    return rate


def set_grantor(user: User, organisation_id: int, org_number: str | None) -> None:
    """The organisation number certificates show for the granting organisation (normalised
    by the form); empty removes it. Needs organiser."""
    require_role(user, organisation_id, Role.ORGANISER)
    grantor = db.session.get(AidGrantor, organisation_id)
    if not org_number:
        if grantor is not None:
            db.session.delete(grantor)
    elif grantor is None:
        db.session.add(AidGrantor(organisation_id=organisation_id, org_number=org_number))
    else:
        grantor.org_number = org_number
    db.session.flush()


def rates(project_id: int) -> list[EurRate]:
    return list(
        db.session.scalars(
            select(EurRate).where(EurRate.project_id == project_id).order_by(EurRate.valid_from)
        )
    )


def rate_on(project_id: int, on: date) -> EurRate:
    """The rate that applies on ``on``: the latest from that day or before; before the first
    rate's date, the first rate. Raises AidError when the project has none."""
    stmt = select(EurRate).where(EurRate.project_id == project_id)
    rate = db.session.scalar(
        stmt.where(EurRate.valid_from <= on).order_by(EurRate.valid_from.desc()).limit(1)
    ) or db.session.scalar(stmt.order_by(EurRate.valid_from).limit(1))
    if rate is None:
        raise AidError(_l("The project has no EUR rate for its aid; add one first."))
    return rate


# --- declarations --------------------------------------------------------------------------


def declare(
    booking: Booking,
    amount_eur: Decimal,
    linked_org_numbers: Iterable[str],
    *,
    text: str,
    text_version: str,
    now: datetime | None = None,
) -> AidDeclaration:
    """Store the declaration made with ``booking``'s registration; it becomes the company's
    current one (the latest counts; earlier ones are kept). A form sent twice stores one."""
    existing = db.session.scalar(
        select(AidDeclaration).where(AidDeclaration.booking_id == booking.id)
    )
    if existing is not None:
        return existing
    declaration = AidDeclaration(
        company_id=booking.company_id,
        booking_id=booking.id,
        amount_eur=amount_eur,
        linked_org_numbers=list(linked_org_numbers),
        confirmed_by=booking.contact_name,
        text_version=text_version,
        text=text,
        declared_at=now or utcnow(),
    )
    db.session.add(declaration)
    db.session.flush()
    return declaration


def declarations(company_id: int) -> list[AidDeclaration]:
    """All of a company's declarations, newest (the current one) first."""
    return list(
        db.session.scalars(
            select(AidDeclaration)
            .where(AidDeclaration.company_id == company_id)
            .order_by(AidDeclaration.declared_at.desc(), AidDeclaration.id.desc())
        )
    )


# --- tallies -------------------------------------------------------------------------------


def tallies(company_ids: Iterable[int], on: date) -> dict[int, Tally]:
    """Each company's tally on ``on`` (see the module docstring); two queries for any number."""
    ids = set(company_ids)
    if not ids:
        return {}
    granted = dict(
        db.session.execute(
            select(AidGrant.company_id, func.sum(AidGrant.amount_eur))
            .where(
                AidGrant.company_id.in_(ids),
                AidGrant.status == GrantStatus.GRANTED,
                AidGrant.granted_on >= three_years_before(on),
                AidGrant.granted_on <= on,
            )
            .group_by(AidGrant.company_id)
        ).all()
    )
    # The latest declaration per company made by the end of ``on`` (Stockholm, stored UTC).
    end = datetime.combine(on, datetime.max.time(), tzinfo=local(utcnow()).tzinfo)
    latest = (
        select(AidDeclaration.company_id, func.max(AidDeclaration.declared_at).label("at"))
        .where(AidDeclaration.company_id.in_(ids), AidDeclaration.declared_at <= end)
        .group_by(AidDeclaration.company_id)
        .subquery()
    )
    current: dict[int, AidDeclaration] = {}
    for declaration in db.session.scalars(
        select(AidDeclaration)
        .join(
            latest,
            (AidDeclaration.company_id == latest.c.company_id)
            & (AidDeclaration.declared_at == latest.c.at),
        )
        .order_by(AidDeclaration.id)
    ):
        current[declaration.company_id] = declaration
    return {
        cid: Tally(
            on=on,
            granted_eur=Decimal(granted.get(cid) or 0).quantize(CENT),
            declared_eur=current[cid].amount_eur if cid in current else Decimal("0.00"),
            declaration=current.get(cid),
        )
        for cid in ids
    }


def tally(company_id: int, on: date | None = None) -> Tally:
    on = on or local(utcnow()).date()
    return tallies([company_id], on)[company_id]


@dataclass(frozen=True)
class CompanyAid:
    """One company's aid granted in a report's scope and period, and its tally."""

    company: Company
    grants: int
    amount_sek: Decimal
    amount_eur: Decimal
    tally: Tally


def company_aid(
    *, project_id: int | None = None, organisation_id: int | None = None, first: date, last: date
) -> list[CompanyAid]:
    """Per company: the aid granted (and not withdrawn) in a project's or an organisation's
    events with a grant day in ``first``–``last``, and its tally (through Träffpunkt, all
    organisations, plus its declaration) on the period's last day or today, whichever is
    earlier. Largest aid first; four queries for any number of companies."""
    scope = (
        AidGrant.project_id == project_id
        if project_id is not None
        else AidGrant.organisation_id == organisation_id
    )
    sums = db.session.execute(
        select(
            AidGrant.company_id,
            func.count(AidGrant.id),
            func.sum(AidGrant.amount_sek),
            func.sum(AidGrant.amount_eur),
        )
        .where(
            scope,
            AidGrant.status == GrantStatus.GRANTED,
            AidGrant.granted_on >= first,
            AidGrant.granted_on <= last,
        )
        .group_by(AidGrant.company_id)
    ).all()
    if not sums:
        return []
    ids = [row[0] for row in sums]
    companies = {c.id: c for c in db.session.scalars(select(Company).where(Company.id.in_(ids)))}
    on = min(last, local(utcnow()).date())
    counted = tallies(ids, on)
    rows = [
        CompanyAid(
            companies[cid],
            count,
            Decimal(sek).quantize(CENT),
            Decimal(eur).quantize(CENT),
            counted[cid],
        )
        for cid, count, sek, eur in sums
    ]
    return sorted(rows, key=lambda r: (-r.amount_eur, r.company.name, r.company.id))


def grants_for_company(company_id: int) -> list[AidGrant]:
    return list(
        db.session.scalars(
            select(AidGrant)
            .where(AidGrant.company_id == company_id)
            .order_by(AidGrant.granted_at.desc(), AidGrant.id.desc())
        )
    )


def grant_for_booking(booking_id: int) -> AidGrant | None:
    return db.session.scalar(select(AidGrant).where(AidGrant.booking_id == booking_id))


# --- grants --------------------------------------------------------------------------------

#: The reason an organiser gave for approving over the ceiling, while that approval runs.
_ceiling_reason: ContextVar[str | None] = ContextVar("aid_ceiling_reason", default=None)


@contextmanager
def _over_ceiling_allowed(reason: str) -> Iterator[None]:
    token = _ceiling_reason.set(reason)
    try:
        yield
    finally:
        _ceiling_reason.reset(token)


def _units(booking: Booking, scheme: AidScheme) -> int:
    if scheme.basis is AidBasis.PER_COMPANY:
        return 1
    return len(booking.active_participants)


def _amount(booking: Booking, scheme: AidScheme) -> tuple[int, Decimal]:
    units = _units(booking, scheme)
    return units, (scheme.amount_sek * units).quantize(CENT)


def prospective_eur(booking: Booking, on: date) -> Decimal:
    """What confirming ``booking`` would grant, in EUR (0 when its event is not aid)."""
    scheme = scheme_for(booking.event)
    if scheme is None:
        return Decimal(0)
    _units_, sek = _amount(booking, scheme)
    return to_eur(sek, rate_on(booking.event.project_id, on).sek_per_eur)


def excess(booking: Booking, on: date) -> Decimal:
    """How far confirming the booking would take its company over the ceiling (0: not)."""
    current = tally(booking.company_id, on).total_eur
    existing = grant_for_booking(booking.id)
    if existing is not None and existing.status is GrantStatus.GRANTED:
        current -= existing.amount_eur
    return max(current + prospective_eur(booking, on) - CEILING_EUR, Decimal(0))


_LOOK_UP = object()  # _record_grant: no scheme known yet


def _record_grant(
    booking: Booking, *, check_ceiling: bool = False, scheme: object = _LOOK_UP
) -> AidGrant | None:
    """Create or update the grant of a confirmed booking of an aid event; ``scheme`` is
    the event's (:func:`scheme_for`) when the caller has just looked it up."""
    if booking.status != BookingStatus.CONFIRMED:
        return None
    event = booking.event
    if scheme is _LOOK_UP:
        scheme = scheme_for(event)
    if scheme is None:
        return None
    now = utcnow()
    today = local(now).date()
    if check_ceiling and _ceiling_reason.get() is None:
        over = excess(booking, today)
        if over > 0:
            raise CeilingExceeded(
                _l(
                    "%(company)s: approving would take the company's de minimis aid over the "
                    "EUR 300,000 ceiling by EUR %(excess)s. Give a reason to approve anyway.",
                    company=booking.company.name,
                    excess=format_eur(over),
                )
            )
    units, sek = _amount(booking, scheme)
    grant = grant_for_booking(booking.id)
    if grant is not None and grant.status is GrantStatus.GRANTED and grant.units == units:
        return grant
    changed = grant is not None and grant.status is GrantStatus.GRANTED
    rate = None if changed else rate_on(event.project_id, today)
    if grant is None:
        grant = AidGrant(booking_id=booking.id)
    if rate is not None:
        # A new grant, or one withdrawn and given again: the right is given now.
        grant.granted_at, grant.granted_on = now, today
        grant.sek_per_eur, grant.rate_valid_from = rate.sek_per_eur, rate.valid_from
        grant.withdrawn_at = None
    grant.company_id = booking.company_id
    grant.organisation_id = event.organisation_id
    grant.event_id = event.id
    grant.project_id = event.project_id
    grant.status = GrantStatus.GRANTED
    grant.basis, grant.units, grant.amount_sek = scheme.basis, units, sek
    grant.amount_eur = to_eur(sek, grant.sek_per_eur)
    db.session.add(grant)
    db.session.flush()
    signals.aid_granted.send(grant, changed=changed)
    return grant


def _before_start(event: Event, moment: datetime | None) -> bool:
    return event.starts_at is None or (moment or utcnow()) < event.starts_at


def _withdraw(booking: Booking, moment: datetime | None) -> None:
    grant = grant_for_booking(booking.id)
    if grant is None or grant.status is not GrantStatus.GRANTED:
        return
    if not _before_start(booking.event, moment):
        return  # after the event started the company has had the place: the aid stands
    grant.status = GrantStatus.WITHDRAWN
    grant.withdrawn_at = moment or utcnow()
    db.session.flush()
    signals.aid_withdrawn.send(grant)


def approve_over_ceiling(user: User, booking_id: int, reason: str) -> Booking:
    """Approve a booking although it takes its company over the ceiling, for the reason
    given (audit-logged). Raises CeilingExceeded without a reason; needs organiser."""
    booking = booking_for(user, booking_id)
    reason = (reason or "").strip()
    if not reason:
        raise CeilingExceeded(_l("Give the reason for approving over the ceiling."))
    over = excess(booking, local(utcnow()).date())
    with _over_ceiling_allowed(reason):
        move_booking(user, booking_id, Move.CONFIRM)
    audit.record(
        user,
        "aid.ceiling_overridden",
        organisation_id=booking.event.organisation_id,
        event_id=booking.event_id,
        booking_id=booking.id,
        company=booking.company.name,
        excess_eur=str(over),
        reason=reason,
    )
    return booking


def grant_for(user: User, grant_id: int, role: Role = Role.VIEWER) -> AidGrant:
    """A grant, if the user holds ``role`` in the granting organisation; NotAllowed else."""
    grant = db.session.get(AidGrant, grant_id)
    if grant is None:
        raise NotAllowed()
    require_role(user, grant.organisation_id, role)
    return grant


def correct(user: User, grant_id: int, amount_sek: Decimal, reason: str) -> AidGrant:
    """An organiser's correction of a grant's amount, with a reason (audit-logged); EUR is
    recomputed with the rate the grant used, and the company gets a corrected certificate."""
    grant = grant_for(user, grant_id, Role.ORGANISER)
    reason = (reason or "").strip()
    if not reason:
        raise AidError(_l("Give the reason for the correction."), field="reason")
    if amount_sek < 0 or amount_sek > MAX_AMOUNT_SEK:
        raise AidError(_l("Enter an amount in kronor from 0 to 10 000 000."), field="amount_sek")
    old_sek, old_eur = grant.amount_sek, grant.amount_eur
    grant.amount_sek = amount_sek.quantize(CENT)
    grant.amount_eur = to_eur(grant.amount_sek, grant.sek_per_eur)
    grant.corrected_at = utcnow()
    db.session.flush()
    audit.record(
        user,
        "aid.corrected",
        organisation_id=grant.organisation_id,
        event_id=grant.event_id,
        booking_id=grant.booking_id,
        amount_sek=[str(old_sek), str(grant.amount_sek)],
        amount_eur=[str(old_eur), str(grant.amount_eur)],
        reason=reason,
    )
    if grant.status is GrantStatus.GRANTED:
        signals.aid_granted.send(grant, changed=True)
    return grant


def format_eur(amount: Decimal) -> str:
    """An amount in euros or kronor as the page's or email's language writes it:
    12 345,67 in Swedish, 12 345.67 in English (webapp.i18n.format_amount)."""
    return format_amount(amount)


# --- listening to bookings -----------------------------------------------------------------


#: Where :func:`_on_review` leaves the scheme it found on the booking's instance state, for
#: the ``booking_placed`` that follows in the same registration, under the same event lock.
_REVIEWED_SCHEME = "aid.reviewed_scheme"


def _on_review(booking: Booking, **_: object) -> bool:
    """Hold a booking for an organiser's decision when its aid would pass the ceiling."""
    scheme = scheme_for(booking.event)
    inspect(booking).info[_REVIEWED_SCHEME] = scheme
    if scheme is None:
        return False
    db.session.flush()  # the booking may not be written yet (signals.confirmation_review)
    over = excess(booking, local(utcnow()).date())
    if over <= 0:
        return False
    audit.record(
        None,
        "aid.held_over_ceiling",
        organisation_id=booking.event.organisation_id,
        event_id=booking.event_id,
        booking_id=booking.id,
        company=booking.company.name,
        excess_eur=str(over),
    )
    return True


def _on_placed(booking: Booking, **_: object) -> None:
    reviewed = inspect(booking).info.pop(_REVIEWED_SCHEME, _LOOK_UP)
    _record_grant(booking, scheme=reviewed)


def _on_promoted(booking: Booking, **_: object) -> None:
    _record_grant(booking)


def _on_decided(booking: Booking, *, approved: bool, **_: object) -> None:
    if approved:
        _record_grant(booking, check_ceiling=True)


def _on_cancelled(booking: Booking, **_: object) -> None:
    _withdraw(booking, booking.cancelled_at)


def _on_waitlisted(booking: Booking, **_: object) -> None:
    _withdraw(booking, None)


def _refuse_additions_over_ceiling(booking: Booking) -> None:
    """Participants added to a confirmed booking may not take its aid over the ceiling."""
    if booking.status != BookingStatus.CONFIRMED or _ceiling_reason.get() is not None:
        return
    if scheme_for(booking.event) is None:
        return
    over = excess(booking, local(utcnow()).date())
    if over > 0:
        raise AidError(
            _l(
                "%(company)s: the added participants would take the company's de "
                "minimis aid over the EUR 300,000 ceiling by EUR %(excess)s, so they "
                "cannot be added. Please contact the organiser.",
                company=booking.company.name,
                excess=format_eur(over),
            )
        )


def _on_participants_changed(
    booking: Booking, *, participant: Participant | None = None, **_: object
) -> None:
    moment = participant.cancelled_at if participant is not None else None
    if participant is not None and not _before_start(booking.event, moment):
        return
    if participant is None:
        _refuse_additions_over_ceiling(booking)
    _record_grant(booking)


def _on_companies_merged(keep: Company, *, duplicate: Company, **_: object) -> None:
    """The duplicate's grants and declarations belong to the kept record: one tally."""
    for model in (AidGrant, AidDeclaration):
        db.session.execute(
            update(model)
            .where(model.company_id == duplicate.id)
            .values(company_id=keep.id)
            .execution_options(synchronize_session=False)
        )


def connect() -> None:
    """Follow the booking signals (called once by the app factory)."""
    for signal, receiver in (
        (signals.confirmation_review, _on_review),
        (signals.booking_placed, _on_placed),
        (signals.booking_promoted, _on_promoted),
        (signals.booking_decided, _on_decided),
        (signals.booking_cancelled, _on_cancelled),
        (signals.booking_waitlisted, _on_waitlisted),
        (signals.participants_added, _on_participants_changed),
        (signals.participant_removed, _on_participants_changed),
        (signals.companies_merged, _on_companies_merged),
    ):
        signal.connect(receiver, weak=False)
