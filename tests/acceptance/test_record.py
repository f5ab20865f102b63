"""`infer-asyncapi record`: a read-only sample into a capture file that infers offline
exactly as the live sample does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inferrer.capture import read_capture
from inferrer.kafka.sampler import READ_ONLY_GROUP_ID
from tests.bank_helpers import V1, V1_RECORDS, fresh_prefix, replay_bank, without_servers
from tests.conftest import KafkaCluster
from tests.kafka_util import group_state, groups_on, run_cli


def test_record_needs_a_bootstrap_server(tmp_path: Path) -> None:
    proc = run_cli(["record", "--topics", "bank.*", "-o", str(tmp_path / "c.jsonl")])
    assert proc.returncode == 2
    assert proc.stderr == (
        "Error: no bootstrap server: pass -b/--bootstrap-server or set KAFKA_BOOTSTRAP_SERVERS\n"
    )
    assert not (tmp_path / "c.jsonl").exists()


def test_record_without_a_broker_exits_3_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "c.jsonl"
    proc = run_cli(
        ["record", "-b", "127.0.0.1:1", "--topics", "x.*", "--timeout", "2s", "-o", str(out)]
    )
    assert proc.returncode == 3
    assert proc.stderr.startswith("Error: no Kafka broker answered at 127.0.0.1:1 within 2s")
    assert len(proc.stderr.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.kafka
def test_record_then_infer_offline_gives_the_live_document(
    kafka: KafkaCluster, tmp_path: Path
) -> None:
    prefix = fresh_prefix()
    replay_bank(kafka.bootstrap, V1, prefix)
    groups_before = group_state(kafka.bootstrap)
    # A sample ends at its --timeout whatever it has read: generous, so that a loaded
    # machine reads every record (under load 10, 10 s once missed one).
    source = ["-b", kafka.bootstrap, "--topics", f"{prefix}bank.*", "--from", "earliest"]
    source += ["--timeout", "120s"]
    capture = tmp_path / "capture.jsonl"

    proc = run_cli(["record", *source, "-o", str(capture)])
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines()[-1] == (f"wrote {V1_RECORDS} records of 12 topics to {capture}")
    assert f"{prefix}bank.payments: 409 records" in proc.stderr.splitlines()
    # Read-only: no commit on these topics, and no group of inferrer's (other tests'
    # groups come and go on the shared broker).
    groups_after = group_state(kafka.bootstrap)
    assert groups_on(groups_after, prefix) == groups_on(groups_before, prefix) == {}
    assert READ_ONLY_GROUP_ID not in groups_after

    records, stats = read_capture(capture)
    assert (len(records), stats.bad) == (V1_RECORDS, 0)
    sidecar = json.loads((tmp_path / "capture.topics.json").read_text())
    # Partitions, replication and the configs someone set, not the broker's defaults.
    assert sidecar["topics"][f"{prefix}bank.payments"] == {
        "configs": {"retention.ms": "220752000000"},
        "partitions": 6,
        "replication_factor": 1,
    }
    # Only the configs the metadata reader reports are kept (min.compaction.lag.ms is not one).
    assert sidecar["topics"][f"{prefix}bank.customers.profile"]["configs"] == {
        "cleanup.policy": "compact"
    }

    live, offline = tmp_path / "live.yaml", tmp_path / "offline.yaml"
    proc = run_cli(["infer", *source, "-o", str(live)])
    assert proc.returncode == 0, proc.stderr
    proc = run_cli(["infer", "--from-file", str(capture), "-o", str(offline)])
    assert proc.returncode == 0, proc.stderr
    assert "servers:" in live.read_text()
    assert without_servers(offline.read_text()) == without_servers(live.read_text())
    assert "capture files" in offline.read_text() and "read from the cluster" in live.read_text()
