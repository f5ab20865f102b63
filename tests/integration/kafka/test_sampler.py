"""The sampler against the real broker: positions, quotas, tombstones, deletion,
timeouts, authorization, and the read-only promise."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import replace

import pytest
from confluent_kafka import Consumer
from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    ResourcePatternType,
    ResourceType,
)

from inferrer.errors import BrokerUnreachable, NoTopicsMatched
from inferrer.kafka.config import build_client_config
from inferrer.kafka.sampler import (
    SampleConfig,
    SampleProgress,
    SkippedTopic,
    StartPosition,
    open_stream,
    parse_start,
    sample_topics,
)
from tests.conftest import KafkaCluster
from tests.kafka_util import (
    admin,
    commit_group,
    create_topics,
    group_state,
    groups_on,
    plain,
    produce,
)

pytestmark = pytest.mark.kafka


def _values(records: tuple[object, ...]) -> list[bytes | None]:
    return [r.value for r in records]  # type: ignore[attr-defined]


def test_latest_reads_the_newest_n_spread_across_partitions(
    kafka: KafkaCluster, topic_name: str
) -> None:
    create_topics(kafka.bootstrap, [topic_name], partitions=3)
    for p in range(3):
        produce(
            kafka.bootstrap,
            topic_name,
            [f"p{p}-{i}".encode() for i in range(100)],
            partition=p,
            key=b"k",
            headers=[("source", b"test")],
        )
    seen: list[SampleProgress] = []
    config = SampleConfig(client=plain(kafka.bootstrap), topics=(topic_name,), max_messages=30)
    result = sample_topics(config, progress=seen.append)

    records = result.records[topic_name]
    assert [(r.partition, r.offset) for r in records] == [
        (p, o) for p in range(3) for o in range(90, 100)
    ]
    assert records[0].value == b"p0-90" and records[-1].value == b"p2-99"
    assert records[0].key == b"k"
    assert records[0].headers == (("source", b"test"),)
    assert all(r.timestamp is not None and r.timestamp > 1_600_000_000_000 for r in records)
    assert result.warnings == () and result.skipped == ()
    md = result.metadata[topic_name]
    assert md.partitions == 3 and md.replication_factor == 1
    assert dict(md.watermarks) == {0: (0, 100), 1: (0, 100), 2: (0, 100)}
    assert md.approximate_messages == 300
    assert seen[-1] == SampleProgress(received=30, expected=30, topics_done=1, topics=1)


def test_earliest_and_max_messages(kafka: KafkaCluster, topic_name: str) -> None:
    create_topics(kafka.bootstrap, [topic_name], partitions=2)
    produce(kafka.bootstrap, topic_name, [b"a%d" % i for i in range(50)], partition=0)
    produce(kafka.bootstrap, topic_name, [b"b%d" % i for i in range(5)], partition=1)
    config = SampleConfig(
        client=plain(kafka.bootstrap),
        topics=(topic_name,),
        max_messages=20,
        start=StartPosition("earliest"),
    )
    records = sample_topics(config).records[topic_name]
    # Partition 1 holds only 5: partition 0 gives the rest of the 20.
    assert [(r.partition, r.offset) for r in records] == [(0, o) for o in range(15)] + [
        (1, o) for o in range(5)
    ]


def test_from_a_timestamp_and_a_duration(kafka: KafkaCluster, topic_name: str) -> None:
    create_topics(kafka.bootstrap, [topic_name])
    base = 1_714_564_800_000  # 2024-05-01T12:00:00Z
    produce(
        kafka.bootstrap,
        topic_name,
        [b"old%d" % i for i in range(10)],
        timestamps=[base + i * 1000 for i in range(10)],
    )
    now = int(time.time() * 1000)
    produce(kafka.bootstrap, topic_name, [b"new0", b"new1"], timestamps=[now - 60_000, now])
    client = plain(kafka.bootstrap)
    at = SampleConfig(
        client=client, topics=(topic_name,), start=parse_start("2024-05-01T12:00:07Z")
    )
    assert _values(sample_topics(at).records[topic_name]) == [
        b"old7",
        b"old8",
        b"old9",
        b"new0",
        b"new1",
    ]
    recent = replace(at, start=parse_start("1h"))
    assert _values(sample_topics(recent).records[topic_name]) == [b"new0", b"new1"]
    future = replace(at, start=parse_start("2999-01-01T00:00:00Z"))
    assert sample_topics(future).records[topic_name] == ()


def test_follow_waits_for_new_traffic(kafka: KafkaCluster, topic_name: str) -> None:
    create_topics(kafka.bootstrap, [topic_name], partitions=2)
    produce(kafka.bootstrap, topic_name, [b"before"], partition=0)

    def later() -> None:
        time.sleep(1.5)
        produce(kafka.bootstrap, topic_name, [b"after0"], partition=0)
        produce(kafka.bootstrap, topic_name, [b"after1"], partition=1)

    writer = threading.Thread(target=later)
    config = SampleConfig(client=plain(kafka.bootstrap), topics=(topic_name,), follow=4.0)
    began = time.monotonic()
    writer.start()
    result = sample_topics(config)
    writer.join()
    assert sorted(_values(result.records[topic_name])) == [b"after0", b"after1", b"before"]
    assert time.monotonic() - began >= 4.0

    # Following ends early once max_messages have arrived.
    capped = replace(config, max_messages=1, follow=30.0)
    began = time.monotonic()
    assert len(sample_topics(capped).records[topic_name]) == 1
    assert time.monotonic() - began < 20


def test_compacted_topic_with_tombstones(kafka: KafkaCluster, topic_name: str) -> None:
    create_topics(
        kafka.bootstrap, [topic_name], config={"cleanup.policy": "compact", "retention.ms": "1000"}
    )
    produce(kafka.bootstrap, topic_name, [b'{"v":1}', None, b"", None], key=b"account-1")
    result = sample_topics(SampleConfig(client=plain(kafka.bootstrap), topics=(topic_name,)))
    assert _values(result.records[topic_name]) == [b'{"v":1}', None, b"", None]
    md = result.metadata[topic_name]
    assert md.configs["cleanup.policy"] == "compact"
    assert md.configs["retention.ms"] == "1000"
    assert md.non_default_configs == ("cleanup.policy", "retention.ms")
    assert set(md.configs) == {
        "cleanup.policy",
        "delete.retention.ms",
        "max.message.bytes",
        "retention.bytes",
        "retention.ms",
    }


def test_empty_topics_and_partitions(kafka: KafkaCluster, topic_name: str) -> None:
    empty = topic_name + ".empty"
    sparse = topic_name + ".sparse"
    create_topics(kafka.bootstrap, [empty, sparse], partitions=3)
    produce(kafka.bootstrap, sparse, [b"only"], partition=1)
    config = SampleConfig(client=plain(kafka.bootstrap), topics=(topic_name + ".*",), timeout=5)
    began = time.monotonic()
    result = sample_topics(config)
    assert time.monotonic() - began < 5
    # Say why, should the empty topic be missing (seen once under a loaded parallel run).
    assert empty in result.records, (result.topics, result.skipped, result.warnings)
    assert result.records[empty] == ()
    assert [(r.partition, r.value) for r in result.records[sparse]] == [(1, b"only")]
    assert result.metadata[empty].approximate_messages == 0
    # The empty topic is warned about with its cause; the sparse one read what it had.
    assert result.warnings == (
        f"{empty}: no message in the window: the topic has never had a message (no traffic at all)",
    )


def test_many_topics_are_read_together(kafka: KafkaCluster, topic_name: str) -> None:
    names = [f"{topic_name}.{i:02d}" for i in range(12)]
    create_topics(kafka.bootstrap, names, partitions=2)
    for name in names:
        produce(kafka.bootstrap, name, [name.encode()] * 40)
    result = sample_topics(
        SampleConfig(client=plain(kafka.bootstrap), topics=(topic_name + ".*",), max_messages=25)
    )
    assert result.topics == tuple(names)
    assert {t: len(r) for t, r in result.records.items()} == {n: 25 for n in names}
    assert all(r.value == r.topic.encode() for r in result.all_records())


def test_streaming_yields_records_and_counts(kafka: KafkaCluster, topic_name: str) -> None:
    create_topics(kafka.bootstrap, [topic_name])
    produce(kafka.bootstrap, topic_name, [b"x"] * 10)
    stream = open_stream(SampleConfig(client=plain(kafka.bootstrap), topics=(topic_name,)))
    assert stream.selection.topics == (topic_name,)
    assert sum(1 for _ in stream) == 10
    assert stream.received == {topic_name: 10}


def test_per_topic_timeout_keeps_what_was_read(kafka: KafkaCluster, topic_name: str) -> None:
    create_topics(kafka.bootstrap, [topic_name])
    # One message per record batch, one batch per fetch: 20000 messages cannot
    # arrive within a second.
    produce(kafka.bootstrap, topic_name, [b"x" * 100] * 20000, settings={"batch.size": 1})
    client = build_client_config(
        kafka.bootstrap,
        overrides=["fetch.max.bytes=1000", "message.max.bytes=1000", "max.partition.fetch.bytes=1"],
        environ={},
    )
    config = SampleConfig(
        client=client,
        topics=(topic_name,),
        max_messages=20000,
        start=StartPosition("earliest"),
        timeout=1.0,
    )
    began = time.monotonic()
    result = sample_topics(config)
    assert time.monotonic() - began < 8
    got = len(result.records[topic_name])
    assert 0 < got < 20000
    assert result.warnings == (f"{topic_name}: timed out after 1s with {got} of 20000 messages",)


def test_follow_still_reads_the_existing_backlog(kafka: KafkaCluster, topic_name: str) -> None:
    create_topics(kafka.bootstrap, [topic_name])
    produce(kafka.bootstrap, topic_name, [b"x" * 100] * 1500, settings={"batch.size": 1})
    slow = build_client_config(
        kafka.bootstrap,
        overrides=["fetch.max.bytes=1000", "message.max.bytes=1000", "max.partition.fetch.bytes=1"],
        environ={},
    )
    config = SampleConfig(
        client=slow,
        topics=(topic_name,),
        max_messages=1500,
        start=StartPosition("earliest"),
        follow=0.2,
        timeout=60.0,
    )
    result = sample_topics(config)
    assert len(result.records[topic_name]) == 1500
    assert result.warnings == ()


def test_topic_deleted_mid_run(kafka: KafkaCluster, topic_name: str) -> None:
    doomed, kept = topic_name + ".doomed", topic_name + ".kept"
    create_topics(kafka.bootstrap, [doomed, kept], partitions=2)
    produce(kafka.bootstrap, doomed, [b"d"] * 20)
    produce(kafka.bootstrap, kept, [b"k"] * 20)

    def delete_soon() -> None:
        time.sleep(1.5)
        client = admin(kafka.bootstrap)
        client.delete_topics([doomed])[doomed].result(30)

    deleter = threading.Thread(target=delete_soon)
    deleter.start()
    config = SampleConfig(
        client=plain(kafka.bootstrap), topics=(topic_name + ".*",), follow=6.0, timeout=5.0
    )
    result = sample_topics(config)
    deleter.join()
    assert len(result.records[kept]) == 20
    assert len(result.records[doomed]) == 20
    assert result.warnings == (f"{doomed}: deleted while sampling; kept 20 messages read before",)


def test_unreachable_broker_fails_fast(kafka: KafkaCluster) -> None:
    from tools.devkafka import free_port

    port = free_port()
    config = SampleConfig(client=plain(f"127.0.0.1:{port}"), topics=("x",), timeout=2.0)
    began = time.monotonic()
    with pytest.raises(BrokerUnreachable) as info:
        sample_topics(config)
    assert time.monotonic() - began < 6
    assert str(info.value) == (
        f"no Kafka broker answered at 127.0.0.1:{port} within 2s "
        f"(Connect to ipv4#127.0.0.1:{port} failed: Connection refused)"
    )
    assert info.value.exit_code == 3


def test_no_match(kafka: KafkaCluster, topic_name: str) -> None:
    config = SampleConfig(client=plain(kafka.bootstrap), topics=(topic_name + ".*",))
    with pytest.raises(NoTopicsMatched) as info:
        sample_topics(config)
    assert str(info.value) == (
        f"no topic matches --topics '{topic_name}.*' "
        "(internal topics are left out without --include-internal)"
    )
    literal = SampleConfig(client=plain(kafka.bootstrap), topics=(topic_name,), exclude=("x",))
    with pytest.raises(NoTopicsMatched) as info:
        sample_topics(literal)
    assert str(info.value) == (
        f"no topic matches --topics '{topic_name}' --exclude 'x' "
        "(internal topics are left out without --include-internal)"
    )
    assert topic_name not in admin(kafka.bootstrap).list_topics(timeout=10).topics


def test_exclude_and_internal_topics(kafka: KafkaCluster, topic_name: str) -> None:
    a, b = topic_name + ".a", topic_name + ".b"
    create_topics(kafka.bootstrap, [a, b])
    commit_group(kafka.bootstrap, f"g-{topic_name}", a, {0: 0})  # creates __consumer_offsets
    client = plain(kafka.bootstrap)
    chosen = sample_topics(SampleConfig(client=client, topics=(topic_name + ".*",), exclude=(b,)))
    assert chosen.topics == (a,)
    with pytest.raises(NoTopicsMatched):
        sample_topics(SampleConfig(client=client, topics=("__*",), max_messages=1))
    internal = sample_topics(
        SampleConfig(client=client, topics=("__*",), include_internal=True, max_messages=1)
    )
    assert "__consumer_offsets" in internal.topics


def test_read_only_no_group_created_no_offset_moved(kafka: KafkaCluster, topic_name: str) -> None:
    create_topics(kafka.bootstrap, [topic_name], partitions=2)
    produce(kafka.bootstrap, topic_name, [b"x"] * 40)
    committed_group = f"billing-{uuid.uuid4().hex[:6]}"
    commit_group(kafka.bootstrap, committed_group, topic_name, {0: 3, 1: 5})
    live_group = f"live-{uuid.uuid4().hex[:6]}"
    member = Consumer(
        {
            "bootstrap.servers": kafka.bootstrap,
            "group.id": live_group,
            "enable.auto.commit": False,
        }
    )
    member.subscribe([topic_name])
    deadline = time.monotonic() + 30
    while not member.assignment() and time.monotonic() < deadline:
        member.poll(0.2)
    assert member.assignment()
    try:
        before = group_state(kafka.bootstrap)
        # Even -X asking for commits under a named group changes nothing.
        sneaky = build_client_config(
            kafka.bootstrap,
            overrides=["enable.auto.commit=true", "group.id=sneaky", "auto.commit.interval.ms=10"],
            environ={},
        )
        for start, client in (
            ("latest", plain(kafka.bootstrap)),
            ("earliest", sneaky),
            ("1h", sneaky),
        ):
            config = SampleConfig(
                client=client,
                topics=(topic_name,),
                start=parse_start(start),
                follow=0.5,
            )
            result = sample_topics(config)
            assert len(result.records[topic_name]) == 40
        after = group_state(kafka.bootstrap)
        # Other tests' groups come and go on the shared broker: compare this topic's.
        assert groups_on(after, topic_name) == groups_on(before, topic_name)
        assert "inferrer-read-only" not in after and "sneaky" not in after
        assert live_group in after
        assert before[committed_group] == {(topic_name, 0): 3, (topic_name, 1): 5}
        assert result.metadata[topic_name].consumer_groups == tuple(
            sorted([committed_group, live_group])
        )
    finally:
        member.close()


def _acl(topic: str, operation: AclOperation, permission: AclPermissionType) -> AclBinding:
    return AclBinding(
        ResourceType.TOPIC,
        topic,
        ResourcePatternType.LITERAL,
        "User:alice",
        "*",
        operation,
        permission,
    )


def test_user_denied_one_topic_others_sampled(kafka: KafkaCluster, topic_name: str) -> None:
    ok, unreadable, hidden = (topic_name + s for s in (".ok", ".unreadable", ".hidden"))
    create_topics(kafka.bootstrap, [ok, unreadable, hidden])
    for t in (ok, unreadable, hidden):
        produce(kafka.bootstrap, t, [b"v"] * 3)
    acls = [
        # Alice may see `unreadable` but not read it ...
        _acl(unreadable, AclOperation.READ, AclPermissionType.DENY),
        _acl(unreadable, AclOperation.DESCRIBE, AclPermissionType.ALLOW),
        # ... and may not even see `hidden`.
        _acl(hidden, AclOperation.ALL, AclPermissionType.DENY),
    ]
    client = admin(kafka.bootstrap)
    for future in client.create_acls(acls).values():
        future.result(30)
    alice = build_client_config(None, overrides=list(_kv(kafka.sasl_config("alice"))), environ={})
    config = SampleConfig(client=alice, topics=(topic_name + ".*", hidden), timeout=10)
    deadline = time.monotonic() + 20
    while True:  # ACLs reach the authorizer asynchronously
        result = sample_topics(config)
        if len(result.skipped) == 2 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert result.topics == (ok,)
    assert len(result.records[ok]) == 3
    assert result.skipped == (
        SkippedTopic(hidden, "not authorized to describe the topic"),
        SkippedTopic(unreadable, "not authorized to read the topic"),
    )
    assert result.warnings == (
        f"skipped topic {hidden}: not authorized to describe the topic",
        f"skipped topic {unreadable}: not authorized to read the topic",
    )


def _kv(settings: dict[str, str]) -> list[str]:
    return [f"{k}={v}" for k, v in settings.items()]
