"""The golden document: the v1 bank fixtures still infer to it, byte for byte.

Regenerate it on purpose with `make golden` (and review the diff) when inference or
the document writer changes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from inferrer.asyncapi.evidence import evidence_path
from tests.bank_helpers import (
    BANK,
    GOLDEN,
    V1,
    fresh_prefix,
    prefixed,
    replay_bank,
    without_servers,
)
from tests.conftest import KafkaCluster
from tests.kafka_util import run_cli


def test_capture_files_infer_the_golden_document(tmp_path: Path) -> None:
    out = tmp_path / GOLDEN.name
    proc = run_cli(["infer", "--from-file", str(BANK / "v1"), "--topics", "bank.*", "-o", str(out)])
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == GOLDEN.read_bytes()
    # ... and the evidence beside it, to the byte too.
    evidence = evidence_path(GOLDEN)
    assert evidence_path(out).read_bytes() == evidence.read_bytes()
    assert "is in the evidence file written beside this document" in out.read_text()
    assert "x-inferrer-sample-size" not in out.read_text()


def test_golden_document_is_valid_asyncapi() -> None:
    proc = run_cli(["validate", str(GOLDEN)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == f"{GOLDEN}: valid (0 errors, 0 warnings)"


@pytest.mark.kafka
def test_the_broker_infers_the_golden_document(kafka: KafkaCluster, tmp_path: Path) -> None:
    prefix = fresh_prefix()
    replay_bank(kafka.bootstrap, V1, prefix)
    out = tmp_path / "asyncapi.yaml"
    args = ["infer", "-b", kafka.bootstrap, "--topics", f"{prefix}bank.*"]
    args += ["--from", "earliest", "--max-messages", "1000", "-o", str(out)]
    proc = run_cli(args)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    # The one difference: a live sample names the broker it read.
    host = kafka.bootstrap.split(",")[0]
    assert f"    host: {host}\n" in text
    assert without_servers(text) == without_servers(prefixed(GOLDEN.read_text(), prefix))
