"""The meeting rules: slots, profiles, requests, answers, moves, cancellations.

**Who.** A participant of a confirmed booking, acting from the booking's manage link, once
the organisers have enabled meetings for the event. Organisers (role checked here) define
the slots, move and cancel meetings. Others see a profile only: what its participant chose
to show, never their email; contact details are shown only on both sides of an accepted
meeting.

**The table rule.** An accepted meeting holds a table of its slot; a slot never has more
accepted meetings than tables, and nobody is in two accepted meetings of one slot. Every
meeting change first locks the event row (:func:`webapp.db.lock_row`), as the booking
services do, so acceptances, moves and booking cancellations of one event take turns and
the checks below read what the others committed; the database's constraints
(webapp.meetings.models) back them up, so two acceptances racing for the last table cannot
both win even if a check were wrong.

Services flush, never commit; they raise :class:`MeetingError` (a RuleViolation) naming
the form field the rule is about.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import selectinload

from webapp import signals
from webapp.accounts.models import Role, User
from webapp.bookings.models import Booking, BookingStatus, Participant
from webapp.db import db, lock_row, utcnow
from webapp.directory.models import CompanyProfile
from webapp.errors import RuleViolation
from webapp.events.models import Event, EventStatus
from webapp.i18n import STOCKHOLM
from webapp.meetings.models import (
    DESCRIPTION_MAX,
    MESSAGE_MAX,
    OFFER_MAX,
    Meeting,
    MeetingProfile,
    MeetingSeat,
    MeetingSettings,
    MeetingSlot,
    MeetingStatus,
    MeetingTable,
)
from webapp.organisations import audit
from webapp.organisations.services import NotAllowed, require_role

#: Limits of the slot generator (a longer day or more tables is a typo).
SLOT_MINUTES = (5, 240)
MAX_TABLES = 100
MAX_SLOTS = 100


class MeetingError(RuleViolation):
    default = _l("The meeting could not be changed.")


class MeetingsNotEnabled(MeetingError):
    default = _l("This event does not offer meetings.")


class SlotNotInEvent(MeetingError):
    default = _l("Choose one of the event's meeting times.")
    field = "slot"


class PersonBusy(MeetingError):
    field = "slot"


class SlotFull(MeetingError):
    default = _l("Every table is taken at that time. Choose another time.")
    field = "slot"


@dataclass(frozen=True)
class ProfileData:
    display_name: str
    company_name: str
    offers: str | None = None
    seeks: str | None = None
    description: str | None = None


# --- settings and slots (organisers) ----------------------------------------------------------


def settings_for(event_id: int) -> MeetingSettings | None:
    return db.session.get(MeetingSettings, event_id)


def enabled(event_id: int) -> bool:
    """Whether the event offers meetings."""
    settings = settings_for(event_id)
    return settings is not None and settings.enabled


def _event_for(user: User, event_id: int, role: Role) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        raise NotAllowed()
    require_role(user, event.organisation_id, role)
    return event


def set_enabled(user: User, event_id: int, on: bool) -> MeetingSettings:
    """Enable or disable meetings for an event (organiser). Disabling keeps what exists but
    takes no new requests or answers."""
    event = _event_for(user, event_id, Role.ORGANISER)
    lock_row(Event, event.id)
    settings = settings_for(event.id)
    if settings is None:
        settings = MeetingSettings(event_id=event.id)
        db.session.add(settings)
    settings.enabled = on
    db.session.flush()
    audit.record(
        user,
        "meetings.enabled" if on else "meetings.disabled",
        organisation_id=event.organisation_id,
        event_id=event.id,
    )
    return settings


def slots(event_id: int) -> list[MeetingSlot]:
    """The event's slots with their tables, in time order (two queries)."""
    return list(
        db.session.scalars(
            select(MeetingSlot)
            .where(MeetingSlot.event_id == event_id)
            .order_by(MeetingSlot.starts_at)
            .options(selectinload(MeetingSlot.tables))
        )
    )


def _inside_a_session(event: Event, starts: datetime, ends: datetime) -> bool:
    return any(
        s.cancelled_at is None and s.starts_at <= starts and ends <= s.ends_at
        for s in event.sessions
    )


