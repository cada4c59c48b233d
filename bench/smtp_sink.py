"""A counting SMTP sink for the benchmarks, in a process of its own.

Accepts every message and keeps only its Message-ID and arrival time; on SIGTERM or
SIGINT it writes them as JSON lines (``{"id": "<…>", "at": unix time}``) to ``--out`` and
exits. Two servers:

- ``--server aiosmtpd`` (default): aiosmtpd with a handler that does what its ``Sink``
  does plus the bookkeeping, so the figures it allows are about what aiosmtpd can take;
- ``--server raw``: a minimal SMTP server on asyncio (greeting, EHLO/HELO, MAIL, RCPT,
  DATA with dot-unstuffing, RSET, NOOP, QUIT; everything accepted), several times
  cheaper per message than aiosmtpd, for when one aiosmtpd process is what limits a
  benchmark on a small machine.

    .venv/bin/python bench/smtp_sink.py --port 2525 --out /tmp/received.jsonl [--server raw]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
import time
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP

_MESSAGE_ID = re.compile(rb"^Message-ID: *(<[^>\r\n]*>)", re.IGNORECASE | re.MULTILINE)


class Counting:
    """aiosmtpd handler: remembers each message's Message-ID and arrival time."""

    def __init__(self) -> None:
        self.received: list[tuple[str, float]] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        head = envelope.content.split(b"\r\n\r\n", 1)[0]
        match = _MESSAGE_ID.search(head)
        self.received.append((match.group(1).decode() if match else "", time.time()))
        return "250 OK"


class RawSmtp(asyncio.Protocol):
    """Just enough SMTP for smtplib: every command accepted, messages counted."""

    def __init__(self, handler: Counting) -> None:
        self.handler = handler
        self.buffer = b""
        self.in_data = False

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        transport.write(b"220 sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            if self.in_data:
                end = self.buffer.find(b"\r\n.\r\n")
                if end < 0:
                    return
                content = self.buffer[: end + 2].replace(b"\r\n..", b"\r\n.")
                self.buffer = self.buffer[end + 5 :]
                self.in_data = False
                head = content.split(b"\r\n\r\n", 1)[0]
                match = _MESSAGE_ID.search(head)
                self.handler.received.append(
                    (match.group(1).decode() if match else "", time.time())
                )
                self.transport.write(b"250 OK\r\n")
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                return
            line, self.buffer = self.buffer[:end], self.buffer[end + 2 :]
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.transport.write(b"250-sink\r\n250 SIZE 33554432\r\n")
            elif verb == b"DATA":
                self.in_data = True
                self.transport.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
            elif verb == b"QUIT":
                self.transport.write(b"221 Bye\r\n")
                self.transport.close()
                return
            else:
                self.transport.write(b"250 OK\r\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--server", choices=("aiosmtpd", "raw"), default="aiosmtpd")
    args = parser.parse_args()

    handler = Counting()
    loop = asyncio.new_event_loop()
    factory = (lambda: SMTP(handler)) if args.server == "aiosmtpd" else (lambda: RawSmtp(handler))
    server = loop.run_until_complete(loop.create_server(factory, "127.0.0.1", args.port))
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, loop.stop)
    loop.run_forever()
    server.close()
    with args.out.open("w") as out:
        for message_id, at in handler.received:
            out.write(json.dumps({"id": message_id, "at": at}) + "\n")


if __name__ == "__main__":
    main()
