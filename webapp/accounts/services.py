"""Accounts: passwords and login, memberships, invitations, deactivation, first run.

Roles are ordered ``viewer < organiser < admin``; a member holds one role per organisation.
The role checks (:func:`require_role` and friends) live in :mod:`webapp.organisations.services`
and are importable from here too. Every organiser-side service calls :func:`require_role` (or
:func:`can_view_event`) before it reads or changes anything, so a view that forgot a check
still cannot leak or change data.

Services flush, never commit; the caller commits once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import joinedload

from webapp import tokens
from webapp.accounts.models import Invitation, LoginSession, Membership, User
from webapp.db import begin_write, db, utcnow
from webapp.errors import RuleViolation
from webapp.formtools import parse_id
from webapp.organisations import audit
from webapp.organisations.models import Organisation, Role
from webapp.organisations.services import (  # noqa: F401 - role checks stay importable here
    NotAllowed,
    OrganisationData,
    create_organisation,
    has_role,
    organisation_count,
    partner_organisation_ids,
    require_role,
    require_site_admin,
    role_in,
)

if TYPE_CHECKING:
    from webapp.events.models import Event

_hasher = PasswordHasher()
# Verified against when the email is unknown, so a wrong email takes as long as a wrong
# password and response times do not reveal who has an account.
_DUMMY_HASH = _hasher.hash("not a real password")

MIN_PASSWORD_LENGTH = 10
INVITATION_LIFETIME = timedelta(days=7)
RESET_LIFETIME = timedelta(hours=1)


class AccountError(RuleViolation):
    default = _l("The account could not be changed.")


class WrongPassword(AccountError):
    default = _l("The current password is not correct.")
    field = "current"


class LastAdmin(AccountError):
    default = _l("An organisation needs at least one administrator.")


class AlreadyMember(AccountError):
    default = _l("That person is already a member of the organisation.")


# --- passwords and login ------------------------------------------------------------------


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` with a fresh salt."""
    return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def normalise_email(email: str) -> str:
    return email.strip().lower()


def user_by_email(email: str) -> User | None:
    return db.session.scalars(select(User).where(User.email == normalise_email(email))).first()


def authenticate(email: str, password: str, now: datetime | None = None) -> User | None:
    """The active user with these credentials, or None; upgrades an outdated hash."""
    user = user_by_email(email)
    if user is None:
        _verify(_DUMMY_HASH, password)
        return None
    if not _verify(user.password_hash, password) or not user.is_active:
        return None
    begin_write()
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now or utcnow()
    db.session.flush()
    return user


# --- login sessions ----------------------------------------------------------------------

#: A login in use has its last_seen_at written at most this often.
SEEN_GRANULARITY = timedelta(minutes=5)


def _session_lifetime() -> timedelta:
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"]
    return lifetime if isinstance(lifetime, timedelta) else timedelta(seconds=lifetime)


def _key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start_session(user: User, now: datetime | None = None) -> str:
    """Record a new login of ``user`` and return its identity for the session cookie
    (also set on ``user``, for Flask-Login's ``login_user``). The user's logins idle
    longer than the session lifetime are deleted on the way."""
    begin_write()
    now = now or utcnow()
    db.session.execute(
        delete(LoginSession).where(
            LoginSession.user_id == user.id,
            LoginSession.last_seen_at < now - _session_lifetime(),
        )
    )
    secret = secrets.token_urlsafe(32)
    db.session.add(
        LoginSession(user_id=user.id, key_hash=_key_hash(secret), created_at=now, last_seen_at=now)
    )
    db.session.flush()
    user.session_identity = f"{user.id}:{secret}"
    return user.session_identity


def _split_identity(identity: str) -> tuple[int | None, str]:
    head, _sep, secret = identity.partition(":")
    return parse_id(head), secret


def load_user(identity: str, now: datetime | None = None) -> User | None:
    """Flask-Login's loader: the active user of a login that has not ended.

    A login ends when it is logged out (here or everywhere), when the password changes,
    or after the session lifetime without use. Marks the login as seen (every
    SEEN_GRANULARITY at most; committed at once, so call it before anything else writes:
    the app loads the user at the start of each request).
    """
    user_id, secret = _split_identity(identity)
    if user_id is None or not secret:
        return None
    now = now or utcnow()
    login = db.session.scalars(
        select(LoginSession)
        .where(LoginSession.key_hash == _key_hash(secret), LoginSession.user_id == user_id)
        .options(joinedload(LoginSession.user))
    ).first()
    if login is None or login.last_seen_at <= now - _session_lifetime():
        return None
    user = login.user
    if not user.is_active:
        return None
    if now - login.last_seen_at > SEEN_GRANULARITY:
        login_id = login.id
        begin_write()
        db.session.execute(
            update(LoginSession).where(LoginSession.id == login_id).values(last_seen_at=now)
        )
        db.session.commit()
    user.session_identity = identity
    return user


