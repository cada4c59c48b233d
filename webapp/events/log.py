"""The event log in words: each audit entry's details as a sentence an organiser reads.

Entries store plain values (field names, ids, counts, status codes) so the log outlives
renamed labels; they are put into words when shown, in the reader's language. Packages
above events register how to show their own values (bookings: a booking status) in
:data:`VALUE_LABELS`, so this module needs none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from webapp.events.models import Event
from webapp.i18n import format_long_span
from webapp.organisations.audit import AuditEntry

#: Names of the fields an entry says were changed (events and participants).
FIELD_LABELS = {
    "kind": _l("kind"),
    "title": _l("title"),
    "summary": _l("summary"),
    "description": _l("description"),
    "county": _l("county"),
    "max_per_company": _l("limit per company"),
    "registration_opens_at": _l("registration opening"),
    "registration_closes_at": _l("registration closing"),
    "requires_approval": _l("selection by the organiser"),
    "project_id": _l("project"),
    "venue": _l("venue"),
    "title_en": _l("title in English"),
    "summary_en": _l("summary in English"),
    "description_en": _l("description in English"),
    "venue_en": _l("venue in English"),
    "city": _l("city"),
    "country": _l("country"),
    "online_url": _l("join link"),
    "capacity": _l("capacity"),
    "reminder_offsets": _l("reminders"),
    "practical_info": _l("practical information"),
    "practical_info_en": _l("practical information in English"),
    "sessions": _l("sessions"),
    "name": _l("name"),
    "email": _l("email address"),
    "role": _l("role"),
    "gender": _l("gender"),
    "dietary_needs": _l("dietary needs"),
    "accessibility_needs": _l("accessibility needs"),
}

#: Names of the other details entries record.
DETAIL_LABELS = {
    "title": _l("title"),
    "company": _l("company"),
    "participant": _l("participant"),
    "status": _l("status"),
    "member": _l("member"),
    "role": _l("role"),
    "old": _l("before"),
    "new": _l("after"),
}

#: Detail key → how to show its value; filled in by the packages that record them.
VALUE_LABELS: dict[str, Callable[[Any], str]] = {}


def _field(name: str) -> str:
    return str(FIELD_LABELS.get(name, name.replace("_", " ")))


def _session(event: Event, session_id: Any) -> str:
    session = next((s for s in event.sessions if s.id == session_id), None)
    if session is None:
        return _("a session that no longer exists")
    return format_long_span(session.starts_at, session.ends_at)


def describe(entry: AuditEntry, event: Event) -> str:
    """The entry's details as one line, e.g. "tis 15 dec 2026 09:00–12:00: 5 present, 2 absent"."""
    details = dict(entry.details or {})
    parts = []
    if "session" in details:
        parts.append(_("Session %(when)s", when=_session(event, details.pop("session"))))
    if "present" in details or "absent" in details:
        parts.append(
            _(
                "%(present)s present, %(absent)s absent",
                present=details.pop("present", 0),
                absent=details.pop("absent", 0),
            )
        )
    if "fields" in details:
        fields = details.pop("fields") or []
        parts.append(_("changed: %(fields)s", fields=", ".join(_field(f) for f in fields)))
    if "participants" in details:
        n = details.pop("participants")
        parts.append(ngettext("%(num)s participant", "%(num)s participants", n))
    if "source" in details:
        parts.append(_("copied from event number %(id)s", id=details.pop("source")))
    for key, value in details.items():
        shown = VALUE_LABELS[key](value) if key in VALUE_LABELS else value
        if isinstance(shown, list | tuple):
            shown = ", ".join(map(str, shown))
        parts.append(f"{DETAIL_LABELS.get(key, key.replace('_', ' '))}: {shown}")
    return "; ".join(parts)
