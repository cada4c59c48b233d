"""QR codes of check-in links as PNG images, made with segno (pure Python, no image
library needed)."""

from __future__ import annotations

import io

import segno


def png(text: str) -> bytes:
    """``text`` as a QR code PNG: error correction M (survives a cracked phone screen), big
    enough modules for a door scanner at arm's length, the standard quiet zone."""
    buffer = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buffer, kind="png", scale=6, border=4)
    return buffer.getvalue()
