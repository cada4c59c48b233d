"""A small checker of JSON-LD against the schema.org types Träffpunkt uses (no network).

For each type it knows the properties schema.org defines on it (ours are a subset of
https://schema.org/Event and friends, with the expected value types schema.org states) and
the ones Google's event rich results require. :func:`check` returns every problem found:
an unknown type or property, a value of the wrong type, a missing required property, a
date without an offset, an enumeration member that does not exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

SCHEMA = "https://schema.org/"

# Members of the enumerations we use, as schema.org lists them.
ENUMERATIONS = {
    "EventStatusType": {
        "EventScheduled",
        "EventCancelled",
        "EventPostponed",
        "EventRescheduled",
        "EventMovedOnline",
    },
    "EventAttendanceModeEnumeration": {
        "OfflineEventAttendanceMode",
        "OnlineEventAttendanceMode",
        "MixedEventAttendanceMode",
    },
    "ItemAvailability": {
        "BackOrder",
        "Discontinued",
        "InStock",
        "InStoreOnly",
        "LimitedAvailability",
        "MadeToOrder",
        "OnlineOnly",
        "OutOfStock",
        "PreOrder",
        "PreSale",
        "Reserved",
        "SoldOut",
    },
}


@dataclass(frozen=True)
class Type:
    #: property → the value types schema.org expects (data types or other types).
    properties: dict[str, tuple[str, ...]]
    required: tuple[str, ...] = ()
    parents: tuple[str, ...] = field(default=("Thing",))


THING = {
    "name": ("Text",),
    "description": ("Text",),
    "url": ("URL",),
    "image": ("URL", "ImageObject"),
    "sameAs": ("URL",),
    "identifier": ("Text", "URL"),
}

TYPES: dict[str, Type] = {
    "Thing": Type(THING, parents=()),
    "Event": Type(
        {
            "startDate": ("DateTime", "Date"),
            "endDate": ("DateTime", "Date"),
            "previousStartDate": ("Date", "DateTime"),
            "eventStatus": ("EventStatusType",),
            "eventAttendanceMode": ("EventAttendanceModeEnumeration",),
            "location": ("Place", "VirtualLocation", "PostalAddress", "Text"),
            "organizer": ("Organization", "Person"),
            "performer": ("Organization", "Person"),
            "offers": ("Offer",),
            "isAccessibleForFree": ("Boolean",),
            "inLanguage": ("Text",),
            "maximumAttendeeCapacity": ("Integer",),
            "remainingAttendeeCapacity": ("Integer",),
            "subEvent": ("Event",),
            "superEvent": ("Event",),
            "doorTime": ("DateTime", "Time"),
            "duration": ("Duration",),
        },
        required=("name", "startDate", "location"),
    ),
    "Place": Type(
        {
            "address": ("PostalAddress", "Text"),
            "geo": ("GeoCoordinates",),
            "telephone": ("Text",),
        },
        required=("address",),
    ),
    "PostalAddress": Type(
        {
            "streetAddress": ("Text",),
            "postalCode": ("Text",),
            "addressLocality": ("Text",),
            "addressRegion": ("Text",),
            "addressCountry": ("Country", "Text"),
            "postOfficeBoxNumber": ("Text",),
        },
        parents=("ContactPoint", "Thing"),
    ),
    "VirtualLocation": Type({}, required=("url",)),
    "Offer": Type(
        {
            "price": ("Number", "Text"),
            "priceCurrency": ("Text",),
            "availability": ("ItemAvailability",),
            "validFrom": ("Date", "DateTime"),
            "validThrough": ("Date", "DateTime"),
            "availabilityStarts": ("Date", "DateTime", "Time"),
            "availabilityEnds": ("Date", "DateTime", "Time"),
            "category": ("Text",),
        },
        required=("price", "priceCurrency", "url"),
    ),
    "Organization": Type(
        {"email": ("Text",), "telephone": ("Text",), "address": ("PostalAddress", "Text")},
        required=("name",),
    ),
    "ContactPoint": Type({}),
}

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_OFFSET = re.compile(r".*T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})\Z")
_COUNTRY = re.compile(r"[A-Z]{2}\Z")
_CURRENCY = re.compile(r"[A-Z]{3}\Z")


def _properties(type_name: str) -> dict[str, tuple[str, ...]]:
    known = TYPES[type_name]
    merged = dict(known.properties)
    for parent in known.parents:
        merged.update(_properties(parent))
    return merged


def _is_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _data_value_ok(expected: str, value: Any) -> bool:
    if expected == "Text":
        return isinstance(value, str) and value != ""
    if expected == "URL":
        return _is_url(value)
    if expected == "Boolean":
        return isinstance(value, bool)
    if expected == "Integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == "Number":
        if isinstance(value, bool):
            return False
        if isinstance(value, int | float):
            return True
        return isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?", value) is not None
    if expected == "Date":
        return isinstance(value, str) and _DATE.match(value) is not None
    if expected == "DateTime":
        # schema.org allows a DateTime without an offset, but an event seen from another
        # time zone needs one: we insist.
        if not (isinstance(value, str) and _OFFSET.match(value)):
            return False
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return False
        return True
    if expected == "Country":
        return isinstance(value, str) and _COUNTRY.match(value) is not None
    if expected in ENUMERATIONS:
        return (
            isinstance(value, str)
            and value.startswith(SCHEMA)
            and value.removeprefix(SCHEMA) in ENUMERATIONS[expected]
        )
    return False


def check(item: Any, path: str = "$", *, expected: tuple[str, ...] | None = None) -> list[str]:
    """Every problem in the JSON-LD ``item`` (a node with ``@type``), as readable strings."""
    if not isinstance(item, dict):
        return [f"{path}: expected a node, got {item!r}"]
    errors: list[str] = []
    type_name = item.get("@type")
    if type_name not in TYPES:
        return [f"{path}: unknown @type {type_name!r}"]
    if expected is not None and type_name not in expected:
        errors.append(f"{path}: a {type_name} where {'/'.join(expected)} is expected")
    if path == "$" and item.get("@context") not in ("https://schema.org", "https://schema.org/"):
        errors.append(f"{path}: @context must be https://schema.org")
    allowed = _properties(type_name)
    for required in TYPES[type_name].required:
        if required not in item:
            errors.append(f"{path}: {type_name} needs {required}")
    for name, value in item.items():
        if name in ("@context", "@type"):
            continue
        if name not in allowed:
            errors.append(f"{path}.{name}: not a property of {type_name}")
            continue
        values = value if isinstance(value, list) else [value]
        for i, one in enumerate(values):
            where = f"{path}.{name}" + (f"[{i}]" if isinstance(value, list) else "")
            kinds = allowed[name]
            if isinstance(one, dict):
                errors += check(one, where, expected=tuple(k for k in kinds if k in TYPES))
            elif not any(_data_value_ok(k, one) for k in kinds if k not in TYPES):
                errors.append(f"{where}: {one!r} is not a {' or '.join(kinds)}")
    if type_name == "Offer" and not _CURRENCY.match(str(item.get("priceCurrency", ""))):
        errors.append(f"{path}.priceCurrency: an ISO 4217 code is expected")
    dates = [item.get("startDate"), item.get("endDate")]
    timed = all(isinstance(d, str) and _OFFSET.match(d) for d in dates)
    if timed and datetime.fromisoformat(dates[1]) < datetime.fromisoformat(dates[0]):
        errors.append(f"{path}.endDate: before startDate")
    return errors
