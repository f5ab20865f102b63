"""Read-only sampling of the selected topics.

One consumer is assigned every selected partition at once, with explicit start
offsets (``incremental_assign``), so all topics are fetched concurrently by
librdkafka. It never subscribes and never commits: ``enable.auto.commit`` and
``enable.auto.offset.store`` are forced off, so no consumer group is created and no
offset moves. librdkafka insists on a ``group.id`` for a consumer object; with
manual assignment and no commits it is never sent to a group coordinator.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import chain
from typing import Any

from confluent_kafka import (
    TIMESTAMP_NOT_AVAILABLE,
    Consumer,
    KafkaError,
    KafkaException,
    TopicPartition,
)
from confluent_kafka.admin import OffsetSpec

from inferrer.kafka.config import ClientConfig
from inferrer.kafka.metadata import (
    ErrorLog,
    SkippedTopic,
    describe_topic_set,
    kafka_errors,
    list_offsets,
    list_topic_names,
    open_admin,
    open_consumer,
    probe_topic,
)
from inferrer.kafka.plan import (
    PartialTopic,
    ProgressCallback,
    SampleConfig,
    SampleProgress,
    StartPosition,
    parse_duration,
    parse_start,
)
from inferrer.kafka.select import is_literal, require_matches, select_topics
from inferrer.model import TopicMetadata
from inferrer.records import Record

__all__ = [
    "READ_ONLY_GROUP_ID",
    "PartialTopic",
    "RecordStream",
    "SampleConfig",
    "SampleProgress",
    "SampleResult",
    "Selection",
    "SkippedTopic",
    "StartPosition",
    "describe_selection",
    "open_stream",
    "parse_duration",
    "parse_start",
    "plan_quotas",
    "sample_topics",
]

_LOG = logging.getLogger("inferrer.kafka.sampler")

READ_ONLY_GROUP_ID = "inferrer-read-only"
"""The ``group.id`` librdkafka requires; never joined, never committed to."""

_AUTH_CODES = frozenset(
    {KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.GROUP_AUTHORIZATION_FAILED}
)
_GONE_CODES = frozenset({KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._UNKNOWN_TOPIC})
_DELETION_CHECK_SECONDS = 1.0
_HEARTBEAT_TIMEOUT_SECONDS = 2.0
BROKER_LOST = "the broker stopped answering"


@dataclass(frozen=True, slots=True)
class Selection:
    """The topics a configuration selects, described, before any message is read."""

    metadata: Mapping[str, TopicMetadata]
    skipped: tuple[SkippedTopic, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(sorted(self.metadata))


@dataclass(frozen=True, slots=True)
class SampleResult:
    """The sample: records per topic (in partition, offset order), metadata, and notes."""

    records: Mapping[str, tuple[Record, ...]]
    metadata: Mapping[str, TopicMetadata]
    skipped: tuple[SkippedTopic, ...] = ()
    warnings: tuple[str, ...] = ()
    partial: tuple[PartialTopic, ...] = ()
    """Topics whose sample ended before it was complete (see :class:`RecordStream`)."""

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(sorted(self.records))

    def all_records(self) -> Iterator[Record]:
        for topic in self.topics:
            yield from self.records[topic]


def describe_selection(config: SampleConfig) -> Selection:
    """Connect, select topics by the configured patterns, and describe them.

    Raises :class:`BrokerUnreachable` and :class:`NoTopicsMatched`.
    """
    settings = config.client.settings
    admin, errors = open_admin(settings)
    listing = list_topic_names(admin, settings, errors, config.timeout)
    chosen = select_topics(
        listing, config.topics, config.exclude, include_internal=config.include_internal
    )
    denied: list[SkippedTopic] = []
    for pattern in config.topics:
        # A topic the principal may not describe is absent from the listing; when
        # it is named literally, say so instead of "no match".
        if (
            is_literal(pattern)
            and pattern not in listing
            and select_topics([pattern], [pattern], config.exclude, include_internal=True)
        ):
            reason = probe_topic(admin, pattern, config.timeout)
            if reason is not None:
                denied.append(SkippedTopic(pattern, reason))
    if not chosen and not denied:
        require_matches(
            chosen, config.topics, config.exclude, include_internal=config.include_internal
        )
    with kafka_errors(settings):
        described = describe_topic_set(
            admin, listing, chosen, timeout=config.timeout, include_groups=config.include_groups
        )
    skipped = tuple(sorted([*described.skipped, *denied], key=lambda s: s.topic))
    warnings = [*config.client.warnings, *described.warnings]
    warnings.extend(f"skipped topic {s.topic}: {s.reason}" for s in skipped)
    return Selection(metadata=described.metadata, skipped=skipped, warnings=tuple(warnings))


def plan_quotas(available: Mapping[int, int], total: int) -> dict[int, int]:
    """Spread ``total`` messages over partitions holding ``available`` messages each:
    an even share (quotas differ by at most one), with what small partitions cannot
    give moved to the larger ones."""
    quotas = {p: 0 for p in available}
    left = min(total, sum(max(0, n) for n in available.values()))
    # Water-filling: the smallest partitions first, each taking at most a fair share.
    order = sorted((p for p, n in available.items() if n > 0), key=lambda p: (available[p], p))
    for i, p in enumerate(order):
        give = min(available[p], left // (len(order) - i))
        quotas[p] = give
        left -= give
    # The remainder, one each, to the partitions with room and the smallest quota.
    while left > 0:
        room = sorted((p for p in order if quotas[p] < available[p]), key=lambda p: (quotas[p], p))
        for p in room[:left]:
            quotas[p] += 1
        left -= min(left, len(room))
    return quotas


@dataclass
class _PartitionState:
    start: int
    end: int
    """High watermark when the run began: reading up to ``end - 1`` is complete."""
    quota: int
    received: int = 0
    done: bool = False
    caught_up: bool = False
    """Read up to ``end``: what existed when the run began has been seen."""


@dataclass
class _TopicState:
    name: str
    partitions: dict[int, _PartitionState]
    quota: int
    received: int = 0
    done: bool = False
    outcome: str | None = None
    empty_cause: str | None = None
    """Why the window holds no message, when the plan already knows (see _empty_cause)."""


def _empty_cause(
    watermarks: Mapping[int, tuple[int, int]], lookup: Mapping[int, int] | None, start: str
) -> str | None:
    """Why a topic's window is empty, from its watermarks when the run began (and, for
    ``--from TIME``, the offsets the broker found for the time; -1: none at or after it),
    or None when the window is not empty."""
    if all(high == 0 for _, high in watermarks.values()):
        return "the topic has never had a message (no traffic at all)"
    if lookup is not None:
        unread = [p for p, (_, high) in watermarks.items() if 0 <= lookup.get(p, -1) < high]
        if not unread:
            if all(low == high for low, high in watermarks.values()):
                return (
                    "retention deleted the window: the low watermark moved past every "
                    f"message ({sum(h for _, h in watermarks.values())} were written)"
                )
            return f"--from {start} is later than the last message"
        return None
    if all(low == high for low, high in watermarks.values()):
        return (
            "retention deleted the window: the low watermark moved past every message "
            f"({sum(h for _, h in watermarks.values())} were written)"
        )
    return None


def _start_text(cfg: SampleConfig) -> str:
    ms = cfg.start.timestamp_ms
    if cfg.start.kind != "timestamp" or ms is None:
        return cfg.start.kind
    import datetime

    try:
        when = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC)
    except (OverflowError, ValueError, OSError):
        return str(ms)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


class RecordStream:
    """Records of a sampling run, as they arrive, one topic's partitions interleaved.

    Iterate once. After the iteration, :attr:`skipped` and :attr:`warnings` hold what
    went wrong per topic, :attr:`received` the count per topic, and :attr:`partial` the
    topics whose sample is incomplete: a topic that timed out before it had read what
    existed when the run began, and every topic when the broker stopped answering (no
    broker up, or no answer to a metadata request within 2 seconds) and had not come
    back when the run ended.
    """

    def __init__(
        self,
        config: SampleConfig,
        selection: Selection | None = None,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.config = config
        self.selection = selection if selection is not None else describe_selection(config)
        self.progress = progress
        self.skipped: list[SkippedTopic] = list(self.selection.skipped)
        self.warnings: list[str] = list(self.selection.warnings)
        self.partial: list[PartialTopic] = []
        self._plan_state: dict[str, _TopicState] = {}
        self._down_since: float | None = None
        self._errors = ErrorLog()
        self._errors_seen = 0

    @property
    def received(self) -> dict[str, int]:
        """Records yielded so far, per selected topic."""
        counts = {t: 0 for t in self.selection.metadata}
        counts.update({t: s.received for t, s in self._plan_state.items()})
        return counts

    def __iter__(self) -> Iterator[Record]:
        for batch in self.batches():
            yield from map(record_of, batch)

    def batches(self) -> Iterator[list[Any]]:
        """The records as the consumer returns them, a list per ``consume`` call.

        Each item has the methods of a ``confluent_kafka.Message`` (``topic()``,
        ``partition()``, ``offset()``, ``timestamp()``, ``key()``, ``value()``,
        ``headers()``); only records the sample keeps are listed. This is the engine's
        feed: no Python object is made per message.
        """
        with kafka_errors(self.config.client.settings):
            yield from self._iter_batches()

    def _plan(self) -> dict[str, _TopicState]:
        cfg = self.config
        starts: dict[tuple[str, int], int] = {}
        if cfg.start.kind == "timestamp":
            assert cfg.start.timestamp_ms is not None
            admin, _ = open_admin(cfg.client.settings)
            pairs = [(t, p) for t, md in self.selection.metadata.items() for p in md.watermarks]
            found = list_offsets(
                admin, pairs, OffsetSpec.for_timestamp(cfg.start.timestamp_ms), cfg.timeout
            )
            for key, offset in found.items():
                # -1 means no message at or after the time: start at the end.
                starts[key] = offset if isinstance(offset, int) and offset >= 0 else -1
        plan: dict[str, _TopicState] = {}
        for topic, md in sorted(self.selection.metadata.items()):
            first: dict[int, int] = {}
            for p, (low, high) in md.watermarks.items():
                if cfg.start.kind == "timestamp":
                    at = starts.get((topic, p), -1)
                    first[p] = high if at < 0 else min(max(at, low), high)
                else:
                    first[p] = low
            quotas = plan_quotas(
                {p: high - first[p] for p, (_, high) in md.watermarks.items()}, cfg.max_messages
            )
            parts: dict[int, _PartitionState] = {}
            for p, (_, high) in sorted(md.watermarks.items()):
                start = high - quotas[p] if cfg.start.kind == "latest" else first[p]
                parts[p] = _PartitionState(
                    start=start, end=high, quota=quotas[p], caught_up=start >= high
                )
                if cfg.follow <= 0 and quotas[p] == 0:
                    parts[p].done = True
            quota = cfg.max_messages if cfg.follow > 0 else sum(quotas.values())
            state = _TopicState(name=topic, partitions=parts, quota=quota)
            lookup = (
                {p: starts.get((topic, p), -1) for p in md.watermarks}
                if cfg.start.kind == "timestamp"
                else None
            )
            state.empty_cause = _empty_cause(md.watermarks, lookup, _start_text(cfg))
            state.done = quota == 0 or all(ps.done for ps in parts.values())
            plan[topic] = state
            _LOG.debug(
                "%s: reading %d message(s) from %d partition(s), starting at %s",
                topic,
                quota,
                len(parts),
                ", ".join(f"{p}@{ps.start}" for p, ps in sorted(parts.items())),
            )
        return plan

    def _consumer(self) -> Consumer:
        settings = dict(self.config.client.settings)
        settings.setdefault("group.id", READ_ONLY_GROUP_ID)
        settings.setdefault("client.id", "inferrer")
        settings.setdefault("auto.offset.reset", "earliest")
        # Read-only, whatever -X says.
        return open_consumer(settings, self._errors, partition_eof=True)

    def _broker_answered(self) -> None:
        self._down_since = None

    def _broker_silent(self, now: float) -> None:
        if self._down_since is None:
            self._down_since = now

    def _read_error_log(self, now: float) -> None:
        """librdkafka says "all brokers down" through the error callback."""
        new = self._errors.errors[self._errors_seen :]
        self._errors_seen = len(self._errors.errors)
        if any(e.code() == KafkaError._ALL_BROKERS_DOWN for e in new):
            self._broker_silent(now)

    def _iter_batches(self) -> Iterator[list[Any]]:
        plan = self._plan_state = self._plan()
        expected = sum(s.quota for s in plan.values())
        follow = self.config.follow
        following = follow > 0
        began = time.monotonic()
        follow_until = began + follow
        hard_deadline = began + self.config.timeout + follow
        active = {t: s for t, s in plan.items() if not s.done}
        get_state = active.get
        last_report = 0.0
        last_check = began

        def report() -> None:
            if self.progress is not None:
                done = sum(1 for s in plan.values() if s.done)
                received = sum(s.received for s in plan.values())
                self.progress(SampleProgress(received, expected, done, len(plan)))

        report()
        if not active:
            return
        consumer = self._consumer()
        try:
            consumer.incremental_assign(
                [
                    TopicPartition(t, p, ps.start)
                    for t, s in active.items()
                    for p, ps in s.partitions.items()
                    if not ps.done
                ]
            )

            def finish_partition(state: _TopicState, partition: int) -> None:
                ps = state.partitions[partition]
                if ps.done:
                    return
                ps.done = True
                consumer.incremental_unassign([TopicPartition(state.name, partition)])
                if all(x.done for x in state.partitions.values()):
                    finish_topic(state, None)

            def finish_topic(state: _TopicState, outcome: str | None) -> None:
                if state.done:
                    return
                state.done = True
                state.outcome = outcome
                open_parts = [
                    TopicPartition(state.name, p) for p, x in state.partitions.items() if not x.done
                ]
                for x in state.partitions.values():
                    x.done = True
                if open_parts:
                    consumer.incremental_unassign(open_parts)
                active.pop(state.name, None)

            while active:
                now = time.monotonic()
                if following and now >= follow_until:
                    # Following ends; a topic still catching up on what existed
                    # before the run goes on until its timeout.
                    following = False
                    for open_state in list(active.values()):
                        for p, part in list(open_state.partitions.items()):
                            if part.caught_up or part.received >= part.quota:
                                finish_partition(open_state, p)
                    continue
                if now >= hard_deadline:
                    for open_state in list(active.values()):
                        finish_topic(open_state, "timeout")
                    break
                wait = min(0.2, max(0.0, (follow_until if following else hard_deadline) - now))
                kept: list[Any] = []
                messages = consumer.consume(num_messages=10000, timeout=wait)
                if messages:
                    self._broker_answered()
                for msg in messages:
                    err = msg.error()
                    state = get_state(msg.topic())  # type: ignore[arg-type]
                    partition = msg.partition()
                    if state is None or partition is None:
                        continue
                    if err is not None:
                        code = err.code()
                        if code == KafkaError._PARTITION_EOF:
                            at_end = state.partitions.get(partition)
                            if at_end is not None:
                                at_end.caught_up = True
                            if not following:
                                finish_partition(state, partition)
                        elif code in _AUTH_CODES:
                            finish_topic(state, "not authorized to read the topic")
                        elif code in _GONE_CODES:
                            finish_topic(state, "deleted while sampling")
                        elif err.fatal():
                            raise_fatal(self.config.client, err)
                        continue
                    ps = state.partitions.get(partition)
                    if ps is None or ps.done:
                        continue
                    offset = msg.offset() or 0
                    kept.append(msg)
                    ps.received += 1
                    state.received += 1
                    if offset + 1 >= ps.end:
                        ps.caught_up = True
                    if following:
                        if state.received >= state.quota:
                            finish_topic(state, None)
                    elif ps.received >= ps.quota or ps.caught_up:
                        finish_partition(state, partition)
                if kept:
                    yield kept
                now = time.monotonic()
                self._read_error_log(now)
                if now - last_report >= 0.1:
                    last_report = now
                    report()
                if active and now - last_check >= _DELETION_CHECK_SECONDS:
                    # librdkafka does not report an assigned topic that is deleted;
                    # it only stops fetching. Look for it in the metadata, which also
                    # tells whether the broker still answers (a frozen one sends no error).
                    last_check = now
                    vanished = _vanished(consumer, list(active))
                    if vanished is None:
                        self._broker_silent(now)
                        continue
                    self._broker_answered()
                    for name in vanished:
                        finish_topic(active[name], "deleted while sampling")
        finally:
            consumer.close()
        self._record_outcomes(plan)
        for s in plan.values():
            _LOG.debug("%s: read %d of %d message(s)", s.name, s.received, s.quota)
        report()

    def _record_outcomes(self, plan: Mapping[str, _TopicState]) -> None:
        lost = self._down_since is not None
        timed_out = [s for s in plan.values() if s.outcome == "timeout"]
        if timed_out and not lost:
            admin, errors = open_admin(self.config.client.settings)
            try:
                present = list_topic_names(
                    admin, self.config.client.settings, errors, self.config.timeout
                )
            except Exception:  # the cluster went away; keep "timeout" as the reason
                present = {s.name: None for s in timed_out}
            for s in timed_out:
                if s.name not in present:
                    s.outcome = "deleted while sampling"
        for s in plan.values():
            got = s.received
            if s.outcome is None:
                continue
            if s.outcome == "timeout":
                self.warnings.append(
                    f"{s.name}: timed out after {self.config.timeout:g}s "
                    f"with {got} of {s.quota} messages"
                )
                reason = BROKER_LOST if lost else f"timed out after {self.config.timeout:g}s"
                self.partial.append(PartialTopic(s.name, got, s.quota, reason))
            elif got == 0:
                # The skip says it all; earlier notes on the topic are noise now.
                self.warnings = [w for w in self.warnings if not w.startswith(f"{s.name}: ")]
                self.skipped.append(SkippedTopic(s.name, s.outcome))
                self.warnings.append(f"skipped topic {s.name}: {s.outcome}")
            else:
                self.warnings.append(f"{s.name}: {s.outcome}; kept {got} messages read before")
        partial = {p.topic for p in self.partial}
        for s in plan.values():
            if s.received or s.outcome is not None or s.name in partial:
                continue
            cause = s.empty_cause
            if cause is None:
                cause = (
                    "the window's offsets held no readable record (transaction markers or "
                    "aborted transactions only)"
                )
            if self.config.follow > 0:
                cause = f"nothing arrived while following; {cause}"
            self.warnings.append(f"{s.name}: no message in the window: {cause}")
        if lost:
            # Following ended (or every topic had what it needed) while the broker was
            # gone: what it would have sent since is missing.
            flagged = {p.topic for p in self.partial}
            gone = {x.topic for x in self.skipped}
            for s in plan.values():
                if s.name in flagged or s.name in gone or s.outcome is not None:
                    continue
                if self.config.follow > 0 or s.received < s.quota:
                    self.partial.append(PartialTopic(s.name, s.received, s.quota, BROKER_LOST))
                    self.warnings.append(
                        f"{s.name}: {BROKER_LOST}; kept {s.received} messages read before"
                    )
        self.partial.sort(key=lambda p: p.topic)
        self.skipped.sort(key=lambda x: x.topic)


def _vanished(consumer: Consumer, topics: list[str]) -> list[str] | None:
    """The topics no longer in the cluster's metadata; None when the broker did not answer."""
    try:
        listing = consumer.list_topics(timeout=_HEARTBEAT_TIMEOUT_SECONDS)
    except KafkaException:
        return None
    return [t for t in topics if t not in listing.topics]


