"""The audit log: who did what to which organisation, project, event or booking, and when.

Entries are written in the same transaction as the change they describe, so a change that
rolls back leaves no entry and a committed change always has one.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from webapp.db import UTCDateTime, db, utcnow

if TYPE_CHECKING:
    from webapp.accounts.models import User

ACTION_LABELS = {
    "event.created": _l("Event created"),
    "event.edited": _l("Event edited"),
    "event.published": _l("Event published"),
    "event.unpublished": _l("Event unpublished"),
    "event.cancelled": _l("Event cancelled"),
    "event.duplicated": _l("Event created as a copy"),
    "event.left_project": _l("Event taken out of its project"),
    "booking.added": _l("Booking added by an organiser"),
    "booking.approved": _l("Booking approved"),
    "booking.declined": _l("Booking declined"),
    "booking.waitlisted": _l("Booking moved to the waiting list"),
    "booking.cancelled": _l("Booking cancelled"),
    "participant.added": _l("Participant added"),
    "participant.edited": _l("Participant edited"),
    "participant.removed": _l("Participant removed"),
    "attendance.marked": _l("Attendance marked"),
    "message.sent": _l("Message sent to participants"),
    "member.invited": _l("Colleague invited"),
    "member.joined": _l("Member joined"),
    "member.role_changed": _l("Member's role changed"),
    "member.removed": _l("Member removed"),
    "company.corrected": _l("Company details corrected"),
    "company.merged": _l("Company records merged"),
    "booking.company_merged": _l("Booking moved to the company record kept in a merge"),
    "member.deactivated": _l("Account deactivated"),
    "member.reactivated": _l("Account reactivated"),
    "organisation.created": _l("Organisation created"),
    "organisation.edited": _l("Organisation settings changed"),
    "privacy_notice.changed": _l("Privacy notice changed"),
    "project.created": _l("Project created"),
    "project.edited": _l("Project edited"),
    "partner.invited": _l("Partner organisation invited"),
    "partner.accepted": _l("Partner invitation accepted"),
    "partner.declined": _l("Partner invitation declined"),
    "partner.withdrawn": _l("Partner invitation withdrawn"),
    "partner.removed": _l("Partner organisation removed"),
    "aid.settings_changed": _l("De minimis aid settings changed"),
    "aid.rate_set": _l("EUR rate for de minimis aid set"),
    "aid.corrected": _l("De minimis aid record corrected"),
    "aid.ceiling_overridden": _l("Booking approved over the de minimis ceiling"),
    "aid.held_over_ceiling": _l("Booking held for a decision: over the de minimis ceiling"),
    "feedback.questions_changed": _l("Evaluation questions changed"),
    "question.added": _l("Registration question added"),
    "question.edited": _l("Registration question edited"),
    "question.hidden": _l("Registration question hidden"),
    "question.shown": _l("Registration question asked again"),
    "question.moved": _l("Registration question moved"),
    "question.deleted": _l("Registration question deleted"),
    "privacy.erased": _l("A person's data erased at their request"),
    "privacy.retention": _l("Personal data erased after its retention period"),
    "directory.hidden": _l("Company profile hidden from the directory"),
    "directory.shown": _l("Company profile shown in the directory again"),
}


class AuditEntry(db.Model):
    """One organiser action on an event or a booking."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_event_created", "event_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Who acted; None for the command line or a deleted user.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    #: The organisation the action concerned (members, invitations) or the event's.
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    #: Plain ids, no foreign keys: the log outlives what it describes.
    event_id: Mapped[int | None] = mapped_column()
    booking_id: Mapped[int | None] = mapped_column(index=True)
    #: A dotted verb, e.g. ``event.published`` or ``booking.approved`` (see ACTION_LABELS).
    action: Mapped[str] = mapped_column(String(50))
    #: What changed, for the record (field names, old and new values, counts).
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User | None] = relationship()

    @property
    def label(self) -> str:
        return str(ACTION_LABELS.get(self.action, self.action))


def record(
    user: User | None,
    action: str,
    *,
    organisation_id: int | None = None,
    event_id: int | None = None,
    booking_id: int | None = None,
    **details: Any,
) -> AuditEntry:
    """Add an entry to the current transaction (flushed with the change it describes)."""
    entry = AuditEntry(
        user_id=user.id if user is not None else None,
        organisation_id=organisation_id,
        event_id=event_id,
        booking_id=booking_id,
        action=action,
        details={k: v for k, v in details.items() if v is not None},
        created_at=utcnow(),
    )
    db.session.add(entry)
    return entry


def entries_for_organisation(organisation_id: int, limit: int = 500) -> list[AuditEntry]:
    """The newest entries about an organisation, its members, projects and events."""
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.organisation_id == organisation_id)
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
            .limit(limit)
            .options(joinedload(AuditEntry.user))
        )
    )


def entries_for_event(event_id: int, limit: int = 500) -> list[AuditEntry]:
    """The newest entries about an event and its bookings, with their users (one query)."""
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.event_id == event_id)
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
            .limit(limit)
            .options(joinedload(AuditEntry.user))
        )
    )
