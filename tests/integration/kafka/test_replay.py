"""Replay against the real broker: topics as captured, every record where it was."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaError, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource
from confluent_kafka.cimpl import NewTopic

from inferrer.capture import read_capture, read_capture_topics, write_capture
from inferrer.errors import CouldNotRun
from inferrer.kafka.replay import TopicReplay, replay_capture
from inferrer.model import TopicMetadata
from inferrer.records import Record
from tests.bank_helpers import V1
from tests.conftest import KafkaCluster
from tools import devkafka

BASE_TS = 1_772_438_400_000  # 2026-03-02T08:00:00Z


def _prefix() -> str:
    return f"test.{uuid.uuid4().hex[:10]}."


def consume_all(bootstrap: str, topic: str, partitions: int, expected: int) -> list[Record]:
    """Everything on the topic, read with assign() from offset 0, in partition order."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "never-joined",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
        }
    )
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    got: list[Record] = []
    eof: set[int] = set()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (len(got) < expected or len(eof) < partitions):
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        err = msg.error()
        if err is not None:
            assert err.code() == KafkaError._PARTITION_EOF, err
            eof.add(msg.partition())
            continue
        eof.discard(msg.partition())
        got.append(
            Record(
                topic=msg.topic(),
                partition=msg.partition(),
                offset=msg.offset(),
                timestamp=msg.timestamp()[1],
                key=msg.key(),
                value=msg.value(),
                headers=tuple(msg.headers() or ()),
            )
        )
    consumer.close()
    return sorted(got, key=lambda r: (r.partition, r.offset))


def _strip_offset(records: list[Record], topic: str) -> list[tuple[object, ...]]:
    return [
        (topic, r.partition, r.timestamp, r.key, r.value, r.headers)
        for r in sorted(records, key=lambda r: (r.partition, r.offset))
    ]


def _config_of(bootstrap: str, topic: str, name: str) -> str:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    configs = admin.describe_configs([resource])[resource].result(30)
    return str(configs[name].value)


CAPTURED = [
    Record("bank.profile", 0, 100, BASE_TS, b"cus-1", b'{"n":1}', (("traceparent", b"00-a-b-01"),)),
    Record("bank.profile", 2, 7, BASE_TS + 5, b"cus-2", None, ()),  # tombstone
    Record("bank.profile", 2, 8, BASE_TS + 6, b"cus-3", b"", (("bin", b"\xff\x00"), ("n", None))),
    Record("bank.profile", 0, 101, BASE_TS + 9, b"cus-4", b"\x00\x00\x01\x86\xb1{}", ()),
    # A compacted topic rejects null keys; the plain one takes them.
    Record("bank.audit", 0, 3, BASE_TS + 1, None, b"2026-03-02 INFO login ok", ()),
]
SIDECAR = [
    TopicMetadata("bank.profile", 3, 1, {"cleanup.policy": "compact"}),
    TopicMetadata("bank.audit", 1, 1, {"retention.ms": "-1"}),
]


@pytest.mark.kafka
def test_replay_recreates_topics_and_lands_every_record_as_captured(
    kafka: KafkaCluster, tmp_path: Path
) -> None:
    path = tmp_path / "bank.jsonl"
    write_capture(CAPTURED, path, topics=SIDECAR)
    prefix = _prefix()
    report = replay_capture(path, {"bootstrap.servers": kafka.bootstrap}, topic_prefix=prefix)

    assert report.topics == (
        TopicReplay(prefix + "bank.audit", 1, True, {"retention.ms": "-1"}, 1, 0),
        TopicReplay(prefix + "bank.profile", 3, True, {"cleanup.policy": "compact"}, 4, 0),
    )
    assert (report.produced, report.failed, report.bad_lines) == (5, 0, 0)
    md = AdminClient({"bootstrap.servers": kafka.bootstrap}).list_topics(timeout=30)
    assert len(md.topics[prefix + "bank.profile"].partitions) == 3
    assert _config_of(kafka.bootstrap, prefix + "bank.profile", "cleanup.policy") == "compact"
    assert _config_of(kafka.bootstrap, prefix + "bank.audit", "retention.ms") == "-1"

    profile = consume_all(kafka.bootstrap, prefix + "bank.profile", 3, 4)
    assert _strip_offset(profile, "p") == _strip_offset(CAPTURED[:4], "p")
    audit = consume_all(kafka.bootstrap, prefix + "bank.audit", 1, 1)
    assert _strip_offset(audit, "a") == _strip_offset(CAPTURED[4:], "a")