#: The word of an unnamed table's default label in each language ("Table 3", "Bord 3").
_DEFAULTS = ("table", "bord")


def generate_slots(
    user: User,
    event_id: int,
    day: date,
    first: time,
    last: time,
    minutes: int,
    tables: int,
    table_names: Sequence[str] = (),
) -> list[MeetingSlot]:
    """Add slots of ``minutes`` from ``first`` until ``last`` on ``day`` (Europe/Stockholm),
    each with ``tables`` tables (named by ``table_names`` in order, where given).

    Every slot must lie within one of the event's sessions and overlap none it has already.
    Needs organiser.
    """
    event = _event_for(user, event_id, Role.ORGANISER)
    lock_row(Event, event.id)
    low, high = SLOT_MINUTES
    if not low <= minutes <= high:
        raise MeetingError(
            _l("A meeting lasts from %(low)s to %(high)s minutes.", low=low, high=high),
            field="minutes",
        )
    if not 1 <= tables <= MAX_TABLES:
        raise MeetingError(_l("Give from 1 to %(max)s tables.", max=MAX_TABLES), field="tables")
    names = [n.strip() for n in table_names if n.strip()]
    if len(names) > tables:
        raise MeetingError(_l("There are more names than tables."), field="table_names")
    if any(len(n) > 100 for n in names):
        raise MeetingError(_l("A table's name has at most 100 characters."), field="table_names")
    # Unnamed tables are called "Table n" ("Bord n"): a name may not be another's default.
    labels = [n.casefold() for n in names] + [
        f"{word} {number}" for number in range(len(names) + 1, tables + 1) for word in _DEFAULTS
    ]
    twice = sorted({n for n in names if labels.count(n.casefold()) > 1})
    if twice:
        raise MeetingError(
            _l(
                "Each table needs a name of its own: %(names)s is given twice.",
                names=", ".join(twice),
            ),
            field="table_names",
        )
    start = datetime.combine(day, first, STOCKHOLM)
    end = datetime.combine(day, last, STOCKHOLM)
    step = timedelta(minutes=minutes)
    times = []
    while start + step <= end and len(times) <= MAX_SLOTS:
        times.append((start, start + step))
        start += step
    if not times:
        raise MeetingError(_l("No meeting fits between those times."), field="last")
    if len(times) > MAX_SLOTS:
        raise MeetingError(_l("At most %(max)s slots at once.", max=MAX_SLOTS), field="last")
    for starts, ends in times:
        if not _inside_a_session(event, starts, ends):
            raise SlotNotInEvent(
                _l("The meeting times must lie within the event's sessions."), field="day"
            )
    existing = slots(event.id)
    for starts, ends in times:
        if any(s.starts_at < ends and starts < s.ends_at for s in existing):
            raise MeetingError(_l("The event already has meeting times then."), field="first")
    made = []
    for starts, ends in times:
        slot = MeetingSlot(event_id=event.id, starts_at=starts, ends_at=ends)
        slot.tables = [
            MeetingTable(number=i + 1, name=names[i] if i < len(names) else None)
            for i in range(tables)
        ]
        db.session.add(slot)
        made.append(slot)
    db.session.flush()
    audit.record(
        user,
        "meetings.slots_added",
        organisation_id=event.organisation_id,
        event_id=event.id,
        day=day.isoformat(),
        first=first.isoformat("minutes"),
        last=last.isoformat("minutes"),
        minutes=minutes,
        tables=tables,
        slots=len(made),
    )
    return made


def slot_for(user: User, slot_id: int, role: Role = Role.ORGANISER) -> MeetingSlot:
    """A slot, when the user holds ``role`` for its event (NotAllowed otherwise)."""
    slot = db.session.get(MeetingSlot, slot_id)
    if slot is None:
        raise NotAllowed()
    _event_for(user, slot.event_id, role)
    return slot


