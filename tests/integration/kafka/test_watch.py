"""``watch`` on the real broker: a consumer group of watch processes, their snapshots,
the merged picture, offsets never committed, live drift, and stopping cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import ConfigResource

from inferrer.errors import CouldNotRun
from inferrer.snapshots import DirectoryStore
from inferrer.watch import load_merged
from tests.conftest import KafkaCluster
from tests.kafka_util import admin, create_topics, group_state, run_cli
from tools.devkafka import free_port

PARTITIONS = 12
FAST = ["--session-timeout", "6s", "--snapshot-interval", "1s", "--status-interval", "1s"]


def event(i: int) -> bytes:
    """Known traffic: two kinds, an optional field, a small enum."""
    value: dict[str, Any] = {
        "type": "payment" if i % 3 else "refund",
        "id": i,
        "amount": round(i * 1.25, 2),
        "currency": ("EUR", "USD", "GBP")[i % 3],
    }
    if i % 7 == 0:
        value["note"] = f"n{i % 5}"
    return json.dumps(value, sort_keys=True).encode()


def produce(bootstrap: str, topic: str, values: range, *, spread_over: float = 0.0) -> None:
    """Produce ``event(i)`` for each i, round-robin over the partitions, evenly over
    ``spread_over`` seconds."""
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    began = time.monotonic()
    for n, i in enumerate(values):
        producer.produce(topic, event(i), partition=i % PARTITIONS)
        if n % 50 == 0:
            producer.poll(0)
            if spread_over:
                wait = began + spread_over * n / len(values) - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
    assert producer.flush(30) == 0


class Watch:
    """One ``infer-asyncapi watch`` process; its stderr in a file, stdout lines timed."""

    def __init__(self, bootstrap: str, args: list[str], logs: Path, name: str) -> None:
        env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
        self.stderr_path = logs / f"{name}.err"
        self._stderr = self.stderr_path.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "inferrer", "watch", "-b", bootstrap, *args],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            env=env,
        )
        self.lines: list[tuple[float, str]] = []
        self._reader = threading.Thread(target=self._read, args=(self.proc.stdout,), daemon=True)
        self._reader.start()

    def _read(self, stream: IO[str] | None) -> None:
        assert stream is not None
        for line in stream:
            self.lines.append((time.monotonic(), line))

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def wait_for(self, text: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.stderr:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not in the watch's stderr:\n{self.stderr}")
            time.sleep(0.05)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout)
        self.close()
        return code

    def close(self) -> None:
        """Kill the process if it still runs; close its pipes."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        self._reader.join(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._stderr.close()

    def findings(self) -> list[dict[str, Any]]:
        return [json.loads(line) for _, line in self.lines]


@pytest.fixture
def watches() -> Any:
    started: list[Watch] = []
    yield started
    for w in started:
        w.close()


def until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def high_watermarks(bootstrap: str, topic: str) -> dict[int, int]:
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "never-joined"})
    try:
        return {
            p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in range(PARTITIONS)
        }
    finally:
        consumer.close()


