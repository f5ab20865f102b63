"""The one consumer that joins a consumer group: ``watch``'s.

Every other command reads with ``assign()`` and never joins a group (see
:mod:`.sampler`). ``watch`` subscribes, so that Kafka splits the partitions between
the members of its group (``partition.assignment.strategy=cooperative-sticky``) and
moves them when a member joins, leaves or dies. It never commits offsets
(``enable.auto.commit=false``) unless asked (``commit=True``); then it commits, at each
snapshot, exactly the offsets the snapshot covers.

Where a newly assigned partition starts is decided by the caller (``start_offsets``):
``watch`` asks its snapshot store for the offset the partition's last owner recorded,
so that the merged snapshots count every message once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from inferrer.errors import CouldNotRun
from inferrer.kafka.config import ClientConfig, redact
from inferrer.kafka.metadata import ErrorLog, _tidy, open_consumer
from inferrer.kafka.plan import StartPosition

_LOG = logging.getLogger("inferrer.kafka.group")

TP = tuple[str, int]
"""(topic, partition)."""

_DOWN_CODES: Final = frozenset(
    {KafkaError._ALL_BROKERS_DOWN, KafkaError._TRANSPORT, KafkaError._RESOLVE}
)
MAX_BACKOFF_SECONDS: Final = 60.0


@dataclass(frozen=True, slots=True)
class GroupConfig:
    """How to join the group and where to start."""

    client: ClientConfig
    group: str
    topics: tuple[str, ...]
    """Topic names (already selected) to subscribe to."""
    member: str
    """This process's name in the group (``client.id``, and the snapshots' key)."""
    start: StartPosition = field(default_factory=StartPosition)
    """Where a partition nobody has read yet starts (``--from``)."""
    commit: bool = False
    session_timeout_ms: int = 45000
    timeout: float = 10.0


@dataclass
class Outage:
    """A period without a broker, and when it was last reported."""

    since: float
    reason: str
    next_report: float
    backoff: float = 1.0


def _tps(partitions: Sequence[TopicPartition]) -> list[TP]:
    return sorted((tp.topic, tp.partition) for tp in partitions)


def describe_partitions(tps: Sequence[TP]) -> str:
    """``topic[0,1,2] other[3]``, for rebalance logs."""
    by_topic: dict[str, list[int]] = {}
    for topic, p in sorted(tps):
        by_topic.setdefault(topic, []).append(p)
    return " ".join(f"{t}[{','.join(map(str, ps))}]" for t, ps in by_topic.items()) or "none"


class GroupConsumer:
    """A group member: consume batches, know what it holds and how far it has read.

    ``start_offsets(partitions)`` gives the first offset of newly assigned partitions
    (None: decide by :attr:`GroupConfig.start`); ``before_revoke(partitions, lost)`` runs
    before partitions go, while :attr:`positions` still covers exactly the messages
    returned by earlier :meth:`poll` calls.
    """

    def __init__(
        self,
        config: GroupConfig,
        *,
        start_offsets: Callable[[list[TP]], Mapping[TP, int]],
        before_revoke: Callable[[list[TP], bool], None],
    ) -> None:
        self.config = config
        self._start_offsets = start_offsets
        self._before_revoke = before_revoke
        self.assigned: set[TP] = set()
        self.positions: dict[TP, int] = {}
        """(topic, partition) → the next offset to fold, for partitions read so far."""
        self.rebalances = 0
        self.outage: Outage | None = None
        self._errors = ErrorLog()
        self._errors_seen = 0
        self._rebalanced = False
        self._consumer = self._open()
        self._consumer.subscribe(
            list(config.topics),
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
            on_lost=self._on_lost,
        )
        _LOG.info(
            "joined consumer group %s as %s (topics: %s)",
            config.group,
            config.member,
            ", ".join(config.topics),
        )

    def _open(self) -> Consumer:
        settings = dict(self.config.client.settings)
        settings["group.id"] = self.config.group
        settings.setdefault("client.id", self.config.member)
        settings["partition.assignment.strategy"] = "cooperative-sticky"
        settings.setdefault("session.timeout.ms", str(self.config.session_timeout_ms))
        settings.setdefault(
            "heartbeat.interval.ms", str(max(100, int(settings["session.timeout.ms"]) // 3))
        )
        settings["auto.offset.reset"] = "earliest"
        # Offsets are committed by commit() only (with --commit), never automatically.
        return open_consumer(settings, self._errors, partition_eof=False)

    # -- rebalance callbacks (run inside consume()) ------------------------------

    def _resolve(self, tps: list[TP]) -> dict[TP, int]:
        """First offsets of newly assigned partitions: the caller's, the group's
        committed ones (with --commit), else ``--from`` made absolute."""
        chosen = dict(self._start_offsets(tps))
        rest = [tp for tp in tps if tp not in chosen]
        timeout = self.config.timeout
        if rest and self.config.commit:
            for tp in self._consumer.committed([TopicPartition(t, p) for t, p in rest], timeout):
                if tp.offset >= 0:
                    chosen[(tp.topic, tp.partition)] = tp.offset
            rest = [tp for tp in tps if tp not in chosen]
        start = self.config.start
        if rest and start.kind == "timestamp":
            assert start.timestamp_ms is not None
            found = self._consumer.offsets_for_times(
                [TopicPartition(t, p, start.timestamp_ms) for t, p in rest], timeout
            )
            for tp in found:
                if tp.offset >= 0:
                    chosen[(tp.topic, tp.partition)] = tp.offset
            rest = [tp for tp in tps if tp not in chosen]
        for t, p in rest:
            low, high = self._consumer.get_watermark_offsets(TopicPartition(t, p), timeout)
            chosen[(t, p)] = low if start.kind == "earliest" else high
        return chosen

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._rebalanced = True
        tps = _tps(partitions)
        if not tps:
            return
        self.rebalances += 1
        starts = self._resolve(tps)
        consumer.incremental_assign([TopicPartition(t, p, starts[(t, p)]) for t, p in tps])
        self.assigned.update(tps)
        for tp in tps:
            self.positions[tp] = starts[tp]
        _LOG.info(
            "rebalance: gained %s (starting at %s); holding %d partition(s)",
            describe_partitions(tps),
            ", ".join(f"{t}[{p}]@{starts[(t, p)]}" for t, p in tps),
            len(self.assigned),
        )

    def _revoked(self, partitions: list[TopicPartition], lost: bool) -> None:
        self._rebalanced = True
        tps = _tps(partitions)
        if not tps:
            return
        self.rebalances += 1
        self._before_revoke(tps, lost)
        self.assigned.difference_update(tps)
        _LOG.info(
            "rebalance: %s %s; holding %d partition(s)",
            "lost (the group moved on without this member)" if lost else "gave up",
            describe_partitions(tps),
            len(self.assigned),
        )

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._revoked(partitions, lost=False)

    def _on_lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._revoked(partitions, lost=True)

    # -- reading ------------------------------------------------------------------

    def poll(self, timeout: float, max_messages: int = 10000) -> list[Any]:
        """The next messages (possibly none) of the partitions this member holds."""
        self._rebalanced = False
        try:
            messages = self._consumer.consume(num_messages=max_messages, timeout=timeout)
        except KafkaException as e:
            raise self._failure(e.args[0] if e.args else None) from e
        kept = [m for m in messages if m.error() is None]
        if len(kept) != len(messages):
            for m in messages:
                err = m.error()
                if err is not None and err.fatal():
                    raise self._failure(err)
        if self._rebalanced and kept:
            # Messages fetched before a revoke in the same call: the next owner reads them.
            held = self.assigned
            kept = [m for m in kept if (m.topic(), m.partition()) in held]
        self._watch_broker(bool(messages))
        return kept

    def _failure(self, err: Any) -> CouldNotRun:
        text = err.str() if isinstance(err, KafkaError) else str(err)
        return CouldNotRun(
            f"the Kafka client failed at {self.config.client.bootstrap}: "
            + redact(text, self.config.client.settings)
        )

    def update_positions(self) -> None:
        """Read how far each held partition has been returned by :meth:`poll`."""
        if not self.assigned:
            return
        for tp in self._consumer.position([TopicPartition(t, p) for t, p in self.assigned]):
            if tp.offset >= 0:
                self.positions[(tp.topic, tp.partition)] = tp.offset

    def lag(self) -> dict[TP, int]:
        """Messages behind the high watermark, per held partition (from the last fetch)."""
        out: dict[TP, int] = {}
        for t, p in sorted(self.assigned):
            try:
                _, high = self._consumer.get_watermark_offsets(
                    TopicPartition(t, p), timeout=0.1, cached=True
                )
            except KafkaException:
                continue
            if high >= 0 and (t, p) in self.positions:
                out[(t, p)] = max(0, high - self.positions[(t, p)])
        return out

    def commit(self) -> None:
        """Commit the positions of held partitions (``--commit`` only)."""
        if not self.config.commit or not self.assigned:
            return
        offsets = [
            TopicPartition(t, p, self.positions[(t, p)])
            for t, p in sorted(self.assigned)
            if (t, p) in self.positions
        ]
        try:
            self._consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as e:
            _LOG.warning("could not commit offsets: %s", e.args[0].str() if e.args else e)

    # -- the broker ---------------------------------------------------------------

    def _watch_broker(self, answered: bool) -> None:
        now = time.monotonic()
        new = self._errors.errors[self._errors_seen :]
        self._errors_seen = len(self._errors.errors)
        down = [e for e in new if e.code() in _DOWN_CODES]
        if answered and self.outage is not None:
            self._recovered(now)
        if down:
            # The most specific word on why: a connection error ("Connection refused")
            # over librdkafka's summary ("1/1 brokers are down"), and the latest one, so
            # an outage first seen as "brokers are down" is reported with its cause once
            # a reconnect is refused.
            specific = [e for e in down if e.code() != KafkaError._ALL_BROKERS_DOWN]
            latest = (specific or down)[-1]
            reason = redact(_tidy(str(latest.str())), self.config.client.settings)
            if self.outage is None:
                self.outage = Outage(since=now, reason=reason, next_report=now)
            elif specific or "brokers are down" in self.outage.reason:
                self.outage.reason = reason
        if self.outage is None:
            return
        if now >= self.outage.next_report:
            if self._broker_answers():
                self._recovered(now)
                return
            _LOG.warning(
                "no Kafka broker answering at %s for %.0fs (%s); retrying",
                self.config.client.bootstrap,
                now - self.outage.since,
                self.outage.reason,
            )
            self.outage.next_report = now + self.outage.backoff
            self.outage.backoff = min(MAX_BACKOFF_SECONDS, self.outage.backoff * 2)

    def _broker_answers(self) -> bool:
        try:
            self._consumer.list_topics(self.config.topics[0], timeout=1.0)
        except KafkaException:
            return False
        return True

    def _recovered(self, now: float) -> None:
        assert self.outage is not None
        _LOG.warning(
            "Kafka broker at %s answering again after %.0fs",
            self.config.client.bootstrap,
            now - self.outage.since,
        )
        self.outage = None

    def close(self) -> None:
        """Leave the group: the revoke callback runs for every held partition first."""
        self._consumer.close()
        _LOG.info("left consumer group %s", self.config.group)
