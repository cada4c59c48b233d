"""Personal data and the directory: a profile is company data and stays when the person
invited to edit it is erased; their link stops working, and the company's next contact is
invited with a new one."""

from __future__ import annotations

from sqlalchemy import select

from tests import factories as f
from tests.accounts import helpers as h
from tests.directory.conftest import publish
from webapp.accounts.models import Role
from webapp.db import db
from webapp.directory import services
from webapp.notifications.models import MessageKind, OutboxMessage
from webapp.privacy import requests


def test_erasing_the_invited_contact_keeps_the_profile_and_revokes_their_link(world):
    profile = publish(world.profile)
    old_link = services.edit_token(profile)
    admin = h.user(world.org, Role.ADMIN)
    db.session.commit()
    requests.erase(admin, world.org.id, world.booking.contact_email)
    db.session.commit()
    db.session.expire_all()
    profile = services.profile_of_company(world.booking.company_id)
    assert services.public_profile(profile.id) is not None  # company data, still published
    assert profile.offers == "Solpaneler och montage"
    assert services.profile_for_token(old_link) is None
    # The company's next confirmed booking invites its (new) contact with a new link.
    later = f.event(world.org)
    f.book(later, 1, company=1)
    db.session.commit()
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.kind == MessageKind.DIRECTORY_INVITATION)
        .order_by(OutboxMessage.id)
    ).all()
    assert len(rows) == 2 and rows[1].recipient_email == "contact1@example.se"
    assert services.profile_for_token(services.edit_token(profile)) is not None
