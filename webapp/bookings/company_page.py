"""The company page: the register's master data and the company's bookings the organiser
may see, with every participant and the session hours they attended.

It lives here, not in webapp.companies, because it reads bookings (DESIGN.md: a page that
needs a later package lives in that one). Who may see the company, and which of its
bookings, is the register's rule (webapp.companies.services.visible_events). The page runs
a fixed number of queries whatever the number of bookings, participants or sessions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from webapp.accounts.models import User
from webapp.bookings.models import Attendance, Booking, Participant
from webapp.companies import services as register
from webapp.companies.models import Company
from webapp.db import db
from webapp.events.models import Event, EventSession
from webapp.organisations.models import Role
from webapp.organisations.services import partner_project_ids

bp = Blueprint("company_pages", __name__, url_prefix="/organisers/companies")


@dataclass
class BookingHistory:
    """One booking with what its participants attended."""

    booking: Booking
    #: participant id → (sessions attended, hours attended)
    attended: dict[int, tuple[int, float]] = field(default_factory=dict)
    #: The event's sessions that were not called off.
    sessions: int = 0
    #: Whether the user may open the event's attendee list and the booking itself.
    can_read_list: bool = False
    can_edit: bool = False

    @property
    def hours(self) -> float:
        return sum(hours for _n, hours in self.attended.values())


def _hours(span: timedelta) -> float:
    return span.total_seconds() / 3600


def booking_history(user: User, company: Company) -> list[BookingHistory]:
    """The company's bookings of events the user may see, newest event first (five queries)."""
    visible = register.visible_events(user)
    selected = (
        select(Booking.id)
        .where(Booking.company_id == company.id, Booking.event_id.in_(visible))
        .scalar_subquery()
    )
    bookings = list(
        db.session.scalars(
            select(Booking)
            .join(Booking.event)
            .outerjoin(Event.project)
            .join(Event.organisation)
            .where(Booking.id.in_(selected))
            .options(
                contains_eager(Booking.event).contains_eager(Event.project),
                contains_eager(Booking.event).contains_eager(Event.organisation),
            )
            .order_by(Event.starts_at.desc(), Booking.id.desc())
        )
    )
    if not bookings:
        return []
    by_booking: dict[int, list[Participant]] = defaultdict(list)
    for participant in db.session.scalars(
        select(Participant).where(Participant.booking_id.in_(selected)).order_by(Participant.id)
    ):
        by_booking[participant.booking_id].append(participant)
    attended: dict[int, list[float]] = defaultdict(list)
    for participant_id, starts, ends in db.session.execute(
        select(Attendance.participant_id, EventSession.starts_at, EventSession.ends_at)
        .join(EventSession, EventSession.id == Attendance.session_id)
        .join(Participant, Participant.id == Attendance.participant_id)
        .where(
            Participant.booking_id.in_(selected),
            Attendance.present.is_(True),
            EventSession.cancelled_at.is_(None),
        )
    ):
        attended[participant_id].append(_hours(ends - starts))
    sessions = dict(
        db.session.execute(
            select(EventSession.event_id, func.count(EventSession.id))
            .where(
                EventSession.event_id.in_(select(Booking.event_id).where(Booking.id.in_(selected))),
                EventSession.cancelled_at.is_(None),
            )
            .group_by(EventSession.event_id)
        ).all()
    )
    mine = {m.organisation_id: m.role for m in user.memberships}
    partner_projects = set(db.session.scalars(partner_project_ids(mine)))
    history = []
    for booking in bookings:
        participants = by_booking.get(booking.id, [])
        set_committed_value(booking, "participants", participants)
        set_committed_value(booking, "company", company)
        event = booking.event
        role = mine.get(event.organisation_id)
        history.append(
            BookingHistory(
                booking=booking,
                attended={
                    p.id: (len(attended[p.id]), sum(attended[p.id]))
                    for p in participants
                    if p.id in attended
                },
                sessions=sessions.get(event.id, 0),
                can_read_list=role is not None or event.project_id in partner_projects,
                can_edit=role is not None and role.rank >= Role.ORGANISER.rank,
            )
        )
    return history


@bp.get("/<int:company_id>")
@login_required
def detail(company_id: int):
    try:
        company = register.company_for(current_user, company_id)
    except register.CompanyNotFound:
        abort(404)
    history = booking_history(current_user, company)
    kept = db.session.get(Company, company.merged_into_id) if company.merged_into_id else None
    return render_template(
        "companies/detail.html",
        company=company,
        kept=kept,
        bookings=history,
        changes=register.history(company.id),
        can_correct=register.may_correct(current_user, company.id),
        total_hours=sum(h.hours for h in history),
    )
