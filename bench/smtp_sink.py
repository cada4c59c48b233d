"""A counting SMTP sink for the benchmarks: aiosmtpd in a process of its own.

Accepts every message and keeps only its Message-ID and arrival time; on SIGTERM or
SIGINT it writes them as JSON lines (``{"id": "<…>", "at": unix time}``) to ``--out`` and
exits. aiosmtpd's own ``Sink`` handler does the same work minus the bookkeeping, so the
figures it allows are about what aiosmtpd can take.

    .venv/bin/python bench/smtp_sink.py --port 2525 --out /tmp/received.jsonl
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    handler = Counting()
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(
        loop.create_server(lambda: SMTP(handler), "127.0.0.1", args.port)
    )
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, loop.stop)
    loop.run_forever()
    server.close()
    with args.out.open("w") as out:
        for message_id, at in handler.received:
            out.write(json.dumps({"id": message_id, "at": at}) + "\n")


if __name__ == "__main__":
    main()
