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
