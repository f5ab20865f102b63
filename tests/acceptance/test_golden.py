"""The golden document: what it holds, and the live broker infers it too.

The capture files inferring to it byte for byte is the golden case
(tests/acceptance/cases/bank-v1-infer). Regenerate it on purpose with `make golden` (and
review the diff) when inference or the document writer changes.
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
from tools import devregistry
from tools.demo import register_schemas


def test_the_golden_document_holds_the_contract_and_points_at_its_evidence() -> None:
    # That the v1 fixtures infer to it byte for byte (document and evidence), and that the
    # official parser accepts it, is the golden case: tests/acceptance/cases/bank-v1-infer.
    text = GOLDEN.read_text()
    assert evidence_path(GOLDEN).is_file()
    assert "is in the evidence file written beside this document" in text
    assert "x-inferrer-sample-size" not in text


@pytest.mark.kafka
@pytest.mark.registry
def test_the_broker_infers_the_golden_document(kafka: KafkaCluster, tmp_path: Path) -> None:
    prefix = fresh_prefix()
    # A registry of its own: the Avro topic's captures carry the ids a fresh one gives.
    registry = devregistry.start()
    try:
        register_schemas(registry.url, BANK / "v1", topic_prefix=prefix)
        replay_bank(kafka.bootstrap, V1, prefix)
        out = tmp_path / "asyncapi.yaml"
        args = ["infer", "-b", kafka.bootstrap, "--topics", f"{prefix}bank.*"]
        args += ["--schema-registry", registry.url]
        args += ["--from", "earliest", "--max-messages", "1000", "-o", str(out)]
        proc = run_cli(args)
    finally:
        registry.stop()
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    # The one difference: a live sample names the broker it read.
    host = kafka.bootstrap.split(",")[0]
    assert f"    host: {host}\n" in text
    assert without_servers(text) == without_servers(prefixed(GOLDEN.read_text(), prefix))
