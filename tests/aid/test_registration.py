"""The declaration at registration for aid events, through the client with CSRF on."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests import factories as f
from tests.bookings.test_views import open_form, registration_form
from webapp.aid.models import AidDeclaration, AidGrant
from webapp.bookings.models import Booking
from webapp.db import db


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


@pytest.fixture
def aid_event(aid):
    event = f.event(aid.org, project=aid.project)
    db.session.commit()
    return event


def _declaration(**values: str) -> dict[str, str]:
    return {"aid-received": "amount", "aid-amount_eur": "12000.50", "aid-confirm": "y", **values}


def test_the_form_asks_for_the_declaration_only_on_aid_events(client, aid, aid_event):
    text = client.get(f"/events/{aid_event.id}/register", headers={"Accept-Language": "en"}).text
    assert "single undertaking" in text and 'name="aid-amount_eur"' in text
    plain = f.event(aid.org)
    db.session.commit()
    assert 'name="aid-amount_eur"' not in client.get(f"/events/{plain.id}/register").text
    swedish = client.get(f"/events/{aid_event.id}/register", headers={"Accept-Language": "sv"})
    assert "stöd av mindre betydelse" in swedish.text


def test_a_declaration_is_stored_with_the_booking_its_text_and_time(client, aid_event):
    token = open_form(client, aid_event)
    data = registration_form(
        token, **_declaration(**{"aid-linked_org_numbers": "556036-0793\nDK 13585628"})
    )
    response = client.post(
        f"/events/{aid_event.id}/register", data=data, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 303
    declaration = db.session.scalar(select(AidDeclaration))
    booking = db.session.scalar(select(Booking))
    assert declaration.booking_id == booking.id
    assert declaration.amount_eur == Decimal("12000.50")
    assert declaration.linked_org_numbers == ["SE 556036-0793", "DK 13585628"]
    assert declaration.confirmed_by == "Anna Lindqvist"
    assert "EUR 12 000.50" in declaration.text and "single undertaking" in declaration.text
    assert declaration.text_version and declaration.declared_at is not None
    assert db.session.scalar(select(AidGrant)).booking_id == booking.id


def test_none_is_stored_as_zero(client, aid_event):
    token = open_form(client, aid_event)
    data = registration_form(token, **{"aid-received": "none", "aid-confirm": "y"})
    assert client.post(f"/events/{aid_event.id}/register", data=data).status_code == 303
    assert db.session.scalar(select(AidDeclaration)).amount_eur == 0


@pytest.mark.parametrize("written", ["12000.50", "12000,50", "12 000,50", "12\u00a0000,50"])
def test_an_amount_may_be_written_the_swedish_way(client, aid_event, written):
    token = open_form(client, aid_event)
    data = registration_form(token, **_declaration(**{"aid-amount_eur": written}))
    assert client.post(f"/events/{aid_event.id}/register", data=data).status_code == 303
    assert db.session.scalar(select(AidDeclaration)).amount_eur == Decimal("12000.50")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"aid-amount_eur": "12,000"}, "in digits"),
        ({"aid-amount_eur": "12.000,50 €"}, "in digits"),
        ({"aid-amount_eur": "1e9"}, "in digits"),
        ({"aid-amount_eur": "-500"}, "in digits"),
        ({"aid-amount_eur": "450000"}, "cannot exceed EUR 300,000"),
        ({"aid-amount_eur": ""}, "Enter the amount in euros"),
        ({"aid-linked_org_numbers": "556036-0794"}, "556036-0794: "),
        ({"aid-confirm": ""}, "Confirm that the declaration is true"),
        ({"aid-received": ""}, "Say whether the company has received any"),
    ],
)
def test_bad_declarations_get_a_message_on_their_field_and_store_nothing(
    client, aid_event, values, message
):
    token = open_form(client, aid_event)
    data = registration_form(token, **_declaration(**values))
    data = {k: v for k, v in data.items() if v != ""}
    response = client.post(
        f"/events/{aid_event.id}/register", data=data, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 422
    assert message in response.text
    assert 'class="field-error"' in response.text
    # One message per field: a badly written amount is not also called missing.
    assert "Enter the amount in euros" not in response.text or not values.get("aid-amount_eur")
    # The error summary at the top links to the declaration's field.
    assert 'id="form-errors"' in response.text and 'href="#aid-' in response.text
    assert (_count(Booking), _count(AidDeclaration), _count(AidGrant)) == (0, 0, 0)
