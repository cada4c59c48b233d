"""Account emails (password reset, invitations): a signal to the outbox, and the link.

All email goes through the outbox, which the notifications package owns; accounts do not
import it (DESIGN.md: packages react to each other through signals). The receivers run in
the caller's transaction, so the email is queued exactly when the reset request or the
invitation commits.

The outbox does not store the link it is given (a link is a credential). It keeps only the
user or the invitation and derives the link again when the email goes out, with
:func:`services.reset_token` or :func:`services.invitation_token`, so what arrives is a
link of the same form, verified by the same functions. A second reset request for one
account within a couple of minutes (a double click) queues no second email.
"""

from __future__ import annotations

from flask import url_for

from webapp import signals
from webapp.accounts.models import Invitation, User
from webapp.config import public_base_url


def _absolute(endpoint: str, **values: object) -> str:
    # Emails are read far from the request that caused them: links use the public address.
    return public_base_url() + url_for(endpoint, **values)


def queue_password_reset(address: str, user: User | None) -> None:
    """Signal that someone asked for a password reset for ``address``, whose active account
    is ``user`` (None when it has none). The outbox queues an email to the account with a
    reset link made when it is sent (valid one hour from then, single-use), and does the
    same work for an address without one, sending nothing."""
    signals.password_reset_requested.send(address, user=user)


def queue_invitation(invitation: Invitation, token: str) -> str:
    """Signal the invitation; the outbox queues an email to ``invitation.email`` with the
    acceptance link, derived again when it is sent (the same link: it depends only on the
    invitation). Returns the link made from ``token``."""
    url = _absolute("accounts.accept_invitation", token=token)
    signals.colleague_invited.send(invitation, url=url)
    return url
