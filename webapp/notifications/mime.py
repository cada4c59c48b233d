"""The bytes of an outgoing email, built directly with the stdlib's helpers.

Every email has the same shape (what Flask-Mail used to build with ``email.mime`` and the
``SMTP`` policy): ``multipart/mixed`` holding a ``multipart/alternative`` with the plain
text and the HTML (UTF-8, 8bit), then any attachments (base64). Building it by hand skips
the generic machinery (header registry parsing, generator, folding of every header) that
made up most of the dispatcher's time, while the headers are still encoded by
``email.header`` and ``email.utils`` exactly where that matters: non-ASCII subjects and
names (RFC 2047), internationalised domains (IDNA), folding of long subjects.

Header values never carry a line break (that would let a name inject headers):
:func:`build` raises ValueError instead.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr, formatdate
from functools import lru_cache

_CRLF = "\r\n"
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Outgoing:
    """One email ready for ``smtplib``: envelope sender and recipient, and the message."""

    envelope_from: str
    recipient: str
    data: bytes
    message_id: str


def _no_breaks(*values: str | None) -> None:
    for value in values:
        if value and ("\n" in value or "\r" in value):
            raise ValueError(f"line break in a header value: {value!r}")


@lru_cache(maxsize=256)
def encode_subject(subject: str) -> str:
    """The Subject header's value: as is when ASCII, else RFC 2047; folded when long.

    Remembered: all reminders of a session share their subject."""
    charset = "us-ascii" if subject.isascii() else "utf-8"
    return Header(subject, charset, header_name="Subject").encode(linesep=_CRLF)


def ascii_address(address: str) -> str:
    """A bare address as ASCII: an internationalised domain in IDNA (as Flask-Mail did)."""
    if address.isascii():
        return address
    local, at, domain = address.rpartition("@")
    if not at:
        return Header(address, "utf-8").encode()
    if not local.isascii():
        local = Header(local, "utf-8").encode()
    return f"{local}@{domain.encode('idna').decode('ascii')}"


def encode_address(name: str | None, address: str) -> str:
    """``Name <address>`` for a header: a non-ASCII name RFC 2047-encoded, specials quoted."""
    return formataddr((name or "", ascii_address(address)), charset="utf-8")


def _boundary(*bodies: str) -> str:
    while True:
        boundary = "===============" + secrets.token_hex(12) + "=="
        if not any(boundary in body for body in bodies):
            return boundary


def _crlf(text: str) -> str:
    return _LINE_BREAKS.sub(_CRLF, text)


def _base64_lines(data: bytes) -> str:
    # 76-character lines, as RFC 2045 asks.
    return base64.encodebytes(data).decode("ascii").rstrip("\n").replace("\n", _CRLF)


def build(
    *,
    sender: str,
    to: str,
    subject: str,
    message_id: str,
    text: str,
    html: str,
    language: str,
    reply_to: str | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
    date: str | None = None,
) -> bytes:
    """The whole message as bytes with CRLF line ends.

    ``sender``, ``to`` and ``reply_to`` are header values already encoded (see
    :func:`encode_address`), ``subject`` raw (encoded here). Raises ValueError when a
    header value holds a line break.
    """
    _no_breaks(sender, to, subject, message_id, reply_to, language)
    text, html = _crlf(text), _crlf(html)
    mixed, alternative = _boundary(text, html), _boundary(text, html)
    head = [
        f'Content-Type: multipart/mixed; boundary="{mixed}"',
        "MIME-Version: 1.0",
        f"Subject: {encode_subject(subject)}",
        f"From: {sender}",
        f"To: {to}",
        f"Date: {date or formatdate(localtime=True)}",
        f"Message-ID: {message_id}",
    ]
    if reply_to:
        head.append(f"Reply-To: {reply_to}")
    head += ["Auto-Submitted: auto-generated", f"Content-Language: {language}", ""]
    parts = [
        _CRLF.join(head),
        f"--{mixed}",
        f'Content-Type: multipart/alternative; boundary="{alternative}"',
        "MIME-Version: 1.0",
        "",
    ]
    for subtype, body in (("plain", text), ("html", html)):
        parts += [
            f"--{alternative}",
            f'Content-Type: text/{subtype}; charset="utf-8"',
            "MIME-Version: 1.0",
            "Content-Transfer-Encoding: 8bit",
            "",
            body,
        ]
    parts.append(f"--{alternative}--")
    for filename, content_type, data in attachments:
        _no_breaks(filename, content_type)
        parts += [
            f"--{mixed}",
            f"Content-Type: {content_type}",
            "MIME-Version: 1.0",
            "Content-Transfer-Encoding: base64",
            f'Content-Disposition: attachment; filename="{filename}"',
            "",
            _base64_lines(data),
        ]
    parts += [f"--{mixed}--", ""]
    return _CRLF.join(parts).encode("utf-8")
