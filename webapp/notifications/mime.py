"""The bytes of an outgoing email, built directly with the stdlib's helpers.

Every email has the same shape (what Flask-Mail used to build with ``email.mime`` and the
``SMTP`` policy): ``multipart/mixed`` holding a ``multipart/alternative`` with the plain
text and the HTML (UTF-8, quoted-printable), then any attachments (base64). An email whose
HTML shows images of its own (a confirmation's check-in QR code, by ``cid:``) holds them
next to the ``multipart/alternative`` in a ``multipart/related``.

Quoted-printable keeps every line of the message within 76 characters whatever an
organiser types: a 5,000-character paragraph, or one whose ``'`` grew into ``&#39;`` in
the HTML, would otherwise pass RFC 5322's 998-octet limit, and servers refuse such a
message (``500 Line too long``). Headers are RFC 2047-encoded and attachments base64, so
the whole message is 7-bit ASCII and needs neither ``8BITMIME`` nor ``SMTPUTF8`` from the
server: nothing goes out 8bit (the bytes are made with the ASCII codec, so a change that
let an 8-bit byte through would fail loudly rather than send it undeclared).

Building it by hand skips the generic machinery (header registry parsing, generator,
folding of every header) that made up most of the dispatcher's time, while the headers
are still encoded by ``email.header`` and ``email.utils`` exactly where that matters:
non-ASCII subjects and names (RFC 2047), internationalised domains (IDNA), folding of
long subjects.

Header values never carry a line break (that would let a name inject headers):
:func:`build` raises :class:`BadHeader` instead, and the dispatcher marks such a message
failed at once, since it can never be sent as it is.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import time
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


class BadHeader(ValueError):
    """A header value holds a line break: the message can never be built as it is."""


def _no_breaks(*values: str | None) -> None:
    for value in values:
        if value and ("\n" in value or "\r" in value):
            raise BadHeader(f"line break in a header value: {value!r}")


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
    if "\r" not in text:  # what the templates make: a third of the regex's time
        return text.replace("\n", _CRLF)
    return _LINE_BREAKS.sub(_CRLF, text)


#: (second, Date header value) of the last email built in this process.
_last_date: tuple[int, str] = (0, "")


def _now_date() -> str:
    """``formatdate(localtime=True)``, made once per second (it has no finer resolution)."""
    global _last_date
    now = time.time()
    second = int(now)
    if _last_date[0] != second:
        _last_date = (second, formatdate(second, localtime=True))
    return _last_date[1]


def _quoted_printable(text: str) -> str:
    # Lines of at most 76 characters, soft breaks as "=\r\n" (the input has CRLF line ends).
    return binascii.b2a_qp(text.encode("utf-8"), istext=True).decode("ascii")


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
    unsubscribe_url: str | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
    inline: Sequence[tuple[str, str, str, bytes]] = (),
    date: str | None = None,
) -> bytes:
    """The whole message as bytes with CRLF line ends, 7-bit, no line over 76 characters.

    ``sender``, ``to`` and ``reply_to`` are header values already encoded (see
    :func:`encode_address`), ``subject`` raw (encoded here). ``unsubscribe_url`` adds
    RFC 8058 one-click ``List-Unsubscribe`` headers. ``attachments`` are (filename,
    content type with its parameters, data). ``inline`` are images the HTML shows by
    ``cid:`` (Content-ID without brackets, filename, content type, data): the text and HTML
    then go into a ``multipart/related`` with them (RFC 2387), before the attachments.
    Raises BadHeader when a header value holds a line break.
    """
    _no_breaks(sender, to, subject, message_id, reply_to, language, unsubscribe_url)
    text, html = _crlf(text), _crlf(html)
    mixed, alternative = _boundary(text, html), _boundary(text, html)
    related = _boundary(text, html) if inline else None
    head = [
        f'Content-Type: multipart/mixed; boundary="{mixed}"',
        "MIME-Version: 1.0",
        f"Subject: {encode_subject(subject)}",
        f"From: {sender}",
        f"To: {to}",
        f"Date: {date or _now_date()}",
        f"Message-ID: {message_id}",
    ]
    if reply_to:
        head.append(f"Reply-To: {reply_to}")
    if unsubscribe_url:
        head += [
            f"List-Unsubscribe: <{unsubscribe_url}>",
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        ]
    head += ["Auto-Submitted: auto-generated", f"Content-Language: {language}", ""]
    parts = [_CRLF.join(head), f"--{mixed}"]
    if related:
        parts += [
            f'Content-Type: multipart/related; boundary="{related}"; type="multipart/alternative"',
            "MIME-Version: 1.0",
            "",
            f"--{related}",
        ]
    parts += [
        f'Content-Type: multipart/alternative; boundary="{alternative}"',
        "MIME-Version: 1.0",
        "",
    ]
    for subtype, body in (("plain", text), ("html", html)):
        parts += [
            f"--{alternative}",
            f'Content-Type: text/{subtype}; charset="utf-8"',
            "MIME-Version: 1.0",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            _quoted_printable(body),
        ]
    parts.append(f"--{alternative}--")
    for content_id, filename, content_type, data in inline:
        _no_breaks(content_id, filename, content_type)
        parts += [
            f"--{related}",
            f'Content-Type: {content_type}; name="{filename}"',
            "MIME-Version: 1.0",
            "Content-Transfer-Encoding: base64",
            f"Content-ID: <{content_id}>",
            f'Content-Disposition: inline; filename="{filename}"',
            "",
            _base64_lines(data),
        ]
    if related:
        parts.append(f"--{related}--")
    for filename, content_type, data in attachments:
        _no_breaks(filename, content_type)
        parts += [
            f"--{mixed}",
            f'Content-Type: {content_type}; name="{filename}"',
            "MIME-Version: 1.0",
            "Content-Transfer-Encoding: base64",
            f'Content-Disposition: attachment; filename="{filename}"',
            "",
            _base64_lines(data),
        ]
    parts += [f"--{mixed}--", ""]
    return _CRLF.join(parts).encode("ascii")
