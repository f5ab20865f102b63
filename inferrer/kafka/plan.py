"""What a sampling run is asked to do: the start position, durations, the config and
its progress reports. Plain values, without the Kafka client (:mod:`.sampler` reads),
so that the command line can parse its options without loading librdkafka."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from inferrer.errors import PartialSample, UsageError
from inferrer.kafka.config import ClientConfig

StartKind = Literal["latest", "earliest", "timestamp"]

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_DURATIONS = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}

MAX_WAIT_SECONDS = 24 * 86400.0
"""The longest ``--timeout`` or ``--follow``: 24 days (librdkafka counts its timeouts
in 32-bit milliseconds, about 24.8 days); longer is a usage error."""


@dataclass(frozen=True, slots=True)
class StartPosition:
    """Where sampling starts: the newest messages, the oldest, or a point in time."""

    kind: StartKind = "latest"
    timestamp_ms: int | None = None
    """Milliseconds since the epoch, for ``kind="timestamp"``."""


def parse_duration(text: str) -> float:
    """Seconds in ``30s``, ``5m``, ``1h30m``, ``2d``, ``500ms`` or a plain number of seconds."""
    s = text.strip().lower()
    try:
        value = float(s)
    except ValueError:
        pass
    else:
        if value < 0 or not math.isfinite(value):
            raise UsageError(f"invalid duration {text!r}: must be a positive number of seconds")
        return value
    if not s or _DURATION.sub("", s) != "":
        raise UsageError(f"invalid duration {text!r}: use for example 30s, 5m, 1h30m or 2d")
    total = sum(float(n) * _UNIT_SECONDS[u] for n, u in _DURATION.findall(s))
    if not math.isfinite(total):
        raise UsageError(f"invalid duration {text!r}: too long")
    return total


def parse_wait(text: str, flag: str) -> float:
    """A ``--timeout`` or ``--follow`` duration: at most :data:`MAX_WAIT_SECONDS`."""
    seconds = parse_duration(text)
    if seconds > MAX_WAIT_SECONDS:
        raise UsageError(f"invalid {flag} {text!r}: at most 24d")
    return seconds


def _since_epoch(ms: int, text: str) -> StartPosition:
    # Kafka reads negative times as "latest" (-1) and "earliest" (-2).
    if ms < 0:
        raise UsageError(f"invalid --from {text!r}: before 1970-01-01; use --from earliest")
    return StartPosition("timestamp", ms)


def parse_start(text: str, *, now_ms: int | None = None) -> StartPosition:
    """Parse ``--from``: ``latest``, ``earliest``, an ISO-8601 time (UTC when no offset
    is given), or a duration back from now (``1h``)."""
    s = text.strip()
    if s.lower() in ("latest", "earliest"):
        return StartPosition(kind="latest" if s.lower() == "latest" else "earliest")
    if _DURATIONS.fullmatch(s.lower()):
        now = now_ms if now_ms is not None else int(time.time() * 1000)
        back = parse_duration(s) * 1000
        return _since_epoch(now - int(min(back, now + 1.0)), text)
    try:
        moment = datetime.fromisoformat(s)
    except ValueError:
        raise UsageError(
            f"invalid --from {text!r}: use latest, earliest, an ISO-8601 time "
            "(2024-05-01T12:00:00Z) or a duration (1h)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return _since_epoch(int(moment.timestamp() * 1000), text)


@dataclass(frozen=True, slots=True)
class SampleConfig:
    """What to sample, from where, and how much."""

    client: ClientConfig
    topics: tuple[str, ...] = ()
    """Shell globs, or regular expressions prefixed ``re:``; empty means all topics."""
    exclude: tuple[str, ...] = ()
    include_internal: bool = False
    max_messages: int = 1000
    """Per topic, spread across its partitions."""
    start: StartPosition = field(default_factory=StartPosition)
    follow: float = 0.0
    """Seconds to keep reading new traffic after the existing messages."""
    timeout: float = 10.0
    """Seconds each topic may take (also bounds the metadata requests)."""
    include_groups: bool = True
    """Look up the consumer groups of each topic (admin requests only)."""
    allow_partial: bool = False
    """Accept a partial sample (a topic timed out, the broker stopped answering) instead
    of failing with :class:`~inferrer.errors.PartialSample` (``--allow-partial``)."""


@dataclass(frozen=True, slots=True)
class PartialTopic:
    """A topic whose sample ended before it was complete, and why."""

    topic: str
    received: int
    expected: int
    reason: str

    def describe(self) -> str:
        return f"{self.topic}: {self.received} of {self.expected} messages ({self.reason})"


MAX_LISTED_PARTIAL = 5


def partial_sample_error(partial: Sequence[PartialTopic]) -> PartialSample:
    """The one-line error for a partial sample: per topic, the counts and the cause."""
    shown = "; ".join(p.describe() for p in partial[:MAX_LISTED_PARTIAL])
    more = len(partial) - MAX_LISTED_PARTIAL
    if more > 0:
        shown += f"; and {more} more topic(s)"
    return PartialSample(
        f"partial sample: {shown}; nothing written (--allow-partial accepts a partial sample)"
    )


@dataclass(frozen=True, slots=True)
class SampleProgress:
    """A progress report: messages received so far of those expected (``unit``
    ``messages``, over topics); or bytes of capture files read (``bytes``, over files);
    or topics inferred (``topics``)."""

    received: int
    expected: int
    topics_done: int
    topics: int
    unit: Literal["messages", "bytes", "topics"] = "messages"


ProgressCallback = Callable[[SampleProgress], None]
