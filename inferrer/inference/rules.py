"""The inference rules, as data and small pure functions.

Formats, enums, maps and discriminators are decided here, once, and used both by
the genson strategies (the reference path) and by the per-field statistics (the
fast path), so the two cannot disagree.
"""

from __future__ import annotations

import datetime
import ipaddress
import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from inferrer.decoding import DEBEZIUM_OPS, DISCRIMINATOR_FIELDS, MAX_KIND_VALUE_LENGTH

__all__ = ["DEBEZIUM_OPS", "DISCRIMINATOR_FIELDS", "MAX_KIND_VALUE_LENGTH"]

# --- formats -------------------------------------------------------------------------

FORMATS: Final = ("date", "date-time", "email", "ipv4", "ipv6", "time", "uri", "uuid")
"""Formats we detect, in bit order (bit i of a mask is FORMATS[i])."""
ALL_FORMATS_MASK: Final = (1 << len(FORMATS)) - 1
MIN_FORMAT_VALUES: Final = 5
"""A format is emitted only after this many non-null string values, all matching."""

# Ranges are in the patterns, so a whole column is checked with C-level loops; only
# the calendar (Feb 30) and IPv6 need a Python check, done once per distinct value.
_Y = r"\d{4}"
_MD = r"(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
_HMS = r"(?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60)(?:\.\d+)?"
_OFFSET = r"(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)"
_DATE = re.compile(rf"{_Y}-{_MD}\Z")
_DATE_TIME = re.compile(rf"{_Y}-{_MD}[Tt]{_HMS}{_OFFSET}\Z")
_TIME = re.compile(rf"{_HMS}{_OFFSET}\Z")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+\Z"
)
_IPV4 = re.compile(r"(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\Z")
_IPV6 = re.compile(r"[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\Z")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#]+[^\s]*\Z|urn:[A-Za-z0-9][A-Za-z0-9-]*:\S+\Z")
_FIRST_TEN = operator.itemgetter(slice(0, 10))


def _valid_calendar_date(s: str) -> bool:
    try:
        datetime.date(int(s[0:4]), int(s[5:7]), int(s[8:10]))
    except ValueError:
        return False
    return True


def _valid_ipv6(s: str) -> bool:
    if len(s) > 45:
        return False
    try:
        ipaddress.IPv6Address(s)
    except ValueError:
        return False
    return True


_Check = tuple[re.Pattern[str], Callable[[str], str] | None, Callable[[str], bool] | None]
_CHECKS: Final[tuple[_Check, ...]] = (
    (_DATE, None, _valid_calendar_date),
    (_DATE_TIME, _FIRST_TEN, _valid_calendar_date),
    (_EMAIL, None, None),
    (_IPV4, None, None),
    (_IPV6, None, _valid_ipv6),
    (_TIME, None, None),
    (_URI, None, None),
    (_UUID, None, None),
)
"""Per format (in FORMATS order): pattern, projection, and validator of the projection."""


def match_formats(value: str, mask: int = ALL_FORMATS_MASK) -> int:
    """The subset of ``mask`` (a bit set over :data:`FORMATS`) that ``value`` matches."""
    return match_formats_all([value], mask)


def match_formats_all(values: list[str], mask: int = ALL_FORMATS_MASK) -> int:
    """The subset of ``mask`` that *every* string in ``values`` matches."""
    if not values:
        return mask
    out = 0
    bit = 1
    for pattern, project, validate in _CHECKS:
        if mask & bit and all(map(pattern.match, values)):
            if validate is None:
                out |= bit
            else:
                distinct = set(values if project is None else map(project, values))
                if all(map(validate, distinct)):
                    out |= bit
        bit <<= 1
    return out


def decide_format(mask: int, strings: int, others: int = 0) -> str | None:
    """The format to emit: every one of ``strings`` (>= the minimum) values matched."""
    if others or strings < MIN_FORMAT_VALUES or not mask:
        return None
    for i, name in enumerate(FORMATS):
        if mask & (1 << i):
            return name
    return None


