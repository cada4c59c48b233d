"""Secret links: manage-my-booking links and personal calendar feeds.

A token is ``{id}-{mac}`` where ``mac`` is an HMAC-SHA256 (keyed with ``SECRET_KEY``) of the
purpose, the row id and a random nonce stored on the row. Nothing secret is stored in the
database, so a leaked database dump opens no booking; the link can still be put into a
reminder weeks later, because it can be derived again; replacing the nonce revokes it. The
``mac`` carries 144 bits, so tokens cannot be guessed, and whole URLs stay far below Google
Calendar's limit.

The same promise holds for what else could open a booking or an account: the registration
form's double-submit key is stored as a hash and bound to the submitting browser's session
(bookings.forms), and a login's cookie secret only as a hash (accounts.LoginSession).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from flask import current_app

from webapp import formtools


def new_nonce() -> str:
    return secrets.token_hex(16)


def _mac(purpose: str, obj_id: int, nonce: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"{purpose}:{obj_id}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def make(purpose: str, obj_id: int, nonce: str) -> str:
    """The token for one row and purpose ("manage", "feed")."""
    return f"{obj_id}-{_mac(purpose, obj_id, nonce)}"


def parse_id(token: str) -> int | None:
    """The row id a token claims, or None when it is not shaped like a token."""
    head, sep, mac = token.partition("-")
    if not sep or len(mac) != 24:
        return None
    return formtools.parse_id(head)


def matches(purpose: str, obj_id: int, nonce: str, token: str) -> bool:
    """Whether ``token`` is the current token for that row (constant-time comparison)."""
    return hmac.compare_digest(make(purpose, obj_id, nonce), token)
