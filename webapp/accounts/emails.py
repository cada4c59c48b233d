"""Account emails (password reset, invitations): the links, handed to the outbox by signal.

All email goes through the outbox, which the notifications package owns; accounts do not
import it (DESIGN.md: packages react to each other through signals). The receivers run in
the caller's transaction, so the email is queued exactly when the reset request or the
invitation commits.
"""

from __future__ import annotations

from flask import current_app, url_for

from webapp import signals
from webapp.accounts.models import Invitation, User


def _absolute(endpoint: str, **values: object) -> str:
    # Emails are read far from the request that caused them: links use the public address.
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def queue_password_reset(user: User, token: str) -> str:
    """Ask the outbox to email ``user`` the reset link; returns the link."""
    url = _absolute("accounts.reset_password", token=token)
    signals.password_reset_requested.send(user, url=url)
    return url


def queue_invitation(invitation: Invitation, token: str) -> str:
    """Ask the outbox to email the invitation link; returns the link."""
    url = _absolute("accounts.accept_invitation", token=token)
    signals.colleague_invited.send(invitation, url=url)
    return url
