"""Account messages (password reset, invitation): queueing them, and what their templates get.

They are about no event. A row holds the user or the invitation and the requester's
language, never the link: the link is a credential, derived again when the message is
rendered, exactly as webapp.accounts.services makes and verifies it, so nothing secret is
stored and what arrives works. A second request for the same message within REPEAT_WINDOW
queues nothing, so a double click sends one email; a later request sends another.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_request_context, url_for
from flask_babel import get_locale
from sqlalchemy import select

from webapp.accounts.models import Invitation, User
from webapp.accounts.services import RESET_LIFETIME, invitation_token, reset_token
from webapp.db import begin_write, db, lock_row, utcnow
from webapp.notifications.models import MessageKind, MessageStatus, NotWanted, OutboxMessage
from webapp.notifications.outbox import message_row, queue_rows
from webapp.organisations.models import Organisation

_TABLE = OutboxMessage.__table__


# --- queueing ----------------------------------------------------------------------------

#: How long a repeated request for the same account message queues nothing. The email
#: already queued carries a link that works as well as a second one would.
REPEAT_WINDOW = timedelta(minutes=2)


def _request_language() -> str | None:
    """The language of the request that asks for the message (None outside a request)."""
    if not has_request_context():
        return None
    language = str(get_locale() or "")
    return language if language in current_app.config["LANGUAGES"] else None


def _window_key(scope: str, now: datetime) -> str:
    # Two requests inside one window share the key, so even a race between them queues
    # one row; the lookup in _recently_queued covers the window before.
    return f"{scope}:w{int(now.timestamp() // REPEAT_WINDOW.total_seconds())}"


def _recently_queued(condition: Any, now: datetime) -> bool:
    return (
        db.session.scalar(
            select(_TABLE.c.id).where(condition, _TABLE.c.created_at > now - REPEAT_WINDOW).limit(1)
        )
        is not None
    )


#: Why a reset asked for an address without an active account is not sent.
NO_ACCOUNT = "not sent: no active account has this address"


def queue_password_reset(address: str, user: User | None, now: datetime | None = None) -> bool:
    """Record a password-reset request for ``address``: a pending email when ``user`` is
    its active account, an already cancelled row when there is none. Returns whether a
    row was written (none when the same address asked within REPEAT_WINDOW).

    Both cases run the same statements, so the answer takes as long whether or not the
    address has an account: response times tell no one who does. Two requests inside one
    window share a dedupe key, so a double click queues one email even when they race.
    """
    now = now or utcnow()
    # Read before begin_write, which on SQLite expires the loaded user.
    user_id, name = (user.id, user.name) if user is not None else (None, "")
    begin_write()
    address = address.strip().lower()
    kind = MessageKind.PASSWORD_RESET
    scope = f"{kind}:{hashlib.sha256(address.encode()).hexdigest()[:32]}"
    # This window's key and the one before: the unique index finds them at once.
    keys = [_window_key(scope, now), _window_key(scope, now - REPEAT_WINDOW)]
    if _recently_queued(_TABLE.c.dedupe_key.in_(keys), now):
        return False
    row = message_row(
        kind,
        keys[0],
        None,
        address,
        name,
        now,
        user_id=user_id,
        language=_request_language(),
    )
    # The same columns either way (and so the same statement).
    row["last_error"] = None
    if user is None:
        row.update(status=MessageStatus.CANCELLED, last_error=NO_ACCOUNT)
    # The request's time: the window counts from it, and so does the limit after which
    # the message is no longer sent (see _reset_context).
    row["created_at"] = now
    queue_rows([row])
    return True


def queue_invitation(invitation: Invitation, now: datetime | None = None) -> bool:
    """Queue the invitation email unless the same address was invited to the same
    organisation with the same role within REPEAT_WINDOW (a double click makes two
    invitations; the first one's link is emailed). Returns whether a message was queued.

    The organisation's row is locked, so concurrent invitations queue one message.
    """
    now = now or utcnow()
    lock_row(Organisation, invitation.organisation_id)
    kind = MessageKind.INVITATION
    same = select(Invitation.id).where(
        Invitation.organisation_id == invitation.organisation_id,
        Invitation.email == invitation.email,
        Invitation.role == invitation.role,
    )
    if _recently_queued((_TABLE.c.kind == kind) & _TABLE.c.invitation_id.in_(same), now):
        return False
    row = message_row(
        kind,
        f"{kind}:i{invitation.id}",
        None,
        invitation.email,
        "",
        now,
        invitation_id=invitation.id,
        language=_request_language(),
    )
    row["created_at"] = now
    queue_rows([row])
    return True


# --- rendering ---------------------------------------------------------------------------


def _reset_context(row: OutboxMessage) -> dict[str, Any]:
    user = row.user
    if user is None or not user.is_active:
        raise NotWanted("the account is inactive")
    if utcnow() - row.created_at > RESET_LIFETIME:
        # The token is signed now and lives an hour from now; a request that waited longer
        # than that (no mail server for a while) is stale: the person has asked again or
        # given up, and a working link arriving out of the blue is only a risk.
        raise NotWanted("asked for longer ago than a reset link lives")
    return {
        "user": user,
        "reset_url": url_for("accounts.reset_password", token=reset_token(user), _external=True),
    }


def _invitation_context(row: OutboxMessage) -> dict[str, Any]:
    invitation = row.invitation
    if invitation is None or invitation.accepted_at is not None:
        raise NotWanted("the invitation has been accepted")
    if invitation.expires_at <= utcnow():
        raise NotWanted("the invitation has expired")
    return {
        "invitation": invitation,
        "organisation": invitation.organisation,
        "invited_by": invitation.invited_by,
        "invitation_url": url_for(
            "accounts.accept_invitation", token=invitation_token(invitation), _external=True
        ),
    }


def context(row: OutboxMessage) -> dict[str, Any]:
    """What account templates need, with the link derived now; raises NotWanted."""
    if row.kind == MessageKind.PASSWORD_RESET:
        specific = _reset_context(row)
    else:
        specific = _invitation_context(row)
    return {
        "message": row,
        "kind": row.kind.value,
        "recipient_name": row.recipient_name,
        "recipient_email": row.recipient_email,
        **specific,
    }