def delete_slot(user: User, slot_id: int) -> None:
    """Remove a slot nobody has a meeting in yet (organiser)."""
    slot = db.session.get(MeetingSlot, slot_id)
    if slot is None:
        raise NotAllowed()
    event = _event_for(user, slot.event_id, Role.ORGANISER)
    lock_row(Event, event.id)
    used = db.session.scalar(select(func.count(Meeting.id)).where(Meeting.slot_id == slot_id))
    if used:
        raise MeetingError(
            _l("Meetings have been requested at that time; move or cancel them first.")
        )
    db.session.delete(slot)
    db.session.flush()
    audit.record(
        user,
        "meetings.slot_deleted",
        organisation_id=event.organisation_id,
        event_id=event.id,
        starts_at=slot.starts_at.isoformat(),
    )


# --- the participant (from the manage link) ------------------------------------------------


def acting_participant(booking: Booking, participant_id: int | None) -> Participant:
    """The booking's active participant the manage page acts for (its first by default).

    Raises MeetingError when the booking is not confirmed or the participant is not on it,
    MeetingsNotEnabled when the event offers no meetings.
    """
    if not enabled(booking.event_id):
        raise MeetingsNotEnabled()
    if booking.status != BookingStatus.CONFIRMED:
        raise MeetingError(_l("Meetings are for participants with a confirmed place."))
    people = booking.active_participants
    if participant_id is None and people:
        return people[0]
    for person in people:
        if person.id == participant_id:
            return person
    raise MeetingError(_l("That participant is not on this booking."))


def prefill(participant: Participant) -> ProfileData:
    """What a new meeting profile starts with: the participant's name and company, and what
    the company wrote in its directory profile (webapp.directory; published or a draft,
    but not one organisers hid), the description in the booking's language if given."""
    booking = participant.booking
    names = {"display_name": participant.name, "company_name": booking.company.name}
    profile = db.session.scalar(
        select(CompanyProfile).where(CompanyProfile.company_id == booking.company_id)
    )
    if profile is None or profile.hidden_at is not None:
        return ProfileData(**names)
    description = (booking.language == "en" and profile.description_en) or profile.description
    return ProfileData(
        **names,
        offers=profile.offers or None,
        seeks=profile.seeks or None,
        description=description or None,
    )


def profile_of(participant_id: int) -> MeetingProfile | None:
    return db.session.scalar(
        select(MeetingProfile).where(MeetingProfile.participant_id == participant_id)
    )


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


def save_profile(booking: Booking, participant_id: int, data: ProfileData) -> MeetingProfile:
    """Create or change the participant's meeting profile (what the others see)."""
    person = acting_participant(booking, participant_id)
    name, company = _clean(data.display_name), _clean(data.company_name)
    if name is None or len(name) > 200:
        raise MeetingError(
            _l("Give the name to show, at most 200 characters."), field="display_name"
        )
    if company is None or len(company) > 200:
        raise MeetingError(
            _l("Give the company name to show, at most 200 characters."), field="company_name"
        )
    for field, value, limit in (
        ("offers", data.offers, OFFER_MAX),
        ("seeks", data.seeks, OFFER_MAX),
        ("description", data.description, DESCRIPTION_MAX),
    ):
        if value is not None and len(value) > limit:
            raise MeetingError(_l("At most %(max)s characters.", max=limit), field=field)
    lock_row(Event, booking.event_id)
    profile = profile_of(person.id)
    if profile is None:
        profile = MeetingProfile(participant_id=person.id, event_id=booking.event_id)
        db.session.add(profile)
    profile.display_name, profile.company_name = name, company
    profile.offers, profile.seeks = _clean(data.offers), _clean(data.seeks)
    profile.description = _clean(data.description)
    db.session.flush()
    return profile


def _confirmed_profiles(event_id: int):
    return (
        select(MeetingProfile)
        .join(Participant, Participant.id == MeetingProfile.participant_id)
        .join(Booking, Booking.id == Participant.booking_id)
        .where(
            MeetingProfile.event_id == event_id,
            Participant.cancelled_at.is_(None),
            Booking.status == BookingStatus.CONFIRMED,
        )
    )


