"""Capture files folded in the engine, in one streaming pass per file."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from inferrer.capture import (
    BadLine,
    CaptureStats,
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

    ``framed`` gives the writer schemas of Confluent-framed Avro, Protobuf and JSON
    Schema messages (:class:`~inferrer.registry.framed.FramedDecoder`): the core's
    reader decodes them, asking ``framed`` for each schema id once (and for each
    Protobuf body).
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
        framing = framed if framed is not None and framed.wants(path) else None
        if framing is not None:
            # The core reads the framed messages, asking ``framing`` once per schema id.
            engine.set_framing([], framing)
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
        if framing is not None:
            framing.absorb(engine.framed_use() or {"order": [], "uses": []})
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


def _size(path: str | os.PathLike[str]) -> int:
    try:
        return os.stat(path).st_size if os.fspath(path) != "-" else 0
    except OSError:
        return 0  # the fold says why it cannot read the file
