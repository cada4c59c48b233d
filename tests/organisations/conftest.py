"""Organisation tests share the cheap argon2 of the account tests."""

from tests.accounts.conftest import cheap_argon2  # noqa: F401 - an autouse fixture
