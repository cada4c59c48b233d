"""Small helpers shared by every package's forms."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms import SelectChoice


def choices(pairs: Iterable[tuple[str, object]], empty: str | None = None) -> list[SelectChoice]:
    """SelectField choices from (value, label) pairs, optionally led by an empty choice.

    WTForms 3.3 deprecates plain tuples; labels may be lazy translations.
    """
    result = [SelectChoice("", empty)] if empty is not None else []
    result.extend(SelectChoice(value, label) for value, label in pairs)
    return result
