"""The aid rules at the service level: grants follow bookings, the window, the ceiling."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests import factories as f
from webapp.aid import services
from webapp.aid.models import AidBasis, AidGrant, GrantStatus
from webapp.bookings import organising
from webapp.bookings import services as bookings
from webapp.db import db, utcnow
from webapp.events.models import EventKind
from webapp.organisations.audit import AuditEntry


def _grant(booking) -> AidGrant | None:
    return services.grant_for_booking(booking.id)


def test_a_confirmed_booking_of_an_aid_event_is_granted_with_the_rate_it_used(aid):
    event = f.event(aid.org, project=aid.project)
    booking = f.book(event, 2)
    grant = _grant(booking)
    assert grant.status is GrantStatus.GRANTED
    assert (grant.units, grant.amount_sek, grant.amount_eur) == (
        2,
        Decimal("46000.00"),
        Decimal("4000.00"),
    )
    assert (grant.sek_per_eur, grant.rate_valid_from) == (Decimal("11.5000"), date(2020, 1, 1))
    # A later rate applies to later grants only.
    services.set_rate(
        aid.organiser, aid.project.id, date.today() - timedelta(days=1), Decimal("10")
    )
    later = f.book(event, 1, company=2)
    assert _grant(later).amount_eur == Decimal("2300.00")
    assert _grant(booking).amount_eur == Decimal("4000.00")


def test_events_without_aid_behave_as_before(aid):
    plain = f.event(aid.org)
    booking = f.book(plain, 1)
    assert booking.status.value == "confirmed" and _grant(booking) is None
    opted_out = f.event(aid.org, project=aid.project)
    services.set_event_scheme(aid.organiser, opted_out.id, AidBasis.NONE, None)
    assert _grant(f.book(opted_out, 1, company=3)) is None


def test_per_company_counts_one_unit_whatever_the_participants(aid):
    event = f.event(aid.org, project=aid.project)
    services.set_event_scheme(aid.organiser, event.id, AidBasis.PER_COMPANY, Decimal("11500"))
    grant = _grant(f.book(event, 3))
    assert (grant.units, grant.amount_eur) == (1, Decimal("1000.00"))


def test_removing_a_participant_before_the_event_lowers_the_grant(aid):
    event = f.event(aid.org, project=aid.project)
    booking = f.book(event, 2)
    bookings.remove_participant(booking.id, booking.participants[1].id)
    assert _grant(booking).amount_eur == Decimal("2000.00")


def test_cancelling_before_the_event_withdraws_the_grant(aid):
    event = f.event(aid.org, project=aid.project)
    booking = f.book(event, 1)
    bookings.cancel(booking.id)
    assert _grant(booking).status is GrantStatus.WITHDRAWN
    assert services.tally(booking.company_id).granted_eur == 0


def test_cancelling_after_the_event_started_keeps_the_grant(aid):
    event = f.event(aid.org, project=aid.project)
    booking = f.book(event, 1)
    bookings.cancel(booking.id, by_organiser=True, now=event.starts_at + timedelta(hours=1))
    assert _grant(booking).status is GrantStatus.GRANTED
    assert services.tally(booking.company_id).granted_eur == Decimal("2000.00")


def _granted_on(booking, day: date) -> None:
    grant = _grant(booking)
    grant.granted_on = day
    db.session.flush()


def test_the_three_year_window_at_its_edges(aid):
    event = f.event(aid.org, project=aid.project)
    booking = f.book(event, 1)
    on = date(2026, 6, 15)
    _granted_on(booking, date(2023, 6, 15))  # exactly three years before: counts
    assert services.tally(booking.company_id, on).granted_eur == Decimal("2000.00")
    _granted_on(booking, date(2023, 6, 14))  # three years and one day before: out
    assert services.tally(booking.company_id, on).granted_eur == 0
    _granted_on(booking, date(2026, 6, 16))  # after the date: not yet
    assert services.tally(booking.company_id, on).granted_eur == 0
    _granted_on(booking, date(2026, 6, 15))  # on the date itself: counts
    assert services.tally(booking.company_id, on).granted_eur == Decimal("2000.00")
    # From 29 February the window starts on 28 February three years earlier.
    assert services.three_years_before(date(2028, 2, 29)) == date(2025, 2, 28)


def test_the_latest_declaration_counts_and_older_ones_are_kept(aid):
    event = f.event(aid.org, project=aid.project)
    first = f.book(event, 1, company=1)
    services.declare(
        first, Decimal("50000"), [], text="t", text_version="v", now=utcnow() - timedelta(days=2)
    )
    second = f.book(f.event(aid.org, project=aid.project), 1, company=1)
    services.declare(second, Decimal("1000"), ["SE 556036-0793"], text="t", text_version="v")
    tally = services.tally(first.company_id)
    assert tally.declared_eur == Decimal("1000.00")
    assert tally.granted_eur == Decimal("4000.00")
    assert tally.total_eur == Decimal("5000.00")
    assert tally.headroom_eur == Decimal("295000.00")
    assert len(services.declarations(first.company_id)) == 2


def test_tallies_count_aid_from_every_organisation(aid):
    other = f.organisation("Annan Park")
    project = f.project(other)
    services.set_rate(aid.organiser, aid.project.id, date(2020, 1, 1), Decimal("11.5"))
    db.session.add(
        services.AidScheme(
            project_id=project.id, basis=AidBasis.PER_COMPANY, amount_sek=Decimal("5000")
        )
    )
    db.session.add(
        services.EurRate(
            project_id=project.id, valid_from=date(2020, 1, 1), sek_per_eur=Decimal("10")
        )
    )
    db.session.flush()
    f.book(f.event(aid.org, project=aid.project), 1, company=1)
    booking = f.book(f.event(other, project=project), 1, company=1)
    assert services.tally(booking.company_id).granted_eur == Decimal("2500.00")


def _trip(aid):
    return f.event(aid.org, project=aid.project, kind=EventKind.STUDY_TRIP, requires_approval=True)


def test_approval_over_the_ceiling_is_refused_then_accepted_with_a_reason(aid):
    trip = _trip(aid)
    booking = f.book(trip, 2)
    services.declare(booking, Decimal("297000"), [], text="t", text_version="v")
    db.session.commit()
    with pytest.raises(services.CeilingExceeded) as refused:
        organising.decide(aid.organiser, trip, [booking.id], approve=True)
    assert "1 000,00" in str(refused.value)  # 297 000 + 4 000 is 1 000 over
    db.session.rollback()
    assert (
        _grant(booking) is None
        and db.session.get(type(booking), booking.id).status.value == "pending"
    )
    with pytest.raises(services.CeilingExceeded):
        services.approve_over_ceiling(aid.organiser, booking.id, "   ")
    db.session.rollback()
    services.approve_over_ceiling(aid.organiser, booking.id, "Beslut i styrgruppen 2026-11-30")
    db.session.commit()
    assert _grant(booking).amount_eur == Decimal("4000.00")
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "aid.ceiling_overridden")
    )
    assert entry.details["reason"] == "Beslut i styrgruppen 2026-11-30"
    assert entry.details["excess_eur"] == "1000.00"


def test_an_approval_within_the_ceiling_needs_no_reason(aid):
    trip = _trip(aid)
    booking = f.book(trip, 1)
    organising.decide(aid.organiser, trip, [booking.id], approve=True)
    assert _grant(booking).status is GrantStatus.GRANTED


def test_corrections_need_a_reason_and_are_logged(aid):
    booking = f.book(f.event(aid.org, project=aid.project), 1)
    grant = _grant(booking)
    with pytest.raises(services.AidError):
        services.correct(aid.organiser, grant.id, Decimal("1000"), "")
    with pytest.raises(services.AidError):
        services.correct(aid.organiser, grant.id, Decimal("-1"), "fel")
    with pytest.raises(services.NotAllowed):
        services.correct(aid.viewer, grant.id, Decimal("1000"), "fel")
    services.correct(aid.organiser, grant.id, Decimal("11500"), "Halv dag")
    assert (grant.amount_sek, grant.amount_eur) == (Decimal("11500.00"), Decimal("1000.00"))
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "aid.corrected"))
    assert entry.details["reason"] == "Halv dag"
    assert entry.details["amount_sek"] == ["23000.00", "11500.00"]


def test_settings_refuse_bad_values_and_check_the_role(aid):
    event = f.event(aid.org, project=aid.project)
    for bad in (Decimal("0"), Decimal("-5"), Decimal("20000000")):
        with pytest.raises(services.AidError):
            services.set_event_scheme(aid.organiser, event.id, AidBasis.PER_PARTICIPANT, bad)
    with pytest.raises(services.AidError):
        services.set_rate(aid.organiser, aid.project.id, date(2026, 1, 1), Decimal("0"))
    with pytest.raises(services.NotAllowed):
        services.set_rate(aid.viewer, aid.project.id, date(2026, 1, 1), Decimal("11"))
    no_project = f.event(aid.org)
    with pytest.raises(services.AidError):
        services.set_event_scheme(
            aid.organiser, no_project.id, AidBasis.PER_COMPANY, Decimal("100")
        )


def test_promotion_from_the_waiting_list_and_added_participants_grant_aid(aid):
    event = f.event(aid.org, project=aid.project, capacity=1)
    first = f.book(event, 1)
    waiting = f.book(event, 1, company=2)
    assert _grant(waiting) is None
    bookings.cancel(first.id)
    assert _grant(waiting).amount_eur == Decimal("2000.00")
    event.capacity = 5
    bookings.add_participants(waiting.id, f.people(1))
    assert _grant(waiting).amount_eur == Decimal("4000.00")
    organising.move(aid.organiser, waiting.id, organising.Move.WAITLIST)
    assert _grant(waiting).status is GrantStatus.WITHDRAWN


def test_a_merge_moves_grants_and_declarations_to_the_kept_record(aid):
    from webapp.companies import services as register

    event = f.event(aid.org, project=aid.project)
    kept = f.book(event, 1, company=1)
    duplicate = f.book(event, 1, company=2)
    services.declare(duplicate, Decimal("700"), [], text="t", text_version="v")
    register.merge(aid.organiser, kept.company_id, duplicate.company_id)
    tally = services.tally(kept.company_id)
    assert (tally.granted_eur, tally.declared_eur) == (Decimal("4000.00"), Decimal("700.00"))
