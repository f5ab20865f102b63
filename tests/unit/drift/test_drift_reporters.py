"""Reporters: exact markdown and junit structure, a stable json schema, readable text."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from inferrer.cli.text_report import render_text
from inferrer.drift.model import DriftReport, Evidence, Finding, make_finding_id
from inferrer.drift.reporters import render_json, render_junit, render_markdown


def _report() -> DriftReport:
    breaking = Finding(
        id=make_finding_id("null-appearing", "shop.orders", "OrderPlaced", "/p/amount"),
        rule="null-appearing",
        severity="breaking",
        pointer="/p/amount",
        message="shop.orders OrderPlaced payload /amount: null in 5 of 50 values",
        before=["number"],
        after=["number", "null"],
        evidence=Evidence(count=5, ratio=0.1, partition=0, offset=100, example={"amount": None}),
        channel="shop.orders",
        where="payload",
        kind="OrderPlaced",
    )
    info = Finding(
        id=make_finding_id("topic-silent", "shop.refunds", None, "/channels/refunds"),
        rule="topic-silent",
        severity="info",
        pointer="/channels/refunds",
        message="topic shop.refunds had no message | in the sample window",
        before=None,
        after=None,
        evidence=Evidence(count=0),
        channel="shop.refunds",
        where="topics",
    )
    return DriftReport(
        findings=(breaking, info),
        spec="asyncapi.yaml",
        compared_with="traffic",
        compatibility="BACKWARD",
        suppressed=1,
    )


def test_markdown_is_a_summary_table_then_one_row_per_finding_by_severity() -> None:
    report = _report()
    ids = [f.id for f in report.findings]
    assert render_markdown(report) == (
        "## Drift report: `asyncapi.yaml` against `traffic`\n"
        "\n"
        "| Severity | Findings | Root causes |\n"
        "|---|---|---|\n"
        "| breaking | 1 | 1 |\n"
        "| non-breaking | 0 | 0 |\n"
        "| info | 1 | 1 |\n"
        "\n"
        "1 breaking, 0 non-breaking, 1 info (compatibility BACKWARD, 1 suppressed)\n"
        "\n"
        "### breaking (1)\n"
        "\n"
        "| Rule | Channel | Where | Pointer | Finding | Evidence | Id |\n"
        "|---|---|---|---|---|---|---|\n"
        "| `null-appearing` | shop.orders | payload | `/p/amount` | "
        "shop.orders OrderPlaced payload /amount: null in 5 of 50 values | "
        f"5 msgs, 10.0%, e.g. p0@100 | `{ids[0]}` |\n"
        "\n"
        "### info (1)\n"
        "\n"
        "| Rule | Channel | Where | Pointer | Finding | Evidence | Id |\n"
        "|---|---|---|---|---|---|---|\n"
        "| `topic-silent` | shop.refunds | topics | `/channels/refunds` | "
        f"topic shop.refunds had no message \\| in the sample window | 0 msgs | `{ids[1]}` |\n"
    )


def test_markdown_of_a_clean_report() -> None:
    report = DriftReport(findings=(), spec="a.yaml", compared_with="b.yaml", compatibility="FULL")
    assert render_markdown(report) == (
        "## Drift report: `a.yaml` against `b.yaml`\n\n"
        "No drift found. 0 breaking, 0 non-breaking, 0 info (compatibility FULL)\n"
    )


def test_json_follows_the_documented_schema() -> None:
    report = _report()
    data = json.loads(render_json(report))
    assert sorted(data) == [
        "compared_with",
        "compatibility",
        "counts",
        "findings",
        "max_severity",
        "schema_version",
        "spec",
        "suppressed",
    ]
    assert data["schema_version"] == 1
    assert data["max_severity"] == "breaking"
    assert data["counts"] == {"breaking": 1, "non-breaking": 0, "info": 1}
    assert data["findings"][0] == {
        "id": report.findings[0].id,
        "rule": "null-appearing",
        "severity": "breaking",
        "where": "payload",
        "channel": "shop.orders",
        "kind": "OrderPlaced",
        "pointer": "/p/amount",
        "message": "shop.orders OrderPlaced payload /amount: null in 5 of 50 values",
        "before": ["number"],
        "after": ["number", "null"],
        "evidence": {
            "count": 5,
            "ratio": 0.1,
            "partition": 0,
            "offset": 100,
            "example": {"amount": None},
        },
    }
    assert render_json(report) == render_json(_report())


def test_junit_has_a_suite_per_channel_and_fails_at_or_above_fail_on() -> None:
    report = _report()
    root = ET.fromstring(render_junit(report, "breaking"))
    assert (root.tag, root.get("tests"), root.get("failures")) == ("testsuites", "2", "1")
    suites = [(s.get("name"), s.get("tests"), s.get("failures")) for s in root]
    assert suites == [("shop.orders", "1", "1"), ("shop.refunds", "1", "0")]
    orders_case = root[0][0]
    assert orders_case.get("classname") == "drift.shop.orders"
    assert orders_case.get("name") == f"null-appearing /p/amount [{report.findings[0].id}]"
    failure = orders_case.find("failure")
    assert failure is not None
    assert failure.get("type") == "breaking"
    assert failure.get("message") == report.findings[0].message
    assert json.loads(failure.text or "")["before"] == ["number"]
    refunds_case = root[1][0]
    assert refunds_case.find("failure") is None
    assert (refunds_case.findtext("system-out") or "").startswith("info: topic shop.refunds")
    strict = ET.fromstring(render_junit(report, "info"))
    assert strict.get("failures") == "2"
    never = ET.fromstring(render_junit(report, "never"))
    assert never.get("failures") == "0"


def test_junit_of_a_clean_report_is_one_passing_case() -> None:
    report = DriftReport(findings=(), spec="a", compared_with="b", compatibility="BACKWARD")
    root = ET.fromstring(render_junit(report))
    assert root.get("tests") == "1" and root.get("failures") == "0"
    assert [c.get("name") for c in root.iter("testcase")] == ["no drift"]


def test_text_lists_findings_without_markup_surprises() -> None:
    text = render_text(_report(), width=200)
    assert text.splitlines()[0] == "Drift report: asyncapi.yaml against traffic"
    assert "null-appearing" in text
    assert "shop.orders OrderPlaced payload /amount: null in 5 of 50 values" in text
    assert text.splitlines()[-1] == (
        "1 breaking, 0 non-breaking, 1 info (compatibility BACKWARD, 1 suppressed)"
    )
    assert "\x1b[" not in text


def test_records_are_flat_rows_for_a_dataframe() -> None:
    rows = _report().to_records()
    assert rows[0]["evidence_count"] == 5
    assert rows[0]["evidence_offset"] == 100
    assert rows[1]["evidence_partition"] is None
    assert "evidence" not in rows[0]
