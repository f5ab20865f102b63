"""Structure-keeping redaction of sampled values for report evidence.

Keys, nesting, array lengths (capped) and JSON types are kept; every leaf value
is replaced by a placeholder of the same type that keeps a recognisable string
format (date-time, date, uuid, email, uri) but no content.
"""

from __future__ import annotations

import re
from typing import Any

MAX_ITEMS = 3
"""Array items kept in a redacted example; the rest are cut."""
MAX_DEPTH = 12

_STRING_FORMATS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"),
        "1970-01-01T00:00:00Z",
    ),
    (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "1970-01-01"),
    (
        re.compile(
            r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
        ),
        "00000000-0000-0000-0000-000000000000",
    ),
    (re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), "user@example.com"),
    (re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://\S+$"), "https://example.com/"),
)


def redact_string(value: str) -> str:
    """A placeholder that keeps the string's format, never its content."""
    for pattern, placeholder in _STRING_FORMATS:
        if pattern.match(value):
            return placeholder
    return "<string>"


def redact(value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` with the same structure and no sampled content."""
    if depth > MAX_DEPTH:
        return "<cut>"
    if value is None:
        return None
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0
    if isinstance(value, float):
        return 0.0
    if isinstance(value, str):
        return redact_string(value)
    if isinstance(value, dict):
        return {
            str(k): redact(v, depth + 1)
            for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))
        }
    if isinstance(value, (list, tuple)):
        return [redact(v, depth + 1) for v in list(value)[:MAX_ITEMS]]
    if isinstance(value, (bytes, bytearray)):
        return "<bytes>"
    return "<value>"