@pytest.mark.kafka
def test_kcat_capture_without_sidecar_gets_max_partition_plus_one_and_defaults(
    kafka: KafkaCluster, tmp_path: Path
) -> None:
    path = tmp_path / "kcat.jsonl"
    path.write_bytes(
        b'{"topic":"orders","partition":4,"offset":9,"tstype":"create","ts":1772438400000,'
        b'"broker":1,"headers":["h","v"],"key":"o-1","payload":"{\\"a\\":1}"}\n'
        b'{"topic":"orders","partition":1,"offset":2,"broker":1,"key":null,"payload":"x"}\n'
        b"garbage line\n"
    )
    prefix = _prefix()
    report = replay_capture([path], {"bootstrap.servers": kafka.bootstrap}, topic_prefix=prefix)
    assert report.topics == (TopicReplay(prefix + "orders", 5, True, {}, 2, 0),)
    assert report.bad_lines == 1
    assert str(report.bad_line_details[0]) == (f"{path}:3: not JSON (Expecting value at column 1)")
    assert _config_of(kafka.bootstrap, prefix + "orders", "cleanup.policy") == "delete"
    got = consume_all(kafka.bootstrap, prefix + "orders", 5, 2)
    assert [(r.partition, r.key, r.value, r.headers) for r in got] == [
        (1, None, b"x", ()),
        (4, b"o-1", b'{"a":1}', (("h", b"v"),)),
    ]
    assert got[1].timestamp == 1772438400000


@pytest.mark.kafka
def test_existing_topics_are_reused_and_too_small_ones_refused(
    kafka: KafkaCluster, tmp_path: Path
) -> None:
    prefix = _prefix()
    admin = AdminClient({"bootstrap.servers": kafka.bootstrap})
    futures = admin.create_topics(
        [NewTopic(prefix + "bank.profile", 4, 1), NewTopic(prefix + "bank.audit", 1, 1)]
    )
    for f in futures.values():
        f.result(30)
    report = replay_capture(CAPTURED, {"bootstrap.servers": kafka.bootstrap}, topic_prefix=prefix)
    assert [(t.topic, t.partitions, t.created, t.produced) for t in report.topics] == [
        (prefix + "bank.audit", 1, False, 1),
        (prefix + "bank.profile", 4, False, 4),
    ]
    # The existing topic keeps its own config: replay does not alter it.
    assert _config_of(kafka.bootstrap, prefix + "bank.profile", "cleanup.policy") == "delete"

    small = _prefix()
    admin.create_topics([NewTopic(small + "bank.profile", 2, 1)])[small + "bank.profile"].result(30)
    with pytest.raises(CouldNotRun) as e:
        replay_capture(
            CAPTURED,
            {"bootstrap.servers": kafka.bootstrap},
            topic_prefix=small,
            topics={t.name: t for t in SIDECAR},
        )
    assert (
        str(e.value) == f"topic {small}bank.profile exists with 2 partitions; the capture needs 3"
    )


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inferrer", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.kafka
def test_replay_cli_reports_per_topic_and_exits_0(kafka: KafkaCluster, tmp_path: Path) -> None:
    path = tmp_path / "bank.jsonl"
    write_capture(CAPTURED, path, topics=SIDECAR)
    prefix = _prefix()
    proc = _cli("replay", str(path), "-b", kafka.bootstrap, "--topic-prefix", prefix)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (
        f"{prefix}bank.audit: 1 produced to 1 partitions (created)\n"
        f"{prefix}bank.profile: 4 produced to 3 partitions (created)\n"
        "5 records produced to 2 topics, 0 failed, 0 bad capture lines skipped\n"
    )
    assert proc.stderr == ""


def test_replay_cli_unreachable_broker_exits_3_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bank.jsonl"
    write_capture(CAPTURED, path, topics=SIDECAR)
    address = f"127.0.0.1:{devkafka.free_port()}"
    began = time.monotonic()
    proc = _cli("replay", str(path), "-b", address, "--timeout", "3")
    assert time.monotonic() - began < 30
    assert proc.returncode == 3
    assert proc.stderr == f"Error: no Kafka broker answered at {address} within 3s\n"
    assert proc.stdout == ""


def test_replay_cli_unreadable_file_exits_3_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "missing.jsonl"
    proc = _cli("replay", str(missing), "-b", "127.0.0.1:1")
    assert proc.returncode == 3
    assert proc.stderr == (
        f"Error: cannot read capture file {missing}: No such file or directory\n"
    )
    not_capture = tmp_path / "notes.txt"
    not_capture.write_text("hello\n")
    # Even with a sidecar, nothing is created before the file is known to be a capture.
    (tmp_path / "notes.topics.json").write_text(
        '{"format": "inferrer-capture-topics", "version": 1, '
        '"topics": {"t": {"partitions": 1, "configs": {}}}}'
    )
    proc = _cli("replay", str(not_capture), "-b", "127.0.0.1:1")
    assert proc.returncode == 3
    assert proc.stderr == (
        f"Error: {not_capture}:1: not a capture file (expected kcat -J JSON lines with "
        "topic, partition, offset): not JSON (Expecting value at column 1)\n"
    )