def read_topic(bootstrap: str, topic: str) -> list[tuple[bytes | None, bytes]]:
    """Every (key, value) of a one-partition topic, read with assign()."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "never-joined"})
    try:
        high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)[1]
        consumer.assign([TopicPartition(topic, 0, 0)])
        out: list[tuple[bytes | None, bytes]] = []
        deadline = time.monotonic() + 30
        while len(out) < high and time.monotonic() < deadline:
            for msg in consumer.consume(100, timeout=1):
                if msg.error() is None:
                    out.append((msg.key(), msg.value() or b""))
        return out
    finally:
        consumer.close()


def covered(snapshots: Path, group: str, topic: str, highs: Mapping[int, int]) -> bool:
    """Do the snapshots of the group say every message up to ``highs`` was read?"""
    if not (snapshots / group).is_dir():
        return False
    try:
        merged = load_merged(str(snapshots / group))
    except CouldNotRun:  # the group's folder is made before its first snapshot lands
        return False
    return all(merged.positions.get((topic, p), 0) >= h for p, h in highs.items())


def infer_live(bootstrap: str, topic: str, out: Path) -> str:
    proc = run_cli(
        [
            *("infer", "-b", bootstrap, "--topics", topic, "--from", "earliest"),
            *("--max-messages", "1000000", "--no-summary", "-o", str(out)),
        ]
    )
    assert proc.returncode == 0, proc.stderr
    return out.read_text()


def infer_from(source: str, out: Path, *extra: str) -> str:
    proc = run_cli(["infer", "--from-observations", source, "--no-summary", "-o", str(out), *extra])
    assert proc.returncode == 0, proc.stderr
    return out.read_text()


@pytest.mark.kafka
def test_three_members_split_a_topic_and_their_merged_snapshots_are_one_infer(
    kafka: KafkaCluster, topic_name: str, tmp_path: Path, watches: list[Watch]
) -> None:
    """3 members of one group on a 12-partition topic, traffic before and during the
    run, one member killed (SIGKILL) mid-run: the merged snapshots give byte for byte
    the document one `infer` over every message gives, and no offset is committed."""
    b = kafka.bootstrap
    group = f"watch-{uuid.uuid4().hex[:8]}"
    create_topics(b, [topic_name], partitions=PARTITIONS)
    produce(b, topic_name, range(0, 3000))  # before any member: --from earliest reads it
    snaps = tmp_path / "snapshots"
    common = ["--topics", topic_name, "--group", group, "--from", "earliest"]
    common += ["--snapshot-dir", str(snaps), *FAST]
    for name in ("a", "b", "c"):
        watches.append(Watch(b, [*common, "--member", name], tmp_path, name))
    for w in watches:
        w.wait_for("rebalance: gained")
    a, killed, c = watches
    produce(b, topic_name, range(3000, 6000), spread_over=3.0)  # while they read
    killed.close()  # SIGKILL: no revoke, no last snapshot; its partitions move after 6 s
    produce(b, topic_name, range(6000, 9000), spread_over=2.0)
    highs = high_watermarks(b, topic_name)
    assert sum(highs.values()) == 9000
    until(
        lambda: covered(snaps, group, topic_name, highs), 60, "the snapshots to cover every message"
    )

    assert a.stop() == 143 and c.stop() == 143  # 128 + SIGTERM, after leaving cleanly
    for w in (a, c):
        assert "left consumer group" in w.stderr
    # The killed member held partitions; after its session timed out they were gained
    # by the others, starting where its newest snapshot said it had stopped.
    killed_held = killed.stderr.count("rebalance: gained")
    assert killed_held >= 1
    assert a.stderr.count("rebalance: gained") + c.stderr.count("rebalance: gained") >= 3

    merged = load_merged(str(snaps / group))
    assert merged.members == ("a", "b", "c")
    assert merged.observations[topic_name].messages == 9000  # each message once
    store = DirectoryStore(snaps)
    finals = {s.member: s.final for s in store.read(group)}
    assert finals == {"a": True, "b": False, "c": True}

    single = infer_live(b, topic_name, tmp_path / "single.yaml")
    assert infer_from(str(snaps), tmp_path / "merged.yaml") == single
    assert infer_from(str(snaps / group), tmp_path / "merged-group.yaml") == single

    # Never committed: the group has no offsets at all.
    assert group_state(b).get(group, {}) == {}


@pytest.mark.kafka
def test_commit_commits_exactly_what_the_snapshots_cover(
    kafka: KafkaCluster, topic_name: str, tmp_path: Path, watches: list[Watch]
) -> None:
    b = kafka.bootstrap
    group = f"watch-{uuid.uuid4().hex[:8]}"
    create_topics(b, [topic_name], partitions=PARTITIONS)
    produce(b, topic_name, range(600))
    snaps = tmp_path / "snapshots"
    w = Watch(
        b,
        [
            *("--topics", topic_name, "--group", group, "--from", "earliest", "--commit"),
            *("--snapshot-dir", str(snaps), *FAST, "--member", "m"),
        ],
        tmp_path,
        "m",
    )
    watches.append(w)
    highs = high_watermarks(b, topic_name)
    until(lambda: covered(snaps, group, topic_name, highs), 30, "the snapshot to cover the topic")
    assert w.stop(signal.SIGINT) == 130
    committed = group_state(b)[group]
    assert committed == {(topic_name, p): h for p, h in highs.items()}
    merged = load_merged(str(snaps / group))
    assert {p: o for (_, p), o in merged.positions.items()} == highs


@pytest.mark.kafka
def test_snapshot_topic_is_created_compacted_and_reads_back_as_the_document(
    kafka: KafkaCluster, topic_name: str, tmp_path: Path, watches: list[Watch]
) -> None:
    b = kafka.bootstrap
    group = f"watch-{uuid.uuid4().hex[:8]}"
    snapshot_topic = f"{topic_name}.snapshots"
    create_topics(b, [topic_name], partitions=PARTITIONS)
    produce(b, topic_name, range(1200))
    port = free_port()
    w = Watch(
        b,
        [
            *("--topics", topic_name, "--group", group, "--from", "earliest", "--member", "m"),
            *("--snapshot-topic", snapshot_topic, "--status-port", str(port), *FAST),
        ],
        tmp_path,
        "m",
    )
    watches.append(w)
    w.wait_for(f"created the snapshot topic {snapshot_topic}")

    def status() -> dict[str, Any]:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
            body: dict[str, Any] = json.loads(r.read())
            return body

    def done() -> bool:
        try:
            now = status()
        except OSError:  # not serving yet
            return False
        return bool(now["messages"] == 1200 and now["snapshots"] >= 2)

    until(done, 30, "the status to show every message and two snapshots")
    body = status()
    assert body["group"] == group and body["member"] == "m"
    assert len(body["assigned"]) == PARTITIONS
    w.wait_for("lag 0 (")  # the status line on stderr: total lag, then per partition
    assert w.stop() == 143

    resource = ConfigResource(ConfigResource.Type.TOPIC, snapshot_topic)
    client = admin(b)
    configs = client.describe_configs([resource])[resource].result(30)
    assert configs["cleanup.policy"].value == "compact"

    single = infer_live(b, topic_name, tmp_path / "single.yaml")
    source = f"kafka:{snapshot_topic}"
    assert infer_from(source, tmp_path / "t.yaml", "-b", b) == single
    assert infer_from(f"{source}/{group}", tmp_path / "tg.yaml", "-b", b) == single
    proc = run_cli(["infer", "--from-observations", source, "--no-summary"])
    assert proc.returncode == 2
    assert "reads a cluster: give -b/--bootstrap-server" in proc.stderr
    assert group_state(b).get(group, {}) == {}


@pytest.mark.kafka
def test_live_drift_is_reported_within_5_seconds_once(
    kafka: KafkaCluster, topic_name: str, tmp_path: Path, watches: list[Watch]
) -> None:
    """A producer starts sending `amount` as a string: `watch --spec` prints the
    breaking finding within 5 s of the first such message, and only once however many
    follow; with --fail-on breaking the process stops with exit 1 as quickly."""
    b = kafka.bootstrap
    create_topics(b, [topic_name], partitions=PARTITIONS)
    produce(b, topic_name, range(600))
    spec = tmp_path / "asyncapi.yaml"
    infer_live(b, topic_name, spec)
    args = ["--topics", topic_name, "--spec", str(spec), *FAST]
    watching = Watch(b, [*args, "--group", f"g-{uuid.uuid4().hex[:8]}"], tmp_path, "watching")
    findings_topic = f"{topic_name}.findings"
    create_topics(b, [findings_topic])
    failing = Watch(
        b,
        [
            *args,
            "--group",
            f"g-{uuid.uuid4().hex[:8]}",
            "--fail-on",
            "breaking",
            "--findings-topic",
            findings_topic,
        ],
        tmp_path,
        "failing",
    )
    watches.extend([watching, failing])
    for w in watches:
        w.wait_for("rebalance: gained")
    produce(b, topic_name, range(600, 900), spread_over=1.0)  # conforming: no finding
    time.sleep(1.5)
    assert watching.findings() == [] and failing.proc.poll() is None

    producer = Producer({"bootstrap.servers": b, "linger.ms": 0})
    first_bad = time.monotonic()
    for i in range(20):  # 4 s of breaking traffic, on every partition
        bad = json.loads(event(900 + i))
        bad["amount"] = f"{bad['amount']:.2f}"
        producer.produce(topic_name, json.dumps(bad).encode(), partition=i % PARTITIONS)
        producer.flush(10)
        time.sleep(0.2)

    assert failing.proc.wait(10) == 1
    assert time.monotonic() - first_bad < 8  # it stopped by itself, during the bad traffic
    until(lambda: bool(watching.findings()), 5, "a finding")
    time.sleep(1.0)  # more bad messages, more checks: still one line per finding
    assert watching.stop() == 143
    found = watching.findings()
    ids = [f["id"] for f in found]
    assert len(ids) == len(set(ids))
    # Numbers and now strings: the documented type no longer holds.
    changed = [f for f in found if f["pointer"].endswith("/properties/amount")]
    assert len(changed) == 1, found
    assert changed[0]["rule"] == "traffic-type-widened"
    assert (changed[0]["before"], changed[0]["after"]) == (["number"], ["number", "string"])
    assert changed[0]["severity"] == "breaking"
    delay = watching.lines[0][0] - first_bad
    assert delay < 5, f"first finding after {delay:.1f}s"
    assert failing.findings() == []  # they went to the findings topic
    records = read_topic(b, findings_topic)
    assert records[:1] == [(changed[0]["id"].encode(), records[0][1])]
    assert json.loads(records[0][1])["rule"] == "traffic-type-widened"
    assert "is at or above --fail-on breaking" in failing.stderr


def envelope(i: int) -> bytes:
    """An envelope event naming its kind in a nested field (``/meta/event``), with the
    kind's fields in ``body``."""
    bodies = {
        "AlertRaised": {"rule": "cpu", "value": i * 0.5},
        "AlertAcked": {"ackedBy": f"u{i % 4}", "ackedAt": i},
        "AlertResolved": {"resolvedAt": i, "durationMs": i * 3},
    }
    name = sorted(bodies)[i % 3]
    value = {"meta": {"event": name, "source": "prom"}, "body": bodies[name], "id": i}
    return json.dumps(value).encode()


