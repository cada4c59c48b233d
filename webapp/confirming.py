"""Destructive actions ask first: the same POST comes back as a page that says what happens.

A button that cancels, removes or declines posts its form as usual; the view checks the
request (CSRF, access) and then calls :func:`ask`. Unless the form carries ``confirmed=yes``,
``ask`` answers with a page that lists the consequences and offers one button that posts
the same fields again with ``confirmed=yes`` (and a fresh CSRF token), and a link back.
With it, ``ask`` returns None and the view goes ahead. One code path for every destructive
action, and no JavaScript needed.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import render_template, request

CONFIRMED = "confirmed"
#: The layout of confirmation pages on the organisers' side.
ORGANISER_LAYOUT = "organisers/_layout.html"


def is_confirmed() -> bool:
    return request.form.get(CONFIRMED) == "yes"


def ask(
    title: str,
    consequences: Sequence[str],
    confirm_label: str,
    back_url: str,
    *,
    layout: str = "base.html",
    question: str | None = None,
) -> tuple[str, int] | None:
    """The confirmation page for this POST, or None when the user has confirmed it."""
    if is_confirmed():
        return None
    fields = [
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in ("csrf_token", CONFIRMED)
    ]
    return (
        render_template(
            "confirm.html",
            layout=layout,
            title=title,
            question=question,
            consequences=consequences,
            confirm_label=confirm_label,
            back_url=back_url,
            action=request.full_path.rstrip("?"),
            fields=fields,
        ),
        200,
    )
