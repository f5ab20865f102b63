"""Drift of registry-backed topics, offline: a spec inferred from one capture and its
schema sidecar, compared with a later capture whose producers moved to a new version."""

from __future__ import annotations

from pathlib import Path

import pytest

from inferrer.asyncapi.build import DocumentOptions
from inferrer.capture import write_capture
from inferrer.drift.options import DiffOptions
from inferrer.drift.spec import normalize_spec
from inferrer.pipeline import Source, diff, infer
from inferrer.registry.document import Located
from inferrer.registry.sidecar import write_sidecar
from tests.registry_traffic import LOCATED, SCHEMAS, traffic


@pytest.fixture
def captures(tmp_path: Path) -> tuple[Path, Path]:
    payments = [r for r in traffic() if r.topic == "bank.payments"]
    before = tmp_path / "before.jsonl"
    write_capture([r for r in payments if r.value and r.value[1:5] == b"\0\0\0\x01"], before)
    write_sidecar(
        before,
        {1: SCHEMAS[1], 4: SCHEMAS[4]},
        [],
        {1: Located("bank.payments-value", 1, "TopicNameStrategy")},
    )
    after = tmp_path / "after.jsonl"
    write_capture(payments, after)
    write_sidecar(after, SCHEMAS, [], LOCATED)
    return before, after


def spec_of(capture: Path) -> dict[str, object]:
    return infer(Source(capture_files=(capture,)), DocumentOptions()).document


def test_the_spec_keeps_the_writer_schema_as_contract(captures: tuple[Path, Path]) -> None:
    spec = spec_of(captures[0])
    view = normalize_spec(spec)
    [message] = view.channels["bank.payments"].messages.values()
    assert message.registry == {
        "record": "com.bank.Payment",
        "schemaId": 1,
        "schemaIds": [1],
        "schemaType": "AVRO",
        "strategy": "TopicNameStrategy",
        "subject": "bank.payments-value",
        "version": 1,
    }
    # Drift reads the Avro payload as the JSON Schema of its decoded values.
    assert message.payload is not None
    assert message.payload["properties"]["currency"] == {"type": "string", "enum": ["EUR", "USD"]}
    assert sorted(message.payload["required"]) == ["amount", "currency", "id"]


def test_same_traffic_no_drift(captures: tuple[Path, Path]) -> None:
    before = captures[0]
    report = diff(spec_of(before), Source(capture_files=(before,)), DiffOptions())
    assert report.findings == ()


def test_a_new_version_in_traffic_is_found(captures: tuple[Path, Path]) -> None:
    before, after = captures
    report = diff(spec_of(before), Source(capture_files=(after,)), DiffOptions())
    by_rule = {f.rule: f for f in report.findings}
    assert sorted(by_rule) == ["property-new", "schema-id-new"]
    new_id = by_rule["schema-id-new"]
    assert new_id.severity == "non-breaking"
    assert new_id.after == 2 and new_id.before == [1]
    assert new_id.evidence is not None and new_id.evidence.count == 60
    assert "schema id 2 (com.bank.Payment)" in new_id.message
    assert by_rule["property-new"].pointer.endswith("/memo")


def test_kept_messages_are_decoded_and_not_counted_twice(captures: tuple[Path, Path]) -> None:
    from inferrer.pipeline import collect

    after = captures[1]
    got = collect(Source(capture_files=(after,)), keep_messages=True)
    assert got.framed is not None
    assert got.framed.topic_use("bank.payments")["value"].ids == {1: 60, 2: 60}
    # The reference walk sees the decoded values, as the fold did.
    assert {m.encoding for m in got.messages} == {"json"}
    assert all(isinstance(m.value, dict) and "currency" in m.value for m in got.messages)


def test_only_files_with_writer_schemas_take_the_python_path(
    captures: tuple[Path, Path], tmp_path: Path
) -> None:
    from inferrer.registry.framed import FramedDecoder
    from inferrer.registry.sidecar import read_sidecars

    before, after = captures
    plain = tmp_path / "plain.jsonl"
    write_capture([], plain)
    framed = FramedDecoder(read_sidecars([before, after, plain], None))
    assert framed.wants(before) and framed.wants(after)
    assert not framed.wants(plain)
