"""The one base class for "a rule said no", and the view helper that turns it into a message.

Services raise a :class:`RuleViolation` subclass (each domain has its own: ``BookingError``,
``AccountError``, ``EventError``, ...) whose ``str()`` is a message for the user in their
language. Views run a change inside :func:`one_transaction`, which commits it, or rolls it
back and shows the message on the form field the rule is about (or as a flash message).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import flash
from flask_babel import lazy_gettext as _l

from webapp.db import db


class RuleViolation(Exception):
    """A rule said no; ``str(error)`` is a message for the user in their language.

    ``field`` names the form field the rule is about (a duplicate slug: ``"slug"``), so a
    view can put the message next to it; None means the message concerns the whole page.
    """

    default: object = _l("That change is not possible.")
    field: str | None = None
    #: How a flashed message shows (``error``, ``warning``).
    category = "error"

    def __init__(self, message: object | None = None, *, field: str | None = None) -> None:
        super().__init__(message if message is not None else self.default)
        if field is not None:
            self.field = field

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass
class Attempt:
    """What :func:`one_transaction` tells the view afterwards."""

    ok: bool = False
    error: RuleViolation | None = None


@contextmanager
def one_transaction(form: Any = None, field: str | None = None) -> Iterator[Attempt]:
    """Run the block as one transaction: commit at its end, roll back when a rule says no.

    The refusal's message goes on the form field it names (``error.field``, else ``field``)
    when ``form`` has that field, and is flashed otherwise. ``attempt.ok`` says whether the
    change was committed. Other exceptions propagate (and the request's teardown rolls back).
    """
    attempt = Attempt()
    try:
        yield attempt
    except RuleViolation as error:
        db.session.rollback()
        attempt.error = error
        name = error.field or field
        target = form[name] if form is not None and name and name in form else None
        if target is not None:
            target.errors = [*target.errors, str(error)]
        else:
            flash(str(error), error.category)
    else:
        db.session.commit()
        attempt.ok = True
