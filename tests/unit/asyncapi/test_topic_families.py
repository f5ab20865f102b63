"""Topic families: one templated channel for topics that differ in one segment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from inferrer.asyncapi.families import find_families, parameter_name
from inferrer.asyncapi.read import load_document
from inferrer.capture import write_capture
from inferrer.model import KindSummary, TopicSummary
from inferrer.records import Record
from tests.cli_inprocess import run_cli

SCHEMA = {"type": "object", "properties": {"orderId": {"type": "string"}}, "required": ["orderId"]}
OTHER = {"type": "object", "properties": {"sku": {"type": "string"}}, "required": ["sku"]}


def topic(name: str, schema: dict[str, Any] = SCHEMA, count: int = 10) -> TopicSummary:
    kind = KindSummary(name="Created", count=count, payload_schema=schema, first_timestamp=count)
    return TopicSummary(topic=name, messages=count, kinds=(kind,), first_timestamp=count)


def test_topics_differing_in_one_segment_with_the_same_messages_are_a_family() -> None:
    summaries = [
        topic("orders.eu.created", count=5),
        topic("orders.us.created", count=7),
        topic("orders.apac.created", count=9),
        topic("orders.eu.deleted"),  # differs in another segment
        topic("stock.eu.created", OTHER),
    ]
    (family,) = find_families(summaries, 3)
    assert family.address == "orders.{region}.created"
    assert family.values == ("apac", "eu", "us")
    assert family.members == ("orders.apac.created", "orders.eu.created", "orders.us.created")
    assert find_families(summaries, 4) == []
    assert find_families(summaries, 0) == []


def test_look_alikes_with_other_messages_are_no_family() -> None:
    summaries = [
        topic("orders.eu.created"),
        topic("orders.us.created"),
        topic("orders.apac.created", OTHER),
    ]
    assert find_families(summaries, 2)[0].members == ("orders.eu.created", "orders.us.created")
    assert find_families(summaries, 3) == []


def test_parameter_names() -> None:
    assert parameter_name(["prod", "dev", "staging"]) == "env"
    assert parameter_name(["eu", "us", "apac"]) == "region"
    assert parameter_name(["1", "2", "3"]) == "number"
    assert parameter_name(["acme", "globex", "initech"]) == "name"


def _records(topic: str, n: int, extra: dict[str, Any] | None = None) -> list[Record]:
    return [
        Record(
            topic,
            0,
            i,
            1_772_409_600_000 + i,
            key=None,
            value=json.dumps({"orderId": f"o-{i}", "total": i + 0.5, **(extra or {})}).encode(),
        )
        for i in range(n)
    ]


def test_infer_groups_a_family_and_diff_checks_each_member(tmp_path: Path) -> None:
    capture = tmp_path / "c.jsonl"
    records = [
        r for region in ("eu", "us", "apac") for r in _records(f"orders.{region}.placed", 40)
    ]
    write_capture(records, capture)
    spec = tmp_path / "asyncapi.yaml"
    proc = run_cli("infer", "--from-file", str(capture), "-o", str(spec), "-q")
    assert proc.returncode == 0, proc.stderr
    doc = load_document(spec)
    assert [c["address"] for c in doc["channels"].values()] == ["orders.{region}.placed"]
    proc = run_cli("diff", "--spec", str(spec), "--from-file", str(capture), "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["findings"] == []
    # A member that changes its payload is reported; a new region is an undocumented topic.
    changed = tmp_path / "changed.jsonl"
    write_capture(
        [
            *_records("orders.eu.placed", 40),
            *_records("orders.us.placed", 40, {"orderId": 7}),
            *_records("orders.za.placed", 40),
        ],
        changed,
    )
    proc = run_cli("diff", "--spec", str(spec), "--from-file", str(changed), "--format", "json")
    findings = json.loads(proc.stdout)["findings"]
    text = json.dumps(findings)
    assert "orders.us.placed" in text and "orders.za.placed" in text
    assert "orders.eu.placed" not in text
    # --group-topics 0: one channel per topic, as before.
    proc = run_cli("infer", "--from-file", str(capture), "--group-topics", "0", "-q")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("    address: orders.") == 3


def test_the_cli_default_is_the_library_default() -> None:
    from inferrer.asyncapi.families import DEFAULT_MIN_FAMILY
    from inferrer.cli.infer_cmd import DEFAULT_GROUP_TOPICS

    assert DEFAULT_GROUP_TOPICS == DEFAULT_MIN_FAMILY
