"""The engine room: Kafka records in, per-topic observations out, in the compiled core.

The one door to :mod:`inferrer._core` (the Rust crate ``crates/inferrer-core``, built
by maturin). The core decodes every message with memory-safe code (serde_json for
JSON; framings, envelopes, keys and headers), folds it into state it owns, and hands
back one ``Topic`` observation per topic. Nothing here makes a Python object per
message: records, consumer messages and capture files go to the core in batches.

The Python decoder (:mod:`inferrer.decoding`) and fold (``tests/reference``) are the
reference the core is tested against; production code reads messages only here.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

from inferrer import _core
from inferrer.model import DECODED_FIELDS, DecodedMessage
from inferrer.records import Record

__all__ = ["CaptureRead", "Engine", "FramingLookup", "Topic", "decode_record", "match_formats"]


def match_formats(value: str, mask: int) -> int:
    """The subset of ``mask`` (a bit set over the formats of ``grammar.json``, in its
    order) that ``value`` matches, by the core's compiled patterns: the fold's own
    reading, without compiling the grammar again in Python (the document's redactor
    asks this of single example values)."""
    n: int = _core.match_formats(value, mask & 0xFFFF_FFFF)
    return n


class FramingLookup(Protocol):
    """Where the core gets the writer schemas of ids it was not given (see
    :meth:`Engine.set_framing`)."""

    def core_writer(self, schema_id: int) -> tuple[str, list[str], str | None] | None: ...

    def core_decode(self, schema_id: int, body: bytes) -> bytes | str | None: ...


Topic = _core.Topic
"""One topic's observation, as the core holds it (merge, ``to_dict``/``from_dict``)."""

FOLD_BATCH: Final = 4096
"""Records handed to the core at a time (bounds the memory of a Python batch)."""


@dataclass(frozen=True, slots=True)
class CaptureRead:
    """What folding one capture file found."""

    records: int
    bad: int
    bad_lines: tuple[tuple[int, str], ...]
    """(line number, reason) of the first bad lines (all are counted in ``bad``)."""
    not_a_capture: tuple[int, str] | None
    """The first bad line, when the file's first non-blank lines are all bad."""
    error: tuple[int, str] | None
    """(last line read, reason) when reading the file failed part-way."""


class Engine:
    """Observations of every topic, folded from records as they come."""

    __slots__ = ("_core",)

    def __init__(self) -> None:
        self._core = _core.Engine()

    @property
    def messages(self) -> int:
        """Messages folded so far, all topics."""
        n: int = self._core.messages
        return n

    def fold(self, records: Iterable[Record]) -> int:
        """Fold records (any iterable, consumed in batches); returns how many."""
        it = iter(records)
        total = 0
        while batch := list(itertools.islice(it, FOLD_BATCH)):
            total += self._core.fold_records(batch)
        return total

    def fold_messages(self, messages: list[Any]) -> int:
        """Fold messages as a Kafka consumer returns them (topic(), value(), ...)."""
        n: int = self._core.fold_messages(messages)
        return n

    def fold_capture(self, path: str | os.PathLike[str]) -> CaptureRead:
        """Fold every record of a capture file (kcat -C -J JSON Lines), streaming.

        Raises OSError when the file cannot be opened.
        """
        got = self._core.fold_capture(os.fspath(path))
        return CaptureRead(
            records=got["records"],
            bad=got["bad"],
            bad_lines=tuple(got["bad_lines"]),
            not_a_capture=got["not_a_capture"],
            error=got["error"],
        )

    def set_framing(
        self,
        schemas: list[tuple[int, str, list[str], str | None]],
        lookup: FramingLookup | None = None,
    ) -> None:
        """Decode Confluent-framed keys and values from now on with these writer
        schemas, in the core: (schema id, ``"AVRO"`` or ``"JSON"``, the Avro schema's
        JSON texts, references first, the record type it names or None). Raises
        ValueError for an Avro schema the core does not read; see
        :meth:`inferrer.registry.framed.FramedDecoder.core_schemas`. A framed message
        whose schema id names a record type is of that kind (kind field ``@record``).

        ``lookup`` answers for the other ids, once each, when their first message
        comes, and decodes the bodies the core does not read (Protobuf):
        :meth:`inferrer.registry.framed.FramedDecoder.core_writer` and ``core_decode``.
        An error it raises is raised by the fold, once the fold is done."""
        self._core.set_framing(schemas, lookup)

    def set_record_types(self, names: Mapping[int, str]) -> None:
        """Framed messages of these schema ids are of these kinds from now on (their
        record types), for records whose bodies Python decoded (the reference)."""
        self._core.set_record_types(dict(names))

    def framed_use(self) -> dict[str, Any] | None:
        """What the framed keys and values showed since :meth:`set_framing` (None
        without it), for :meth:`inferrer.registry.framed.FramedDecoder.absorb`."""
        got: dict[str, Any] | None = self._core.framed_use()
        return got

    def topics(self) -> list[str]:
        """Topics seen, sorted."""
        names: list[str] = self._core.topics()
        return names

    def highest_partitions(self) -> Mapping[str, int]:
        """The highest partition seen, per topic."""
        found: dict[str, int] = self._core.highest_partitions()
        return found

    def take(self, topic: str) -> Topic:
        """Remove and return one topic's observation (empty if never seen)."""
        return self._core.take(topic)

    def check(self, plan: str) -> None:
        """Check every message folded from now on against a committed spec.

        ``plan`` is the JSON text :func:`inferrer.drift.traffic.core_plan` writes.
        Raises ValueError when the core cannot check that spec.
        """
        self._core.set_check(plan)

    def adopt_check(self, other: Engine) -> None:
        """Take over ``other``'s check, with everything it counted so far."""
        self._core.adopt_check(other._core)

    def check_results(self) -> dict[str, Any] | None:
        """What the check counted (None without one); read by
        :func:`inferrer.drift.traffic.compare_traffic`."""
        return self._core.check_results()


def decode_record(record: Record) -> DecodedMessage:
    """Decode one record with the core (for checks that need each message)."""
    parts = _core.decode_record(
        record.partition,
        record.offset,
        record.timestamp,
        record.key,
        record.value,
        list(record.headers),
    )
    return DecodedMessage(topic=record.topic, **dict(zip(DECODED_FIELDS, parts, strict=True)))