def record_of(msg: Any) -> Record:
    """The :class:`~inferrer.records.Record` of one consumer message."""
    ts_type, ts = msg.timestamp()
    headers = msg.headers()
    return Record(
        msg.topic(),
        msg.partition(),
        msg.offset() or 0,
        None if ts_type == TIMESTAMP_NOT_AVAILABLE else ts,
        msg.key(),
        msg.value(),
        _headers(headers) if headers else (),
    )


def _headers(raw: Any) -> tuple[tuple[str, bytes | None], ...]:
    if not raw:
        return ()
    items = raw.items() if isinstance(raw, dict) else raw
    return tuple((str(k), v.encode() if isinstance(v, str) else v) for k, v in items)


def raise_fatal(client: ClientConfig, err: KafkaError) -> None:
    """A fatal consumer error ends the run with a one-line message."""
    from inferrer.errors import CouldNotRun

    raise CouldNotRun(f"the Kafka client failed at {client.bootstrap}: {err.str()}")


def open_stream(
    config: SampleConfig,
    progress: ProgressCallback | None = None,
    selection: Selection | None = None,
) -> RecordStream:
    """Select and describe the topics now; iterate the result to read records."""
    return RecordStream(config, selection, progress)


def sample_topics(config: SampleConfig, progress: ProgressCallback | None = None) -> SampleResult:
    """Sample the selected topics read-only; see :class:`SampleConfig`.

    Raises :class:`BrokerUnreachable` (exit 3) and :class:`NoTopicsMatched` (exit 2).
    Topics that cannot be read (authorization, deleted) are in ``skipped``; every
    other selected topic has an entry in ``records``, possibly empty.
    """
    stream = open_stream(config, progress)
    # A partition's records arrive in offset order: grouping them is enough.
    by_partition: dict[tuple[str, int], list[Record]] = defaultdict(list)
    for record in stream:
        by_partition[(record.topic, record.partition)].append(record)
    skipped = {s.topic for s in stream.skipped}
    records: dict[str, tuple[Record, ...]] = {}
    for topic in sorted(stream.selection.metadata):
        if topic in skipped:
            continue
        parts = sorted(p for t, p in by_partition if t == topic)
        records[topic] = tuple(chain.from_iterable(by_partition[(topic, p)] for p in parts))
    return SampleResult(
        records=records,
        metadata={t: m for t, m in sorted(stream.selection.metadata.items()) if t not in skipped},
        skipped=tuple(stream.skipped),
        warnings=tuple(stream.warnings),
        partial=tuple(stream.partial),
    )