@pytest.mark.kafka
def test_discriminator_choices_decide_the_kinds_a_watch_counts(
    kafka: KafkaCluster, topic_name: str, tmp_path: Path, watches: list[Watch]
) -> None:
    """Envelope events name their kind in /meta/event: a watch counts the 3 kinds it
    finds; one given --discriminator TOPIC=none counts one, and its snapshots keep the
    fold (infer from them finds the 3 kinds, or one with the same choice)."""
    b = kafka.bootstrap
    create_topics(b, [topic_name], partitions=2)
    producer = Producer({"bootstrap.servers": b, "linger.ms": 5})
    for i in range(60):
        producer.produce(topic_name, envelope(i), partition=i % 2)
    assert producer.flush(30) == 0
    snaps = tmp_path / "snapshots"
    common = ["--topics", topic_name, "--from", "earliest", *FAST]
    found = Watch(b, [*common, "--group", f"g-{uuid.uuid4().hex[:8]}"], tmp_path, "found")
    one = Watch(
        b,
        [
            *common,
            *("--group", f"g-{uuid.uuid4().hex[:8]}", "--member", "m"),
            *("--snapshot-dir", str(snaps), "--discriminator", f"{topic_name}=none"),
        ],
        tmp_path,
        "one",
    )
    watches.extend([found, one])
    until(lambda: "60 messages" in found.stderr, 30, "the first watch to read everything")
    until(lambda: "60 messages" in one.stderr, 30, "the second watch to read everything")
    until(lambda: "3 kind(s) in 1 topic(s)" in found.stderr, 10, "three kinds counted")
    until(lambda: "60 messages" in one.stderr.rsplit("\n", 2)[-2], 10, "a status after the read")
    assert found.stop() == 143 and one.stop() == 143
    last = [line for line in one.stderr.splitlines() if "60 messages" in line][-1]
    assert "1 kind(s) in 1 topic(s)" in last
    assert "3 kind(s)" not in one.stderr
    document = infer_from(str(snaps), tmp_path / "found.yaml")
    assert all(name in document for name in ("AlertRaised:", "AlertAcked:", "AlertResolved:"))
    forced = infer_from(str(snaps), tmp_path / "one.yaml", "--discriminator", f"{topic_name}=none")
    assert "AlertRaised:" not in forced


