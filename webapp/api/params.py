"""Query parameters of the API, read strictly: anything the OpenAPI document refuses is a 400.

The list page forgives (an unknown kind shows all kinds); a program deserves to be told
that ``kind=webinars`` is not a kind, so here every value is checked against exactly the
rule ``openapi`` states for it, and a failure names the parameter.

Cursors are opaque to clients: base64url of ``"<starts_at in µs since the epoch>.<id>"``,
the last event of the page before. They hold no filter, so a client that changes its
filters starts again without one.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import Request
from flask_babel import lazy_gettext as _l

from webapp.directory.models import INDUSTRIES
from webapp.events.models import EventKind
from webapp.i18n import STOCKHOLM
from webapp.regions import COUNTIES, COUNTRIES

#: Slugs of organisations and projects: what the filters and paths accept.
SLUG_PATTERN = "^[A-Za-z0-9_-]+$"
SLUG_MAX = 80
CURSOR_PATTERN = "^[A-Za-z0-9_-]+$"
CURSOR_MAX = 64
DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
LIMIT_DEFAULT = 20
LIMIT_MAX = 100
MAX_ID = 2**31 - 1

_SLUG = re.compile(SLUG_PATTERN[:-1] + r"\Z")
_CURSOR = re.compile(CURSOR_PATTERN[:-1] + r"\Z")
_DATE = re.compile(DATE_PATTERN[:-1] + r"\Z")
_DIGITS = re.compile(r"[0-9]+\Z")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EARLIEST = datetime.min.replace(tzinfo=UTC)


class BadParameter(Exception):
    """A query or path parameter broke its rule; ``message`` says how, for the client."""

    def __init__(self, name: str, message: object) -> None:
        super().__init__(name)
        self.name = name
        self.message = message


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after the event with this start and id."""

    starts_at: datetime
    id: int

    def encode(self) -> str:
        micros = (self.starts_at - _EPOCH) // timedelta(microseconds=1)
        return base64.urlsafe_b64encode(f"{micros}.{self.id}".encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """Raises BadParameter for anything :meth:`encode` did not make."""
        invalid = BadParameter("cursor", _l("This is not a cursor the API gave out."))
        if len(text) > CURSOR_MAX or not _CURSOR.match(text):
            raise invalid
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
            micros, ident = raw.split(".")
            if not (re.fullmatch(r"-?[0-9]{1,18}", micros) and _DIGITS.match(ident)):
                raise ValueError(raw)
            cursor = cls(_EPOCH + timedelta(microseconds=int(micros)), int(ident))
        except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError):
            raise invalid from None
        if not 1 <= cursor.id <= MAX_ID or cursor.encode() != text:
            raise invalid
        return cursor


@dataclass(frozen=True)
class EventQuery:
    """The filters and page of ``GET /events``."""

    kind: EventKind | None = None
    organisation: str | None = None
    project: str | None = None
    county: str | None = None
    #: Events still running at or after this moment (default: now).
    ends_after: datetime | None = None
    #: Events starting before this moment (``to`` is the last day included).
    starts_before: datetime | None = None
    cursor: Cursor | None = None
    limit: int = LIMIT_DEFAULT


def slug(value: str, name: str) -> str:
    if len(value) > SLUG_MAX or not _SLUG.match(value):
        raise BadParameter(
            name, _l("Use the slug: letters, digits, - and _, at most %(n)s.", n=SLUG_MAX)
        )
    return value


