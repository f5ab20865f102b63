"""No false alarms: the traffic a spec was inferred from never drifts from it.

The spec is the golden document, inferred from all of the v1 bank traffic. Thirty
rounds sample that same traffic through narrower windows, each drawn from its own
seed: through the real broker (random --max-messages and --from: earliest, latest or
a moment inside the traffic), and from capture files cut down to random partitions
and random offset ranges. However small the window, no finding may be breaking.
"""

from __future__ import annotations

import random
import shutil
from collections import Counter
from pathlib import Path

import pytest

from inferrer.capture import read_capture, read_capture_topics, write_capture
from inferrer.drift.model import DriftReport
from inferrer.drift.options import DiffOptions
from inferrer.kafka.sampler import SampleConfig, StartPosition
from inferrer.model import TopicMetadata
from inferrer.pipeline import Source, diff
from inferrer.records import Record
from inferrer.registry.sidecar import schemas_path
from tests.bank_helpers import GOLDEN, V1, V2, fresh_prefix, prefixed, replay_bank
from tests.conftest import KafkaCluster
from tests.kafka_util import plain

ROUNDS_PER_SOURCE = 15
TOPICS = 12


def _load(paths: list[Path]) -> tuple[dict[str, list[Record]], dict[str, TopicMetadata]]:
    records: dict[str, list[Record]] = {}
    topics: dict[str, TopicMetadata] = {}
    for path in paths:
        rs, stats = read_capture(path)
        assert stats.bad == 0
        records[rs[0].topic] = rs
        topics.update(read_capture_topics(path))
    return records, topics


V1_RECORDS, V1_TOPICS = _load(V1)
FIRST_TS = min(r.timestamp or 0 for rs in V1_RECORDS.values() for r in rs)
LAST_TS = max(r.timestamp or 0 for rs in V1_RECORDS.values() for r in rs)


def _assert_no_breaking(report: DriftReport, window: str) -> None:
    breaking = [f for f in report.findings if f.severity == "breaking"]
    assert not breaking, f"{window}: " + "; ".join(f"{f.rule}: {f.message}" for f in breaking)
    rules = Counter(f.rule for f in report.findings)
    # The window did sample something: not every documented topic was silent.
    assert rules["topic-silent"] < TOPICS, window


@pytest.fixture(scope="module")
def bank_on_broker(
    kafka: KafkaCluster, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path]:
    """The v1 traffic under a fresh prefix, and the golden spec for those topic names."""
    prefix = fresh_prefix()
    replay_bank(kafka.bootstrap, V1, prefix)
    spec = tmp_path_factory.mktemp("spec") / "asyncapi.yaml"
    spec.write_text(prefixed(GOLDEN.read_text(), prefix))
    return prefix, spec


@pytest.mark.kafka
@pytest.mark.parametrize("seed", range(ROUNDS_PER_SOURCE))
def test_live_sample_windows_raise_no_breaking_finding(
    kafka: KafkaCluster, bank_on_broker: tuple[str, Path], seed: int
) -> None:
    prefix, spec = bank_on_broker
    rng = random.Random(f"live:{seed}")
    kind = rng.choice(["earliest", "latest", "timestamp"])
    # A moment inside the traffic, but early enough that some topic still has messages.
    moment = rng.randint(FIRST_TS, LAST_TS - 15 * 60_000)
    start = StartPosition(kind, moment if kind == "timestamp" else None)
    max_messages = rng.randint(5, 1000)
    config = SampleConfig(
        client=plain(kafka.bootstrap),
        topics=(f"{prefix}bank.*",),
        max_messages=max_messages,
        start=start,
    )
    report = diff(spec, Source(sample=config), DiffOptions())
    _assert_no_breaking(report, f"--max-messages {max_messages} --from {kind} {moment}")


def _capture_window(
    traffic: dict[str, list[Record]], seed: int, folder: Path
) -> tuple[Source, str]:
    """A capture of random partitions of each topic, each cut to a random offset range."""
    rng = random.Random(f"capture:{seed}")
    kept: list[Record] = []
    window: list[str] = []
    for topic, records in sorted(traffic.items()):
        partitions = sorted({r.partition for r in records})
        chosen = sorted(rng.sample(partitions, rng.randint(1, len(partitions))))
        for partition in chosen:
            rs = [r for r in records if r.partition == partition]
            begin = rng.randrange(len(rs))
            end = rng.randint(begin + 1, len(rs))
            kept.extend(rs[begin:end])
            window.append(f"{topic}/{partition}[{begin}:{end}]")
    capture = folder / "window.jsonl"
    write_capture(kept, capture, topics=V1_TOPICS.values())
    # The Avro topic's writer schemas travel with the capture, as `record` keeps them.
    for sidecar in V1[0].parent.glob("*.schemas.json"):
        shutil.copy(sidecar, schemas_path(capture))
    return Source(capture_files=(capture,), topics=("bank.*",)), " ".join(window)


@pytest.mark.parametrize("seed", range(ROUNDS_PER_SOURCE))
def test_capture_windows_raise_no_breaking_finding(tmp_path: Path, seed: int) -> None:
    source, window = _capture_window(V1_RECORDS, seed, tmp_path)
    report = diff(GOLDEN, source, DiffOptions())
    _assert_no_breaking(report, window)


def test_the_same_windows_over_drifted_traffic_do_alarm(tmp_path: Path) -> None:
    # The control: windows this small still catch real drift (v2: amount became a string).
    v2_records, _ = _load(V2)
    for seed in range(ROUNDS_PER_SOURCE):
        source, window = _capture_window(v2_records, seed, tmp_path)
        report = diff(GOLDEN, source, DiffOptions())
        assert report.fails("breaking"), window
