"""Organiser pages: settings with bad input, the selection and booking pages' tallies,
the company page, approval over the ceiling through the client."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests import factories as f
from tests.accounts import helpers as h
from tests.conftest import csrf_from
from webapp.aid import services
from webapp.aid.models import AidGrant, AidScheme, EurRate
from webapp.db import db
from webapp.events.models import EventKind
from webapp.organisations.models import Role

EN = {"Accept-Language": "en"}


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


@pytest.fixture
def organiser(client, aid):
    token = csrf_from(client.get("/organisers/login").text)
    h.login_session(client, aid.organiser)
    return token


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"valid_from": "2026-01-01", "sek_per_eur": "0"}, "more than 0"),
        ({"valid_from": "2026-01-01", "sek_per_eur": "11.48 kr"}, "in digits"),
        ({"valid_from": "2026-01-01", "sek_per_eur": "1e3"}, "in digits"),
        ({"valid_from": "2026-01-01", "sek_per_eur": "500"}, "between 1 and 100"),
        ({"valid_from": "", "sek_per_eur": "11.2"}, "Enter a date"),
    ],
)
def test_a_bad_rate_gets_a_message_on_its_field_and_stores_nothing(
    client, aid, organiser, data, message
):
    before = _count(EurRate)
    response = client.post(
        f"/organisers/projects/{aid.project.id}/aid/rates",
        data={**data, "csrf_token": organiser},
        headers=EN,
    )
    assert response.status_code in (409, 422)
    assert message in response.text and "field-error" in response.text
    assert _count(EurRate) == before


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-100", "in digits"),
        ("12,000", "in digits"),
        ("12.000,50 €", "in digits"),
        ("1e9", "in digits"),
        ("0", "more than 0"),
        ("99999999", "implausibly high"),
    ],
)
def test_a_bad_event_value_gets_a_message_and_stores_nothing(
    client, aid, organiser, amount, message
):
    event = f.event(aid.org, project=aid.project)
    db.session.commit()
    response = client.post(
        f"/organisers/events/{event.id}/aid",
        data={"basis": "per_participant", "amount_sek": amount, "csrf_token": organiser},
        headers=EN,
    )
    assert response.status_code in (409, 422)
    assert message in response.text and "field-error" in response.text
    assert services.own_scheme(event_id=event.id) is None


def test_event_settings_are_saved_and_shown(client, aid, organiser):
    event = f.event(aid.org, project=aid.project)
    db.session.commit()
    response = client.post(
        f"/organisers/events/{event.id}/aid",
        data={"basis": "per_company", "amount_sek": "5750", "csrf_token": organiser},
    )
    assert response.status_code == 303
    scheme = db.session.scalar(select(AidScheme).where(AidScheme.event_id == event.id))
    assert (scheme.basis.value, scheme.amount_sek) == ("per_company", Decimal("5750.00"))
    page = client.get(f"/organisers/events/{event.id}/aid", headers=EN).text
    assert "5 750.00 SEK per company" in page
    # The form shows the stored value as the page's language writes it, and takes it back.
    swedish = client.get(f"/organisers/events/{event.id}/aid").text
    assert 'value="5750,00"' in swedish and "5 750,00" in swedish


def test_the_selection_and_booking_pages_show_tally_and_headroom(client, aid, organiser):
    trip = f.event(aid.org, project=aid.project, kind=EventKind.STUDY_TRIP, requires_approval=True)
    booking = f.book(trip, 1, company=7)
    f.book(f.event(aid.org, project=aid.project), 1, company=7)  # 2 000 EUR granted
    # Declared afterwards (a confirmation over the ceiling would wait for a decision).
    services.declare(booking, Decimal("299000"), [], text="t", text_version="v")
    db.session.commit()
    selection = client.get(f"/organisers/events/{trip.id}/attendees", headers=EN).text
    assert "De minimis: EUR 301 000.00, headroom EUR 0.00" in selection
    page = client.get(f"/organisers/bookings/{booking.id}", headers=EN).text
    assert "EUR 301 000.00, of which EUR 299 000.00 declared" in page
    assert "over the EUR 300,000 ceiling by EUR 3 000.00" in page
    # The plain approval is refused, saying by how much; nothing changes.
    refused = client.post(
        f"/organisers/events/{trip.id}/selection",
        data={"decision": "approve", "booking": str(booking.id), "csrf_token": organiser},
        headers=EN,
        follow_redirects=True,
    )
    assert "ceiling by EUR 3 000.00" in refused.text
    assert services.grant_for_booking(booking.id) is None
    # Without a reason: refused again; with one: approved and granted.
    client.post(
        f"/organisers/bookings/{booking.id}/aid/approve",
        data={"reason": "", "csrf_token": organiser},
    )
    assert services.grant_for_booking(booking.id) is None
    client.post(
        f"/organisers/bookings/{booking.id}/aid/approve",
        data={"reason": "Beslut i styrgruppen", "csrf_token": organiser},
    )
    db.session.expire_all()
    assert services.grant_for_booking(booking.id).amount_eur == Decimal("2000.00")


def test_the_company_page_shows_the_tally_grants_and_declarations(client, aid, organiser):
    booking = f.book(f.event(aid.org, project=aid.project), 1, company=8)
    services.declare(booking, Decimal("0"), [], text="t", text_version="v")
    db.session.commit()
    page = client.get(f"/organisers/companies/{booking.company_id}", headers=EN).text
    grant = db.session.scalar(select(AidGrant))
    assert f"/organisers/aid/grants/{grant.id}.pdf" in page
    assert "De minimis aid over three years: EUR 2 000.00" in page
    assert "none" in page


def test_a_correction_without_reason_is_refused_on_its_field(client, aid, organiser):
    booking = f.book(f.event(aid.org, project=aid.project), 1)
    db.session.commit()
    grant = services.grant_for_booking(booking.id)
    response = client.post(
        f"/organisers/aid/grants/{grant.id}/correct",
        data={"amount_sek": "1000", "reason": "", "csrf_token": organiser},
        headers=EN,
    )
    assert response.status_code == 422 and "Give the reason for the correction" in response.text
    db.session.expire_all()
    assert db.session.get(AidGrant, grant.id).amount_sek == Decimal("23000.00")


def test_the_selection_page_runs_as_many_queries_for_many_companies_as_for_few(
    client, aid, organiser, count_queries
):
    trip = f.event(
        aid.org,
        project=aid.project,
        kind=EventKind.STUDY_TRIP,
        requires_approval=True,
        capacity=200,
    )
    counts = []
    for companies in (2, 12):
        for i in range(len(counts) * 2, companies):
            booking = f.book(trip, 1, company=100 + i)
            services.declare(booking, Decimal(i), [], text="t", text_version="v")
        db.session.commit()
        with count_queries() as statements:
            page = client.get(f"/organisers/events/{trip.id}/attendees", headers=EN)
        assert page.text.count("De minimis: EUR") == companies
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_the_company_register_lists_each_companys_tally(client, aid, organiser, count_queries):
    booking = f.book(f.event(aid.org, project=aid.project), 1, company=9)
    db.session.commit()
    with count_queries() as few:
        page = client.get("/organisers/companies", headers=EN).text
    assert "2 000.00 <small>(headroom 298 000.00)" in page
    for i in range(10, 16):
        f.book(f.event(aid.org, project=aid.project), 1, company=i)
    db.session.commit()
    with count_queries() as many:
        page = client.get("/organisers/companies", headers=EN).text
    assert page.count("(headroom 298 000.00)") == 7 and booking.company.name in page
    assert len(few) == len(many)


def test_only_the_lead_organisations_organisers_are_shown_the_project_settings_link(client, aid):
    partner = f.organisation("Partnerklustret")
    aid.project.partners.append(partner)
    event = f.event(partner, project=aid.project)
    partner_organiser = h.user(partner, Role.ORGANISER)
    db.session.commit()
    settings = f"/organisers/projects/{aid.project.id}/aid"
    h.login_session(client, partner_organiser)
    page = client.get(f"/organisers/events/{event.id}/aid", headers=EN)
    assert page.status_code == 200 and settings not in page.text
    assert client.get(settings).status_code == 403
    own = f.event(aid.org, project=aid.project)
    db.session.commit()
    h.login_session(client, aid.organiser)
    assert settings in client.get(f"/organisers/events/{own.id}/aid", headers=EN).text