def _day(value: str, name: str) -> date:
    try:
        if not _DATE.match(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise BadParameter(name, _l("Give a date as YYYY-MM-DD.")) from None


def day_start(day: date) -> datetime:
    """Local midnight at the start of ``day`` in UTC; the earliest moment for year 1."""
    try:
        return datetime.combine(day, time(0), tzinfo=STOCKHOLM).astimezone(UTC)
    except OverflowError:
        return _EARLIEST


def whole_number(value: str, low: int, high: int) -> int | None:
    """``value`` as an integer from ``low`` to ``high``, or None (also for 5,000 digits)."""
    if not _DIGITS.match(value) or len(value.lstrip("0")) > len(str(high)):
        return None
    number = int(value)
    return number if low <= number <= high else None


def _limit(value: str) -> int:
    limit = whole_number(value, 1, LIMIT_MAX)
    if limit is None:
        raise BadParameter("limit", _l("Give a whole number from 1 to %(max)s.", max=LIMIT_MAX))
    return limit


def event_query(request: Request) -> EventQuery:
    """Read ``GET /events``'s parameters. Raises BadParameter."""
    args = request.args
    kind = args.get("kind")
    if kind is not None and kind not in EventKind._value2member_map_:
        raise BadParameter(
            "kind", _l("Choose one of: %(values)s.", values=", ".join(k.value for k in EventKind))
        )
    county = args.get("county")
    if county is not None and county not in COUNTIES:
        raise BadParameter("county", _l("Give a county code, such as 14 for Västra Götaland."))
    first = _day(args["from"], "from") if "from" in args else None
    last = _day(args["to"], "to") if "to" in args else None
    if first and last and last < first:
        raise BadParameter("to", _l("The last day comes before the first."))
    starts_before = None
    if last is not None and last < date.max:
        starts_before = day_start(last + timedelta(days=1))
    return EventQuery(
        kind=EventKind(kind) if kind else None,
        organisation=slug(args["organisation"], "organisation") if "organisation" in args else None,
        project=slug(args["project"], "project") if "project" in args else None,
        county=county,
        ends_after=day_start(first) if first else None,
        starts_before=starts_before,
        cursor=Cursor.decode(args["cursor"]) if "cursor" in args else None,
        limit=_limit(args["limit"]) if "limit" in args else LIMIT_DEFAULT,
    )


# --- the company directory ---------------------------------------------------------------------

SEARCH_MAX = 100


def encode_profile_cursor(profile_id: int) -> str:
    """The cursor after a directory profile: opaque base64url of ``"p<id>"``."""
    return base64.urlsafe_b64encode(f"p{profile_id}".encode()).decode().rstrip("=")


def decode_profile_cursor(text: str) -> int:
    """The profile id a directory cursor stands after. Raises BadParameter."""
    invalid = BadParameter("cursor", _l("This is not a cursor the API gave out."))
    if len(text) > CURSOR_MAX or not _CURSOR.match(text):
        raise invalid
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid from None
    number = whole_number(raw[1:], 1, MAX_ID) if raw.startswith("p") else None
    if number is None or encode_profile_cursor(number) != text:
        raise invalid
    return number


@dataclass(frozen=True)
class DirectoryQuery:
    """The filters and page of ``GET /directory``."""

    search: str = ""
    industry: str | None = None
    county: str | None = None
    country: str | None = None
    project: str | None = None
    after_id: int | None = None
    limit: int = LIMIT_DEFAULT


def directory_query(request: Request) -> DirectoryQuery:
    """Read ``GET /directory``'s parameters. Raises BadParameter."""
    args = request.args
    search = args.get("q", "")
    if len(search) > SEARCH_MAX:
        raise BadParameter("q", _l("At most %(max)s characters.", max=SEARCH_MAX))
    industry = args.get("industry")
    if industry is not None and industry not in INDUSTRIES:
        raise BadParameter(
            "industry", _l("Choose one of: %(values)s.", values=", ".join(INDUSTRIES))
        )
    county = args.get("county")
    if county is not None and county not in COUNTIES:
        raise BadParameter("county", _l("Give a county code, such as 14 for Västra Götaland."))
    country = args.get("country")
    if country is not None and country not in COUNTRIES:
        raise BadParameter("country", _l("Choose one of: %(values)s.", values=", ".join(COUNTRIES)))
    return DirectoryQuery(
        search=search.strip(),
        industry=industry,
        county=county,
        country=country,
        project=slug(args["project"], "project") if "project" in args else None,
        after_id=decode_profile_cursor(args["cursor"]) if "cursor" in args else None,
        limit=_limit(args["limit"]) if "limit" in args else LIMIT_DEFAULT,
    )