def others(event_id: int, participant_id: int) -> list[MeetingProfile]:
    """The profiles of the event's other confirmed participants (one query)."""
    return list(
        db.session.scalars(
            _confirmed_profiles(event_id)
            .where(MeetingProfile.participant_id != participant_id)
            .order_by(MeetingProfile.company_name, MeetingProfile.display_name)
        )
    )


def visible_profile(event_id: int, participant_id: int) -> MeetingProfile | None:
    """A confirmed participant's profile at the event, or None."""
    return db.session.scalar(
        _confirmed_profiles(event_id).where(MeetingProfile.participant_id == participant_id)
    )


def profiles_by_participant(ids: Iterable[int]) -> dict[int, MeetingProfile]:
    ids = list(set(ids))
    if not ids:
        return {}
    return {
        p.participant_id: p
        for p in db.session.scalars(
            select(MeetingProfile).where(MeetingProfile.participant_id.in_(ids))
        )
    }


def _busy_slots(participant_ids: Iterable[int]) -> set[int]:
    return set(
        db.session.scalars(
            select(MeetingSeat.slot_id).where(MeetingSeat.participant_id.in_(list(participant_ids)))
        )
    )


def _taken_tables(slot_ids: Iterable[int]) -> dict[int, int]:
    rows = db.session.execute(
        select(Meeting.slot_id, func.count(Meeting.id))
        .where(Meeting.slot_id.in_(list(slot_ids)), Meeting.status == MeetingStatus.ACCEPTED)
        .group_by(Meeting.slot_id)
    )
    return {slot_id: count for slot_id, count in rows}


def free_slots(event_id: int, *participant_ids: int) -> list[MeetingSlot]:
    """Slots still to come with a free table in which none of the participants has an
    accepted meeting (a fixed number of queries)."""
    now = utcnow()
    candidates = [s for s in slots(event_id) if s.starts_at > now]
    busy = _busy_slots(participant_ids)
    taken = _taken_tables(s.id for s in candidates)
    return [s for s in candidates if s.id not in busy and taken.get(s.id, 0) < len(s.tables)]


def _check_message(message: str | None) -> str | None:
    message = _clean(message)
    if message is not None and len(message) > MESSAGE_MAX:
        raise MeetingError(
            _l("The message can have at most %(max)s characters.", max=MESSAGE_MAX),
            field="message",
        )
    return message


def _slot_of_event(event: Event, slot_id: int | None) -> MeetingSlot:
    slot = db.session.get(MeetingSlot, slot_id) if slot_id is not None else None
    if slot is None or slot.event_id != event.id:
        raise SlotNotInEvent()
    if not _inside_a_session(event, slot.starts_at, slot.ends_at):
        raise SlotNotInEvent(_l("That time is no longer part of the event."))
    return slot


def _check_free(slot: MeetingSlot, people: Sequence[Participant], ignore: int | None = None):
    """Refuse when one of ``people`` has an accepted meeting in the slot (other than
    ``ignore``), or when every table of the slot is taken."""
    stmt = select(MeetingSeat.participant_id).where(
        MeetingSeat.slot_id == slot.id,
        MeetingSeat.participant_id.in_([p.id for p in people]),
    )
    if ignore is not None:
        stmt = stmt.where(MeetingSeat.meeting_id != ignore)
    busy = set(db.session.scalars(stmt))
    for person in people:
        if person.id in busy:
            profile = profile_of(person.id)
            raise PersonBusy(
                _l(
                    "%(name)s already has a meeting at that time.",
                    name=profile.display_name if profile else person.name,
                )
            )


def _free_table(slot: MeetingSlot, ignore: int | None = None) -> MeetingTable | None:
    stmt = select(Meeting.table_id).where(
        Meeting.slot_id == slot.id, Meeting.status == MeetingStatus.ACCEPTED
    )
    if ignore is not None:
        stmt = stmt.where(Meeting.id != ignore)
    taken = set(db.session.scalars(stmt))
    return next((t for t in slot.tables if t.id not in taken), None)


def _open_event(event_id: int) -> Event:
    """Lock the event (see the module docstring) and check it takes meeting changes."""
    event = lock_row(Event, event_id)
    if event is None or event.status != EventStatus.PUBLISHED or not enabled(event_id):
        raise MeetingsNotEnabled()
    return event


