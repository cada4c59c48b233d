"""The directory's rules at the service level: invitation once per company, opt-in,
withdrawal, organisers hiding (audit-logged, authorised), search filters, the project's
companies, bad input stored nowhere, merges."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests import factories as f
from tests.directory.conftest import publish
from webapp.bookings import organising
from webapp.bookings import services as bookings
from webapp.bookings.models import BookingStatus
from webapp.companies import services as register
from webapp.db import db
from webapp.directory import services
from webapp.directory.models import CompanyProfile
from webapp.events.models import EventKind
from webapp.notifications.models import MessageKind, OutboxMessage
from webapp.organisations.audit import AuditEntry
from webapp.organisations.services import NotAllowed


def _invitations(company_id: int | None = None) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).where(OutboxMessage.kind == MessageKind.DIRECTORY_INVITATION)
    rows = list(db.session.scalars(stmt))
    if company_id is None:
        return rows
    return [r for r in rows if f":c{company_id}:" in r.dedupe_key]


def _public_ids(**filters) -> list[int]:
    page = services.search(services.DirectoryFilter(**filters), 1, 100)
    return [p.company_id for p in page.items]


def test_a_confirmed_booking_invites_once_and_publishes_nothing(world):
    profile = world.profile
    assert profile is not None and profile.invited_at is not None
    assert profile.published_at is None and not profile.is_public
    [row] = _invitations()
    assert row.recipient_email == world.booking.contact_email
    assert row.booking_id == world.booking.id and row.payload == {"profile_id": profile.id}
    assert _public_ids() == []
    # Later confirmed bookings of the same company invite no more.
    second = f.event(world.org, project=world.project)
    f.book(second, 1, company=1)
    third = f.event(world.other)
    f.book(third, 2, company=1)
    db.session.commit()
    assert len(_invitations()) == 1
    assert db.session.scalar(select(func.count()).select_from(CompanyProfile)) == 1


def test_waitlisted_and_pending_bookings_invite_only_once_confirmed(world):
    full = f.event(world.org, capacity=1)
    f.book(full, 1, company=50)
    waiting = f.book(full, 1, company=51)
    trip = f.event(world.org, kind=EventKind.STUDY_TRIP, requires_approval=True)
    pending = f.book(trip, 1, company=52)
    db.session.commit()
    assert waiting.status == BookingStatus.WAITLISTED and pending.status == BookingStatus.PENDING
    assert services.profile_of_company(waiting.company_id) is None
    assert services.profile_of_company(pending.company_id) is None
    organising.decide(world.organiser, trip, [pending.id], approve=True)
    db.session.commit()
    assert services.profile_of_company(pending.company_id).invited_at is not None
    assert len(_invitations(pending.company_id)) == 1


def test_publish_and_withdraw_at_once(world):
    profile = publish(world.profile)
    assert profile.is_public
    assert _public_ids() == [world.booking.company_id]
    assert services.public_profile(profile.id) is not None
    services.withdraw(profile)
    db.session.commit()
    assert _public_ids() == [] and services.public_profile(profile.id) is None
    # The text stays, as a draft the company can publish again.
    assert profile.offers == "Solpaneler och montage"


def test_publishing_an_empty_profile_is_refused(world):
    with pytest.raises(services.DirectoryError) as caught:
        services.save(world.profile, services.ProfileData(), publish=True)
    assert caught.value.field == "offers"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"website": "javascript:alert(1)"}, "website"),
        ({"website": "ftp://example.se"}, "website"),
        ({"website": "https://"}, "website"),
        ({"offers": "x" * 1001}, "offers"),
        ({"description_en": "x" * 2001}, "description_en"),
        ({"industry": "Z"}, "industry"),
        ({"county": "99"}, "county"),
        ({"country": "NO", "county": "14"}, "county"),
        ({"country": "XX", "county": None}, "country"),
        ({"languages": ["sv", "klingon"]}, "languages"),
    ],
)
def test_bad_input_names_its_field_and_stores_nothing(world, changes, field):
    profile = world.profile
    data = services.ProfileData(**{"offers": "Något", "country": "SE", **changes})
    with pytest.raises(services.DirectoryError) as caught:
        services.save(profile, data, publish=True)
    assert caught.value.field == field
    db.session.rollback()
    db.session.expire_all()
    stored = db.session.get(CompanyProfile, profile.id)
    assert stored.offers == "" and stored.published_at is None


def test_organisers_hide_and_show_with_a_reason_in_the_audit_log(world):
    profile = publish(world.profile)
    services.hide(world.organiser, world.booking.company_id, "Reklam för något annat")
    db.session.commit()
    assert _public_ids() == [] and services.public_profile(profile.id) is None
    # Hidden stays hidden whatever the company does.
    publish(profile, offers="Nytt erbjudande")
    assert _public_ids() == []
    services.unhide(world.organiser, world.booking.company_id)
    db.session.commit()
    assert _public_ids() == [world.booking.company_id]
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action.like("directory.%")).order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == ["directory.hidden", "directory.shown"]
    assert entries[0].organisation_id == world.org.id
    assert entries[0].user_id == world.organiser.id
    assert entries[0].details["reason"] == "Reklam för något annat"


@pytest.mark.parametrize("who", ["viewer", "other_organiser"])
def test_only_organisers_of_an_organisation_it_booked_with_may_hide(world, who):
    publish(world.profile)
    with pytest.raises(NotAllowed):
        services.hide(getattr(world, who), world.booking.company_id, "Nej")
    db.session.rollback()
    assert services.public_profile(world.profile.id) is not None
    assert not db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "directory.hidden")
    ).all()


def test_hiding_needs_a_reason(world):
    with pytest.raises(services.DirectoryError) as caught:
        services.hide(world.organiser, world.booking.company_id, "  ")
    assert caught.value.field == "reason"


def _company_with_profile(event, number: int, **fields):
    booking = f.book(event, 1, company=number)
    db.session.commit()
    return publish(services.profile_of_company(booking.company_id), **fields)


def ids(**filters) -> set[int]:
    return set(_public_ids(**filters))


def test_search_filters(world):
    event = world.event
    solar = publish(world.profile)  # F, 14, SE
    norway = _company_with_profile(
        event,
        2,
        offers="Trähus i moduler",
        seeks="Kunder i Sverige",
        description="",
        description_en="Modular timber houses",
        industry="C",
        county=None,
        country="NO",
    )
    it = _company_with_profile(
        event, 3, offers="Programvara för energi", seeks="", industry="J", county="17"
    )
    assert ids() == {solar.company_id, norway.company_id, it.company_id}
    assert ids(search="timber") == {norway.company_id}
    # Case is folded for ASCII letters on both databases (SQLite's lower() leaves Ä).
    assert ids(search="TIMBER") == {norway.company_id}
    assert ids(search="trähus") == {norway.company_id}
    assert ids(search="energi programvara") == {it.company_id}
    assert ids(search="energi solpaneler") == set()
    assert ids(search="100%") == set()
    assert ids(search=norway.company.name) == {norway.company_id}
    assert ids(industry="C") == {norway.company_id}
    assert ids(county="17") == {it.company_id}
    assert ids(country="NO") == {norway.company_id}
    assert ids(country="SE", industry="F") == {solar.company_id}


def test_the_project_directory_lists_only_its_participants_published_profiles(world):
    inside = publish(world.profile)
    outsider_event = f.event(world.org)  # no project
    outsider = _company_with_profile(outsider_event, 20)
    # Took part in the project but did not publish.
    f.book(world.event, 1, company=21)
    # Took part, published, then cancelled the booking: not a participant any more.
    cancelled = f.book(world.event, 1, company=22)
    db.session.commit()
    publish(services.profile_of_company(cancelled.company_id))
    bookings.cancel(cancelled.id)
    db.session.commit()
    assert set(_public_ids()) == {inside.company_id, outsider.company_id, cancelled.company_id}
    assert _public_ids(project_id=world.project.id) == [inside.company_id]


def test_a_merged_duplicates_profile_moves_to_the_record_kept(world):
    other_event = f.event(world.org)
    duplicate = f.book(other_event, 1, company=30)
    db.session.commit()
    moved = publish(services.profile_of_company(duplicate.company_id))
    keep = f.book(f.event(world.org), 1, company=31).company
    db.session.commit()
    draft = services.profile_of_company(keep.id)
    # The kept company's profile is an untouched draft: the published one wins.
    register.merge(world.organiser, keep.id, duplicate.company_id)
    db.session.commit()
    assert db.session.get(CompanyProfile, draft.id) is None
    assert services.profile_of_company(keep.id).id == moved.id
    assert services.public_profile(moved.id).company_id == keep.id


def test_the_edit_link_is_derived_and_revocable(world):
    profile = world.profile
    token = services.edit_token(profile)
    assert services.profile_for_token(token).id == profile.id
    assert services.profile_for_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    services.revoke_edit_link(profile)
    db.session.commit()
    assert services.profile_for_token(token) is None
