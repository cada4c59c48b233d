"""The capacity rule, the waiting list and the registration rules, at the service level."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from tests import factories as f
from webapp.bookings import services
from webapp.bookings.models import Booking, BookingStatus, Participant
from webapp.companies.models import Company
from webapp.db import db, utcnow
from webapp.events.models import Event, EventStatus


def seats_invariant(event: Event) -> None:
    """seats_taken equals what confirmed bookings hold, and never exceeds capacity."""
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    held = db.session.scalar(
        select(func.coalesce(func.sum(Booking.seats_held), 0)).where(Booking.event_id == event.id)
    )
    assert event.seats_taken == held
    if event.capacity is not None:
        assert event.seats_taken <= event.capacity


def test_booking_that_fits_is_confirmed_and_takes_its_seats(app):
    event = f.event(capacity=5)
    booking = f.book(event, 3)
    db.session.commit()
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.seats_held == 3
    assert db.session.get(Event, event.id).seats_taken == 3
    seats_invariant(event)


def test_booking_that_does_not_fit_goes_on_the_waiting_list_whole(app):
    event = f.event(capacity=5)
    f.book(event, 3, company=1)
    waiting = f.book(event, 3, company=2)
    db.session.commit()
    assert waiting.status == BookingStatus.WAITLISTED
    assert waiting.seats_held == 0
    assert db.session.get(Event, event.id).seats_taken == 3
    seats_invariant(event)


def test_smaller_booking_still_fits_after_a_larger_one_was_waitlisted(app):
    event = f.event(capacity=5)
    f.book(event, 3, company=1)
    assert f.book(event, 3, company=2).status == BookingStatus.WAITLISTED
    assert f.book(event, 2, company=3).status == BookingStatus.CONFIRMED
    db.session.commit()
    seats_invariant(event)


def test_unlimited_capacity_confirms_everyone(app):
    event = f.event(capacity=None)
    for i in range(5):
        assert f.book(event, 4, company=i).status == BookingStatus.CONFIRMED
    db.session.commit()
    assert db.session.get(Event, event.id).seats_taken == 20


def test_cancelling_frees_seats_and_promotes_the_earliest_waiting_that_fit(app):
    event = f.event(capacity=4)
    first = f.book(event, 4, company=1)
    big = f.book(event, 3, company=2)  # waits first
    small = f.book(event, 1, company=3)  # waits second
    db.session.commit()
    assert big.status == small.status == BookingStatus.WAITLISTED

    services.cancel(first.id)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Booking, first.id).status == BookingStatus.CANCELLED
    assert db.session.get(Booking, big.id).status == BookingStatus.CONFIRMED
    assert db.session.get(Booking, small.id).status == BookingStatus.CONFIRMED
    assert db.session.get(Event, event.id).seats_taken == 4
    seats_invariant(event)


def test_promotion_keeps_order_and_skips_bookings_that_do_not_fit(app):
    event = f.event(capacity=3)
    first = f.book(event, 3, company=1)
    too_big = f.book(event, 3, company=2)
    fits = f.book(event, 2, company=3)
    db.session.commit()
    services.remove_participant(first.id, first.participants[0].id)
    services.remove_participant(first.id, first.participants[1].id)
    db.session.commit()
    db.session.expire_all()
    # One seat held by `first`; two free: `too_big` (3) cannot fit, `fits` (2) can.
    assert db.session.get(Booking, too_big.id).status == BookingStatus.WAITLISTED
    assert db.session.get(Booking, fits.id).status == BookingStatus.CONFIRMED
    seats_invariant(event)


def test_cancelled_booking_cannot_be_cancelled_again(app):
    event = f.event()
    booking = f.book(event, 1)
    db.session.commit()
    services.cancel(booking.id)
    db.session.commit()
    with pytest.raises(services.BookingNotActive):
        services.cancel(booking.id)
    db.session.rollback()
    seats_invariant(event)


def test_company_cannot_cancel_after_the_event_started(app):
    event = f.event(starts_at=utcnow() + timedelta(hours=1))
    booking = f.book(event, 1)
    db.session.commit()
    with pytest.raises(services.RegistrationClosed):
        services.cancel(booking.id, now=utcnow() + timedelta(hours=2))


def test_approval_events_put_bookings_in_pending_without_taking_seats(app):
    event = f.event(capacity=2, requires_approval=True)
    booking = f.book(event, 2)
    db.session.commit()
    assert booking.status == BookingStatus.PENDING
    assert db.session.get(Event, event.id).seats_taken == 0


def test_a_company_has_one_active_booking_per_event(app):
    event = f.event(capacity=50, max_per_company=3)
    first = f.book(event, 2, company=1)
    db.session.commit()
    with pytest.raises(services.AlreadyBooked) as refused:
        f.book(event, 1, company=1)
    db.session.rollback()
    assert refused.value.booking_id == first.id
    # Nothing of the existing booking is in the message the registrant sees.
    assert first.contact_email not in str(refused.value)
    with force_locale("en"):
        assert "already registered" in str(refused.value)
    assert f.book(event, 3, company=2).status == BookingStatus.CONFIRMED
    db.session.commit()


def test_a_waitlisted_booking_does_not_use_up_the_company_limit_elsewhere(app):
    """The reported case: a full event, a waiting booking, and "can add 0 more"."""
    event = f.event(capacity=1, max_per_company=3)
    f.book(event, 1, company=1)
    waiting = f.book(event, 3, company=2)
    db.session.commit()
    assert waiting.status == BookingStatus.WAITLISTED
    with pytest.raises(services.AlreadyBooked) as second:
        f.book(event, 1, company=2)
    db.session.rollback()
    assert "0" not in str(second.value)
    # Another company is not affected by company 2's waiting booking.
    assert f.book(event, 3, company=3).status == BookingStatus.WAITLISTED
    db.session.commit()
    with pytest.raises(services.CompanyLimitExceeded) as full:
        services.add_participants(waiting.id, f.people(1))
    with force_locale("en"):
        assert "already has that many" in str(full.value)


def test_the_company_limit_says_how_many_more_fit(app):
    event = f.event(capacity=50, max_per_company=3)
    booking = f.book(event, 1, company=1)
    db.session.commit()
    with pytest.raises(services.CompanyLimitExceeded) as refused:
        services.add_participants(booking.id, f.people(3))
    with force_locale("en"):
        assert "can add 2 more" in str(refused.value)


def test_waiting_position_follows_the_queue(app):
    event = f.event(capacity=1)
    f.book(event, 1)
    first, second, third = (f.book(event, 1) for _ in range(3))
    db.session.commit()
    assert [services.waiting_position(b) for b in (first, second, third)] == [1, 2, 3]
    services.cancel(first.id)
    db.session.commit()
    assert services.waiting_position(second) == 1
    assert services.waiting_position(third) == 2
    assert services.waiting_count(event.id) == 2


def test_editing_a_participant_keeps_their_seat_and_the_queue_order(app):
    event = f.event(capacity=2)
    f.book(event, 2)
    waiting = f.book(event, 2)
    later = f.book(event, 1)
    db.session.commit()
    person = waiting.active_participants[0]
    services.update_participant(
        waiting.id,
        person.id,
        services.ParticipantData(
            name="Rättat Namn", email="Rattad@Example.se", dietary_needs="Vegan"
        ),
    )
    db.session.commit()
    db.session.refresh(person)
    assert (person.name, person.email, person.dietary_needs) == (
        "Rättat Namn",
        "rattad@example.se",
        "Vegan",
    )
    assert person.cancelled_at is None
    assert [p.id for p in waiting.active_participants][0] == person.id
    assert services.waiting_position(waiting) == 1
    assert services.waiting_position(later) == 2


def test_participant_email_must_stay_unique_within_the_booking(app):
    booking = f.book(f.event(), 2)
    db.session.commit()
    one, two = booking.active_participants
    with pytest.raises(services.BookingError):
        services.update_participant(
            booking.id, one.id, services.ParticipantData(name="X", email=two.email.upper())
        )


def test_companies_change_details_only_until_the_start(app):
    event = f.event(starts_at=utcnow() + timedelta(hours=1))
    booking = f.book(event, 1)
    db.session.commit()
    later = utcnow() + timedelta(hours=2)
    person = booking.active_participants[0]
    data = services.ParticipantData(name="Ny", email="ny@example.se")
    with pytest.raises(services.RegistrationClosed):
        services.update_participant(booking.id, person.id, data, now=later)
    db.session.rollback()
    with pytest.raises(services.RegistrationClosed):
        services.update_contact(booking.id, services.ContactData("Ny", "ny@example.se"), now=later)
    db.session.rollback()
    services.update_participant(booking.id, person.id, data, by_organiser=True, now=later)
    db.session.commit()


def test_changing_the_contact_person(app):
    booking = f.book(f.event(), 1)
    db.session.commit()
    services.update_contact(booking.id, services.ContactData("Ny Kontakt", "NY@example.se", "070"))
    db.session.commit()
    db.session.refresh(booking)
    assert (booking.contact_name, booking.contact_email, booking.contact_phone) == (
        "Ny Kontakt",
        "ny@example.se",
        "070",
    )
    services.cancel(booking.id)
    db.session.commit()
    with pytest.raises(services.BookingNotActive):
        services.update_contact(booking.id, services.ContactData("X", "x@example.se"))


def test_cancelled_bookings_do_not_count_towards_the_company_limit(app):
    event = f.event(capacity=50, max_per_company=2)
    first = f.book(event, 2, company=1)
    db.session.commit()
    services.cancel(first.id)
    db.session.commit()
    assert f.book(event, 2, company=1).status == BookingStatus.CONFIRMED


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"status": EventStatus.DRAFT}, services.EventNotFound),
        ({"status": EventStatus.CANCELLED}, services.RegistrationClosed),
        ({"registration_opens_at": "future"}, services.RegistrationClosed),
        ({"registration_closes_at": "past"}, services.RegistrationClosed),
    ],
)
def test_registration_is_refused_outside_its_window_and_for_unpublished_events(app, change, error):
    event = f.event()
    for key, value in change.items():
        if value == "future":
            value = utcnow() + timedelta(days=1)
        elif value == "past":
            value = utcnow() - timedelta(minutes=1)
        setattr(event, key, value)
    db.session.commit()
    with pytest.raises(error):
        f.book(event, 1)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Booking.id))) == 0


def test_registration_closes_when_the_first_session_starts(app):
    event = f.event(starts_at=utcnow() + timedelta(days=2))
    db.session.commit()
    with pytest.raises(services.RegistrationClosed):
        f.book(event, 1, now=utcnow() + timedelta(days=3))


def test_same_company_registering_again_is_recognised_by_its_number(app):
    one, two = f.event(), f.event()
    first = f.book(one, 1, company=7)
    second = services.register(
        two.id,
        f.company_data(7, name="Nytt Namn AB"),
        services.ContactData("K", "k@example.se"),
        f.people(1),
        consent_version="test",
    )
    db.session.commit()
    companies = db.session.scalars(select(Company)).all()
    assert len(companies) == 1
    assert first.company_id == second.company_id == companies[0].id
    # The register keeps the first registration's name (webapp.companies owns it).
    assert companies[0].name == "Företag 7 AB"
    assert second.declared_name == "Nytt Namn AB"


def test_a_form_sent_twice_makes_one_booking(app):
    event = f.event(capacity=10)
    people = f.people(2)
    first = f.book(event, 2, company=5, participants=people, submission_key="abc")
    db.session.commit()
    # The same people, the addresses typed in another case.
    retyped = [replace(p, email=p.email.upper()) for p in reversed(people)]
    again = f.book(event, 2, company=5, participants=retyped, submission_key="abc")
    db.session.commit()
    assert again.id == first.id
    assert db.session.scalar(select(func.count(Booking.id))) == 1
    seats_invariant(event)


def test_a_form_sent_again_with_other_people_is_refused_and_changes_nothing(app):
    event = f.event(capacity=10)
    first = f.book(event, 2, company=5, submission_key="abc")
    db.session.commit()
    with pytest.raises(services.ChangedResubmission) as refused:
        f.book(event, 3, company=5, submission_key="abc")
    db.session.rollback()
    assert refused.value.booking_id == first.id
    assert services.booking_for_token(refused.value.token).id == first.id
    assert db.session.scalar(select(func.count(Participant.id))) == 2
    assert db.session.get(Event, event.id).seats_taken == 2


def test_adding_participants_to_a_confirmed_booking_needs_free_seats(app):
    event = f.event(capacity=3)
    booking = f.book(event, 2)
    db.session.commit()
    services.add_participants(booking.id, f.people(1))
    db.session.commit()
    with pytest.raises(services.NotEnoughSeats):
        services.add_participants(booking.id, f.people(1))
    db.session.rollback()
    assert len(db.session.get(Booking, booking.id).active_participants) == 3
    seats_invariant(event)


def test_adding_participants_respects_the_company_limit(app):
    event = f.event(capacity=30, max_per_company=2)
    booking = f.book(event, 2)
    db.session.commit()
    with pytest.raises(services.CompanyLimitExceeded):
        services.add_participants(booking.id, f.people(1))


def test_waitlisted_booking_grows_without_seats(app):
    event = f.event(capacity=1)
    f.book(event, 1, company=1)
    waiting = f.book(event, 1, company=2)
    db.session.commit()
    services.add_participants(waiting.id, f.people(1))
    db.session.commit()
    assert db.session.get(Booking, waiting.id).seats_held == 0
    seats_invariant(event)


def test_last_participant_cannot_be_removed(app):
    event = f.event()
    booking = f.book(event, 1)
    db.session.commit()
    with pytest.raises(services.LastParticipant):
        services.remove_participant(booking.id, booking.participants[0].id)


def test_manage_token_finds_its_booking_and_nothing_else(app):
    event = f.event()
    booking = f.book(event, 1)
    other = f.book(event, 1, company=2)
    db.session.commit()
    token = services.manage_token(booking)
    assert services.booking_for_token(token).id == booking.id
    # The same MAC with another id, a changed MAC, and garbage all find nothing.
    mac = token.split("-", 1)[1]
    assert services.booking_for_token(f"{other.id}-{mac}") is None
    assert services.booking_for_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert services.booking_for_token("not-a-token") is None
    assert services.booking_for_token("") is None
    # A new nonce revokes the old link.
    booking.token_nonce = "0" * 32
    db.session.commit()
    assert services.booking_for_token(token) is None


def test_approving_a_pending_booking_takes_seats_only_if_they_fit(app):
    event = f.event(capacity=3, requires_approval=True)
    one = f.book(event, 2, company=1)
    two = f.book(event, 2, company=2)
    db.session.commit()
    services.approve(one.id)
    db.session.commit()
    with pytest.raises(services.NotEnoughSeats):
        services.approve(two.id)
    db.session.rollback()
    assert db.session.get(Booking, two.id).status == BookingStatus.PENDING
    services.decline(two.id)
    db.session.commit()
    assert db.session.get(Booking, two.id).status == BookingStatus.DECLINED
    seats_invariant(event)


def test_moving_to_the_waiting_list_gives_the_seats_to_others(app):
    event = f.event(capacity=2)
    first = f.book(event, 2, company=1)
    waiting = f.book(event, 2, company=2)
    db.session.commit()
    services.move_to_waiting_list(first.id)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Booking, first.id).status == BookingStatus.WAITLISTED
    assert db.session.get(Booking, waiting.id).status == BookingStatus.CONFIRMED
    seats_invariant(event)


def test_nothing_is_confirmed_or_added_on_a_cancelled_event(app):
    from webapp.events.services import cancel_event

    event = f.event(capacity=5, requires_approval=True)
    pending = f.book(event, 1)
    db.session.commit()
    cancel_event(event.id)
    db.session.commit()
    with pytest.raises(services.RegistrationClosed):
        services.approve(pending.id)
    db.session.rollback()
    with pytest.raises(services.RegistrationClosed):
        services.add_participants(pending.id, f.people(1), by_organiser=True)
    db.session.rollback()
    assert db.session.get(Booking, pending.id).status == BookingStatus.PENDING
    seats_invariant(event)


def test_companies_cannot_remove_participants_after_the_start_but_organisers_can(app):
    event = f.event(starts_at=utcnow() + timedelta(hours=1))
    booking = f.book(event, 2)
    db.session.commit()
    later = utcnow() + timedelta(hours=2)
    with pytest.raises(services.RegistrationClosed):
        services.remove_participant(booking.id, booking.participants[0].id, now=later)
    db.session.rollback()
    services.remove_participant(
        booking.id, booking.participants[0].id, by_organiser=True, now=later
    )
    db.session.commit()
    seats_invariant(event)


def test_added_participants_must_be_new_people_within_the_booking_cap(app):
    app.config["MAX_PARTICIPANTS_PER_BOOKING"] = 3
    event = f.event(capacity=None)
    booking = f.book(event, 2)
    db.session.commit()
    same = services.ParticipantData("Again", booking.participants[0].email.upper())
    with pytest.raises(services.BookingError, match="egen e-postadress"):
        services.add_participants(booking.id, [same])
    db.session.rollback()
    with pytest.raises(services.BookingError, match="Högst 3"):
        services.add_participants(booking.id, f.people(2))
    db.session.rollback()
    services.add_participants(booking.id, f.people(1))
    db.session.commit()
    assert len(db.session.get(Booking, booking.id).active_participants) == 3


def test_a_submission_key_from_another_event_is_not_a_repeat(app):
    one, two = f.event(), f.event()
    first = f.book(one, 1, submission_key="k")
    db.session.commit()
    second = f.book(two, 1, company=2, submission_key="k")
    db.session.commit()
    assert second.id != first.id and second.event_id == two.id


def test_event_dates_follow_the_sessions_not_called_off(app):
    from webapp.events.models import EventSession
    from webapp.events.services import sync_span

    event = f.event(starts_at=utcnow() + timedelta(days=5))
    old = event.sessions[0]
    start = utcnow() + timedelta(days=26)
    event.sessions.append(EventSession(starts_at=start, ends_at=start + timedelta(hours=2)))
    old.cancelled_at = utcnow()
    sync_span(event)
    assert event.starts_at == start
    for session in event.sessions:
        session.cancelled_at = utcnow()
    sync_span(event)
    assert event.starts_at == old.starts_at  # a cancelled event keeps its dates