def _still_confirmed(person: Participant) -> bool:
    """Whether the participant still has a confirmed place, read again under the lock."""
    db.session.refresh(person)
    db.session.refresh(person.booking)
    return person.cancelled_at is None and person.booking.status == BookingStatus.CONFIRMED


def request(
    booking: Booking,
    requester_id: int | None,
    invitee_id: int | None,
    slot_id: int | None,
    message: str | None,
) -> Meeting:
    """Ask another participant of the event for a meeting in a free slot.

    Refused (nothing stored) for: meetings not enabled, a slot not of this event, oneself,
    someone without a visible profile, either side already meeting someone then, a slot
    with every table taken, a message over MESSAGE_MAX characters, a second open request
    between the two for the same slot.
    """
    requester = acting_participant(booking, requester_id)
    text = _check_message(message)
    if invitee_id == requester.id:
        raise MeetingError(_l("You cannot ask yourself for a meeting."), field="invitee")
    event = _open_event(booking.event_id)
    if not _still_confirmed(requester):
        raise MeetingError(_l("Meetings are for participants with a confirmed place."))
    if profile_of(requester.id) is None:
        raise MeetingError(
            _l("Fill in your meeting profile first: it is what the other side sees."),
            field="invitee",
        )
    target = visible_profile(event.id, invitee_id) if invitee_id is not None else None
    if target is None:
        raise MeetingError(_l("That participant is not available for meetings."), field="invitee")
    invitee = target.participant
    slot = _slot_of_event(event, slot_id)
    if slot.starts_at <= utcnow():
        raise SlotNotInEvent(_l("That time has passed. Choose a later one."))
    _check_free(slot, [requester, invitee])
    if _free_table(slot) is None:
        raise SlotFull()
    pending = db.session.scalar(
        select(Meeting.id).where(
            Meeting.slot_id == slot.id,
            Meeting.status == MeetingStatus.REQUESTED,
            or_(
                (Meeting.requester_id == requester.id) & (Meeting.invitee_id == invitee.id),
                (Meeting.requester_id == invitee.id) & (Meeting.invitee_id == requester.id),
            ),
        )
    )
    if pending is not None:
        raise MeetingError(
            _l("A request between you for that time is already waiting for an answer."),
            field="slot",
        )
    meeting = Meeting(
        event_id=event.id,
        slot_id=slot.id,
        requester_id=requester.id,
        invitee_id=invitee.id,
        message=text,
        status=MeetingStatus.REQUESTED,
    )
    db.session.add(meeting)
    db.session.flush()
    signals.meeting_requested.send(meeting)
    return meeting


def _meeting_of(
    booking: Booking, participant_id: int | None, meeting_id: int
) -> tuple[Participant, Meeting]:
    person = acting_participant(booking, participant_id)
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or not meeting.involves(person.id):
        raise MeetingError(_l("There is no such meeting."))
    return person, meeting


def _take_table(meeting: Meeting, slot: MeetingSlot, table: MeetingTable) -> None:
    """Seat both sides at ``table`` of ``slot``; the meeting has no seats now."""
    meeting.slot_id, meeting.table_id = slot.id, table.id
    meeting.status = MeetingStatus.ACCEPTED
    db.session.flush()
    db.session.add_all(
        MeetingSeat(meeting_id=meeting.id, slot_id=slot.id, participant_id=pid)
        for pid in (meeting.requester_id, meeting.invitee_id)
    )
    db.session.flush()
    db.session.expire(meeting, ["table", "slot"])


def _free_seats(meeting: Meeting) -> None:
    db.session.execute(delete(MeetingSeat).where(MeetingSeat.meeting_id == meeting.id))
    meeting.table_id = None


