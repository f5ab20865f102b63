"""A broker that dies or freezes mid-sample is never a silent success: `infer`, `record`
and `--follow` name each partial topic with its counts and exit 3, unless
`--allow-partial` (issue 17). Each test starts its own broker, to kill it."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Producer

from tests.kafka_util import create_topics, produce
from tools import devkafka

pytestmark = pytest.mark.kafka

# One record batch (about 60 messages) per fetch: 300k messages take many seconds.
SLOW_READ = [
    "-X",
    "max.partition.fetch.bytes=1",
    "-X",
    "fetch.max.bytes=4000",
    "-X",
    "message.max.bytes=4000",
]
BIG = 300_000


@pytest.fixture
def doomed() -> Iterator[devkafka.Broker]:
    """A broker of its own, for a test to kill; stopped (and its data removed) after."""
    broker = devkafka.start()
    try:
        yield broker
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(broker.pid, signal.SIGKILL)
        if broker._proc is not None:  # reap it here: the launcher only polls a dead JVM
            broker._proc.wait(30)
        broker.stop()


def _produce_many(bootstrap: str, topic: str, count: int) -> None:
    create_topics(bootstrap, [topic], partitions=2)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "batch.size": 4000})
    for i in range(count):
        value = b'{"id": %d, "note": "a message of some forty bytes or so"}' % i
        while True:
            try:
                producer.produce(topic, value=value)
                break
            except BufferError:
                producer.poll(0.1)
    assert producer.flush(60) == 0


def _start(args: list[str]) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
    return subprocess.Popen(
        [sys.executable, "-m", "inferrer", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


class _Stderr:
    """A child's stderr, read line by line as it comes, so that a test can wait for a line."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        self.lines.extend(proc.stderr)

    def wait_for(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in list(self.lines)):
            assert time.monotonic() < deadline, "".join(self.lines)
            time.sleep(0.05)

    def text(self) -> str:
        self._thread.join(60)
        return "".join(self.lines)


def _kill_once_reading(proc: subprocess.Popen[str], broker: devkafka.Broker, topic: str) -> str:
    """Kill the broker a second after the child has started reading ``topic`` (it says
    so under -v; a fixed delay from the start raced a slow start under load), and the
    child's stderr once it has ended."""
    err = _Stderr(proc)
    err.wait_for(f"{topic}: reading", 60)
    time.sleep(1.0)
    os.killpg(broker.pid, signal.SIGKILL)
    proc.wait(60)
    return err.text()


PARTIAL = re.compile(
    r"Error: partial sample: (?P<topic>[\w.]+): (?P<got>\d+) of (?P<want>\d+) messages "
    r"\(the broker stopped answering\); nothing written "
    r"\(--allow-partial accepts a partial sample\)"
)


def _partial_line(stderr: str, topic: str, want: int, most: int) -> None:
    last = stderr.splitlines()[-1]
    m = PARTIAL.fullmatch(last)
    assert m is not None, stderr
    assert (m["topic"], int(m["want"])) == (topic, want)
    assert 0 <= int(m["got"]) < most
    assert "Traceback" not in stderr


def test_infer_when_the_broker_dies_mid_sample_exits_3(
    doomed: devkafka.Broker, tmp_path: Path
) -> None:
    _produce_many(doomed.bootstrap, "big", BIG)
    out = tmp_path / "asyncapi.yaml"
    source = ["-b", doomed.bootstrap, "--topics", "big", "--from", "earliest", "-v"]
    with _start(
        [
            "infer",
            *source,
            "--max-messages",
            str(BIG),
            "--timeout",
            "8s",
            *SLOW_READ,
            "-o",
            str(out),
        ]
    ) as proc:
        stderr = _kill_once_reading(proc, doomed, "big")
    assert proc.returncode == 3, stderr
    _partial_line(stderr, "big", BIG, BIG)
    assert list(tmp_path.iterdir()) == []


def test_record_when_the_broker_dies_mid_sample_exits_3_and_writes_nothing(
    doomed: devkafka.Broker, tmp_path: Path
) -> None:
    _produce_many(doomed.bootstrap, "big", BIG)
    capture = tmp_path / "capture.jsonl"
    source = ["-b", doomed.bootstrap, "--topics", "big", "--from", "earliest", "-v"]
    with _start(
        [
            "record",
            *source,
            "--max-messages",
            str(BIG),
            "--timeout",
            "8s",
            *SLOW_READ,
            "-o",
            str(capture),
        ]
    ) as proc:
        stderr = _kill_once_reading(proc, doomed, "big")
    assert proc.returncode == 3, stderr
    _partial_line(stderr, "big", BIG, BIG)
    assert list(tmp_path.iterdir()) == []


def test_follow_with_a_frozen_broker_is_partial_unless_allowed(
    doomed: devkafka.Broker, tmp_path: Path
) -> None:
    create_topics(doomed.bootstrap, ["live"])
    produce(doomed.bootstrap, "live", [b'{"id": 1}'] * 10)
    source = ["-b", doomed.bootstrap, "--topics", "live", "--from", "earliest", "-v"]
    strict, lenient = tmp_path / "strict.yaml", tmp_path / "lenient.yaml"
    # The freeze comes a second after the later of the two has planned its reads, and a
    # metadata check then takes up to 2 s to find the broker silent: each window must
    # outlast both. With 6 s, a run that had begun reading 3 s before the other (under
    # load) ended its window before it noticed, and exited 0 without the warning.
    with (
        _start(["infer", *source, "--follow", "12s", "-o", str(strict)]) as first,
        _start(
            ["infer", *source, "--follow", "12s", "--allow-partial", "-o", str(lenient)]
        ) as second,
    ):
        # Freeze the broker once both have planned their reads and had a second to read
        # the ten messages (a fixed delay from the start raced a slow start under load).
        first_err, second_err = _Stderr(first), _Stderr(second)
        first_err.wait_for("live: reading", 60)
        second_err.wait_for("live: reading", 60)
        time.sleep(1.0)
        os.killpg(doomed.pid, signal.SIGSTOP)
        first.wait(60)
        second.wait(60)
        strict_err, lenient_err = first_err.text(), second_err.text()
    assert first.returncode == 3, strict_err
    _partial_line(strict_err, "live", 1000, 11)
    assert not strict.exists()
    assert second.returncode == 0, lenient_err
    assert "Warning: live: the broker stopped answering; kept 10 messages read before\n" in (
        lenient_err
    )
    assert lenient.read_text().startswith("asyncapi: 3.0.0\n")
