"""Schema inference: observations (folded by the engine) → summaries.

Public API::

    observe(records) -> dict[str, TopicObservation]
    observations_of(engine) -> dict[str, TopicObservation]
    summarize_all(observations) -> list[TopicSummary]
    merge(a, b) -> TopicObservation          # associative, commutative
    merge_all(maps) -> dict[str, TopicObservation]
    save_observations(observations, path) / load_observations(path)

The rules (formats, enums, maps, discriminators) live in :mod:`.rules`, field
statistics as read in :mod:`.stats`, canonical output in :mod:`.canonical`. Messages
are decoded and folded by :mod:`inferrer.engine`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from inferrer.engine import Engine
from inferrer.inference.kinds import DiscriminatorChoice, choice_for, parse_discriminator
from inferrer.inference.observation import (
    KindObservation,
    ShapeObservation,
    TopicObservation,
    load_observations,
    merge,
    merge_all,
    save_observations,
)
from inferrer.model import TopicSummary
from inferrer.records import Record

__all__ = [
    "DiscriminatorChoice",
    "KindObservation",
    "ShapeObservation",
    "TopicObservation",
    "load_observations",
    "merge",
    "merge_all",
    "observations_of",
    "observe",
    "parse_discriminator",
    "save_observations",
    "summarize_all",
]


def observations_of(engine: Engine) -> dict[str, TopicObservation]:
    """Every topic the engine folded, as observations (the engine is emptied)."""
    return {topic: TopicObservation(engine.take(topic)) for topic in engine.topics()}


def observe(records: Iterable[Record]) -> dict[str, TopicObservation]:
    """Decode records and fold them into one observation per topic."""
    engine = Engine()
    engine.fold(records)
    return observations_of(engine)


def summarize_all(
    observations: Mapping[str, TopicObservation],
    discriminators: Sequence[DiscriminatorChoice] = (),
) -> list[TopicSummary]:
    """Summaries of every observed topic, sorted by topic name; ``discriminators``
    force how the kinds of matching topics are told apart (the last match wins)."""
    return [observations[t].summarize(choice_for(t, discriminators)) for t in sorted(observations)]