def answer(booking: Booking, participant_id: int | None, meeting_id: int, accept: bool) -> Meeting:
    """The invitee accepts (taking a free table of the slot) or declines a request.

    An acceptance is refused, and the request stays, when either side has meanwhile got
    another meeting at that time or every table has been taken.
    """
    person, meeting = _meeting_of(booking, participant_id, meeting_id)
    if meeting.invitee_id != person.id:
        raise MeetingError(_l("Only the one asked can answer a request."))
    event = _open_event(meeting.event_id)
    db.session.refresh(meeting)
    if meeting.status != MeetingStatus.REQUESTED:
        raise MeetingError(_l("This request has already been answered or withdrawn."))
    if accept:
        requester = meeting.requester
        if not _still_confirmed(requester):
            raise MeetingError(_l("The other participant no longer takes part."))
        slot = _slot_of_event(event, meeting.slot_id)
        if slot.starts_at <= utcnow():
            raise SlotNotInEvent(_l("That time has passed."))
        _check_free(slot, [requester, person])
        table = _free_table(slot)
        if table is None:
            raise SlotFull(_l("Every table is taken at that time; the request stays open."))
        _take_table(meeting, slot, table)
        meeting.accepted_at = utcnow()
    else:
        meeting.status = MeetingStatus.DECLINED
    meeting.answered_at = utcnow()
    db.session.flush()
    signals.meeting_answered.send(meeting, accepted=accept)
    return meeting


def _cancel(meeting: Meeting, by: str, tell: list[int]) -> None:
    was = meeting.status
    _free_seats(meeting)
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancelled_at, meeting.cancelled_by = utcnow(), by
    db.session.flush()
    signals.meeting_cancelled.send(meeting, tell=tell, by=by, was=was)


def cancel_by_participant(booking: Booking, participant_id: int | None, meeting_id: int) -> Meeting:
    """Either side withdraws a request or cancels an accepted meeting; the other is told."""
    person, meeting = _meeting_of(booking, participant_id, meeting_id)
    lock_row(Event, meeting.event_id)
    db.session.refresh(meeting)
    if meeting.status not in (MeetingStatus.REQUESTED, MeetingStatus.ACCEPTED):
        raise MeetingError(_l("This meeting is no longer planned."))
    if meeting.slot.starts_at <= utcnow():
        raise MeetingError(_l("The meeting's time has passed."))
    _cancel(meeting, "participant", [meeting.other(person.id).id])
    return meeting


# --- organisers -------------------------------------------------------------------------


def meeting_for(user: User, meeting_id: int, role: Role = Role.VIEWER) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotAllowed()
    _event_for(user, meeting.event_id, role)
    return meeting


def move(user: User, meeting_id: int, slot_id: int | None, table_id: int | None) -> Meeting:
    """Move an accepted meeting to another slot and/or table of the event (organiser);
    both sides are told. The same rules as an acceptance hold at the new place."""
    meeting = meeting_for(user, meeting_id, Role.ORGANISER)
    event = lock_row(Event, meeting.event_id)
    db.session.refresh(meeting)
    if meeting.status != MeetingStatus.ACCEPTED:
        raise MeetingError(_l("Only an accepted meeting can be moved."))
    slot = _slot_of_event(event, slot_id)
    table = next((t for t in slot.tables if t.id == table_id), None)
    if table_id is not None and table is None:
        # A table of another time (the form lists the old time's): the same number now.
        given = db.session.get(MeetingTable, table_id)
        if given is not None:
            table = next((t for t in slot.tables if t.number == given.number), None)
        if table is None:
            raise MeetingError(_l("Choose a table of that time."), field="table")
    _check_free(slot, [meeting.requester, meeting.invitee], ignore=meeting.id)
    free = _free_table(slot, ignore=meeting.id)
    if table is None:
        table = free
    if table is None:
        raise SlotFull()
    taken = db.session.scalar(
        select(Meeting.id).where(Meeting.table_id == table.id, Meeting.id != meeting.id)
    )
    if taken is not None:
        raise MeetingError(_l("Another meeting has that table then."), field="table")
    old = (meeting.slot.starts_at.isoformat(), meeting.table_id)
    # The seats go first: they point at the meeting's old slot.
    db.session.execute(delete(MeetingSeat).where(MeetingSeat.meeting_id == meeting.id))
    _take_table(meeting, slot, table)
    meeting.sequence += 1
    db.session.flush()
    audit.record(
        user,
        "meetings.moved",
        organisation_id=event.organisation_id,
        event_id=event.id,
        meeting_id=meeting.id,
        from_slot=old[0],
        from_table=old[1],
        to_slot=slot.starts_at.isoformat(),
        to_table=table.id,
    )
    signals.meeting_moved.send(meeting)
    return meeting


