"""webapp.db's writing helpers: objects written without a flush are as a flush leaves them."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select

from tests import factories as f
from webapp.bookings.models import Booking
from webapp.companies.models import Company, CompanyChange, SizeClass
from webapp.db import db, insert_loaded
from webapp.directory.models import CompanyProfile
from webapp.events.models import Event, EventKind


def _columns_as_stored(instance: object) -> tuple[dict[str, object], dict[str, object]]:
    """What the object says of each column, and what its row in the database holds."""
    table = inspect(type(instance)).local_table
    row = db.session.execute(select(table).where(table.c.id == instance.id)).mappings().one()
    said = {column.key: getattr(instance, column.key) for column in table.columns}
    return said, dict(row)


def test_a_registration_s_rows_are_what_its_objects_say_and_nothing_is_written_twice(
    app, count_queries
):
    event = f.event(capacity=None)
    db.session.commit()
    booking = f.book(event, 2)
    company = booking.company
    written = [
        booking,
        *booking.participants,
        company,
        db.session.scalars(
            select(CompanyChange).where(CompanyChange.company_id == company.id)
        ).one(),
        db.session.scalars(
            select(CompanyProfile).where(CompanyProfile.company_id == company.id)
        ).one(),
    ]
    for instance in written:
        said, stored = _columns_as_stored(instance)
        assert said == stored, type(instance).__name__
        # Every column is loaded (nothing read back later) and nothing is left to flush.
        assert not inspect(instance).expired_attributes, type(instance).__name__
        assert not inspect(instance).modified, type(instance).__name__
    assert booking.created_at is not None and booking.updated_at is not None
    assert booking.feed_nonce and booking.company_id == company.id
    assert {p.booking_id for p in booking.participants} == {booking.id}
    with count_queries() as statements:
        db.session.commit()
    assert statements == []
    assert db.session.scalars(select(Booking)).one().id == booking.id


def test_an_existing_unique_key_leaves_the_object_out(app):
    fields = dict(country="SE", org_number="5560360793", name="Norrfors AB")
    first = Company(**fields, size_class=SizeClass.SMALL)
    assert insert_loaded([first], unless_exists=("country", "org_number"))
    assert inspect(first).persistent and first.id is not None
    second = Company(**fields, size_class=SizeClass.MICRO)
    assert not insert_loaded([second], unless_exists=("country", "org_number"))
    assert inspect(second).transient and second.id is None
    assert db.session.scalars(select(Company.size_class)).all() == [SizeClass.SMALL]


def test_a_default_only_the_database_knows_is_refused(app):
    org = f.organisation()
    # Event.seats_taken has a server default: the object could not say what was stored.
    with pytest.raises(ValueError, match="seats_taken"):
        insert_loaded([Event(organisation=org, kind=EventKind.WEBINAR, title="Webbinarium")])
