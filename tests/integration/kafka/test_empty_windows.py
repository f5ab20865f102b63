"""A topic that yields no message in the window is warned about with its likely cause,
and the summary counts such topics (live, on the real broker)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from confluent_kafka import TopicPartition

from tests.conftest import KafkaCluster
from tests.kafka_util import admin, create_topics, produce, run_cli

pytestmark = pytest.mark.kafka

OLD = 1_600_000_000_000  # 2020-09-13


def test_each_empty_topic_is_warned_about_with_its_cause(
    kafka: KafkaCluster, topic_name: str, tmp_path: Path
) -> None:
    never, deleted, old, live = (f"{topic_name}.{n}" for n in ("never", "deleted", "old", "live"))
    create_topics(kafka.bootstrap, [never, deleted, old, live], partitions=2)
    for name in (deleted, old):
        produce(kafka.bootstrap, name, [b'{"a": 1}'] * 6, timestamps=[OLD] * 6)
    produce(kafka.bootstrap, live, [b'{"a": 1}'] * 3)
    # Retention at work: every record of `deleted` is gone (the low watermark moves up).
    client = admin(kafka.bootstrap)
    md = client.list_topics(deleted, timeout=10).topics[deleted]
    marks = [TopicPartition(deleted, p, -1) for p in md.partitions]  # -1: up to the end
    for future in client.delete_records(marks).values():
        future.result(30)
    out = tmp_path / "doc.yaml"
    base = ["infer", "-b", kafka.bootstrap, "--topics", f"{topic_name}.*", "-o", str(out)]
    earliest = run_cli([*base, "--from", "earliest", "--summary"], env={"COLUMNS": "200"})
    assert earliest.returncode == 0, earliest.stderr
    warnings = [line for line in earliest.stderr.splitlines() if line.startswith("Warning: ")]
    assert warnings == [
        f"Warning: {deleted}: no message in the window: retention deleted the window: the "
        "low watermark moved past every message (6 were written)",
        f"Warning: {never}: no message in the window: the topic has never had a message "
        "(no traffic at all)",
    ]
    assert "empty windows: 2 of 4 topics had no message (the warnings say why)" in (earliest.stderr)
    before = time.time()
    since = run_cli([*base, "--from", "1h"])
    after = time.time()
    assert since.returncode == 0, since.stderr
    # The window starts an hour before the run: the day before, just after midnight.
    starts = {time.strftime("%Y-%m-%dT", time.gmtime(t - 3600)) for t in (before, after)}
    lines = [line for line in since.stderr.splitlines() if line.startswith("Warning: ")]
    assert lines[0].startswith(f"Warning: {deleted}: no message in the window: retention")
    assert lines[1] == (
        f"Warning: {never}: no message in the window: the topic has never had a message "
        "(no traffic at all)"
    )
    assert any(
        lines[2].startswith(f"Warning: {old}: no message in the window: --from {start}")
        for start in starts
    ), lines[2]
    assert lines[2].endswith("Z is later than the last message")
    assert len(lines) == 3  # `live` had its three messages in the last hour
