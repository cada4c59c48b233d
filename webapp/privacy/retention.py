"""The daily retention job: what is kept how long (see README, "Personal data").

Three rules, each measured from when the event ended (its ``ends_at``, else its start):

- needs and messages: dietary and accessibility needs and the company's message are
  erased ``Organisation.needs_retention_days`` after the event (default 30);
- the outbox: an email's recipient (all but the domain), name and content are erased
  ``OUTBOX_RETENTION_DAYS`` after it was sent (default 90);
- people: participants and contacts are anonymised (webapp.privacy.anonymise) once the
  event is older than its project's ``retention_years``, or the site's
  ``PERSONAL_DATA_RETENTION_YEARS`` (default 10; config.py says why).

Events that have not ended are never touched. The job runs daily in the scheduler
(webapp.notifications.scheduler picks it up from ``app.extensions["daily_jobs"]``) and as
``flask --app webapp retention run [--dry-run]``; a dry run computes the same plan, prints
it and changes nothing. A run is one transaction and leaves one audit entry.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import and_, func, or_, select

from webapp.bookings.models import Booking, Participant
from webapp.db import begin_write, db, utcnow
from webapp.events.models import Event
from webapp.notifications.models import OutboxMessage
from webapp.organisations import audit
from webapp.organisations.models import Organisation, Project
from webapp.privacy import anonymise

log = logging.getLogger(__name__)

#: Years are taken as 365 days (a day early in leap years is on the safe side of none).
_YEAR = timedelta(days=365)


@dataclass
class Plan:
    """What a run erases: ids per rule."""

    needs_participants: list[int] = field(default_factory=list)
    needs_bookings: list[int] = field(default_factory=list)
    outbox: list[int] = field(default_factory=list)
    people_participants: list[int] = field(default_factory=list)
    people_bookings: list[int] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {
            "needs_participants": len(self.needs_participants),
            "messages_of_bookings": len(self.needs_bookings),
            "outbox_messages": len(self.outbox),
            "anonymised_participants": len(self.people_participants),
            "anonymised_contacts": len(self.people_bookings),
        }


def _event_end():
    return func.coalesce(Event.ends_at, Event.starts_at)


def _ended_before_needs_limit(now: datetime):
    """Events whose organisation's needs period has run out, in SQL (days as a number)."""
    # Compare per organisation: few organisations, so one bound per organisation.
    conditions = [
        and_(Event.organisation_id == oid, _event_end() < now - timedelta(days=days))
        for oid, days in db.session.execute(
            select(Organisation.id, Organisation.needs_retention_days)
        )
    ]
    return or_(*conditions) if conditions else False


def _ended_before_people_limit(now: datetime):
    default = timedelta(days=365 * current_app.config["PERSONAL_DATA_RETENTION_YEARS"])
    conditions = [and_(Event.project_id.is_(None), _event_end() < now - default)]
    for pid, years in db.session.execute(select(Project.id, Project.retention_years)):
        limit = years * _YEAR if years is not None else default
        conditions.append(and_(Event.project_id == pid, _event_end() < now - limit))
    return or_(*conditions)


def plan(now: datetime) -> Plan:
    """The ids each rule would erase now (read only)."""
    result = Plan()
    needs_events = select(Event.id).where(_event_end().is_not(None), _ended_before_needs_limit(now))
    result.needs_participants = list(
        db.session.scalars(
            select(Participant.id)
            .join(Booking)
            .where(
                Booking.event_id.in_(needs_events),
                or_(
                    Participant.dietary_needs.is_not(None),
                    Participant.accessibility_needs.is_not(None),
                ),
            )
            .order_by(Participant.id)
        )
    )
    result.needs_bookings = list(
        db.session.scalars(
            select(Booking.id)
            .where(Booking.event_id.in_(needs_events), Booking.message.is_not(None))
            .order_by(Booking.id)
        )
    )
    outbox_limit = now - timedelta(days=current_app.config["OUTBOX_RETENTION_DAYS"])
    result.outbox = list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.sent_at.is_not(None),
                OutboxMessage.sent_at < outbox_limit,
                OutboxMessage.content_erased_at.is_(None),
            )
            .order_by(OutboxMessage.id)
        )
    )
    people_events = select(Event.id).where(
        _event_end().is_not(None), _ended_before_people_limit(now)
    )
    result.people_participants = list(
        db.session.scalars(
            select(Participant.id)
            .join(Booking)
            .where(Booking.event_id.in_(people_events), Participant.anonymised_at.is_(None))
            .order_by(Participant.id)
        )
    )
    result.people_bookings = list(
        db.session.scalars(
            select(Booking.id)
            .where(Booking.event_id.in_(people_events), Booking.anonymised_at.is_(None))
            .order_by(Booking.id)
        )
    )
    return result


_CHUNK = 2000


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def run(now: datetime | None = None, *, dry_run: bool = False) -> Plan:
    """Apply (or, with ``dry_run``, only compute) the retention rules; commits unless dry."""
    now = now or utcnow()
    if not dry_run:
        begin_write()
    todo = plan(now)
    if dry_run:
        db.session.rollback()
        return todo
    # In chunks: SQLite takes at most 32,766 values in one statement.
    for part in _chunks(todo.needs_participants):
        anonymise.erase_needs(part, [])
    for part in _chunks(todo.needs_bookings):
        anonymise.erase_needs([], part)
    for part in _chunks(todo.outbox):
        anonymise.erase_outbox(part, now)
    for part in _chunks(todo.people_participants):
        anonymise.anonymise(part, [], now)
    for part in _chunks(todo.people_bookings):
        anonymise.anonymise([], part, now)
    if any(todo.summary().values()):
        audit.record(None, "privacy.retention", **todo.summary())
    db.session.commit()
    return todo


def daily_job(app: Flask) -> None:
    """What the scheduler runs once a day."""
    with app.app_context():
        done = run()
        log.info("retention: %s", done.summary())


retention_command = AppGroup("retention", help="Erase personal data whose time is up.")


@retention_command.command("run")
@click.option("--dry-run", is_flag=True, help="Print what would be erased; change nothing.")
def run_command(dry_run: bool) -> None:
    """Apply the retention rules now (the scheduler does it daily)."""
    done = run(dry_run=dry_run)
    verb = "would erase" if dry_run else "erased"
    summary = done.summary()
    click.echo(
        f"{verb}: needs of {summary['needs_participants']} participants, "
        f"messages of {summary['messages_of_bookings']} bookings, "
        f"content of {summary['outbox_messages']} emails; "
        f"{'would anonymise' if dry_run else 'anonymised'} "
        f"{summary['anonymised_participants']} participants and "
        f"{summary['anonymised_contacts']} contacts"
    )
