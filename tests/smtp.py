"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, on a free port, in a thread.

Tests read what it received (parsed messages with their SMTP envelope, and the bytes as
they came), make it refuse chosen recipients for good (550) or for now (451), refuse the
message body for chosen recipients (554), or stop and restart it on the same port to play
an outage. Like any server it refuses a line over 1,000 octets (aiosmtpd's own limit:
``500 Line too long``).
"""

from __future__ import annotations

import email
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Received:
    """One message as the server got it."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    #: The message as it arrived (CRLF line ends, dot-stuffing undone).
    raw: bytes

    @property
    def to(self) -> str:
        return str(self.message["To"])

    def part(self, content_type: str) -> str:
        """The decoded body part of that type ("text/plain", "text/html")."""
        for part in self.message.walk():
            if part.get_content_type() == content_type and not part.get_filename():
                return str(part.get_content())
        raise AssertionError(f"no {content_type} part")

    def calendar(self) -> bytes:
        """The one attached calendar file's bytes."""
        parts = [p for p in self.message.walk() if p.get_content_type() == "text/calendar"]
        assert len(parts) == 1, f"{len(parts)} calendar parts"
        return parts[0].get_payload(decode=True)

    def attachments(self) -> dict[str, bytes]:
        return {
            part.get_filename(): part.get_payload(decode=True)
            for part in self.message.walk()
            if part.get_filename()
        }


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, _server: Any, _session: Any, envelope: Any, address: str, _options: Any
    ) -> str:
        if address.lower() in self.server.refuse:
            return "550 5.1.1 Mailbox unavailable"
        if address.lower() in self.server.defer:
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        if any(address.lower() in self.server.refuse_data for address in envelope.rcpt_tos):
            return "554 5.6.0 Message content rejected"
        parsed = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.server.lock:
            self.server.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), parsed, envelope.content)
            )
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    """An aiosmtpd server; ``received`` fills as messages arrive."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.received: list[Received] = []
        self.refuse: set[str] = set()
        self.defer: set[str] = set()
        self.refuse_data: set[str] = set()
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def config(self) -> dict[str, Any]:
        """App settings that send to this server."""
        return {"MAIL_SERVER": self.host, "MAIL_PORT": self.port}

    def to(self, address: str) -> list[Received]:
        """Messages whose envelope went to ``address``."""
        with self.lock:
            return [r for r in self.received if address.lower() in map(str.lower, r.rcpt_tos)]


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()
