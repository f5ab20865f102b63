"""JSON text lexed, not parsed: how deep brackets nest.

Capture lines and message payloads are both checked with it before they are decoded,
so that a hostile nesting never reaches a recursive parser.
"""

from __future__ import annotations

import re
from typing import Final

_STRING_OR_BRACKET: Final = re.compile(rb'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)
"""A string as JSON lexes it (to the next unescaped quote, or the end), or a bracket."""


def nesting_exceeds(data: bytes, limit: int) -> bool:
    """Whether brackets outside strings nest deeper than ``limit`` anywhere in ``data``
    (closing brackets never go below 0). Defined for any text, valid or not."""
    if data.count(b"{") + data.count(b"[") <= limit:
        return False
    depth = 0
    for m in _STRING_OR_BRACKET.finditer(data):
        token = m.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}"):
            depth = max(0, depth - 1)
    return False
