"""What the API reads, each in a fixed number of statements whatever the data size.

- a page of events: one ``SELECT`` (organisation and project joined), keyset-paginated on
  ``(starts_at, id)`` in that order, backed by the index ``ix_events_status_starts_at_id``.
  One row more than the page is read to know whether there is a next page, so no count is
  needed; a cursor keeps its place when events are added or removed before it, which an
  offset would not;
- one event: two (``events.services.get_public_event``: the event, then its sessions);
- organisations: one; projects: two (the partners in one ``IN`` query).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload, selectinload

from webapp.api.params import EventQuery
from webapp.db import db
from webapp.events.models import Event, EventStatus
from webapp.organisations.models import Organisation, Project


def event_page(query: EventQuery, now: datetime) -> tuple[list[Event], bool]:
    """The published events of one page in start order, and whether more follow."""
    stmt = select(Event).where(
        Event.status == EventStatus.PUBLISHED,
        Event.ends_at >= (query.ends_after or now),
    )
    if query.starts_before is not None:
        stmt = stmt.where(Event.starts_at < query.starts_before)
    if query.kind:
        stmt = stmt.where(Event.kind == query.kind)
    if query.county:
        stmt = stmt.where(Event.county == query.county)
    if query.organisation:
        stmt = stmt.where(
            Event.organisation_id.in_(
                select(Organisation.id).where(Organisation.slug == query.organisation)
            )
        )
    if query.project:
        stmt = stmt.where(
            Event.project_id.in_(select(Project.id).where(Project.slug == query.project))
        )
    if query.cursor:
        after = query.cursor
        stmt = stmt.where(
            or_(
                Event.starts_at > after.starts_at,
                and_(Event.starts_at == after.starts_at, Event.id > after.id),
            )
        )
    rows = db.session.scalars(
        stmt.order_by(Event.starts_at, Event.id)
        .limit(query.limit + 1)
        .options(joinedload(Event.organisation), joinedload(Event.project))
    ).all()
    return list(rows[: query.limit]), len(rows) > query.limit


def organisations(slug: str | None = None) -> Sequence[Organisation]:
    """Every organisation by name, or the one with ``slug``."""
    stmt = select(Organisation).order_by(Organisation.name, Organisation.id)
    if slug is not None:
        stmt = stmt.where(Organisation.slug == slug)
    return db.session.scalars(stmt).all()


def projects(slug: str | None = None) -> Sequence[Project]:
    """Every project by name with its lead and partners, or the one with ``slug``."""
    stmt = (
        select(Project)
        .order_by(Project.name, Project.id)
        .options(joinedload(Project.organisation), selectinload(Project.partners))
    )
    if slug is not None:
        stmt = stmt.where(Project.slug == slug)
    return db.session.scalars(stmt).all()
