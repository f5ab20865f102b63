"""Watch snapshots in a compacted Kafka topic (``watch --snapshot-topic``).

The topic is the one thing ``watch`` creates on a cluster: one partition,
``cleanup.policy=compact``, created on first use when it does not exist. Each record
is one snapshot (:func:`inferrer.snapshots.encode_snapshot`) keyed by (group, member,
topic), so compaction keeps the newest snapshot of each. Reading assigns its partitions
and reads them to the end, read-only, as sampling does.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any, Final

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import NewTopic

from inferrer.errors import CaptureError, CouldNotRun
from inferrer.kafka.config import ClientConfig
from inferrer.kafka.metadata import client_settings, list_topic_names, open_admin
from inferrer.kafka.sampler import READ_ONLY_GROUP_ID

_LOG = logging.getLogger("inferrer.kafka.snapshot_topic")

SNAPSHOT_TOPIC_CONFIG: Final = {
    "cleanup.policy": "compact",
    # Snapshots of a big estate are large: allow records up to 16 MiB.
    "max.message.bytes": str(16 << 20),
}
_MAX_REQUEST = str(16 << 20)


class CompactedTopic:
    """Write and read keyed records in one compacted topic (the bytes of snapshots:
    :class:`inferrer.snapshots.TopicStore` encodes and decodes them)."""

    def __init__(self, client: ClientConfig, topic: str, *, timeout: float = 10.0) -> None:
        self.client = client
        self.topic = topic
        self.timeout = timeout
        self._producer: Producer | None = None
        self._failed: list[str] = []

    def ensure_topic(self) -> bool:
        """Create the topic (compacted, one partition) unless it exists; True if created."""
        settings = self.client.settings
        admin, errors = open_admin(settings)
        if self.topic in list_topic_names(admin, settings, errors, self.timeout):
            return False
        futures = admin.create_topics(
            [NewTopic(self.topic, 1, -1, config=dict(SNAPSHOT_TOPIC_CONFIG))],
            request_timeout=self.timeout,
        )
        try:
            futures[self.topic].result(self.timeout)
        except KafkaException as e:
            err = e.args[0] if e.args else None
            if isinstance(err, KafkaError) and err.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                return False  # another member created it first
            reason = err.str() if isinstance(err, KafkaError) else str(e)
            raise CouldNotRun(f"cannot create the snapshot topic {self.topic}: {reason}") from e
        _LOG.info("created the snapshot topic %s (cleanup.policy=compact)", self.topic)
        return True

    def _producer_of(self) -> Producer:
        if self._producer is None:
            conf: dict[str, Any] = client_settings(self.client.settings)
            conf.update(
                {
                    "client.id": "inferrer-watch-snapshots",
                    "linger.ms": 0,
                    "acks": "all",
                    "message.max.bytes": _MAX_REQUEST,
                    "compression.type": "zstd",
                    "on_delivery": self._delivered,
                }
            )
            self._producer = Producer(conf)
        return self._producer

    def _delivered(self, err: KafkaError | None, msg: Any) -> None:
        if err is not None:
            self._failed.append(str(err.str()))

    def write(self, records: Iterable[tuple[bytes, bytes]], timeout: float | None = None) -> int:
        """Produce (key, value) records and wait until the broker has them all; returns
        the bytes of their values.

        Raises CouldNotRun when they are not all acknowledged in time (the caller
        retries at the next interval: a snapshot replaces the one before)."""
        producer = self._producer_of()
        written = 0
        for key, value in records:
            while True:
                try:
                    producer.produce(self.topic, key=key, value=value)
                    break
                except BufferError:
                    producer.poll(0.1)
            written += len(value)
        left = producer.flush(self.timeout if timeout is None else timeout)
        failed, self._failed = self._failed, []
        if left or failed:
            reason = failed[0] if failed else f"{left} not acknowledged in time"
            raise CouldNotRun(f"snapshots not written to {self.topic}: {reason}")
        return written

    def read(self) -> list[tuple[str, bytes]]:
        """Every record value in the topic, oldest first, with where it is
        (``TOPIC[PARTITION]@OFFSET``); tombstones are left out."""
        settings = dict(self.client.settings)
        settings.setdefault("group.id", READ_ONLY_GROUP_ID)
        settings["enable.auto.commit"] = "false"
        settings["enable.auto.offset.store"] = "false"
        settings["fetch.message.max.bytes"] = _MAX_REQUEST
        admin, errors = open_admin(settings)
        listing = list_topic_names(admin, settings, errors, self.timeout)
        if self.topic not in listing:
            raise CaptureError(f"no snapshot topic {self.topic} on {self.client.bootstrap}")
        consumer = Consumer(client_settings(settings))
        out: list[tuple[str, bytes]] = []
        try:
            parts = sorted(listing[self.topic].partitions)
            ends: dict[int, int] = {}
            for p in parts:
                low, high = consumer.get_watermark_offsets(
                    TopicPartition(self.topic, p), timeout=self.timeout
                )
                if high > low:
                    ends[p] = high
            consumer.assign([TopicPartition(self.topic, p, 0) for p in ends])
            at: dict[int, int] = {}
            deadline = time.monotonic() + max(self.timeout, 30.0)
            while any(at.get(p, -1) + 1 < end for p, end in ends.items()):
                if time.monotonic() > deadline:
                    raise CouldNotRun(f"reading the snapshot topic {self.topic} timed out")
                for msg in consumer.consume(1000, timeout=0.5):
                    if msg.error() is not None:
                        continue
                    p, offset = msg.partition(), msg.offset()
                    if p is None or offset is None:
                        continue
                    at[p] = offset
                    value = msg.value()
                    if value is None:
                        continue  # a tombstone: that snapshot was deleted
                    out.append((f"{self.topic}[{p}]@{offset}", value))
        finally:
            consumer.close()
        return out

    def close(self) -> None:
        if self._producer is not None:
            self._producer.flush(self.timeout)
            self._producer = None
