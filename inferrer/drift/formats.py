"""Checks for the string formats drift can assert on sampled values."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from datetime import date, datetime, time

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_URI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$")


def _date_time(value: str) -> bool:
    if not re.match(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}", value):
        return False
    try:
        datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return False
    return True


def _date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def _time(value: str) -> bool:
    try:
        time.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return False
    return True


def _ipv4(value: str) -> bool:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True


def _ipv6(value: str) -> bool:
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return True


FORMAT_CHECKS: dict[str, Callable[[str], bool]] = {
    "date": _date,
    "date-time": _date_time,
    "email": lambda v: bool(_EMAIL.match(v)),
    "ipv4": _ipv4,
    "ipv6": _ipv6,
    "time": _time,
    "uri": lambda v: bool(_URI.match(v)),
    "uuid": lambda v: bool(_UUID.match(v)),
}
"""Format name → predicate. Formats not listed here are not checked."""


def matches_format(fmt: str, value: str) -> bool | None:
    """True/False when ``fmt`` is checkable, None when drift does not know the format."""
    check = FORMAT_CHECKS.get(fmt)
    return None if check is None else check(value)
