"""SARIF reports for code scanning are valid against the official SARIF 2.1.0 schema
(``@microsoft/jest-sarif``, installed by ``make npm``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from inferrer.asyncapi.validate import find_node_modules
from inferrer.drift.reporters import render_sarif
from tests.unit.drift.test_drift_ci_reports import (
    SPEC_YAML,
    YAML_AMOUNT_LINE,
    YAML_PROPERTIES_LINE,
    _capture,
    _diff,
    _many_findings,
)


def _sarif_validator() -> jsonschema.protocols.Validator:
    path = find_node_modules() / "@microsoft" / "jest-sarif" / "lib" / "schemas"
    schema = json.loads((path / "sarif-2.1.0-rtm.5.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)  # type: ignore[no-any-return]


@pytest.mark.npm
def test_sarif_validates_against_the_official_schema(tmp_path: Path) -> None:
    spec = tmp_path / "asyncapi.yaml"
    spec.write_text(SPEC_YAML, encoding="utf-8")
    out = tmp_path / "drift.sarif"
    result = _diff(
        "--spec",
        spec,
        "--from-file",
        _capture(tmp_path / "c.jsonl"),
        "--format",
        "sarif",
        "-o",
        out,
    )
    assert result.returncode == 1, result.stderr
    log = json.loads(out.read_text(encoding="utf-8"))
    validator = _sarif_validator()
    errors = sorted(validator.iter_errors(log), key=str)
    assert errors == []
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert set(by_rule) == {"traffic-type-changed", "property-new"}
    changed = by_rule["traffic-type-changed"]
    assert changed["level"] == "error"
    assert rules[changed["ruleIndex"]]["id"] == "traffic-type-changed"
    region = changed["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": YAML_AMOUNT_LINE}
    undocumented = by_rule["property-new"]
    assert undocumented["level"] == "warning"
    assert undocumented["locations"][0]["physicalLocation"]["region"]["startLine"] == (
        YAML_PROPERTIES_LINE
    )
    # The whole rule table is the driver's rules, levels as configured by default.
    assert {r["id"] for r in rules} >= {"type-changed", "topic-silent", "unknown-change"}
    silent = next(r for r in rules if r["id"] == "topic-silent")
    assert silent["defaultConfiguration"] == {"level": "note"}


@pytest.mark.npm
def test_a_broken_sarif_log_fails_the_schema() -> None:
    """The validator used above rejects what is not SARIF (the check can fail)."""
    report = _many_findings(3)
    log: dict[str, Any] = json.loads(render_sarif(report))
    log["runs"][0]["results"][0]["level"] = "fatal"
    del log["runs"][0]["tool"]["driver"]["name"]
    assert len(list(_sarif_validator().iter_errors(log))) >= 2
