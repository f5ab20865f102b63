"""docs/drift.md and the README stay true to the code: rules, json schema, flags."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import yaml

from inferrer.drift.compare import diff_specs
from inferrer.drift.options import DiffOptions
from inferrer.drift.reporters import render_json
from inferrer.drift.rules import default_rules
from inferrer.drift.traffic import diff_observed
from inferrer.model import DecodedMessage, TopicSummary
from tests.cli_inprocess import run_cli
from tests.drift_helpers import order_spec, payload_of

ROOT = Path(__file__).resolve().parents[3]
DOC = (ROOT / "docs" / "drift.md").read_text(encoding="utf-8")


def test_the_rule_table_in_the_docs_is_the_shipped_table() -> None:
    rows = re.findall(
        r"^\| `([a-z-]+)` \| ([a-z, ]+) \| (.+?) \| (\S+) \| (\S+) \| (\S+) \|$", DOC, re.MULTILINE
    )
    documented = {r[0]: (r[1], r[2], r[3], r[4], r[5]) for r in rows}
    shipped = {
        rule.id: (
            ", ".join(rule.where),
            rule.description,
            rule.severity["BACKWARD"],
            rule.severity["FORWARD"],
            rule.severity["FULL"],
        )
        for rule in default_rules().rules.values()
    }
    assert documented == shipped


def _json_schema() -> dict[str, object]:
    block = DOC.split("## JSON output (schema version 1)", 1)[1].split("```json\n", 1)[1]
    schema: dict[str, object] = json.loads(block.split("```", 1)[0])
    return schema


def test_json_reports_validate_against_the_documented_schema() -> None:
    schema = _json_schema()
    old = order_spec()
    new = order_spec()
    payload_of(new)["properties"]["amount"]["type"] = "string"
    spec_report = diff_specs(old, new, DiffOptions())
    value = {"type": "OrderPlaced", "orderId": "x", "amount": None}
    traffic_report = diff_observed(
        old,
        [TopicSummary(topic="shop.orders", messages=1, kinds=())],
        None,
        [DecodedMessage("shop.orders", 0, 5, None, True, value=value, kind="OrderPlaced")],
        DiffOptions(),
    )
    for report in (spec_report, traffic_report):
        assert report.findings
        jsonschema.validate(json.loads(render_json(report)), schema)


def test_the_nightly_workflow_runs_the_documented_command() -> None:
    workflow = yaml.safe_load((ROOT / "docs" / "nightly-drift.yml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["drift"]["steps"]
    run = next(s["run"] for s in steps if s.get("id") == "drift")
    assert "infer-asyncapi diff --spec asyncapi.yaml" in run
    assert "--format markdown -o drift.md --fail-on breaking" in run
    assert workflow[True]["schedule"] == [{"cron": "17 3 * * *"}]


def test_readme_and_docs_name_every_diff_flag() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    result = run_cli("diff", "--help")
    assert result.returncode == 0, result.stderr
    help_text = result.stdout
    source_flags = {
        "--allow-partial",
        "--bootstrap-server",
        "--command-config",
        "--exclude",
        "--follow",
        "--from",
        "--from-file",
        "--include-internal",
        "--max-messages",
        "--timeout",
        "--topics",
        "--from-observations",
        "--snapshot-retention",
        "--schema-registry",
        "--discriminator",
    }
    every = set(re.findall(r"--[a-z][a-z-]+", help_text)) - {"--help"}
    # The traffic source flags are shared with `infer`, and documented once in the README.
    assert source_flags <= every
    for flag in sorted(source_flags):
        assert flag in readme, flag
    # -v/-q belong to every command, and are documented once in the README.
    common_flags = {"--quiet", "--verbose"}
    assert common_flags <= every
    for flag in sorted(common_flags):
        assert flag in readme, flag
    flags = sorted(every - source_flags - common_flags)
    assert flags == [
        "--baseline",
        "--compatibility",
        "--fail-on",
        "--format",
        "--ignore",
        "--max-bytes",
        "--output",
        "--rules",
        "--spec",
        "--write-baseline",
    ]
    for flag in flags:
        assert flag in DOC, flag
        if flag != "--output":
            assert flag in readme, flag