def cancel_by_organiser(user: User, meeting_id: int, reason: str | None = None) -> Meeting:
    """Cancel a requested or accepted meeting (organiser); both sides are told."""
    meeting = meeting_for(user, meeting_id, Role.ORGANISER)
    lock_row(Event, meeting.event_id)
    db.session.refresh(meeting)
    if meeting.status not in (MeetingStatus.REQUESTED, MeetingStatus.ACCEPTED):
        raise MeetingError(_l("This meeting is no longer planned."))
    reason = _clean(reason)
    if reason is not None and len(reason) > 500:
        raise MeetingError(_l("At most %(max)s characters.", max=500), field="reason")
    audit.record(
        user,
        "meetings.cancelled",
        organisation_id=meeting.slot.event.organisation_id,
        event_id=meeting.event_id,
        meeting_id=meeting.id,
        reason=reason,
    )
    _cancel(meeting, "organiser", [meeting.requester_id, meeting.invitee_id])
    return meeting


# --- what cancelled bookings and places do ----------------------------------------------


def _open_meetings_of(participant_ids: Sequence[int]) -> list[Meeting]:
    if not participant_ids:
        return []
    return list(
        db.session.scalars(
            select(Meeting)
            .where(
                or_(
                    Meeting.requester_id.in_(participant_ids),
                    Meeting.invitee_id.in_(participant_ids),
                ),
                Meeting.status.in_([MeetingStatus.REQUESTED, MeetingStatus.ACCEPTED]),
            )
            .order_by(Meeting.id)
        )
    )


def drop_meetings_of(participant_ids: Sequence[int]) -> int:
    """Cancel the open meetings of people who no longer take part; the other side of each
    is told. Runs inside the booking change (it holds the event lock). Returns how many."""
    leaving = set(participant_ids)
    meetings = _open_meetings_of(list(leaving))
    for meeting in meetings:
        tell = [p for p in (meeting.requester_id, meeting.invitee_id) if p not in leaving]
        _cancel(meeting, "booking", tell)
    return len(meetings)


def _on_booking_gone(booking: Booking, **_: object) -> None:
    drop_meetings_of([p.id for p in booking.participants])


def _on_participant_removed(booking: Booking, *, participant: Participant, **_: object) -> None:
    drop_meetings_of([participant.id])


def _on_event_cancelled(event: Event, **_: object) -> None:
    """The event's cancellation tells everyone; its open meetings end without more mail."""
    for meeting in db.session.scalars(
        select(Meeting).where(
            Meeting.event_id == event.id,
            Meeting.status.in_([MeetingStatus.REQUESTED, MeetingStatus.ACCEPTED]),
        )
    ).all():
        _cancel(meeting, "organiser", [])


def _on_decided(booking: Booking, *, approved: bool, **_: object) -> None:
    if not approved:
        _on_booking_gone(booking)


def _on_people_anonymised(_sender: object, *, participant_ids: Sequence[int], **_: object) -> None:
    """Anonymised people keep no profile, and the messages they wrote go; the meetings
    stay (the figures count them), with nothing left that names anyone."""
    ids = list(participant_ids)
    db.session.execute(delete(MeetingProfile).where(MeetingProfile.participant_id.in_(ids)))
    db.session.execute(update(Meeting).where(Meeting.requester_id.in_(ids)).values(message=None))


def connect() -> None:
    """Follow the booking and privacy signals (called once by the app factory)."""
    signals.people_anonymised.connect(_on_people_anonymised, weak=False)
    for signal, receiver in (
        (signals.booking_cancelled, _on_booking_gone),
        (signals.booking_waitlisted, _on_booking_gone),
        (signals.booking_decided, _on_decided),
        (signals.participant_removed, _on_participant_removed),
        (signals.event_cancelled, _on_event_cancelled),
    ):
        signal.connect(receiver, weak=False)


