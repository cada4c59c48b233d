"""Account tests hash with argon2's lightest parameters (see helpers.cheap_hasher)."""

from __future__ import annotations

import pytest

from tests.accounts.helpers import cheap_hasher
from webapp.accounts import services


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "_hasher", cheap_hasher())
