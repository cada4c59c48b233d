"""Rules of organisations, privacy notices, projects and partnerships, in the service layer."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests import factories as f
from tests.accounts import helpers as h
from webapp.accounts import services as accounts
from webapp.accounts.models import Invitation, User
from webapp.db import db
from webapp.events import management
from webapp.organisations import services
from webapp.organisations.audit import AuditEntry
from webapp.organisations.models import (
    Organisation,
    PartnerInvitationStatus,
    PrivacyNotice,
    ProjectStatus,
    Role,
)
from webapp.organisations.services import (
    NotAllowed,
    OrganisationData,
    OrganisationError,
    ProjectData,
)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _data(org: Organisation, **changes: object) -> OrganisationData:
    fields = {name: getattr(org, name) for name in OrganisationData.__dataclass_fields__}
    return OrganisationData(**{**fields, **changes})


# --- first run ---------------------------------------------------------------------------


def test_setup_makes_the_first_organisation_and_a_site_admin_then_refuses(app):
    user = accounts.setup(
        OrganisationData(name="Teknikparken", slug="teknikparken"),
        "Ada@Example.se",
        "Ada",
        "ett långt lösenord",
    )
    db.session.commit()
    org = db.session.scalars(select(Organisation)).one()
    assert user.email == "ada@example.se" and user.is_site_admin
    assert accounts.role_in(user, org.id) == Role.ADMIN
    assert services.current_notice(org.id).version == 1
    with pytest.raises(accounts.AlreadySetUp):
        accounts.setup(
            OrganisationData(name="Two", slug="two"), "b@example.se", "B", "ett långt lösenord"
        )
    db.session.rollback()
    assert _count(Organisation) == 1 and _count(User) == 1


def test_setup_command_takes_options_and_refuses_a_second_time(app, runner):
    args = [
        "setup",
        "--organisation-name",
        "Teknikparken",
        "--organisation-slug",
        "teknikparken",
        "--email",
        "ada@example.se",
        "--name",
        "Ada",
        "--password",
        "ett långt lösenord",
    ]
    bad = runner.invoke(args=[*args[:4], "Tekniks Park", *args[5:]])
    assert bad.exit_code != 0 and "--organisation-slug" in bad.output
    assert _count(Organisation) == 0
    done = runner.invoke(args=args)
    assert done.exit_code == 0, done.output
    again = runner.invoke(args=args)
    assert again.exit_code != 0 and "set up already" in again.output
    assert "flask users create" in again.output
    assert _count(Organisation) == 1


# --- settings and slugs ------------------------------------------------------------------


@pytest.mark.parametrize("slug", ["has space", "åäö-park", "Upper", "-lead", "a--b", ""])
def test_bad_slugs_are_refused_on_their_field(app, slug):
    org = f.organisation()
    admin = h.user(org, Role.ADMIN)
    with pytest.raises(OrganisationError) as caught:
        services.update_organisation(admin, org.id, _data(org, slug=slug))
    assert caught.value.field == "slug"


def test_slug_change_keeps_the_old_one_as_an_alias_and_duplicates_are_refused(app):
    org, other = f.organisation(), f.organisation()
    admin = h.user(org, Role.ADMIN)
    old = org.slug
    services.update_organisation(admin, org.id, _data(org, slug="ny-adress", name="Nytt namn"))
    db.session.commit()
    assert services.organisation_by_slug(old) == (org, True)
    assert services.organisation_by_slug("ny-adress") == (org, False)
    for taken in ("ny-adress", old):
        other_admin = h.user(other, Role.ADMIN)
        with pytest.raises(OrganisationError) as caught:
            services.update_organisation(other_admin, other.id, _data(other, slug=taken))
        assert caught.value.field == "slug"
        db.session.rollback()
    # Going back to the old slug is fine: the alias is its own.
    services.update_organisation(admin, org.id, _data(org, slug=old))
    db.session.commit()
    assert services.organisation_by_slug(old) == (org, False)
    assert services.organisation_by_slug("ny-adress") == (org, True)
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "organisation.edited")
    ).first()
    assert entry.details["changes"]["name"][1] == "Nytt namn"


def test_only_admins_of_the_organisation_change_settings(app):
    org, other = f.organisation(), f.organisation()
    for person in (
        h.user(org, Role.ORGANISER),
        h.user(other, Role.ADMIN),
        h.user(None, is_site_admin=True),
    ):
        with pytest.raises(NotAllowed):
            services.update_organisation(person, org.id, _data(org, name="X"))


def test_email_sender_and_reply_to_fall_back(app):
    org = f.organisation("Teknikparken", contact_email="info@tp.se")
    assert (org.email_sender_name, org.email_reply_to) == ("Teknikparken", "info@tp.se")
    org.sender_name, org.reply_to = "Teknikparken Event", "event@tp.se"
    assert (org.email_sender_name, org.email_reply_to) == ("Teknikparken Event", "event@tp.se")


# --- privacy notices ---------------------------------------------------------------------


def test_each_changed_notice_is_a_new_version_and_bookings_keep_theirs(app, client):
    org = f.organisation()
    admin = h.user(org, Role.ADMIN)
    first = services.current_notice(org.id)
    same = services.update_privacy_notice(admin, org.id, first.text_sv, first.text_en)
    assert same.id == first.id
    second = services.update_privacy_notice(admin, org.id, "Ny text", "New text")
    db.session.commit()
    assert second.version == first.version + 1
    assert [n.version for n in services.notice_versions(admin, org.id)] == [2, 1]
    assert db.session.get(PrivacyNotice, first.id).text_sv == "Integritet v1"
    with pytest.raises(OrganisationError) as caught:
        services.update_privacy_notice(admin, org.id, " ", "x")
    assert caught.value.field == "text_sv"
    outsider = h.user(f.organisation(), Role.ADMIN)
    with pytest.raises(NotAllowed):
        services.notice_for(outsider, first.id)
    assert services.notice_for(h.user(org, Role.VIEWER), first.id) is not None


# --- projects ----------------------------------------------------------------------------


def test_project_rules(app):
    org = f.organisation()
    admin = h.user(org, Role.ADMIN)
    data = ProjectData(
        name="Grön omställning",
        slug="gron",
        funder="Tillväxtverket",
        funding_programme="ERUF",
        funder_reference="20201234",
        starts_on=date(2026, 1, 1),
        ends_on=date(2027, 12, 31),
        funding_statement="Medfinansieras av Europeiska unionen",
    )
    project = services.create_project(admin, org.id, data)
    db.session.commit()
    assert project.is_active and project.funding_statement.startswith("Medfinansieras")
    with pytest.raises(OrganisationError) as caught:
        services.create_project(admin, org.id, ProjectData(name="Två", slug="gron"))
    assert caught.value.field == "slug"
    db.session.rollback()
    with pytest.raises(OrganisationError) as caught:
        services.update_project(
            admin,
            project.id,
            ProjectData(
                name="x", slug="gron", starts_on=date(2027, 1, 1), ends_on=date(2026, 1, 1)
            ),
        )
    assert caught.value.field == "ends_on"
    db.session.rollback()
    assert db.session.get(type(project), project.id).ends_on == date(2027, 12, 31)
    with pytest.raises(NotAllowed):
        services.create_project(h.user(org, Role.ORGANISER), org.id, data)


def test_closed_projects_take_no_new_events_but_keep_theirs(app):
    org = f.organisation()
    admin = h.user(org, Role.ADMIN)
    project = f.project(org)
    event = f.event(org, project=project)
    services.update_project(
        admin,
        project.id,
        ProjectData(name=project.name, slug=project.slug, status=ProjectStatus.CLOSED),
    )
    db.session.commit()
    assert project not in services.project_choices(org.id)
    assert project in services.project_choices(org.id, keep=project.id)
    with pytest.raises(management.EventError) as caught:
        management._check_project(org.id, project.id)
    assert caught.value.field == "project"
    management._check_project(org.id, project.id, keep=event.project_id)


# --- partners ----------------------------------------------------------------------------


def test_partner_invitation_accept_decline_and_remove(app):
    lead, partner, other = (f.organisation(), f.organisation(country="NO"), f.organisation())
    lead_admin, partner_admin = h.user(lead, Role.ADMIN), h.user(partner, Role.ADMIN)
    project = f.project(lead)
    invitation = services.invite_partner(lead_admin, project.id, partner.slug)
    db.session.commit()
    # Bad input: unknown, the lead itself, invited twice.
    for slug, field in (
        ("finns-inte", "organisation"),
        (lead.slug, "organisation"),
        (partner.slug, "organisation"),
    ):
        with pytest.raises(OrganisationError) as caught:
            services.invite_partner(lead_admin, project.id, slug)
        assert caught.value.field == field
        db.session.rollback()
    # Only the invited organisation's admins answer.
    for person in (lead_admin, h.user(partner, Role.ORGANISER), h.user(other, Role.ADMIN)):
        with pytest.raises(NotAllowed):
            services.answer_invitation(person, invitation.id, accept=True)
    services.answer_invitation(partner_admin, invitation.id, accept=True)
    db.session.commit()
    assert services.partner_organisation_ids(project.id) == {partner.id}
    with pytest.raises(OrganisationError):
        services.answer_invitation(partner_admin, invitation.id, accept=False)
    db.session.rollback()
    with pytest.raises(OrganisationError) as caught:
        services.invite_partner(lead_admin, project.id, partner.slug)
    assert "redan partner" in str(caught.value)
    db.session.rollback()
    # The partner creates an event in the project; removing the partner keeps it there.
    event = f.event(partner, project=project)
    assert project in services.project_choices(partner.id)
    with pytest.raises(NotAllowed):
        services.remove_partner(partner_admin, project.id, partner.id)
    services.remove_partner(lead_admin, project.id, partner.id)
    db.session.commit()
    assert services.partner_organisation_ids(project.id) == set()
    assert event.project_id == project.id and event.organisation_id == partner.id
    # Declining leaves no partnership.
    second = services.invite_partner(lead_admin, project.id, other.slug)
    services.answer_invitation(h.user(other, Role.ADMIN), second.id, accept=False)
    db.session.commit()
    assert second.status == PartnerInvitationStatus.DECLINED
    assert services.partner_organisation_ids(project.id) == set()
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"partner.invited", "partner.accepted", "partner.declined", "partner.removed"} <= actions


# --- site administrators and accounts ----------------------------------------------------


def test_site_admin_creates_an_organisation_and_invites_its_admin_without_joining(app):
    home = f.organisation()
    site_admin = h.user(home, Role.ADMIN, is_site_admin=True)
    invitation = accounts.create_organisation_with_admin(
        site_admin,
        OrganisationData(name="Energiklustret", slug="energi", country="FI"),
        "chef@energi.fi",
    )
    db.session.commit()
    assert invitation.role == Role.ADMIN and invitation.email == "chef@energi.fi"
    assert accounts.role_in(site_admin, invitation.organisation_id) is None
    assert services.current_notice(invitation.organisation_id).version == 1
    with pytest.raises(NotAllowed):
        accounts.create_organisation_with_admin(
            h.user(home, Role.ADMIN), OrganisationData(name="X", slug="x"), "x@x.se"
        )
    db.session.rollback()
    assert _count(Invitation) == 1


def test_deactivation_ends_sessions_and_respects_other_organisations(app):
    org, other = f.organisation(), f.organisation()
    admin = h.user(org, Role.ADMIN)
    member = h.user(org, Role.ORGANISER)
    identity = accounts.start_session(member)
    db.session.commit()
    assert accounts.load_user(identity) is not None
    accounts.deactivate_user(admin, org.id, member.id)
    db.session.commit()
    assert accounts.load_user(identity) is None
    assert accounts.authenticate(member.email, h.PASSWORD) is None
    db.session.rollback()
    accounts.reactivate_user(admin, org.id, member.id)
    db.session.commit()
    # The login rows were deleted: reactivating lets them log in again, not revive old cookies.
    assert accounts.load_user(identity) is None
    assert accounts.authenticate(member.email, h.PASSWORD) is not None
    db.session.commit()
    with pytest.raises(accounts.AccountError):
        accounts.deactivate_user(admin, org.id, admin.id)
    db.session.rollback()
    shared = h.user(org, Role.VIEWER)
    shared.memberships.append(type(shared.memberships[0])(organisation=other, role=Role.VIEWER))
    db.session.flush()
    with pytest.raises(accounts.AccountError):
        accounts.deactivate_user(admin, org.id, shared.id)
    db.session.rollback()
    with pytest.raises(NotAllowed):
        accounts.deactivate_user(h.user(org, Role.ORGANISER), org.id, member.id)
