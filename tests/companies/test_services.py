"""The register's rules at the service level, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests import factories as f
from webapp.bookings import services as bookings
from webapp.bookings.models import Booking
from webapp.companies import services
from webapp.companies.models import (
    BalanceBand,
    ChangeKind,
    Company,
    CompanyChange,
    SizeClass,
    StaffBand,
    TurnoverBand,
)
from webapp.db import db
from webapp.organisations.audit import AuditEntry
from webapp.organisations.services import NotAllowed


def _register(event, company: bookings.CompanyData) -> Booking:
    booking = bookings.register(
        event.id,
        company,
        bookings.ContactData("Kontakt", "kontakt@example.se"),
        f.people(1),
        consent_version="test",
    )
    db.session.commit()
    return booking


def _master(company: Company) -> dict[str, object]:
    return {
        name: getattr(company, name)
        for name in (
            "name",
            "country",
            "org_number",
            "county",
            "size_class",
            "industry_code",
            "updated_at",
        )
    }


def test_a_second_registration_with_other_details_changes_nothing_in_the_register(register):
    first = _register(register.event, f.company_data(5, industry_code="25110"))
    company = first.company
    before = _master(company)
    declared = f.company_data(
        5,
        name="Helt Annat Namn AB",
        county="01",
        size_class=SizeClass.LARGE,
        industry_code="62010",
        staff_band=StaffBand.FROM_250,
        turnover_band=TurnoverBand.OVER_50M,
        balance_band=BalanceBand.OVER_43M,
    )
    second = _register(register.other_event, declared)

    db.session.expire_all()
    assert second.company_id == company.id
    assert _master(db.session.get(Company, company.id)) == before
    assert [c.kind for c in services.history(company.id)] == [ChangeKind.CREATED]
    # What the second registrant declared is on their booking, and only there.
    assert (second.declared_name, second.declared_county, second.declared_size_class) == (
        "Helt Annat Namn AB",
        "01",
        SizeClass.LARGE,
    )
    assert second.declared_industry_code == "62010"
    assert second.declared_staff_band is StaffBand.FROM_250
    assert second.declared_turnover_band is TurnoverBand.OVER_50M
    assert second.declared_balance_band is BalanceBand.OVER_43M
    assert [name for name, _reg, _dec in second.declared_differences] == [
        "name",
        "county",
        "size_class",
        "industry_code",
    ]
    assert ("name", "Företag 5 AB", "Helt Annat Namn AB") in second.declared_differences
    assert first.declared_differences == []


def test_the_first_registration_creates_the_company_with_its_history(register):
    booking = _register(register.event, f.company_data(6, industry_code="25110"))
    (created,) = services.history(booking.company_id)
    assert created.kind is ChangeKind.CREATED and created.user is None
    assert created.changes["name"] == [None, "Företag 6 AB"]
    assert created.changes["size_class"] == [None, "small"]
    assert created.changes["industry_code"] == [None, "25110"]


def test_an_organiser_booking_does_not_rewrite_the_register_either(register):
    company = _register(register.event, f.company_data(7)).company
    # Another event: a company has one active booking per event.
    booking = bookings.register(
        f.event(register.event.organisation).id,
        f.company_data(7, name="Telefonnamn AB"),
        bookings.ContactData("K", "k@example.se"),
        f.people(1),
        consent_version="test/organiser",
        by_organiser=True,
    )
    db.session.commit()
    assert db.session.get(Company, company.id).name == "Företag 7 AB"
    assert booking.declared_name == "Telefonnamn AB"


def _correction(company: Company, **fields: object) -> services.MasterData:
    values = {
        "name": company.name,
        "country": company.country,
        "org_number": company.org_number,
        "size_class": company.size_class,
        "county": company.county,
        "industry_code": company.industry_code,
    }
    values.update(fields)
    return services.MasterData(**values)


def test_organisers_correct_master_data_with_a_kept_history_and_audit(register):
    company = _register(register.event, f.company_data(8)).company
    services.correct(
        register.organiser,
        company.id,
        _correction(company, name="Rätt Namn AB", size_class=SizeClass.MEDIUM),
        "Enligt årsredovisningen",
    )
    db.session.commit()
    services.correct(register.organiser, company.id, _correction(company, county="12"))
    db.session.commit()

    company = db.session.get(Company, company.id)
    assert (company.name, company.size_class, company.county) == (
        "Rätt Namn AB",
        SizeClass.MEDIUM,
        "12",
    )
    second, first, created = services.history(company.id)
    assert created.kind is ChangeKind.CREATED
    assert first.kind is ChangeKind.CORRECTED and first.user_id == register.organiser.id
    assert first.changes == {
        "name": ["Företag 8 AB", "Rätt Namn AB"],
        "size_class": ["small", "medium"],
    }
    assert first.reason == "Enligt årsredovisningen"
    assert second.changes == {"county": ["14", "12"]}
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "company.corrected").order_by(AuditEntry.id)
    ).all()
    assert [e.details["fields"] for e in entries] == [["name", "size_class"], ["county"]]
    assert entries[0].organisation_id == register.home.id
    assert entries[0].details["company_id"] == company.id


def test_a_correction_that_changes_nothing_writes_nothing(register):
    company = _register(register.event, f.company_data(9)).company
    assert services.correct(register.organiser, company.id, _correction(company)) is None
    db.session.commit()
    assert len(services.history(company.id)) == 1
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 0


@pytest.mark.parametrize("who", ["viewer", "partner_viewer", "other_organiser"])
def test_only_organisers_of_an_organisation_it_booked_with_may_correct(register, who):
    company = _register(register.event, f.company_data(10)).company
    with pytest.raises(NotAllowed):
        services.correct(getattr(register, who), company.id, _correction(company, name="Kapat AB"))
    db.session.rollback()
    assert db.session.get(Company, company.id).name == "Företag 10 AB"


def test_a_correction_to_another_companys_number_is_refused(register):
    one = _register(register.event, f.company_data(11)).company
    two = _register(register.event, f.company_data(12)).company
    with pytest.raises(services.CompanyError):
        services.correct(register.organiser, one.id, _correction(one, org_number=two.org_number))
    db.session.rollback()
    assert db.session.get(Company, one.id).org_number == f.swedish_orgnr(11)


def test_merging_moves_bookings_logs_them_and_counts_the_company_once(register):
    kept_booking = _register(register.event, f.company_data(13))
    foreign = f.company_data(0, country="NO", org_number="974760673", name="Fjord AS", county=None)
    moved_one = _register(register.event, foreign)
    # A company has one active booking per event: the duplicate's second is for another one.
    second_event = f.event(register.event.organisation)
    moved_two = _register(second_event, foreign)
    kept, duplicate = kept_booking.company, moved_one.company

    assert services.merge(register.organiser, kept.id, duplicate.id) == 2
    db.session.commit()

    company_ids = db.session.scalars(
        select(Booking.company_id).where(Booking.event_id == register.event.id)
    ).all()
    assert set(company_ids) == {kept.id}
    assert (
        db.session.scalar(
            select(func.count(func.distinct(Booking.company_id))).where(
                Booking.event_id == register.event.id
            )
        )
        == 1
    )
    duplicate = db.session.get(Company, duplicate.id)
    assert duplicate.merged_into_id == kept.id and duplicate.merged_at is not None
    assert db.session.get(Company, kept.id).name == "Företag 13 AB"  # the kept data stays
    # Each moved booking says so on its event's log, and the merge itself is logged.
    logged = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "booking.company_merged")
    ).all()
    assert {e.booking_id for e in logged} == {moved_one.id, moved_two.id}
    assert {e.event_id for e in logged} == {register.event.id, second_event.id}
    (merge_entry,) = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "company.merged")
    ).all()
    assert merge_entry.details["bookings"] == 2
    assert merge_entry.details["merged_from"]["org_number"] == "974760673"
    assert services.history(kept.id)[0].changes["merged_from"]["id"] == duplicate.id
    assert services.history(duplicate.id)[0].changes["merged_into"]["id"] == kept.id
    # The list counts it once; the declared details stay on the moved bookings.
    page = services.search(register.organiser, services.CompanyFilter())
    assert [row.company.id for row in page.rows] == [kept.id]
    assert page.rows[0].bookings == 3
    assert db.session.get(Booking, moved_one.id).declared_org_number == "974760673"
    # A later registration under the merged number books the company kept.
    later = _register(register.other_event, foreign)
    assert later.company_id == kept.id


def test_merging_a_record_into_itself_or_twice_is_refused(register):
    kept = _register(register.event, f.company_data(14)).company
    duplicate = _register(register.event, f.company_data(15)).company
    with pytest.raises(services.CompanyError):
        services.merge(register.organiser, kept.id, kept.id)
    services.merge(register.organiser, kept.id, duplicate.id)
    db.session.commit()
    with pytest.raises(services.CompanyError):
        services.merge(register.organiser, kept.id, duplicate.id)
    with pytest.raises(services.CompanyError):
        services.find_duplicate(register.organiser, kept.id, "SE", duplicate.org_number)


def test_merging_a_record_merged_into_before_keeps_one_level_of_pointers(register):
    a = _register(register.event, f.company_data(16)).company
    b = _register(register.event, f.company_data(17)).company
    c = _register(register.event, f.company_data(18)).company
    services.merge(register.organiser, b.id, c.id)
    services.merge(register.organiser, a.id, b.id)
    db.session.commit()
    assert db.session.get(Company, c.id).merged_into_id == a.id
    assert _register(register.other_event, f.company_data(18)).company_id == a.id


def test_merging_needs_the_right_to_correct_both_records(register):
    home = _register(register.event, f.company_data(19)).company
    elsewhere = _register(register.other_event, f.company_data(20)).company
    with pytest.raises(NotAllowed):
        services.merge(register.organiser, home.id, elsewhere.id)
    with pytest.raises(services.CompanyNotFound):
        services.find_duplicate(register.organiser, home.id, "SE", elsewhere.org_number)
    db.session.rollback()
    assert db.session.get(Company, elsewhere.id).merged_into_id is None


def test_organisers_see_only_companies_of_their_organisations_and_projects(register):
    home = _register(register.event, f.company_data(21)).company
    elsewhere = _register(register.other_event, f.company_data(22)).company

    def seen(user) -> set[int]:
        return {row.company.id for row in services.search(user, services.CompanyFilter()).rows}

    assert seen(register.organiser) == seen(register.viewer) == {home.id}
    assert seen(register.partner_viewer) == {home.id}  # a partner in the event's project
    assert seen(register.other_organiser) == {elsewhere.id}
    assert services.may_see(register.partner_viewer, home.id)
    assert not services.may_see(register.other_organiser, home.id)
    with pytest.raises(NotAllowed):
        services.company_for(register.other_organiser, home.id)
    with pytest.raises(services.CompanyNotFound):
        services.company_for(register.organiser, 999_999)


def test_the_list_filters_by_name_number_county_country_and_size(register):
    names = {}
    for i, (county, size) in enumerate(
        [("14", SizeClass.MICRO), ("12", SizeClass.SMALL), ("14", SizeClass.LARGE)], start=30
    ):
        booking = _register(
            register.event, f.company_data(i, county=county, size_class=size, name=f"Bolag {i} AB")
        )
        names[i] = booking.company.id
    _register(
        register.event,
        f.company_data(0, country="NO", org_number="974760673", name="Fjord AS", county=None),
    )

    def ids(**filters: str) -> list[int]:
        chosen = services.CompanyFilter.from_args(
            filters.get("q"), filters.get("county"), filters.get("country"), filters.get("size")
        )
        return [row.company.id for row in services.search(register.viewer, chosen).rows]

    assert ids(q="bolag 31") == [names[31]]
    assert ids(q=f.swedish_orgnr(32)[2:]) == [names[32]]
    assert ids(county="14") == [names[30], names[32]]
    assert ids(size="large") == [names[32]]
    assert ids(size="huge") == ids()  # an unknown size means all
    assert len(ids(country="no")) == 1
    assert ids(q="100%_") == []


def test_the_list_is_paginated(register):
    for i in range(5):
        _register(register.event, f.company_data(40 + i, name=f"Sida {i} AB"))
    first = services.search(register.viewer, services.CompanyFilter(), 1, per_page=2)
    last = services.search(register.viewer, services.CompanyFilter(), 99, per_page=2)
    assert (first.total, first.pages, len(first.rows)) == (5, 3, 2)
    assert [r.company.name for r in first.rows] == ["Sida 0 AB", "Sida 1 AB"]
    assert last.number == 3 and [r.company.name for r in last.rows] == ["Sida 4 AB"]


def test_changes_are_kept_after_the_user_is_deleted(register):
    company = _register(register.event, f.company_data(50)).company
    services.correct(register.organiser, company.id, _correction(company, name="Nytt AB"))
    db.session.commit()
    db.session.delete(register.organiser)
    db.session.commit()
    change = db.session.scalars(
        select(CompanyChange).where(CompanyChange.kind == ChangeKind.CORRECTED)
    ).one()
    assert change.user_id is None and change.changes["name"] == ["Företag 50 AB", "Nytt AB"]
