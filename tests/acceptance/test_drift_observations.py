"""``diff --from-observations``: the rules observation statistics decide give the
findings the message walk gives, with the same ids."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from inferrer import load_captures
from inferrer.capture import capture_topics, expand_capture_paths
from inferrer.snapshots import DirectoryStore, Snapshot
from tests.bank_helpers import ROOT
from tests.kafka_util import run_cli

SPEC = ROOT / "fixtures" / "golden" / "bank-v1.asyncapi.yaml"
V1, V2 = ROOT / "fixtures" / "bank" / "v1", ROOT / "fixtures" / "bank" / "v2"
NOT_DECIDABLE = frozenset(
    {"enum-value-new", "format-violation", "validation-failure", "property-unobserved"}
    | {"property-absent"}
)
"""Rules that need the messages themselves (or their values), not their statistics."""


def findings(*args: str) -> list[dict[str, Any]]:
    proc = run_cli(["diff", "--spec", str(SPEC), "--format", "json", "--fail-on", "never", *args])
    assert proc.returncode == 0, proc.stderr
    found: list[dict[str, Any]] = json.loads(proc.stdout)["findings"]
    return found


def key(f: dict[str, Any]) -> tuple[str, str, str, str]:
    return (f["id"], f["rule"], f["severity"], f["pointer"])


@pytest.fixture(scope="module")
def saved_v2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("obs") / "v2.json"
    load_captures(V2).save(path)
    return path


def test_saved_observations_give_the_findings_of_the_messages_they_decide(
    saved_v2: Path,
) -> None:
    walked = findings("--from-file", str(V2))
    observed = findings("--from-observations", str(saved_v2))
    expected = sorted(key(f) for f in walked if f["rule"] not in NOT_DECIDABLE)
    assert sorted(key(f) for f in observed) == expected
    rules = {f["rule"] for f in observed}
    assert {"traffic-type-changed", "property-new", "required-missing"} <= rules
    assert "kind-undocumented" in rules
    # The one the statistics cannot decide is left out, not guessed.
    assert {f["rule"] for f in walked} - rules == {"enum-value-new"}


def test_observations_of_the_traffic_the_spec_was_made_from_show_no_drift(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v1.json"
    load_captures(V1).save(path)
    assert findings("--from-observations", str(path)) == []


def test_a_snapshot_folder_is_compared_with_its_topic_facts_too(
    saved_v2: Path, tmp_path: Path
) -> None:
    from inferrer.inference import load_observations

    observations = load_observations(saved_v2)
    metadata = capture_topics(expand_capture_paths([V2]))
    now = int(time.time() * 1000)
    snaps = [
        Snapshot("g", f"m{i % 2}", topic, now, obs, metadata=metadata[topic])
        for i, (topic, obs) in enumerate(sorted(observations.items()))
    ]
    DirectoryStore(tmp_path).write(snaps)
    from_folder = findings("--from-observations", str(tmp_path))
    from_file = findings("--from-observations", str(saved_v2))
    assert sorted(map(key, from_folder)) == sorted(map(key, from_file))
    proc = run_cli(
        ["diff", "--spec", str(SPEC), "--from-observations", str(tmp_path), "--format", "json"]
    )
    assert proc.returncode == 1  # breaking drift, the default --fail-on
    assert json.loads(proc.stdout)["compared_with"] == f"observations {tmp_path}"


def test_from_observations_and_a_second_spec_do_not_mix(saved_v2: Path) -> None:
    proc = run_cli(["diff", "--spec", str(SPEC), str(SPEC), "--from-observations", str(saved_v2)])
    assert proc.returncode == 2
    assert "Error: compare the spec with a second spec or with observations, not both" in (
        proc.stderr
    )
