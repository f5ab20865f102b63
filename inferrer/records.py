"""The record: one Kafka message as it leaves the sampler or a capture file.

Every later stage consumes records and never talks to Kafka, so a live sample
and a capture file are interchangeable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Header = tuple[str, bytes | None]


@dataclass(frozen=True, slots=True)
class Record:
    """One message: where it was, when, and its raw key, value and headers."""

    topic: str
    partition: int
    offset: int
    timestamp: int | None = None
    """Milliseconds since the epoch, as Kafka stores it; None when unknown."""
    key: bytes | None = None
    value: bytes | None = None
    """None is a tombstone (null value), distinct from an empty value ``b""``."""
    headers: tuple[Header, ...] = field(default_factory=tuple)


MIN_TIMESTAMP_MS = -62_135_596_800_000
"""0001-01-01T00:00:00.000Z, the earliest time a document or a frame can show."""
MAX_TIMESTAMP_MS = 253_402_300_799_999
"""9999-12-31T23:59:59.999Z, the latest time a document or a frame can show."""


def clamp_timestamp(ms: int) -> int:
    """``ms`` moved into the years 1 to 9999.

    Kafka allows any 64-bit timestamp, dates do not: a first or last seen time
    outside that range is written as its nearer end (the counts are unchanged)."""
    return min(max(ms, MIN_TIMESTAMP_MS), MAX_TIMESTAMP_MS)
