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
from tools import devkafka

ROOT = Path(__file__).resolve().parents[3]

# Every test here runs a broker: the session one, or JVMs of its own.
pytestmark = pytest.mark.kafka


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
    run = [sys.executable, "-m", "tools.devkafka"]
    started = subprocess.run(
        [*run, "start"], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT
    )
    assert started.returncode == 0, started.stderr
    bootstrap = started.stdout.strip().splitlines()[-1]
    assert bootstrap.startswith("127.0.0.1:")
    assert "ready in" in started.stderr
    try:
        status = subprocess.run([*run, "status"], capture_output=True, text=True, env=env, cwd=ROOT)
        assert status.returncode == 0 and bootstrap in status.stdout
        assert AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=20).brokers
    finally:
        stopped = subprocess.run([*run, "stop"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert stopped.returncode == 0
    status = subprocess.run([*run, "status"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert status.returncode == 1 and "not running" in status.stdout


def test_no_orphan_jvm_when_the_owner_is_killed(tmp_path: Path) -> None:
    """A test run killed outright (SIGKILL, no finalizers) must not leave a JVM behind."""
    import signal
    import time

    script = (
        "import sys\n"
        "from tools import devkafka\n"
        "b = devkafka.start()\n"
        "print(b.pid, flush=True)\n"
        "sys.stdin.read()\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as owner:
        assert owner.stdout is not None
        jvm = int(owner.stdout.readline())
        workdir = Path(Path(f"/proc/{jvm}/cwd").resolve())
        assert _running(jvm)
        owner.send_signal(signal.SIGKILL)
        owner.wait(10)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and _running(jvm):
        time.sleep(0.2)
    assert not _running(jvm), "the Kafka JVM outlived the process that started it"
    # The next start sweeps the data folder the killed run could not remove.
    assert workdir.name.startswith("inferrer-kafka-")
    devkafka.sweep_stale_workdirs()
    assert not workdir.exists()


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_port_taken_before_the_jvm_binds_it_is_drawn_again(
    monkeypatch: pytest.MonkeyPatch, kafka: KafkaCluster
) -> None:
    """Between drawing a free port and the JVM binding it, another process can take it
    (another launcher, a client's outgoing connection): the start is tried again on new
    ports instead of failing. Each broker is a cluster of its own (its data folder is a
    copy of one formatted template, with ids drawn afresh)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = int(taken.getsockname()[1])
        draws = iter([port])
        real = devkafka.free_port
        monkeypatch.setattr(devkafka, "free_port", lambda: next(draws, None) or real())
        broker = devkafka.start()
        try:
            assert broker.bootstrap != f"127.0.0.1:{port}"
            admin = AdminClient({"bootstrap.servers": broker.bootstrap})
            assert admin.list_topics(timeout=10).brokers
            session = AdminClient({"bootstrap.servers": kafka.bootstrap})
            ours = admin.describe_cluster().result(timeout=10).cluster_id
            theirs = session.describe_cluster().result(timeout=10).cluster_id
            assert ours and theirs and ours != theirs
            meta = (Path(broker.workdir) / "data" / "meta.properties").read_text()
            assert f"cluster.id={ours}\n" in meta
        finally:
            broker.stop()
