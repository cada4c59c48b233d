"""The meeting rules at the service level, on both databases."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tests import factories as f
from tests.accounts import helpers as h
from tests.meetings.conftest import make_world
from webapp.accounts.models import Role
from webapp.bookings import services as bookings
from webapp.db import db, utcnow
from webapp.meetings import services
from webapp.meetings.models import Meeting, MeetingSeat, MeetingStatus
from webapp.organisations.audit import AuditEntry
from webapp.organisations.services import NotAllowed


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _request(world, a: int, b: int, slot: int = 0, message: str | None = "Hej!") -> Meeting:
    meeting = services.request(
        world.bookings[a], world.person(a).id, world.person(b).id, world.slots[slot].id, message
    )
    db.session.commit()
    return meeting


def _accept(world, meeting: Meeting, b: int) -> Meeting:
    meeting = services.answer(world.bookings[b], world.person(b).id, meeting.id, True)
    db.session.commit()
    return meeting


def test_the_generator_makes_slots_with_tables_inside_the_event(world):
    assert len(world.slots) == 3
    assert [len(s.tables) for s in world.slots] == [2, 2, 2]
    assert [(s.ends_at - s.starts_at) for s in world.slots] == [timedelta(minutes=20)] * 3
    first = world.slots[0].starts_at.astimezone(services.STOCKHOLM)
    assert (first.hour, first.minute) == (13, 0)


def test_table_names_are_optional_and_given_in_order(world):
    made = services.generate_slots(
        world.organiser,
        world.event.id,
        world.day,
        time(15),
        time(15, 30),
        30,
        3,
        ["Vänern", "Vättern"],
    )
    assert [t.label for t in made[0].tables] == ["Vänern", "Vättern", "Bord 3"] or [
        t.label for t in made[0].tables
    ] == ["Vänern", "Vättern", "Table 3"]


@pytest.mark.parametrize(
    ("first", "last", "minutes", "tables", "field"),
    [
        (time(7), time(8), 20, 2, "day"),  # before the event's session
        (time(16, 40), time(17, 20), 20, 2, "day"),  # past its end
        (time(13), time(13, 40), 20, 2, "first"),  # overlaps the slots there already
        (time(15), time(15, 10), 20, 2, "last"),  # nothing fits
        (time(15), time(16), 2, 2, "minutes"),
        (time(15), time(16), 20, 0, "tables"),
    ],
)
def test_slots_outside_the_event_or_overlapping_are_refused(
    world, first, last, minutes, tables, field
):
    before = _count(services.MeetingSlot)
    with pytest.raises(services.MeetingError) as refused:
        services.generate_slots(
            world.organiser, world.event.id, world.day, first, last, minutes, tables
        )
    assert refused.value.field == field
    db.session.rollback()
    assert _count(services.MeetingSlot) == before


def test_only_organisers_define_slots_and_enable_meetings(world):
    with pytest.raises(NotAllowed):
        services.generate_slots(world.viewer, world.event.id, world.day, time(15), time(16), 20, 1)
    with pytest.raises(NotAllowed):
        services.set_enabled(world.viewer, world.event.id, False)
    stranger = h.user(f.organisation(), Role.ADMIN)
    with pytest.raises(NotAllowed):
        services.set_enabled(stranger, world.event.id, False)


def test_a_request_and_its_acceptance_take_a_table_and_seat_both(world):
    meeting = _request(world, 0, 1)
    assert meeting.status == MeetingStatus.REQUESTED and meeting.table_id is None
    meeting = _accept(world, meeting, 1)
    assert meeting.status == MeetingStatus.ACCEPTED
    assert meeting.table_id == world.slots[0].tables[0].id
    seats = db.session.scalars(select(MeetingSeat.participant_id)).all()
    assert sorted(seats) == sorted([world.person(0).id, world.person(1).id])


def test_declining_stores_the_answer_and_takes_no_table(world):
    meeting = _request(world, 0, 1)
    services.answer(world.bookings[1], world.person(1).id, meeting.id, False)
    db.session.commit()
    assert meeting.status == MeetingStatus.DECLINED and meeting.table_id is None
    assert _count(MeetingSeat) == 0


def test_only_the_invitee_answers(world):
    meeting = _request(world, 0, 1)
    with pytest.raises(services.MeetingError):
        services.answer(world.bookings[0], world.person(0).id, meeting.id, True)
    with pytest.raises(services.MeetingError):
        services.answer(world.bookings[2], world.person(2).id, meeting.id, True)


def _refused(world, field: str | None, *args) -> services.MeetingError:
    before = _count(Meeting)
    with pytest.raises(services.MeetingError) as refused:
        services.request(*args)
    db.session.rollback()
    assert _count(Meeting) == before
    assert refused.value.field == field
    assert str(refused.value)
    return refused.value


def test_bad_requests_are_refused_with_a_message_and_nothing_stored(world):
    a, b = world.bookings[0], world.person(1).id
    me = world.person(0).id
    slot = world.slots[0].id
    # At the world's event's time (09:00): the default, now's time of day, may end after
    # midnight, and slots lie within one day.
    other_event = f.event(world.event.organisation, starts_at=world.event.starts_at)
    services.set_enabled(world.organiser, other_event.id, True)
    foreign = services.generate_slots(
        world.organiser,
        other_event.id,
        other_event.starts_at.astimezone(services.STOCKHOLM).date(),
        time(10, 0),
        time(11, 0),
        20,
        1,
    )[0]
    db.session.commit()
    _refused(world, "slot", a, me, b, foreign.id, None)  # a slot of another event
    _refused(world, "slot", a, me, b, 999999, None)  # no such slot
    _refused(world, "invitee", a, me, me, slot, None)  # oneself
    _refused(world, "message", a, me, b, slot, "x" * 10_000)
    _refused(world, "invitee", a, me, 999999, slot, None)  # nobody with a profile


def test_a_request_to_someone_already_meeting_then_is_refused(world):
    _accept(world, _request(world, 1, 2), 2)
    error = _refused(
        world,
        "slot",
        world.bookings[0],
        world.person(0).id,
        world.person(1).id,
        world.slots[0].id,
        None,
    )
    assert "Visad 1" in str(error)


def test_nothing_is_requested_while_meetings_are_not_enabled(world):
    services.set_enabled(world.organiser, world.event.id, False)
    db.session.commit()
    with pytest.raises(services.MeetingsNotEnabled):
        services.request(
            world.bookings[0], world.person(0).id, world.person(1).id, world.slots[0].id, None
        )
    with pytest.raises(services.MeetingsNotEnabled):
        services.save_profile(world.bookings[0], world.person(0).id, services.ProfileData("X", "Y"))


def test_one_person_is_never_in_two_accepted_meetings_of_a_slot(world):
    first = _request(world, 0, 1)
    second = _request(world, 2, 1)  # both ask person 1 for the same time
    _accept(world, first, 1)
    with pytest.raises(services.PersonBusy):
        services.answer(world.bookings[1], world.person(1).id, second.id, True)
    db.session.rollback()
    assert db.session.get(Meeting, second.id).status == MeetingStatus.REQUESTED


def test_a_slot_never_has_more_accepted_meetings_than_tables(app):
    world = make_world(tables=1, people=4)
    first = _request(world, 0, 1)
    second = _request(world, 2, 3)
    _accept(world, first, 1)
    with pytest.raises(services.SlotFull):
        services.answer(world.bookings[3], world.person(3).id, second.id, True)
    db.session.rollback()
    # ... and a full slot is not offered for new requests.
    assert world.slots[0].id not in [
        s.id for s in services.free_slots(world.event.id, world.person(2).id, world.person(3).id)
    ]


def test_the_database_refuses_a_second_meeting_at_one_table(world):
    """The constraints back the services up: a table holds one accepted meeting."""
    first = _accept(world, _request(world, 0, 1), 1)
    second = _request(world, 2, 0, slot=1)
    second.status, second.table_id, second.slot_id = (
        MeetingStatus.ACCEPTED,
        first.table_id,
        first.slot_id,
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_the_database_refuses_one_person_in_two_meetings_of_a_slot(world):
    meeting = _accept(world, _request(world, 0, 1), 1)
    db.session.add(
        MeetingSeat(
            meeting_id=meeting.id, slot_id=meeting.slot_id, participant_id=world.person(0).id
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_the_database_refuses_a_table_of_another_slot(world):
    meeting = _request(world, 0, 1)
    meeting.status, meeting.table_id = MeetingStatus.ACCEPTED, world.slots[1].tables[0].id
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_profiles_show_what_was_chosen_never_the_email(world):
    shown = services.others(world.event.id, world.person(0).id)
    assert {p.display_name for p in shown} == {"Visad 1", "Visad 2"}
    assert not any(hasattr(p, "email") for p in shown)


def test_the_prefill_is_the_participants_name_and_company(world):
    data = services.prefill(world.person(0))
    assert data.display_name == world.person(0).name
    assert data.company_name == world.bookings[0].company.name


def test_the_prefill_takes_what_the_company_wrote_in_the_directory(world):
    from webapp.directory import services as directory

    booking = world.bookings[0]
    profile = directory.profile_of_company(booking.company_id)
    profile.offers, profile.seeks = "Laserskärning", "Kunder i Norge"
    profile.description, profile.description_en = "Legotillverkare", "Contract manufacturer"
    db.session.commit()
    data = services.prefill(world.person(0))
    assert (data.offers, data.seeks) == ("Laserskärning", "Kunder i Norge")
    expected = "Contract manufacturer" if booking.language == "en" else "Legotillverkare"
    assert data.description == expected
    profile.hidden_at = utcnow()  # hidden by organisers: not copied
    db.session.commit()
    assert services.prefill(world.person(0)).offers is None


def test_organisers_move_and_cancel_with_an_audit_entry(world):
    meeting = _accept(world, _request(world, 0, 1), 1)
    target = world.slots[2]
    services.move(world.organiser, meeting.id, target.id, target.tables[1].id)
    db.session.commit()
    assert (meeting.slot_id, meeting.table_id, meeting.sequence) == (
        target.id,
        target.tables[1].id,
        1,
    )
    assert set(db.session.scalars(select(MeetingSeat.slot_id))) == {target.id}
    services.cancel_by_organiser(world.organiser, meeting.id, "Krock med föredrag")
    db.session.commit()
    assert meeting.status == MeetingStatus.CANCELLED and _count(MeetingSeat) == 0
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"meetings.moved", "meetings.cancelled"} <= actions
    with pytest.raises(NotAllowed):
        services.move(world.viewer, meeting.id, target.id, None)


def test_a_move_onto_a_busy_table_or_person_is_refused(world):
    first = _accept(world, _request(world, 0, 1), 1)
    second = _accept(world, _request(world, 2, 0, slot=1), 0)
    with pytest.raises(services.PersonBusy):  # person 0 already meets 2 in slot 1
        services.move(world.organiser, first.id, world.slots[1].id, world.slots[1].tables[1].id)
    db.session.rollback()
    third = _accept(world, _request(world, 1, 2, slot=2), 2)
    with pytest.raises(services.MeetingError):
        services.move(world.organiser, second.id, world.slots[2].id, third.table_id)
    db.session.rollback()


def test_a_cancelled_booking_loses_its_meetings(world):
    accepted = _accept(world, _request(world, 0, 1), 1)
    asked = _request(world, 2, 0, slot=1)
    bookings.cancel(world.bookings[0].id)
    db.session.commit()
    assert accepted.status == asked.status == MeetingStatus.CANCELLED
    assert accepted.cancelled_by == "booking"
    assert _count(MeetingSeat) == 0


def test_figures_count_requested_accepted_held_and_companies(world):
    _accept(world, _request(world, 0, 1), 1)
    _request(world, 0, 2, slot=1)
    found = services.event_figures(world.event.id)
    assert (found.requested, found.accepted, found.held, found.companies_met) == (2, 1, 0, 0)
    later = world.slots[0].ends_at + timedelta(minutes=1)
    found = services.figures(Meeting.event_id == world.event.id, now=later)
    assert (found.held, found.companies_met) == (1, 2)


def test_anonymised_people_keep_no_profile_or_message(world):
    from webapp.privacy.anonymise import anonymise

    meeting = _accept(world, _request(world, 0, 1, message="Ring mig på 070-123 45 67"), 1)
    anonymise([world.person(0).id], [], bookings.utcnow())
    db.session.commit()
    assert services.profile_of(world.person(0).id) is None
    assert db.session.get(Meeting, meeting.id).message is None
    assert services.profile_of(world.person(1).id) is not None


def test_a_cancelled_event_ends_its_meetings(world):
    from webapp.events import management

    meeting = _accept(world, _request(world, 0, 1), 1)
    management.cancel(world.organiser, world.event.id)
    db.session.commit()
    assert db.session.get(Meeting, meeting.id).status == MeetingStatus.CANCELLED
    assert _count(MeetingSeat) == 0


def test_a_move_to_another_time_with_the_old_times_table_keeps_its_number(world):
    meeting = _accept(world, _request(world, 0, 1), 1)
    _accept(world, _request(world, 2, 1, slot=2), 1)  # table 1 of the last time is taken
    services.move(world.organiser, meeting.id, world.slots[1].id, world.slots[0].tables[1].id)
    db.session.commit()
    assert meeting.table_id == world.slots[1].tables[1].id
    with pytest.raises(services.PersonBusy):
        services.move(world.organiser, meeting.id, world.slots[2].id, None)
    db.session.rollback()
