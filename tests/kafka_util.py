"""Small helpers for tests that put data on the real broker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from inferrer.kafka.config import ClientConfig, build_client_config


def admin(bootstrap: str) -> AdminClient:
    return AdminClient({"bootstrap.servers": bootstrap})


def create_topics(
    bootstrap: str,
    names: Iterable[str],
    partitions: int = 1,
    config: Mapping[str, str] | None = None,
) -> None:
    client = admin(bootstrap)
    new = [NewTopic(n, partitions, 1, config=dict(config or {})) for n in names]
    for future in client.create_topics(new).values():
        future.result(30)
    # Wait until the leaders are known, so producing and sampling start cleanly.
    deadline = time.monotonic() + 30
    wanted = {t.topic for t in new}
    while time.monotonic() < deadline:
        md = client.list_topics(timeout=10)
        ready = {
            n
            for n in wanted
            if n in md.topics
            and md.topics[n].error is None
            and all(p.leader >= 0 for p in md.topics[n].partitions.values())
        }
        if ready == wanted:
            return
        time.sleep(0.1)
    raise AssertionError(f"topics not ready: {sorted(wanted)}")


FLUSH_SECONDS = 300
"""How long :func:`produce` waits for its messages to be delivered."""


def produce(
    bootstrap: str,
    topic: str,
    values: Sequence[bytes | None],
    *,
    partition: int | None = None,
    key: bytes | None = None,
    timestamps: Sequence[int] | None = None,
    headers: Sequence[tuple[str, bytes]] | None = None,
    settings: Mapping[str, object] | None = None,
) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, **(settings or {})})
    for i, value in enumerate(values):
        kwargs: dict[str, object] = {"value": value, "key": key}
        if partition is not None:
            kwargs["partition"] = partition
        if timestamps is not None:
            kwargs["timestamp"] = timestamps[i]
        if headers is not None:
            kwargs["headers"] = list(headers)
        producer.produce(topic, **kwargs)
        if i % 10000 == 9999:
            producer.poll(0)
    # A generous bound, not a speed check: 20,000 one-message batches (one produce request
    # each) took over a minute once on this 2-core machine under a stress run's load.
    left = producer.flush(FLUSH_SECONDS)
    assert left == 0, f"{left} of {len(values)} messages not delivered in {FLUSH_SECONDS}s"


def group_state(bootstrap: str) -> dict[str, dict[tuple[str, int], int]]:
    """Every consumer group and its committed offsets."""
    client = admin(bootstrap)
    groups = sorted(g.group_id for g in client.list_consumer_groups().result(30).valid)
    state: dict[str, dict[tuple[str, int], int]] = {}
    for gid in groups:
        res = client.list_consumer_group_offsets([ConsumerGroupTopicPartitions(gid)])[gid]
        state[gid] = {
            (tp.topic, tp.partition): tp.offset for tp in res.result(30).topic_partitions or ()
        }
    return state


def groups_on(
    state: Mapping[str, Mapping[tuple[str, int], int]], prefix: str
) -> dict[str, dict[tuple[str, int], int]]:
    """The groups of ``state`` with offsets on topics named ``prefix...``, and only those
    offsets: what one test may compare before and after on a broker other tests use at
    the same time."""
    mine: dict[str, dict[tuple[str, int], int]] = {}
    for gid, offsets in state.items():
        own = {tp: o for tp, o in offsets.items() if tp[0].startswith(prefix)}
        if own:
            mine[gid] = own
    return mine


def commit_group(bootstrap: str, group: str, topic: str, offsets: Mapping[int, int]) -> None:
    """Make ``group`` a real consumer group with committed offsets on ``topic``."""
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False}
    )
    consumer.commit(
        offsets=[TopicPartition(topic, p, o) for p, o in offsets.items()], asynchronous=False
    )
    consumer.close()


def plain(bootstrap: str) -> ClientConfig:
    return build_client_config(bootstrap, environ={})


def run_cli(
    args: Sequence[str],
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``infer-asyncapi`` in a child process, capturing everything it writes."""
    full_env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "inferrer", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        check=False,
        cwd=cwd,
    )