def test_replay_cli_bad_property_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "bank.jsonl"
    write_capture(CAPTURED, path)
    proc = _cli("replay", str(path), "-b", "127.0.0.1:1", "-X", "novalue")
    assert proc.returncode == 2
    assert proc.stderr == "Error: -X expects key=value, got 'novalue' without '='\n"


@pytest.mark.kafka
def test_replay_cli_undeliverable_records_are_reported_and_exit_3(
    kafka: KafkaCluster, tmp_path: Path
) -> None:
    path = tmp_path / "profile.jsonl"
    # A compacted topic refuses a record without a key.
    write_capture(
        [Record("bank.profile", 0, 0, BASE_TS, None, b"{}")],
        path,
        topics=[TopicMetadata("bank.profile", 1, 1, {"cleanup.policy": "compact"})],
    )
    prefix = _prefix()
    proc = _cli("replay", str(path), "-b", kafka.bootstrap, "--topic-prefix", prefix)
    assert proc.returncode == 3
    assert proc.stdout == (
        f"{prefix}bank.profile: 0 produced to 1 partitions (created), "
        "1 failed: Broker: Broker failed to validate record\n"
        "0 records produced to 1 topics, 1 failed, 0 bad capture lines skipped\n"
    )
    assert proc.stderr == "Error: 1 records could not be produced\n"


@pytest.mark.kafka
def test_bank_fixtures_replay_completely(kafka: KafkaCluster) -> None:
    files = list(V1)
    assert len(files) == 12
    expected: dict[str, list[Record]] = {}
    for f in files:
        for r in read_capture(f)[0]:
            expected.setdefault(r.topic, []).append(r)
    prefix = _prefix()
    began = time.monotonic()
    report = replay_capture(files, {"bootstrap.servers": kafka.bootstrap}, topic_prefix=prefix)
    seconds = time.monotonic() - began
    assert report.failed == 0
    assert report.produced == sum(len(rs) for rs in expected.values())
    assert {t.topic: t.produced for t in report.topics} == {
        prefix + name: len(rs) for name, rs in expected.items()
    }
    for name in expected:
        sidecar = read_capture_topics(next(f for f in files if f.name == f"{name}.jsonl"))
        t = next(t for t in report.topics if t.topic == prefix + name)
        assert (t.created, t.partitions, dict(t.configs)) == (
            True,
            sidecar[name].partitions,
            dict(sidecar[name].configs),
        )
    assert _config_of(kafka.bootstrap, prefix + "bank.customers.profile", "cleanup.policy") == (
        "compact"
    )
    partitions = {t.topic: t.partitions for t in report.topics}
    for name in ("bank.loans.applications", "bank.customers.profile"):
        got = consume_all(
            kafka.bootstrap, prefix + name, partitions[prefix + name], len(expected[name])
        )
        assert _strip_offset(got, name) == _strip_offset(expected[name], name)
    assert seconds < 60


@pytest.mark.kafka
def test_replay_with_a_wrong_password_says_so_without_the_password(
    kafka: KafkaCluster, tmp_path: Path
) -> None:
    path = tmp_path / "bank.jsonl"
    write_capture(CAPTURED, path, topics=SIDECAR)
    config = kafka.sasl_config("alice")
    args = ["replay", str(path), "-b", config["bootstrap.servers"], "--timeout", "5"]
    for name in ("security.protocol", "sasl.mechanism", "sasl.username"):
        args += ["-X", f"{name}={config[name]}"]
    proc = _cli(*args, "-X", "sasl.password=not-the-password")
    assert proc.returncode == 3
    assert proc.stderr == (
        f"Error: the broker at {config['bootstrap.servers']} refused authentication\n"
    )
    assert "not-the-password" not in proc.stdout + proc.stderr


@pytest.mark.kafka
def test_replay_speaks_the_shared_connection_vocabulary(
    kafka: KafkaCluster, tmp_path: Path
) -> None:
    path = tmp_path / "bank.jsonl"
    write_capture(CAPTURED, path, topics=SIDECAR)
    prefix = _prefix()
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap}
    args = ["replay", str(path), "--topic-prefix", prefix, "--timeout", "20s"]
    proc = subprocess.run(
        [sys.executable, "-m", "inferrer", *args, "-X", "client.id=replay-test"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "5 records produced to 2 topics" in proc.stdout
    bad = _cli("replay", str(path), "-b", kafka.bootstrap, "--timeout", "soon")
    assert (bad.returncode, bad.stderr) == (
        2,
        "Error: invalid duration 'soon': use for example 30s, 5m, 1h30m or 2d\n",
    )
