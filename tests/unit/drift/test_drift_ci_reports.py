"""Reports for CI: GitHub annotations at the committed spec's lines, SARIF 2.1.0 valid
against the official schema, and a markdown report that fits a GitHub comment."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from inferrer.asyncapi.read import line_map, line_of
from inferrer.drift.model import DriftReport, Evidence, Finding, make_finding_id
from inferrer.drift.reporters import (
    DEFAULT_MAX_BYTES,
    group_findings,
    render_github,
    render_markdown,
)

SPEC_YAML = """\
asyncapi: 3.0.0
info:
  title: Orders
  version: 1.0.0
channels:
  orders:
    address: shop.orders
    messages:
      OrderPlaced:
        name: OrderPlaced
        payload:
          type: object
          properties:
            orderId:
              type: string
            amount:
              type: number
          required:
          - orderId
          - amount
"""
# Lines of SPEC_YAML (1-based) the findings below belong to.
YAML_PROPERTIES_LINE = 13
YAML_AMOUNT_LINE = 16

POINTER = "/channels/orders/messages/OrderPlaced/payload/properties"


def _capture(path: Path) -> Path:
    lines = [
        json.dumps(
            {
                "topic": "shop.orders",
                "partition": 0,
                "offset": i,
                "ts": 1700000000000 + i,
                "key": None,
                "payload": json.dumps({"orderId": f"o{i}", "amount": "12.50", "coupon": "C"}),
            }
        )
        for i in range(20)
    ]
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def _diff(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inferrer", "diff", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


ANNOTATION = re.compile(
    r"^::(error|warning|notice) file=(?P<file>[^,]+),line=(?P<line>\d+),"
    r"title=(?P<title>[^:]+)::(?P<message>.*)$"
)


def _annotations(stdout: str) -> dict[str, list[tuple[str, int]]]:
    """title (rule) → [(level, line)] of the workflow commands in ``stdout``."""
    out: dict[str, list[tuple[str, int]]] = {}
    for text in stdout.splitlines():
        if not text.startswith("::"):
            continue
        match = ANNOTATION.match(text)
        assert match, text
        out.setdefault(match["title"], []).append((match[1], int(match["line"])))
    return out


def test_yaml_line_map_points_at_keys_and_missing_nodes_at_their_parent() -> None:
    lines = line_map(SPEC_YAML)
    assert line_of(lines, f"{POINTER}/amount") == YAML_AMOUNT_LINE
    assert line_of(lines, f"{POINTER}/amount/type") == YAML_AMOUNT_LINE + 1
    assert line_of(lines, f"{POINTER}/coupon") == YAML_PROPERTIES_LINE
    assert line_of(lines, "/channels/orders/messages/OrderPlaced/payload/required/1") == 20
    assert line_of(lines, "/channels/refunds") == 5
    assert line_of(lines, "") == 1
    assert line_of({}, f"{POINTER}/amount") == 1


def test_github_annotations_point_at_the_yaml_spec_lines(tmp_path: Path) -> None:
    spec = tmp_path / "asyncapi.yaml"
    spec.write_text(SPEC_YAML, encoding="utf-8")
    result = _diff(
        "--spec", spec, "--from-file", _capture(tmp_path / "c.jsonl"), "--format", "github"
    )
    assert result.returncode == 1, result.stderr
    found = _annotations(result.stdout)
    assert found["traffic-type-changed"] == [("error", YAML_AMOUNT_LINE)]
    assert found["property-new"] == [("warning", YAML_PROPERTIES_LINE)]
    assert all(
        m["file"] == str(spec) for m in map(ANNOTATION.match, result.stdout.splitlines()) if m
    )
    assert result.stdout.splitlines()[-1].startswith("drift: 1 breaking, 1 non-breaking, ")


def test_github_annotations_point_at_the_json_spec_lines(tmp_path: Path) -> None:
    import yaml

    doc = yaml.safe_load(SPEC_YAML)
    text = json.dumps(doc, indent=2) + "\n"
    spec = tmp_path / "asyncapi.json"
    spec.write_text(text, encoding="utf-8")
    rows = text.splitlines()
    stripped = [row.strip() for row in rows]
    amount = stripped.index('"amount": {') + 1
    properties = stripped.index('"properties": {') + 1
    assert (amount, properties) == (19, 15)
    result = _diff(
        "--spec", spec, "--from-file", _capture(tmp_path / "c.jsonl"), "--format", "github"
    )
    assert result.returncode == 1, result.stderr
    found = _annotations(result.stdout)
    assert found["traffic-type-changed"] == [("error", amount)]
    assert found["property-new"] == [("warning", properties)]


def test_github_escapes_workflow_command_characters() -> None:
    finding = Finding(
        id="D1",
        rule="topic-silent",
        severity="info",
        pointer="/channels/a",
        message="100% silent\nfor a day",
        before=None,
        after=None,
    )
    report = DriftReport(
        findings=(finding,), spec="specs/a,b:c.yaml", compared_with="t", compatibility="FULL"
    )
    assert render_github(report, {"": 1, "/channels": 3}).splitlines()[0] == (
        "::notice file=specs/a%2Cb%3Ac.yaml,line=3,title=topic-silent::"
        "100%25 silent%0Afor a day [D1]"
    )


def _many_findings(n: int, channels: int = 7) -> DriftReport:
    rules = [
        ("field-undocumented", "non-breaking"),
        ("type-changed", "breaking"),
        ("null-appearing", "breaking"),
        ("enum-value-added", "info"),
    ]
    findings = []
    for i in range(n):
        rule, severity = rules[i % len(rules)]
        channel = f"bank.accounts.{i % channels}"
        pointer = (
            f"/channels/c{i % channels}/messages/Balance/payload/properties/balances"
            f"/properties/4{i:015d}"
        )
        findings.append(
            Finding(
                id=make_finding_id(rule, channel, "Balance", pointer),
                rule=rule,
                severity=severity,  # type: ignore[arg-type]
                pointer=pointer,
                message=f"{channel} Balance payload /balances/<key {i}>: changed in 3 of 9 values",
                before=None,
                after=None,
                evidence=Evidence(count=3, ratio=1 / 3, partition=0, offset=i),
                channel=channel,
                where="payload",
                kind="Balance",
            )
        )
    from inferrer.drift.model import sort_findings

    return DriftReport(
        findings=sort_findings(findings),
        spec="asyncapi.yaml",
        compared_with="traffic",
        compatibility="BACKWARD",
    )


def test_a_10000_finding_markdown_report_fits_a_github_comment() -> None:
    report = _many_findings(10_000)
    text = render_markdown(report)
    assert len(text) < 65_536
    assert len(text.encode("utf-8")) <= DEFAULT_MAX_BYTES
    head = text.splitlines()
    assert head[2:7] == [
        "| Severity | Findings | Root causes |",
        "|---|---|---|",
        "| breaking | 5000 | 14 |",
        "| non-breaking | 2500 | 7 |",
        "| info | 2500 | 7 |",
    ]
    # Grouped by root cause: 28 rows say all there is, nothing is cut off.
    assert "### breaking (5000)" in text
    assert "### info (2500)" in text
    assert "more findings" not in text
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert len(rows) == 28
    assert all(re.match(r"\| `[a-z-]+` ×\d+ \|", row) for row in rows)


def test_markdown_cuts_at_the_budget_and_says_how_many_are_left() -> None:
    report = _many_findings(10_000, channels=5_000)
    text = render_markdown(report, max_bytes=20_000)
    assert len(text.encode("utf-8")) <= 20_000
    tail = text.rstrip("\n").splitlines()[-1]
    match = re.fullmatch(
        r"… and (\d+) more findings, not shown .* `--format json --output drift.json`\.", tail
    )
    assert match, tail
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert int(match[1]) == 10_000 - len(rows)
    # Most severe first: what fits is breaking.
    assert "### breaking (5000)" in text
    assert "### info" not in text


@pytest.mark.parametrize("budget", [2_048, 5_000, 65_000])
def test_markdown_never_exceeds_the_budget(budget: int) -> None:
    for n in (1, 3, 50, 2_000):
        text = render_markdown(_many_findings(n, channels=n), max_bytes=budget)
        assert len(text.encode("utf-8")) <= budget, (n, budget)


def test_groups_share_rule_channel_and_place_and_name_their_common_parent() -> None:
    groups = group_findings(_many_findings(16, channels=2).findings)
    assert [(g.rule, g.channel, len(g.findings)) for g in groups][:2] == [
        ("null-appearing", "bank.accounts.0", 4),
        ("type-changed", "bank.accounts.1", 4),
    ]
    assert (
        groups[0].pointer == "/channels/c0/messages/Balance/payload/properties/balances/properties"
    )


def test_max_bytes_below_the_minimum_is_a_usage_error(tmp_path: Path) -> None:
    spec = tmp_path / "asyncapi.yaml"
    spec.write_text(SPEC_YAML, encoding="utf-8")
    result = _diff("--spec", spec, spec, "--format", "markdown", "--max-bytes", "100")
    assert result.returncode == 2
    assert "--max-bytes" in result.stderr


def test_a_tab_indented_json_spec_has_its_lines() -> None:
    text = (
        '{\n\t"asyncapi": "3.0.0",\n\t"channels": {\n\t\t"orders": {"address": "a\\tb"}\n\t}\n}\n'
    )
    lines = line_map(text)
    assert line_of(lines, "/channels/orders/address") == 4
    assert line_of(lines, "/channels/refunds") == 3