# --- reading ---------------------------------------------------------------------------


def _loading():
    return (
        selectinload(Meeting.slot),
        selectinload(Meeting.table),
        selectinload(Meeting.requester)
        .selectinload(Participant.booking)
        .selectinload(Booking.company),
        selectinload(Meeting.invitee)
        .selectinload(Participant.booking)
        .selectinload(Booking.company),
    )


def meetings_of(participant_id: int) -> list[Meeting]:
    """Every meeting the participant asked for or was asked for, by time (fixed queries)."""
    return list(
        db.session.scalars(
            select(Meeting)
            .join(MeetingSlot, MeetingSlot.id == Meeting.slot_id)
            .where(
                or_(Meeting.requester_id == participant_id, Meeting.invitee_id == participant_id)
            )
            .order_by(MeetingSlot.starts_at, Meeting.id)
            .options(*_loading())
        )
    )


def agenda(participant_id: int) -> list[Meeting]:
    """The participant's accepted meetings, by time."""
    return [m for m in meetings_of(participant_id) if m.status == MeetingStatus.ACCEPTED]


def event_meetings(event_id: int, statuses: Sequence[MeetingStatus] = ()) -> list[Meeting]:
    stmt = (
        select(Meeting)
        .join(MeetingSlot, MeetingSlot.id == Meeting.slot_id)
        .where(Meeting.event_id == event_id)
        .order_by(MeetingSlot.starts_at, Meeting.id)
        .options(*_loading())
    )
    if statuses:
        stmt = stmt.where(Meeting.status.in_(list(statuses)))
    return list(db.session.scalars(stmt))


@dataclass(frozen=True)
class Figures:
    requested: int
    accepted: int
    held: int
    companies_met: int


def figures(*scope: object, now: datetime | None = None) -> Figures:
    """Meetings whose slot lies in the scope (SQL conditions on MeetingSlot and Event):
    requested (every request), accepted (standing), held (accepted, slot over), and the
    number of companies with a participant in a held meeting. Two queries."""
    now = now or utcnow()
    base = (
        select(Meeting)
        .join(MeetingSlot, MeetingSlot.id == Meeting.slot_id)
        .join(Event, Event.id == Meeting.event_id)
        .where(*scope)
    )
    accepted = Meeting.status == MeetingStatus.ACCEPTED
    held = accepted & (MeetingSlot.ends_at <= now)
    row = db.session.execute(
        base.with_only_columns(
            func.count(Meeting.id),
            func.count(Meeting.id).filter(accepted),
            func.count(Meeting.id).filter(held),
        )
    ).one()
    sides = base.where(held).subquery()
    people = select(sides.c.requester_id.label("pid")).union(select(sides.c.invitee_id)).subquery()
    companies = db.session.scalar(
        select(func.count(func.distinct(Booking.company_id)))
        .join(Participant, Participant.booking_id == Booking.id)
        .where(Participant.id.in_(select(people.c.pid)))
    )
    return Figures(row[0], row[1], row[2], companies or 0)


def event_figures(event_id: int) -> Figures:
    return figures(Meeting.event_id == event_id)


def report_lines(
    *,
    project_id: int | None,
    organisation_id: int | None,
    start: datetime,
    end: datetime,
    **_: object,
) -> list[tuple[str, int]]:
    """The report's lines about meetings whose slot starts in [start, end) at the scope's
    events (webapp.signals.report_figures); none when there were no requests."""
    scope = (
        Event.project_id == project_id
        if project_id is not None
        else Event.organisation_id == organisation_id
    )
    found = figures(scope, MeetingSlot.starts_at >= start, MeetingSlot.starts_at < end)
    if not found.requested:
        return []  # reports of programmes without meetings stay as they were
    return [
        (str(_l("Meetings requested")), found.requested),
        (str(_l("Meetings accepted")), found.accepted),
        (str(_l("Meetings held")), found.held),
        (str(_l("Companies that met")), found.companies_met),
    ]
