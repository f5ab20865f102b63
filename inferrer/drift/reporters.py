"""Render a :class:`~inferrer.drift.model.DriftReport`: text, markdown, json, junit xml.

Each renderer is a pure function from a report to a string; the same report
always renders to the same bytes.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from typing import Any, Literal

from inferrer.drift.model import SEVERITIES, DriftReport, Finding, Severity, severity_rank

Format = Literal["text", "markdown", "json", "junit"]
FailOn = Literal["breaking", "non-breaking", "info", "never"]
FORMATS: tuple[Format, ...] = ("text", "markdown", "json", "junit")


def _summary(report: DriftReport) -> str:
    counts = report.counts()
    parts = [f"{counts[s]} {s}" for s in SEVERITIES]
    text = ", ".join(parts) + f" (compatibility {report.compatibility}"
    if report.suppressed:
        text += f", {report.suppressed} suppressed"
    return text + ")"


def _at_or_above(finding: Finding, fail_on: FailOn) -> bool:
    if fail_on == "never":
        return False
    return severity_rank(finding.severity) <= severity_rank(fail_on)


def render_json(report: DriftReport) -> str:
    """The documented json schema (docs/drift.md), keys sorted, two-space indent."""
    return json.dumps(report.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _md_cell(text: Any) -> str:
    value = text if isinstance(text, str) else json.dumps(text, sort_keys=True, default=str)
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(report: DriftReport) -> str:
    """A PR comment or issue body: a summary line and one table row per finding."""
    lines = [
        f"## Drift report: `{report.spec}` against `{report.compared_with}`",
        "",
    ]
    if not report.findings:
        lines += [f"No drift found. {_summary(report)}", ""]
        return "\n".join(lines)
    lines += [
        _summary(report),
        "",
        "| Severity | Rule | Channel | Where | Pointer | Finding | Evidence |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in report.findings:
        evidence = ""
        if f.evidence is not None:
            e = f.evidence
            bits = []
            if e.count is not None:
                bits.append(f"{e.count} msgs")
            if e.ratio is not None:
                bits.append(f"{e.ratio:.1%}")
            if e.partition is not None and e.offset is not None:
                bits.append(f"e.g. p{e.partition}@{e.offset}")
            evidence = ", ".join(bits)
        lines.append(
            "| "
            + " | ".join(
                [
                    f"**{f.severity}**" if f.severity == "breaking" else f.severity,
                    f"`{f.rule}`",
                    _md_cell(f.channel or ""),
                    f.where or "",
                    f"`{_md_cell(f.pointer)}`",
                    _md_cell(f.message),
                    evidence,
                ]
            )
            + " |"
        )
    lines += ["", f"<sub>finding ids: {', '.join(f.id for f in report.findings)}</sub>", ""]
    return "\n".join(lines)


def render_junit(report: DriftReport, fail_on: FailOn = "breaking") -> str:
    """JUnit XML: one testsuite per channel, one testcase per finding; findings at or
    above ``fail_on`` are failures. A clean report is one passing testcase."""
    root = ET.Element("testsuites", {"name": "infer-asyncapi diff"})
    by_channel: dict[str, list[Finding]] = {}
    for f in report.findings:
        by_channel.setdefault(f.channel or "(spec)", []).append(f)
    total = failures = 0
    if not by_channel:
        suite = ET.SubElement(
            root, "testsuite", {"name": "drift", "tests": "1", "failures": "0", "errors": "0"}
        )
        ET.SubElement(suite, "testcase", {"classname": "drift", "name": "no drift"})
        total = 1
    for channel in sorted(by_channel):
        findings = by_channel[channel]
        failed = sum(1 for f in findings if _at_or_above(f, fail_on))
        suite = ET.SubElement(
            root,
            "testsuite",
            {
                "name": channel,
                "tests": str(len(findings)),
                "failures": str(failed),
                "errors": "0",
            },
        )
        total += len(findings)
        failures += failed
        for f in findings:
            case = ET.SubElement(
                suite,
                "testcase",
                {"classname": f"drift.{channel}", "name": f"{f.rule} {f.pointer} [{f.id}]"},
            )
            body = json.dumps(
                {"before": f.before, "after": f.after, "evidence": f.to_dict()["evidence"]},
                sort_keys=True,
                default=str,
            )
            if _at_or_above(f, fail_on):
                failure = ET.SubElement(case, "failure", {"type": f.severity, "message": f.message})
                failure.text = body
            else:
                out = ET.SubElement(case, "system-out")
                out.text = f"{f.severity}: {f.message}\n{body}"
    root.set("tests", str(total))
    root.set("failures", str(failures))
    buffer = io.BytesIO()
    ET.ElementTree(root).write(buffer, encoding="utf-8", xml_declaration=True)
    return buffer.getvalue().decode("utf-8") + "\n"


_STYLE: dict[Severity, str] = {"breaking": "bold red", "non-breaking": "yellow", "info": "cyan"}


def render_text(report: DriftReport, width: int = 120, color: bool = False) -> str:
    """For people: a rich table of findings and a summary line."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buffer = io.StringIO()
    console = Console(
        file=buffer, width=width, force_terminal=color, no_color=not color, highlight=False
    )
    console.print(Text(f"Drift report: {report.spec} against {report.compared_with}"))
    if not report.findings:
        console.print(Text(f"No drift found. {_summary(report)}"))
        return buffer.getvalue()
    table = Table(show_lines=False, expand=False)
    for name in ("severity", "rule", "channel", "finding", "pointer"):
        table.add_column(name, overflow="fold")
    for f in report.findings:
        table.add_row(
            Text(f.severity, style=_STYLE[f.severity]),
            Text(f.rule),
            Text(f.channel or ""),
            Text(f.message),
            Text(f.pointer),
        )
    console.print(table)
    console.print(Text(_summary(report)))
    return buffer.getvalue()


def render(
    report: DriftReport, fmt: Format, fail_on: FailOn = "breaking", color: bool = False
) -> str:
    """Render ``report`` in ``fmt``."""
    if fmt == "json":
        return render_json(report)
    if fmt == "markdown":
        return render_markdown(report)
    if fmt == "junit":
        return render_junit(report, fail_on)
    return render_text(report, color=color)
