"""Schema inference: decoded messages → per-topic observations → summaries.

Public API::

    observe(records) -> dict[str, TopicObservation]
    observe_decoded(messages) -> dict[str, TopicObservation]
    summarize_all(observations) -> list[TopicSummary]
    merge(a, b) -> TopicObservation          # associative, commutative
    merge_all(maps) -> dict[str, TopicObservation]
    save_observations(observations, path) / load_observations(path)

The rules (formats, enums, maps, discriminators) live in :mod:`.rules`, the genson
strategies in :mod:`.strategies`, field statistics in :mod:`.stats`, canonical output
in :mod:`.canonical`.
"""

from __future__ import annotations

import gc
import itertools
import operator
from collections.abc import Iterable, Iterator, Mapping

from inferrer import native
from inferrer.decoding import decode_columns, decode_parts
from inferrer.inference.observation import (
    BATCH_BYTES,
    BATCH_SIZE,
    KindObservation,
    ShapeObservation,
    TopicObservation,
    load_observations,
    merge,
    merge_all,
    save_observations,
)
from inferrer.model import DecodedMessage, TopicSummary
from inferrer.records import Record

__all__ = [
    "KindObservation",
    "ShapeObservation",
    "TopicObservation",
    "load_observations",
    "merge",
    "merge_all",
    "observe",
    "observe_decoded",
    "save_observations",
    "summarize_all",
]

_TOPIC_OF = operator.attrgetter("topic")
_VALUE_OF = operator.attrgetter("value")


def observe_decoded(messages: Iterable[DecodedMessage]) -> dict[str, TopicObservation]:
    """Fold decoded messages into one observation per topic."""
    out: dict[str, TopicObservation] = {}
    for msg in messages:
        obs = out.get(msg.topic)
        if obs is None:
            obs = out[msg.topic] = TopicObservation(msg.topic)
        obs.add(msg)
    return out


def observe(records: Iterable[Record]) -> dict[str, TopicObservation]:
    """Decode records and fold them into one observation per topic."""
    out: dict[str, TopicObservation] = {}
    for chunk in _iter_chunks(records):
        # Decoded JSON and the statistics are acyclic, so reference counting frees
        # them all; but the thousands of containers a chunk holds make the cycle
        # collector run and promote them, and a full collection walks every object of
        # the process (the caller's too). It is paused per chunk and restored after
        # (left alone when the caller had disabled it); memory is unaffected.
        collecting = gc.isenabled()
        if collecting:
            gc.disable()
        try:
            _observe_chunk(chunk, out)
        finally:
            if collecting:
                gc.enable()
    return out


def _observe_chunk(chunk: list[Record], out: dict[str, TopicObservation]) -> None:
    topics = set(map(_TOPIC_OF, chunk))
    if len(topics) == 1:  # records usually come in runs of one topic
        (topic,) = topics
        obs = out.get(topic)
        if obs is None:
            obs = out[topic] = TopicObservation(topic)
        columns = decode_columns(chunk)
        if columns is not None:
            obs.add_columns(columns)
        else:
            obs.add_parts_many(list(map(decode_parts, chunk)))
        return
    for record in chunk:
        obs = out.get(record.topic)
        if obs is None:
            obs = out[record.topic] = TopicObservation(record.topic)
        obs.add_parts(decode_parts(record))


def _values_size(chunk: list[Record]) -> int:
    if native.columns is not None:
        size: int = native.columns.values_size(chunk)
        return size
    return sum(map(len, filter(None, map(_VALUE_OF, chunk))))


def _iter_chunks(records: Iterable[Record]) -> Iterator[list[Record]]:
    """Records in lists of at most ``BATCH_SIZE`` records or about ``BATCH_BYTES``.

    A chunk ends after ``BATCH_SIZE`` records, or after the record that brings its
    values to ``BATCH_BYTES`` or more. Sliced with C-level loops: no Python step per
    record.
    """
    it = iter(records)
    carry: list[Record] = []
    while True:
        chunk = carry + list(itertools.islice(it, BATCH_SIZE - len(carry)))
        if not chunk:
            return
        if _values_size(chunk) < BATCH_BYTES:
            carry = []
            yield chunk
            continue
        # Some record brings the values to BATCH_BYTES: cut after it.
        total = cut = 0
        while total < BATCH_BYTES:
            value = chunk[cut].value
            total += 0 if value is None else len(value)
            cut += 1
        carry = chunk[cut:]
        yield chunk[:cut]


def summarize_all(observations: Mapping[str, TopicObservation]) -> list[TopicSummary]:
    """Summaries of every observed topic, sorted by topic name."""
    return [observations[t].summarize() for t in sorted(observations)]