@pytest.mark.kafka
def test_a_broker_outage_is_reported_with_backoff_and_the_watch_still_stops_cleanly(
    tmp_path: Path, watches: list[Watch]
) -> None:
    """The broker goes away mid-run: warnings with growing gaps, no crash; SIGTERM
    still leaves with exit 143 and a last snapshot of what was read."""
    from tools import devkafka

    broker = devkafka.start()
    try:
        create_topics(broker.bootstrap, ["outage"], partitions=2)
        producer = Producer({"bootstrap.servers": broker.bootstrap})
        for i in range(10):
            producer.produce("outage", event(i), partition=i % 2)
        assert producer.flush(10) == 0
        snaps = tmp_path / "snapshots"
        w = Watch(
            broker.bootstrap,
            [
                *("--topics", "outage", "--group", "g", "--from", "earliest", "--member", "m"),
                *("--snapshot-dir", str(snaps), *FAST),
            ],
            tmp_path,
            "m",
        )
        watches.append(w)
        until(lambda: "10 messages" in w.stderr, 30, "the messages to be read")
    finally:
        broker.stop()
    until(lambda: w.stderr.count("no Kafka broker answering") >= 3, 30, "three reports")
    assert w.proc.poll() is None  # still running
    reports = [line for line in w.stderr.splitlines() if "no Kafka broker answering" in line]
    assert all("retrying" in r for r in reports)
    # The first report may come before a reconnect was refused, when librdkafka has only
    # said "1/1 brokers are down"; by the third, the cause is named.
    assert "Connection refused" in reports[2]
    assert not any("after 0ms" in r for r in reports)  # librdkafka's decorations are tidied
    assert w.stop() == 143
    assert "Traceback" not in w.stderr
    merged = load_merged(str(snaps))
    assert merged.observations["outage"].messages == 10
    assert DirectoryStore(snaps).read()[0].final


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--group", "g"], "Error: no Kafka to watch: give -b/--bootstrap-server"),
        (["-b", "127.0.0.1:1", "--group", "g", "--fail-on", "breaking"], "--fail-on needs --spec"),
        (
            ["-b", "127.0.0.1:1", "--group", "g", "--findings-topic", "f"],
            "--findings-topic needs --spec",
        ),
        (
            ["-b", "127.0.0.1:1", "--group", "g", "--snapshot-interval", "0"],
            "invalid --snapshot-interval '0': must be more than zero",
        ),
        (["-b", "127.0.0.1:1", "--group", " "], "--group must name a consumer group"),
        (
            ["-b", "127.0.0.1:1", "--group", "g", "--discriminator", "t=header:"],
            "Error: invalid --discriminator 't=header:': header: needs a header name",
        ),
    ],
)
def test_watch_usage_errors_exit_2_with_one_line(args: list[str], error: str) -> None:
    proc = run_cli(["watch", *args])
    assert proc.returncode == 2, proc.stderr
    assert error in proc.stderr
    assert proc.stderr.count("Error:") == 1


def test_watch_without_a_broker_is_one_line_and_exit_3(tmp_path: Path) -> None:
    proc = run_cli(
        [
            "watch",
            "-b",
            "127.0.0.1:1",
            "--group",
            "g",
            "--timeout",
            "1s",
            "--snapshot-dir",
            str(tmp_path),
        ]
    )
    assert proc.returncode == 3
    assert proc.stderr.startswith("Error: no Kafka broker answered at 127.0.0.1:1 within 1s")
    assert "Traceback" not in proc.stderr
