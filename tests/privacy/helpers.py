"""Reading the whole database: snapshots for "nothing changed" and scans for an address."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String, Text, cast, func, select

from webapp.db import db


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    db.session.expire_all()
    tables = {}
    for table in db.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        tables[table.name] = [
            tuple(row) for row in db.session.execute(select(table).order_by(*order))
        ]
    return tables


def cells_containing(text: str) -> list[tuple[str, str]]:
    """(table, column) of every text or JSON cell that holds ``text`` (any case)."""
    found = []
    needle = f"%{text.lower()}%"
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, String | Text | JSON):
                continue
            value = cast(column, Text)
            hits = db.session.scalar(
                select(func.count()).select_from(table).where(func.lower(value).like(needle))
            )
            if hits:
                found.append((table.name, column.name))
    return found


def rows_containing(text: str) -> list[tuple[str, Any]]:
    """(table, row) of every row with a text or JSON cell that holds ``text`` (any case)."""
    found = []
    needle = f"%{text.lower()}%"
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
        for column in columns:
            for row in db.session.execute(
                select(table).where(func.lower(cast(column, Text)).like(needle))
            ):
                found.append((table.name, row))
    return found