def end_session(identity: str) -> None:
    """End one login (logging out): its cookie, wherever copied, opens nothing any more."""
    user_id, secret = _split_identity(identity)
    if user_id is None or not secret:
        return
    begin_write()
    db.session.execute(delete(LoginSession).where(LoginSession.key_hash == _key_hash(secret)))


def end_all_sessions(user: User) -> int:
    """End every login of ``user`` (log out everywhere); returns how many there were."""
    begin_write()
    result = db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    return result.rowcount


def session_count(user: User, now: datetime | None = None) -> int:
    """How many logins of ``user`` are open (this one included)."""
    since = (now or utcnow()) - _session_lifetime()
    return (
        db.session.scalar(
            select(func.count(LoginSession.id)).where(
                LoginSession.user_id == user.id, LoginSession.last_seen_at > since
            )
        )
        or 0
    )


def create_user(email: str, name: str, password: str) -> User:
    """A new active user. Raises AccountError when the email is taken."""
    begin_write()
    if user_by_email(email) is not None:
        raise AccountError(_l("There is already an account with that email address."))
    user = User(
        email=normalise_email(email),
        name=name.strip(),
        password_hash=hash_password(password),
    )
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Replace the password and end every login of the user (the caller starts a new one
    for the browser that changed it, if any)."""
    begin_write()
    user.password_hash = hash_password(password)
    end_all_sessions(user)
    db.session.flush()


def change_password(user: User, current: str, new: str) -> None:
    """Change a password knowing the current one. Raises WrongPassword."""
    if not _verify(user.password_hash, current):
        raise WrongPassword()
    set_password(user, new)


# --- password reset ----------------------------------------------------------------------


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _hash_fingerprint(user: User) -> str:
    # Binding the link to the current hash makes it single-use: once the password changes,
    # every reset link sent before stops working.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def reset_token(user: User) -> str:
    """A signed, expiring, single-use token for the reset link."""
    return _reset_serializer().dumps([user.id, _hash_fingerprint(user)])


def user_for_reset_token(token: str) -> User | None:
    """The user a reset link is for, or None when it is tampered, used or older than an hour."""
    try:
        user_id, fingerprint = _reset_serializer().loads(
            token, max_age=int(RESET_LIFETIME.total_seconds())
        )
    except (BadSignature, ValueError, TypeError):
        return None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.is_active or _hash_fingerprint(user) != fingerprint:
        return None
    return user


# --- roles -------------------------------------------------------------------------------


def can_view_event(user: User | None, event: Event) -> bool:
    """Whether the user may read the event's attendee list.

    Members of the event's organisation (any role) may, and so may members of the partner
    organisations of the event's project: that is how co-hosted programmes work. Partners
    only read; changing anything needs a role in the event's own organisation.
    """
    if role_in(user, event.organisation_id) is not None:
        return True
    if user is None or not getattr(user, "is_authenticated", False) or not user.memberships:
        return False
    mine = {m.organisation_id for m in user.memberships}
    return bool(mine & partner_organisation_ids(event.project_id))


def organisations_of(user: User, role: str = Role.VIEWER) -> list[Organisation]:
    """The organisations where the user holds at least ``role``, by name."""
    ids = [m.organisation_id for m in user.memberships if m.role.rank >= Role(role).rank]
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.name)
        )
    )


def add_member(organisation_id: int, user: User, role: Role) -> Membership:
    """Give a user a role in an organisation (used by the CLI and invitations)."""
    begin_write()
    if role_in(user, organisation_id) is not None:
        raise AlreadyMember()
    membership = Membership(user=user, organisation_id=organisation_id, role=role)
    db.session.add(membership)
    db.session.flush()
    return membership


# --- members and invitations (admins) ----------------------------------------------------


def members(acting: User, organisation_id: int) -> list[Membership]:
    """The organisation's members with their users, by name. Needs admin."""
    require_role(acting, organisation_id, Role.ADMIN)
    return list(
        db.session.scalars(
            select(Membership)
            .join(Membership.user)
            .where(Membership.organisation_id == organisation_id)
            .order_by(User.name, User.id)
            .options(joinedload(Membership.user))
        )
    )


