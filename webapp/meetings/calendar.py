"""Accepted meetings in the participant's private calendar feed (webapp.bookings.calendar).

A meeting is a VEVENT of its own, ``UID:meeting-{id}@{host}`` for ever, at its slot's
times, with the table as LOCATION and the other side in the title. One that was accepted
and is cancelled later stays, with ``STATUS:CANCELLED``, so subscribed clients remove it;
a move raises its SEQUENCE.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask_babel import gettext as _
from icalendar import Event as VEvent
from sqlalchemy import func, or_, select

from webapp.i18n import STOCKHOLM
from webapp.meetings import services
from webapp.meetings.models import Meeting, MeetingStatus


def meeting_uid(meeting_id: int, base_url: str) -> str:
    return f"meeting-{meeting_id}@{urlsplit(base_url).hostname or 'localhost'}"


def _involves(participant_id: int):
    return (
        or_(Meeting.requester_id == participant_id, Meeting.invitee_id == participant_id),
        Meeting.accepted_at.is_not(None),
    )


@dataclass(frozen=True)
class FeedEntries:
    """A participant's meetings in their feed: ``version_columns`` are scalar subqueries
    the feed's one aggregate query selects (they change whenever the entries do)."""

    participant_id: int

    @property
    def version_columns(self) -> list:
        where = _involves(self.participant_id)
        return [
            select(func.count(Meeting.id)).where(*where).scalar_subquery(),
            select(func.max(Meeting.updated_at)).where(*where).scalar_subquery(),
        ]

    def vevents(self, base_url: str, version: tuple = ()) -> list[VEvent]:
        """The VEVENTs; ``version``, the columns' values read, saves the queries when the
        participant has no meeting to show."""
        if version and not version[0]:
            return []
        meetings = [
            m for m in services.meetings_of(self.participant_id) if m.accepted_at is not None
        ]
        profiles = services.profiles_by_participant(
            m.other(self.participant_id).id for m in meetings
        )
        return [vevent(m, self.participant_id, profiles, base_url) for m in meetings]


def vevent(meeting: Meeting, participant_id: int, profiles: dict, base_url: str) -> VEvent:
    """One meeting as the participant ``participant_id`` sees it."""
    other = meeting.other(participant_id)
    profile = profiles.get(other.id)
    who = f"{profile.display_name} ({profile.company_name})" if profile else other.name
    cancelled = meeting.status != MeetingStatus.ACCEPTED
    title = _("Meeting with %(who)s", who=who)
    component = VEvent()
    component.add("uid", meeting_uid(meeting.id, base_url))
    component.add("sequence", meeting.sequence)
    component.add("dtstamp", meeting.updated_at)
    component.add("last-modified", meeting.updated_at)
    component.add("dtstart", meeting.slot.starts_at.astimezone(STOCKHOLM))
    component.add("dtend", meeting.slot.ends_at.astimezone(STOCKHOLM))
    component.add("summary", _("Cancelled: %(title)s", title=title) if cancelled else title)
    if meeting.table is not None:
        component.add("location", meeting.table.label)
    lines = [_("Contact: %(email)s", email=other.email)] if not cancelled else []
    if meeting.message:
        lines.append(meeting.message)
    if lines:
        component.add("description", "\n\n".join(lines))
    component.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return component


def feed_entries(participant_id: int, **_: object) -> FeedEntries:
    """The receiver of webapp.signals.participant_feed_entries; it queries nothing itself."""
    return FeedEntries(participant_id)
