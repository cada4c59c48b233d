"""Notifications tests send to a real SMTP server (tests/smtp.py) and read what it got."""

from __future__ import annotations

from typing import Any

import pytest

from tests.smtp import SmtpServer


@pytest.fixture
def app_config(smtp_server: SmtpServer) -> dict[str, Any]:
    return {**smtp_server.config, "OUTBOX_RETRY_SECONDS": 60, "OUTBOX_MAX_ATTEMPTS": 3}
