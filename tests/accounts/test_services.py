"""Roles and authorisation rules, passwords and tokens, at the service level."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests import factories as f
from tests.accounts import helpers as h
from webapp.accounts import services
from webapp.accounts.models import Role
from webapp.db import db, utcnow


@pytest.mark.parametrize(
    ("held", "needed", "allowed"),
    [
        ("viewer", "viewer", True),
        ("viewer", "organiser", False),
        ("organiser", "viewer", True),
        ("organiser", "organiser", True),
        ("organiser", "admin", False),
        ("admin", "organiser", True),
        ("admin", "admin", True),
    ],
)
def test_roles_are_ordered_viewer_organiser_admin(app, held, needed, allowed):
    org = f.organisation()
    person = h.user(org, held)
    if allowed:
        services.require_role(person, org.id, needed)
    else:
        with pytest.raises(services.NotAllowed):
            services.require_role(person, org.id, needed)


def test_a_role_in_one_organisation_gives_nothing_in_another(app):
    mine, theirs = f.organisation(), f.organisation()
    person = h.user(mine, Role.ADMIN)
    with pytest.raises(services.NotAllowed):
        services.require_role(person, theirs.id, Role.VIEWER)
    with pytest.raises(services.NotAllowed):
        services.require_role(None, mine.id, Role.VIEWER)


def test_partners_of_the_project_may_view_the_event_others_may_not(app):
    lead, partner, outsider = f.organisation(), f.organisation(), f.organisation()
    event = f.event(lead, project=f.project(lead, partners=[partner]))
    without_project = f.event(lead)
    assert services.can_view_event(h.user(lead, Role.VIEWER), event)
    assert services.can_view_event(h.user(partner, Role.VIEWER), event)
    assert not services.can_view_event(h.user(partner, Role.ADMIN), without_project)
    assert not services.can_view_event(h.user(outsider, Role.ADMIN), event)
    assert not services.can_view_event(h.user(), event)
    assert not services.can_view_event(None, event)


def test_passwords_are_argon2_and_authenticate_checks_them(app):
    person = services.create_user("Karin@Example.SE ", "Karin", "a long enough password")
    db.session.commit()
    assert person.email == "karin@example.se"
    assert person.password_hash.startswith("$argon2id$")
    assert services.authenticate("KARIN@example.se", "a long enough password") == person
    assert services.authenticate("karin@example.se", "wrong password") is None
    assert services.authenticate("nobody@example.se", "a long enough password") is None
    person.is_active = False
    assert services.authenticate("karin@example.se", "a long enough password") is None


def test_an_email_can_have_one_account(app):
    services.create_user("k@example.se", "K", "a long enough password")
    with pytest.raises(services.AccountError):
        services.create_user("K@example.se", "K2", "a long enough password")


def test_changing_the_password_ends_every_login(app):
    person = h.user()
    identity = services.start_session(person)
    assert services.load_user(identity) == person
    services.change_password(person, h.PASSWORD, "another long password")
    assert services.load_user(identity) is None
    with pytest.raises(services.WrongPassword):
        services.change_password(person, "not it", "yet another password")


def test_reset_tokens_work_once(app):
    person = h.user()
    token = services.reset_token(person)
    assert services.user_for_reset_token(token) == person
    assert services.user_for_reset_token(token + "x") is None
    services.set_password(person, "a brand new password")
    assert services.user_for_reset_token(token) is None


def test_the_last_admin_cannot_leave_or_step_down(app):
    org = f.organisation()
    admin = h.user(org, Role.ADMIN)
    membership = admin.memberships[0]
    with pytest.raises(services.LastAdmin):
        services.change_role(admin, membership.id, Role.VIEWER)
    with pytest.raises(services.LastAdmin):
        services.remove_member(admin, membership.id)
    second = h.user(org, Role.ADMIN)
    services.change_role(second, membership.id, Role.VIEWER)
    assert membership.role == Role.VIEWER


def test_only_admins_manage_members(app):
    org = f.organisation()
    h.user(org, Role.ADMIN)
    organiser = h.user(org, Role.ORGANISER)
    with pytest.raises(services.NotAllowed):
        services.invite(organiser, org.id, "new@example.se", Role.VIEWER)
    with pytest.raises(services.NotAllowed):
        services.members(organiser, org.id)


def test_invitations_expire_and_are_used_once(app):
    org = f.organisation()
    admin = h.user(org, Role.ADMIN)
    invitation = services.invite(admin, org.id, "New@Example.se", Role.ORGANISER)
    token = services.invitation_token(invitation)
    assert services.invitation_for_token(token) == invitation
    later = utcnow() + services.INVITATION_LIFETIME + timedelta(minutes=1)
    assert services.invitation_for_token(token, now=later) is None
    user = services.accept_invitation(
        invitation, new_account=services.NewAccount("Ny Kollega", "a long enough password")
    )
    assert services.role_in(user, org.id) == Role.ORGANISER
    assert services.invitation_for_token(token) is None


def test_an_invitation_cannot_be_taken_by_another_account(app):
    org = f.organisation()
    admin = h.user(org, Role.ADMIN)
    invitation = services.invite(admin, org.id, "invited@example.se", Role.ADMIN)
    stranger = h.user(email="stranger@example.se")
    with pytest.raises(services.AccountError):
        services.accept_invitation(invitation, user=stranger)
    assert services.role_in(stranger, org.id) is None


def test_inviting_a_member_again_is_refused(app):
    org = f.organisation()
    admin = h.user(org, Role.ADMIN)
    member = h.user(org, Role.VIEWER)
    with pytest.raises(services.AlreadyMember):
        services.invite(admin, org.id, member.email.upper(), Role.ADMIN)
