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
import operator
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

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
        topics = set(map(_TOPIC_OF, chunk))
        with _cycle_collector_paused():
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
                continue
            for record in chunk:
                obs = out.get(record.topic)
                if obs is None:
                    obs = out[record.topic] = TopicObservation(record.topic)
                obs.add_parts(decode_parts(record))
    return out


def _iter_chunks(records: Iterable[Record]) -> Iterator[list[Record]]:
    """Records in lists of at most ``BATCH_SIZE`` records or about ``BATCH_BYTES``."""
    chunk: list[Record] = []
    size = 0
    for record in records:
        chunk.append(record)
        value = record.value
        if value is not None:
            size += len(value)
        if len(chunk) >= BATCH_SIZE or size >= BATCH_BYTES:
            yield chunk
            chunk = []
            size = 0
    if chunk:
        yield chunk


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a chunk is decoded and folded in.

    Decoded JSON and the statistics are acyclic, so reference counting frees them
    all; but the thousands of containers a batch holds make the collector run, and
    promote them, and a full collection walks every object of the process (the
    caller's too). Memory is unaffected (nothing cyclic is made); the collector is
    restored after each chunk, and left alone when the caller had disabled it.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def summarize_all(observations: Mapping[str, TopicObservation]) -> list[TopicSummary]:
    """Summaries of every observed topic, sorted by topic name."""
    return [observations[t].summarize() for t in sorted(observations)]
