"""The cache versions of the public pages (see :mod:`webapp.http_cache`): one small query each.

- An event's page shows the event (its seats, status, times, texts), its sessions, its
  organisation and its project: :func:`event_version` reads their ``updated_at`` (every
  UPDATE moves it, the seat counter's too), ``seats_taken`` and the session count (a
  deleted session moves no ``updated_at``).
- Lists (the front page, a project's page, the embed, the API's lists) show many events and
  the names of organisations and projects: :func:`site_version` reads the newest change and
  the row count of each of the four tables, so any change anywhere gives every list a new
  version. Coarse, but never stale.
"""

from __future__ import annotations

from sqlalchemy import func, select

from webapp.db import db
from webapp.events.models import Event, EventSession
from webapp.events.services import PUBLIC_STATUSES
from webapp.http_cache import Version, newest
from webapp.organisations.models import Organisation, Project


def site_version(**_view_args: object) -> Version:
    """Changes to any event, session, organisation or project."""
    columns = []
    for model in (Event, EventSession, Organisation, Project):
        columns.append(select(func.max(model.updated_at)).scalar_subquery())
        columns.append(select(func.count()).select_from(model).scalar_subquery())
    row = db.session.execute(select(*columns)).one()
    return Version(tuple(row), newest(row[0], row[2], row[4], row[6]))


def event_version(event_id: int, **_view_args: object) -> Version | None:
    """One public event's page; ``None`` when it is not public (the view answers 404)."""
    of_event = EventSession.event_id == event_id
    row = db.session.execute(
        select(
            Event.updated_at,
            Event.seats_taken,
            Organisation.updated_at,
            Organisation.name,
            Project.updated_at,
            select(func.max(EventSession.updated_at)).where(of_event).scalar_subquery(),
            select(func.count()).select_from(EventSession).where(of_event).scalar_subquery(),
        )
        .join(Organisation, Organisation.id == Event.organisation_id)
        .outerjoin(Project, Project.id == Event.project_id)
        .where(Event.id == event_id, Event.status.in_(PUBLIC_STATUSES))
    ).one_or_none()
    if row is None:
        return None
    return Version(tuple(row), newest(row[0], row[2], row[4], row[5]))