def pending_invitations(
    acting: User, organisation_id: int, now: datetime | None = None
) -> list[Invitation]:
    """Invitations not yet accepted nor expired. Needs admin."""
    require_role(acting, organisation_id, Role.ADMIN)
    return list(
        db.session.scalars(
            select(Invitation)
            .where(
                Invitation.organisation_id == organisation_id,
                Invitation.accepted_at.is_(None),
                Invitation.expires_at > (now or utcnow()),
            )
            .order_by(Invitation.created_at.desc())
        )
    )


def _admin_count(organisation_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count(Membership.id)).where(
                Membership.organisation_id == organisation_id, Membership.role == Role.ADMIN
            )
        )
        or 0
    )


def _membership_for(acting: User, membership_id: int) -> Membership:
    membership = db.session.get(Membership, membership_id)
    if membership is None:
        raise NotAllowed()
    require_role(acting, membership.organisation_id, Role.ADMIN)
    return membership


def change_role(acting: User, membership_id: int, role: Role) -> Membership:
    """Give a member another role; the last admin cannot step down. Needs admin."""
    begin_write()
    membership = _membership_for(acting, membership_id)
    if (
        membership.role == Role.ADMIN
        and role != Role.ADMIN
        and _admin_count(membership.organisation_id) <= 1
    ):
        raise LastAdmin()
    old = membership.role
    membership.role = role
    audit.record(
        acting,
        "member.role_changed",
        organisation_id=membership.organisation_id,
        member=membership.user.email,
        old=old.value,
        new=role.value,
    )
    db.session.flush()
    return membership


def remove_member(acting: User, membership_id: int) -> None:
    """Take a member out of the organisation; the last admin stays. Needs admin."""
    begin_write()
    membership = _membership_for(acting, membership_id)
    if membership.role == Role.ADMIN and _admin_count(membership.organisation_id) <= 1:
        raise LastAdmin()
    audit.record(
        acting,
        "member.removed",
        organisation_id=membership.organisation_id,
        member=membership.user.email,
    )
    db.session.delete(membership)
    db.session.flush()


@dataclass(frozen=True)
class NewAccount:
    """What an invited person who has no account yet fills in."""

    name: str
    password: str


