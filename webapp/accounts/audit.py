"""Moved to :mod:`webapp.organisations.audit`; this alias keeps branches in flight importing.

Delete it once no ``from webapp.accounts import audit`` is left on any branch.
"""

from webapp.organisations.audit import *  # noqa: F403
from webapp.organisations.audit import ACTION_LABELS, AuditEntry, entries_for_event, record

__all__ = ["ACTION_LABELS", "AuditEntry", "entries_for_event", "record"]
