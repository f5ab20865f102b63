"""`infer-asyncapi diff` through the real entry point: exit codes, exact errors, files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.drift_helpers import order_spec, payload_of


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inferrer", "diff", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )


def write(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(doc, sort_keys=True), encoding="utf-8")
    return path


def specs(tmp_path: Path) -> tuple[Path, Path]:
    """old.yaml and new.yaml where new has one breaking and one non-breaking change."""
    old = write(tmp_path / "old.yaml", order_spec())
    changed = order_spec()
    payload_of(changed)["properties"]["amount"]["type"] = "string"
    payload_of(changed)["properties"]["fee"] = {"type": "number"}
    new = write(tmp_path / "new.yaml", changed)
    return old, new


def test_no_drift_exits_0(tmp_path: Path) -> None:
    old = write(tmp_path / "old.yaml", order_spec())
    result = run("--spec", old, old, "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["findings"], data["max_severity"]) == ([], None)


def test_breaking_drift_exits_1_and_fail_on_moves_the_threshold(tmp_path: Path) -> None:
    old, new = specs(tmp_path)
    result = run("--spec", old, new, "--format", "json")
    assert result.returncode == 1
    assert [f["rule"] for f in json.loads(result.stdout)["findings"]] == [
        "type-changed",
        "property-added",
    ]
    assert run("--spec", old, new, "--fail-on", "never").returncode == 0
    assert run("--spec", old, new, "--ignore", "type-changed").returncode == 0
    assert (
        run("--spec", old, new, "--ignore", "type-changed", "--fail-on", "non-breaking").returncode
        == 1
    )
    # FORWARD: adding an optional property is still fine, a changed type is not.
    forward = run("--spec", old, new, "--compatibility", "FORWARD", "--format", "json")
    assert forward.returncode == 1


def test_output_file_is_written_and_stdout_stays_empty(tmp_path: Path) -> None:
    old, new = specs(tmp_path)
    out = tmp_path / "report.md"
    result = run("--spec", old, new, "--format", "markdown", "-o", out)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"drift: 1 breaking, 1 non-breaking, 0 info; report written to {out}\n"
    )
    text = out.read_text(encoding="utf-8")
    assert text.startswith(f"## Drift report: `{old}` against `{new}`\n")
    assert "### breaking (1)\n\n| Rule |" in text
    assert "| `type-changed` | shop.orders | payload |" in text
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_junit_output(tmp_path: Path) -> None:
    old, new = specs(tmp_path)
    result = run("--spec", old, new, "--format", "junit")
    assert result.returncode == 1
    assert result.stdout.startswith("<?xml version='1.0' encoding='utf-8'?>\n<testsuites ")
    assert 'tests="2" failures="1"' in result.stdout


def test_baseline_round_trip(tmp_path: Path) -> None:
    old, new = specs(tmp_path)
    baseline = tmp_path / "baseline.json"
    first = run("--spec", old, new, "--write-baseline", baseline, "--format", "json")
    assert first.returncode == 1
    accepted = json.loads(baseline.read_text(encoding="utf-8"))
    assert accepted["schema_version"] == 1
    assert sorted(e["rule"] for e in accepted["accepted"]) == ["property-added", "type-changed"]
    second = run("--spec", old, new, "--baseline", baseline, "--format", "json")
    assert second.returncode == 0
    data = json.loads(second.stdout)
    assert (data["findings"], data["suppressed"]) == ([], 2)


def test_rules_override_changes_the_exit_code(tmp_path: Path) -> None:
    old, new = specs(tmp_path)
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  type-changed: info\n", encoding="utf-8")
    result = run("--spec", old, new, "--rules", rules, "--format", "json")
    assert result.returncode == 0
    assert [f["severity"] for f in json.loads(result.stdout)["findings"]] == [
        "non-breaking",
        "info",
    ]


def test_unreadable_spec_exits_3_naming_file_and_place(tmp_path: Path) -> None:
    old, _ = specs(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text("asyncapi: 3.0.0\nchannels: {a: [\n", encoding="utf-8")
    result = run("--spec", old, bad)
    assert result.returncode == 3
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: {bad}:3:1: invalid YAML: ")
    missing = run("--spec", tmp_path / "nope.yaml", old)
    assert (missing.returncode, missing.stderr) == (
        3,
        f"Error: cannot read spec {tmp_path / 'nope.yaml'}: no such file\n",
    )


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    old, new = specs(tmp_path)
    nothing = run("--spec", old)
    assert (nothing.returncode, nothing.stderr) == (
        2,
        "Error: nothing to compare the spec with: give a second spec "
        "(infer-asyncapi diff --spec OLD.yaml NEW.yaml), --from-file CAPTURE, "
        "or -b BOOTSTRAP --topics PATTERN\n",
    )
    both = run("--spec", old, new, "--from-file", str(old))
    assert (both.returncode, both.stderr) == (
        2,
        "Error: compare the spec with a second spec or with traffic, not both\n",
    )
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  type-changed: fatal\n", encoding="utf-8")
    bad_rules = run("--spec", old, new, "--rules", rules)
    assert (bad_rules.returncode, bad_rules.stderr) == (
        2,
        f"Error: rules file {rules}: rule 'type-changed': unknown severity 'fatal' "
        "(use breaking, non-breaking or info)\n",
    )
    missing_baseline = run("--spec", old, new, "--baseline", tmp_path / "b.json")
    assert (missing_baseline.returncode, missing_baseline.stderr) == (
        2,
        f"Error: cannot read baseline {tmp_path / 'b.json'}: no such file\n",
    )
    bad_format = run("--spec", old, new, "--format", "xml")
    assert bad_format.returncode == 2
    flat = " ".join(bad_format.stderr.replace("│", " ").split())
    assert "'xml' is not one of 'text', 'markdown', 'json', 'junit'" in flat
    no_spec = run(new)
    assert no_spec.returncode == 2
    assert "Missing option '--spec'" in no_spec.stderr


def test_help_lists_every_flag() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "inferrer", "diff", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    for flag in (
        "--spec",
        "--format",
        "--output",
        "--fail-on",
        "--compatibility",
        "--rules",
        "--baseline",
        "--write-baseline",
        "--ignore",
    ):
        assert flag in result.stdout, flag