def invite(
    acting: User, organisation_id: int, email: str, role: Role, now: datetime | None = None
) -> Invitation:
    """Invite a colleague by email (the caller queues the email). Needs admin.

    Raises AlreadyMember when the address belongs to a member already.
    """
    require_role(acting, organisation_id, Role.ADMIN)
    begin_write()
    now = now or utcnow()
    existing = user_by_email(email)
    if existing is not None and role_in(existing, organisation_id) is not None:
        raise AlreadyMember()
    invitation = Invitation(
        organisation_id=organisation_id,
        email=normalise_email(email),
        role=role,
        invited_by_id=acting.id,
        token_nonce=tokens.new_nonce(),
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record(
        acting,
        "member.invited",
        organisation_id=organisation_id,
        member=invitation.email,
        role=role.value,
    )
    return invitation


def invitation_token(invitation: Invitation) -> str:
    return tokens.make("invite", invitation.id, invitation.token_nonce)


def invitation_for_token(token: str, now: datetime | None = None) -> Invitation | None:
    """The open invitation a link belongs to; None when unknown, used or expired."""
    invitation_id = tokens.parse_id(token)
    if invitation_id is None:
        return None
    invitation = db.session.get(Invitation, invitation_id)
    if (
        invitation is None
        or not tokens.matches("invite", invitation.id, invitation.token_nonce, token)
        or invitation.accepted_at is not None
        or invitation.expires_at <= (now or utcnow())
    ):
        return None
    return invitation


def accept_invitation(
    invitation: Invitation,
    *,
    user: User | None = None,
    new_account: NewAccount | None = None,
    now: datetime | None = None,
) -> User:
    """Join the organisation: as the logged-in ``user`` or with a ``new_account``.

    An existing account must be the invited address's (AccountError otherwise), so a
    forwarded link cannot hand a role to someone else who happens to be logged in.
    """
    begin_write()
    db.session.refresh(invitation)
    if invitation.accepted_at is not None:
        raise AccountError(_l("This invitation has been used already."))
    if user is not None:
        if user.email != invitation.email:
            raise AccountError(
                _l(
                    "This invitation was sent to %(email)s. Log in with that account.",
                    email=invitation.email,
                )
            )
    elif new_account is not None:
        user = create_user(invitation.email, new_account.name, new_account.password)
    else:
        raise AccountError()
    add_member(invitation.organisation_id, user, invitation.role)
    invitation.accepted_at = now or utcnow()
    audit.record(
        user,
        "member.joined",
        organisation_id=invitation.organisation_id,
        member=user.email,
        role=invitation.role.value,
    )
    db.session.flush()
    return user


# --- deactivating accounts (admins) ------------------------------------------------------


def _account_for_admin(acting: User, organisation_id: int, user_id: int) -> User:
    """A member's account that an admin of ``organisation_id`` may (de)activate.

    An account used in other organisations too belongs to more than this admin: they
    remove the person from their organisation instead (AccountError).
    """
    require_role(acting, organisation_id, Role.ADMIN)
    user = db.session.get(User, user_id)
    # Not role_in: Flask-Login counts an inactive user as not authenticated, so no role.
    theirs = {m.organisation_id for m in user.memberships} if user is not None else set()
    if organisation_id not in theirs:
        raise NotAllowed()
    others = theirs - {organisation_id}
    if any(not has_role(acting, other, Role.ADMIN) for other in others):
        raise AccountError(
            _l(
                "%(name)s is a member of other organisations too. Remove them from yours instead.",
                name=user.name,
            )
        )
    return user


def deactivate_user(acting: User, organisation_id: int, user_id: int) -> User:
    """Deactivate a member's account: no more logins, every session ends now. Needs admin."""
    begin_write()
    user = _account_for_admin(acting, organisation_id, user_id)
    if user.id == acting.id:
        raise AccountError(_l("You cannot deactivate your own account."))
    if not user.is_active:
        return user
    for membership in user.memberships:
        if membership.role == Role.ADMIN and _active_admin_count(membership.organisation_id) <= 1:
            raise LastAdmin()
    user.is_active = False
    # Every login is a row: deleting them ends the user's sessions at once, wherever the
    # cookie was copied (load_user also refuses an inactive user).
    end_all_sessions(user)
    audit.record(acting, "member.deactivated", organisation_id=organisation_id, member=user.email)
    db.session.flush()
    return user


def reactivate_user(acting: User, organisation_id: int, user_id: int) -> User:
    """Let a deactivated member log in again (with their old password). Needs admin."""
    begin_write()
    user = _account_for_admin(acting, organisation_id, user_id)
    if not user.is_active:
        user.is_active = True
        audit.record(
            acting, "member.reactivated", organisation_id=organisation_id, member=user.email
        )
        db.session.flush()
    return user


def _active_admin_count(organisation_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count(Membership.id))
            .join(Membership.user)
            .where(
                Membership.organisation_id == organisation_id,
                Membership.role == Role.ADMIN,
                User.is_active.is_(True),
            )
        )
        or 0
    )


# --- first run and site administrators ---------------------------------------------------


class AlreadySetUp(AccountError):
    default = _l("Träffpunkt has been set up already.")


def setup(organisation: OrganisationData, email: str, name: str, password: str) -> User:
    """The first organisation and its first administrator, who is also a site administrator.

    Refuses (AlreadySetUp) once any organisation exists.
    """
    begin_write()
    if organisation_count() > 0:
        raise AlreadySetUp()
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            _l("Use at least %(num)s characters.", num=MIN_PASSWORD_LENGTH), field="password"
        )
    created = create_organisation(None, organisation)
    user = create_user(email, name, password)
    user.is_site_admin = True
    add_member(created.id, user, Role.ADMIN)
    return user


def create_organisation_with_admin(
    acting: User, organisation: OrganisationData, admin_email: str, now: datetime | None = None
) -> Invitation:
    """A site administrator creates an organisation and invites its first administrator.

    The caller queues the invitation email. The site administrator does not become a
    member of the new organisation.
    """
    require_site_admin(acting)
    created = create_organisation(acting, organisation)
    now = now or utcnow()
    invitation = Invitation(
        organisation_id=created.id,
        email=normalise_email(admin_email),
        role=Role.ADMIN,
        invited_by_id=acting.id,
        token_nonce=tokens.new_nonce(),
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record(
        acting,
        "member.invited",
        organisation_id=created.id,
        member=invitation.email,
        role=Role.ADMIN.value,
    )
    return invitation


def all_organisations(acting: User) -> list[Organisation]:
    """Every organisation, by name, for site administrators."""
    require_site_admin(acting)
    return list(db.session.scalars(select(Organisation).order_by(Organisation.name)))
