"""The launcher gives a real broker that creates topics, produces and consumes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from tests.conftest import KafkaCluster


def test_create_produce_consume_roundtrip(kafka: KafkaCluster, topic_name: str) -> None:
    admin = AdminClient({"bootstrap.servers": kafka.bootstrap})
    admin.create_topics([NewTopic(topic_name, 2, 1)])[topic_name].result(30)
    producer = Producer({"bootstrap.servers": kafka.bootstrap})
    for i in range(10):
        producer.produce(topic_name, key=f"k{i}".encode(), value=f"v{i}".encode(), partition=i % 2)
    assert producer.flush(30) == 0

    consumer = Consumer(
        {
            "bootstrap.servers": kafka.bootstrap,
            "group.id": "unused-test-group",
            "enable.auto.commit": False,
        }
    )
    from confluent_kafka import TopicPartition

    consumer.assign([TopicPartition(topic_name, p, 0) for p in (0, 1)])
    seen: set[bytes] = set()
    for _ in range(100):
        msg = consumer.poll(1.0)
        if msg is None:
            if len(seen) == 10:
                break
            continue
        assert msg.error() is None or msg.error().code() == KafkaError._PARTITION_EOF
        if msg.error() is None:
            seen.add(msg.value())
        if len(seen) == 10:
            break
    consumer.close()
    assert seen == {f"v{i}".encode() for i in range(10)}


def test_sasl_listener_accepts_known_user_and_rejects_bad_password(kafka: KafkaCluster) -> None:
    good = AdminClient(kafka.sasl_config("alice"))
    assert good.list_topics(timeout=20).brokers
    bad_conf = dict(kafka.sasl_config("alice"))
    bad_conf["sasl.password"] = "wrong"
    bad = AdminClient({**bad_conf, "log_level": 0})
    with pytest.raises(KafkaException):
        bad.list_topics(timeout=3)


def test_launcher_cli_start_status_stop(tmp_path: os.PathLike[str]) -> None:
    env = {**os.environ, "INFERRER_DEVKAFKA_STATE": str(Path(tmp_path) / "state.json")}
    run = [sys.executable, "-m", "inferrer.devkafka"]
    started = subprocess.run([*run, "start"], capture_output=True, text=True, env=env, timeout=120)
    assert started.returncode == 0, started.stderr
    bootstrap = started.stdout.strip().splitlines()[-1]
    assert bootstrap.startswith("127.0.0.1:")
    assert "ready in" in started.stderr
    try:
        status = subprocess.run([*run, "status"], capture_output=True, text=True, env=env)
        assert status.returncode == 0 and bootstrap in status.stdout
        assert AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=20).brokers
    finally:
        stopped = subprocess.run([*run, "stop"], capture_output=True, text=True, env=env)
    assert stopped.returncode == 0
    status = subprocess.run([*run, "status"], capture_output=True, text=True, env=env)
    assert status.returncode == 1 and "not running" in status.stdout
