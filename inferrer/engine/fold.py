"""Capture files folded in the engine, in one streaming pass per file."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from inferrer.capture import (
    BadLine,
    CaptureStats,
    iter_capture,
    raise_not_a_capture,
    read_capture_topics,
)
from inferrer.engine import Engine, Topic
from inferrer.errors import CaptureError
from inferrer.model import TopicMetadata

if TYPE_CHECKING:
    from inferrer.registry.framed import FramedDecoder


def fold_captures(
    paths: Iterable[str | os.PathLike[str]],
    *,
    stats: CaptureStats | None = None,
    check_with: Engine | None = None,
    progress: Callable[[int, int, int, int], None] | None = None,
    framed: FramedDecoder | None = None,
) -> tuple[dict[str, Topic], dict[str, TopicMetadata]]:
    """Fold every record of some capture files in the engine, in one streaming pass.

    Returns each topic's observation (the core's ``Topic``, one per topic across all
    files) and the topics' metadata as :func:`capture_topics` gives it (a file's
    sidecar, or ``max partition seen + 1``; the first description wins). Bad lines
    are skipped and counted in ``stats``; a file that cannot be read, or whose first
    lines are all bad, raises :class:`~inferrer.errors.CaptureError`.

    ``check_with`` is an engine holding a drift check (:meth:`Engine.check`): every
    record is also checked, and the check is back in ``check_with`` at the end.

    ``progress(bytes_read, bytes_total, files_read, files)`` is called before the first
    file and after each (the core reads a file in one call; stdin counts 0 bytes).

    ``framed`` decodes Confluent-framed Avro and Protobuf messages with their writer
    schemas before they are folded (:class:`~inferrer.registry.framed.FramedDecoder`):
    in the core, with the core's reader, when the schemas are all Avro or JSON Schema
    (``FramedDecoder.core_schemas``); else by the Python decoders on the way.
    """
    stats = stats if stats is not None else CaptureStats()
    observed: dict[str, Topic] = {}
    topics: dict[str, TopicMetadata] = {}
    paths = list(paths)
    sizes = [_size(p) for p in paths]
    total, done = sum(sizes), 0
    if progress is not None:
        progress(0, total, 0, len(paths))
    for index, path in enumerate(paths):
        name = str(path)
        engine = Engine()
        if check_with is not None:
            engine.adopt_check(check_with)
        wanted = framed is not None and framed.wants(path)
        in_core = wanted and framed is not None and _decoded_in_core(engine, framed)
        if wanted and not in_core:
            # Framed messages are decoded on the way by Python's decoders (Protobuf, or
            # a registry to ask), so this file's records go through Python to the
            # engine; the other files keep the core's own reader.
            assert framed is not None
            engine.fold(framed.records(iter_capture(path, stats=stats)))
        else:
            try:
                read = engine.fold_capture(path)
            except OSError as e:
                raise CaptureError(f"cannot read capture file {name}: {e.strerror or e}") from e
            if read.error is not None:
                line, reason = read.error
                raise CaptureError(f"cannot read capture file {name} after line {line}: {reason}")
            if read.not_a_capture is not None:
                raise_not_a_capture([BadLine(name, *read.not_a_capture)])
            stats.records += read.records
            for line, reason in read.bad_lines:
                stats.add_bad(BadLine(name, line, reason))
            stats.bad += read.bad - len(read.bad_lines)
            if in_core and framed is not None:
                framed.absorb(engine.framed_use() or {"order": [], "uses": []})
        described = read_capture_topics(path) or {
            topic: TopicMetadata(name=topic, partitions=top + 1, replication_factor=-1)
            for topic, top in engine.highest_partitions().items()
        }
        for topic, meta in described.items():
            topics.setdefault(topic, meta)
        for topic in engine.topics():
            got = engine.take(topic)
            if topic in observed:
                observed[topic].merge(got)
            else:
                observed[topic] = got
        if check_with is not None:
            check_with.adopt_check(engine)
        done += sizes[index]
        if progress is not None:
            progress(done, total, index + 1, len(paths))
    return observed, dict(sorted(topics.items()))


def _decoded_in_core(engine: Engine, framed: FramedDecoder) -> bool:
    """Give the engine the writer schemas to decode framed messages with itself, when
    it can read them all (Avro, JSON Schema; see ``FramedDecoder.core_schemas``)."""
    schemas = framed.core_schemas()
    if schemas is None:
        return False
    try:
        engine.set_framing(schemas)
    except ValueError:
        return False  # an Avro schema the core does not read: the reference reads it
    return True


def _size(path: str | os.PathLike[str]) -> int:
    try:
        return os.stat(path).st_size if os.fspath(path) != "-" else 0
    except OSError:
        return 0  # the fold says why it cannot read the file