# --- enums ---------------------------------------------------------------------------

ENUM_MIN_VALUES: Final = 10
ENUM_MAX_DISTINCT: Final = 20
ENUM_MAX_LENGTH: Final = 32
_ENUM_VALUE = re.compile(r"[A-Za-z][A-Za-z_. -]{0,31}\Z")


def is_id_name(name: str | None) -> bool:
    """Field names that hold identifiers (``id``, ``accountId``, ``user_id``)."""
    return name is not None and (
        name.lower() == "id" or name.endswith(("Id", "ID", "_id", "-id", "Ids", "_ids"))
    )


def decide_enum(
    name: str | None, strings: int, distinct: Iterable[Any] | None, mask: int
) -> tuple[str, ...] | None:
    """Sorted enum values, or None. The rule (documented in the README):

    at least 10 string values; at most min(20, √n) distinct values; every value is a
    short word (a letter, then letters, ``_ . -`` or spaces, at most 32 characters,
    no digits); no value has a detected format; the field name is not an id name.
    """
    if distinct is None or strings < ENUM_MIN_VALUES or is_id_name(name):
        return None
    values = list(distinct)
    if not values or len(values) > min(ENUM_MAX_DISTINCT, math.isqrt(strings)):
        return None
    if mask and any(match_formats(v) for v in values if isinstance(v, str)):
        return None
    if not all(isinstance(v, str) and _ENUM_VALUE.match(v) for v in values):
        return None
    return tuple(sorted(values))


# --- maps ----------------------------------------------------------------------------

_MAP_KEY_DIGITS = re.compile(r"-?\d{1,19}\Z")
_MAP_KEY_CODE = re.compile(r"[A-Z]{3}\Z")

MAP_KEY_CLASSES: Final[Mapping[str, Mapping[str, str]]] = {
    "code": {"pattern": "^[A-Z]{3}$"},
    "date": {"format": "date"},
    "date-time": {"format": "date-time"},
    "integer": {"pattern": "^-?[0-9]+$"},
    "uuid": {"format": "uuid"},
}
"""Key class → the ``propertyNames`` schema a map with such keys gets."""


def classify_map_key(key: str) -> str | None:
    """The map key class of one object key, or None for an ordinary property name."""
    n = len(key)
    if n != 36 and key[:1].islower():
        return None  # the common case, an ordinary camelCase or snake_case name
    if n == 36 and _UUID.match(key):
        return "uuid"
    if n <= 20 and _MAP_KEY_DIGITS.match(key):
        return "integer"
    if n == 3 and _MAP_KEY_CODE.match(key):
        return "code"
    if n == 10 and _DATE.match(key) and _valid_calendar_date(key):
        return "date"
    if n >= 20 and _DATE_TIME.match(key) and _valid_calendar_date(key):
        return "date-time"
    return None


def map_key_class(obj: Mapping[str, Any]) -> str | None:
    """The key class when every key of a non-empty object is of one class, else None.

    Such an object is a map (``additionalProperties``), not a record.
    """
    cls: str | None = None
    for key in obj:
        c = classify_map_key(key)
        if c is None or (cls is not None and c != cls):
            return None
        cls = c
    return cls


# --- discriminators ------------------------------------------------------------------

MAX_KINDS: Final = 50
"""More distinct discriminator values than this on one topic: not a discriminator."""

_WORDS = re.compile(r"[A-Za-z0-9]+")


def pascal_case(text: str) -> str:
    """``balance-updated`` → ``BalanceUpdated``; a leading digit gets a ``K`` prefix."""
    words = _WORDS.findall(text)
    name = "".join(w[:1].upper() + w[1:] for w in words)
    if not name:
        return "Message"
    if name[0].isdigit():
        name = "K" + name
    return name
