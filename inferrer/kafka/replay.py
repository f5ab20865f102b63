"""Replay capture files into a cluster: recreate the topics, produce every record.

Topics that do not exist are created with the partition count and configs the
capture's sidecar (``x.topics.json``) records; a capture without a sidecar (taken
with plain kcat) gives ``max partition seen + 1`` partitions and broker-default
configs. Topics that already exist are reused as they are (configs untouched),
provided they have enough partitions. Every record goes to its captured
partition with its key, headers and original timestamp. Offsets are whatever
the target topic assigns.

This is the one part of inferrer that writes to a cluster; it is a separate,
explicit command and never runs as a side effect of sampling.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from inferrer.capture import (
    BadLine,
    CaptureStats,
    capture_topics,
    check_capture,
    derive_topics,
    iter_capture,
)
from inferrer.errors import BrokerUnreachable, CouldNotRun
from inferrer.model import TopicMetadata
from inferrer.records import Record

PathLike = str | os.PathLike[str]


@dataclass(frozen=True, slots=True)
class TopicReplay:
    """What replay did for one topic."""

    topic: str
    """The topic produced to (with ``topic_prefix`` applied)."""
    partitions: int
    """Partitions the topic has (after creation, or as found)."""
    created: bool
    """True when replay created the topic; False when it existed already."""
    configs: Mapping[str, str]
    """Configs replay created the topic with (empty when it existed already)."""
    produced: int
    failed: int
    first_error: str | None = None


@dataclass(frozen=True, slots=True)
class ReplayReport:
    """The outcome of a replay: per topic, and in total."""

    topics: tuple[TopicReplay, ...]
    bad_lines: int = 0
    """Capture lines that were not records (skipped, as reading does)."""
    bad_line_details: tuple[BadLine, ...] = field(default_factory=tuple)

    @property
    def produced(self) -> int:
        return sum(t.produced for t in self.topics)

    @property
    def failed(self) -> int:
        return sum(t.failed for t in self.topics)

    @property
    def created(self) -> tuple[str, ...]:
        return tuple(t.topic for t in self.topics if t.created)


def _as_paths(source: object) -> list[PathLike] | None:
    if isinstance(source, str | os.PathLike):
        return [source]
    if isinstance(source, Sequence) and all(isinstance(s, str | os.PathLike) for s in source):
        return list(source)
    return None


def _plan_from_paths(
    paths: Sequence[PathLike], topics: Mapping[str, TopicMetadata] | None
) -> dict[str, TopicMetadata]:
    # Check every file before anything else, so that an unreadable file or one
    # that is not a capture stops the replay before any topic is created.
    for path in paths:
        check_capture(path)
    return {**capture_topics(paths), **(topics or {})}


def _connect(config: Mapping[str, Any], timeout: float) -> tuple[AdminClient, Any]:
    seen: list[KafkaError] = []
    conf: dict[str, Any] = {"error_cb": seen.append, **config}
    admin = AdminClient(conf)
    try:
        metadata = admin.list_topics(timeout=timeout)
    except KafkaException as e:
        where = config.get("bootstrap.servers", "?")
        # librdkafka reports a refused login through error_cb, served by poll();
        # list_topics itself only says the transport failed.
        admin.poll(0.1)
        if any(err.code() == KafkaError._AUTHENTICATION for err in seen):
            raise CouldNotRun(f"the broker at {where} refused authentication") from e
        raise BrokerUnreachable(f"no Kafka broker answered at {where} within {timeout:g}s") from e
    return admin, metadata


def _ensure_topics(
    admin: AdminClient,
    metadata: Any,
    plan: Mapping[str, TopicMetadata],
    prefix: str,
    timeout: float,
) -> dict[str, tuple[int, bool, Mapping[str, str]]]:
    """Create missing topics; return target name → (partitions, created, configs)."""
    result: dict[str, tuple[int, bool, Mapping[str, str]]] = {}
    to_create: list[NewTopic] = []
    for name, meta in sorted(plan.items()):
        target = prefix + name
        existing = metadata.topics.get(target)
        if existing is not None and existing.error is None:
            have = len(existing.partitions)
            if have < meta.partitions:
                raise CouldNotRun(
                    f"topic {target} exists with {have} partitions; "
                    f"the capture needs {meta.partitions}"
                )
            result[target] = (have, False, {})
            continue
        configs = dict(sorted(meta.configs.items()))
        # The captured replication factor when the cluster has enough brokers for
        # it, else the broker's default (-1): a capture from a three-broker
        # cluster still replays into a one-node development broker.
        rf = meta.replication_factor
        if not 0 < rf <= len(metadata.brokers):
            rf = -1
        to_create.append(NewTopic(target, meta.partitions, rf, config=configs))
        result[target] = (meta.partitions, True, configs)
    if to_create:
        futures = admin.create_topics(to_create, operation_timeout=timeout, request_timeout=timeout)
        for target, future in sorted(futures.items()):
            try:
                future.result(timeout)
            except KafkaException as e:
                err = e.args[0] if e.args else None
                if isinstance(err, KafkaError) and err.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                    partitions, _, _ = result[target]
                    result[target] = (partitions, False, {})
                    continue
                reason = err.str() if isinstance(err, KafkaError) else str(e)
                raise CouldNotRun(f"cannot create topic {target}: {reason}") from e
    return result


class _Counts:
    def __init__(self) -> None:
        self.produced: dict[str, int] = {}
        self.failed: dict[str, int] = {}
        self.first_error: dict[str, str] = {}

    def fail(self, topic: str, reason: str) -> None:
        self.failed[topic] = self.failed.get(topic, 0) + 1
        self.first_error.setdefault(topic, reason)

    def on_delivery(self, err: KafkaError | None, msg: Message) -> None:
        topic = str(msg.topic())
        if err is None:
            self.produced[topic] = self.produced.get(topic, 0) + 1
        else:
            self.fail(topic, err.str())


def _produce_all(
    producer: Producer,
    records: Iterable[Record],
    prefix: str,
    known: Mapping[str, tuple[int, bool, Mapping[str, str]]],
    counts: _Counts,
) -> None:
    for i, record in enumerate(records):
        target = prefix + record.topic
        if target not in known:
            counts.fail(target, "topic is not described by the capture's sidecar")
            continue
        kwargs: dict[str, Any] = {
            "value": record.value,
            "key": record.key,
            "partition": record.partition,
            "on_delivery": counts.on_delivery,
        }
        if record.timestamp is not None:
            kwargs["timestamp"] = record.timestamp
        if record.headers:
            kwargs["headers"] = list(record.headers)
        while True:
            try:
                producer.produce(target, **kwargs)
                break
            except BufferError:
                producer.poll(0.5)  # queue full: let deliveries drain, then retry
            except KafkaException as e:
                err = e.args[0] if e.args else None
                counts.fail(target, err.str() if isinstance(err, KafkaError) else str(e))
                break
        if i % 1000 == 0:
            producer.poll(0)


def replay_capture(
    source: PathLike | Sequence[PathLike] | Iterable[Record],
    client_config: Mapping[str, Any],
    *,
    topic_prefix: str = "",
    topics: Mapping[str, TopicMetadata] | None = None,
    timeout: float = 30.0,
) -> ReplayReport:
    """Produce capture files (or records) into a cluster; return what happened.

    ``source`` is one capture path, a list of paths, or an iterable of records
    (held in memory to find the topics when ``topics`` does not describe them).
    ``topics`` adds to or overrides what sidecars say. ``topic_prefix`` is put in
    front of every topic name. ``timeout`` bounds connecting, creating topics and
    the final flush.

    Raises :class:`BrokerUnreachable` when no broker answers,
    :class:`CaptureError` for an unreadable file, :class:`CouldNotRun` when a
    topic cannot be created or is too small, or records stay undelivered.
    """
    stats = CaptureStats()
    paths = _as_paths(source) or []
    materialised: list[Record] | None = None
    if paths:
        plan = _plan_from_paths(paths, topics)
    else:
        materialised = list(source)  # type: ignore[arg-type]
        plan = {**derive_topics(materialised), **(topics or {})}

    config: dict[str, Any] = {"log_level": 0, **client_config}
    admin, metadata = _connect(config, timeout)
    known = _ensure_topics(admin, metadata, plan, topic_prefix, timeout)

    producer_config = {
        "enable.idempotence": True,  # keeps each partition's order through retries
        "linger.ms": 20,
        "message.timeout.ms": int(timeout * 1000),
        **config,
    }
    producer = Producer(producer_config)
    counts = _Counts()
    if materialised is not None:
        _produce_all(producer, materialised, topic_prefix, known, counts)
    else:
        for path in paths:
            _produce_all(producer, iter_capture(path, stats=stats), topic_prefix, known, counts)
    remaining = producer.flush(timeout)
    if remaining:
        raise CouldNotRun(f"{remaining} records were still undelivered after {timeout:g}s")

    names = sorted(set(known) | set(counts.failed))
    report = tuple(
        TopicReplay(
            topic=name,
            partitions=known[name][0] if name in known else 0,
            created=known[name][1] if name in known else False,
            configs=known[name][2] if name in known else {},
            produced=counts.produced.get(name, 0),
            failed=counts.failed.get(name, 0),
            first_error=counts.first_error.get(name),
        )
        for name in names
    )
    return ReplayReport(topics=report, bad_lines=stats.bad, bad_line_details=tuple(stats.bad_lines))
