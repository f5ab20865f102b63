"""Render a :class:`~inferrer.drift.model.DriftReport`: markdown, json, junit xml,
GitHub Actions annotations, SARIF 2.1.0. The text table for people is the command
line's (:mod:`inferrer.cli.text_report`).

Each renderer is a pure function from a report to a string; the same report
always renders to the same bytes.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, get_args

from inferrer.drift.model import (
    COMPATIBILITIES,
    SEVERITIES,
    Compatibility,
    DriftReport,
    FailOn,
    Finding,
    Severity,
    at_or_above,
    severity_rank,
)

if TYPE_CHECKING:
    from inferrer.asyncapi.read import LineMap

Format = Literal["markdown", "json", "junit", "github", "sarif"]
FORMATS: tuple[Format, ...] = get_args(Format)
"""The formats :func:`render` writes."""
LINE_FORMATS: tuple[Format, ...] = ("github", "sarif")
"""The formats that point at lines of the committed spec's file."""


def summary_line(report: DriftReport) -> str:
    """Findings per severity, the compatibility mode and what was suppressed, in a line."""
    counts = report.counts()
    parts = [f"{counts[s]} {s}" for s in SEVERITIES]
    text = ", ".join(parts) + f" (compatibility {report.compatibility}"
    if report.suppressed:
        text += f", {report.suppressed} suppressed"
    return text + ")"


def render_json(report: DriftReport) -> str:
    """The documented json schema (docs/drift.md), keys sorted, two-space indent."""
    return json.dumps(report.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _md_cell(text: Any) -> str:
    value = text if isinstance(text, str) else json.dumps(text, sort_keys=True, default=str)
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


@dataclass(frozen=True, slots=True)
class FindingGroup:
    """Findings with one root cause: the same rule and severity in the same channel and
    place (payload, key, ...), across paths and event kinds. ``pointer`` is the deepest
    pointer every member lies under (the map or object they share)."""

    severity: Severity
    rule: str
    channel: str | None
    where: str | None
    pointer: str
    findings: tuple[Finding, ...]


def _common_pointer(pointers: list[str]) -> str:
    parts = [p.split("/") for p in pointers]
    common: list[str] = []
    for tokens in zip(*parts, strict=False):
        if any(t != tokens[0] for t in tokens):
            break
        common.append(tokens[0])
    return "/".join(common)


def group_findings(findings: tuple[Finding, ...] | list[Finding]) -> tuple[FindingGroup, ...]:
    """``findings`` grouped by root cause, in report order (most severe first, then the
    order of each group's first finding)."""
    groups: dict[tuple[Any, ...], list[Finding]] = {}
    for f in findings:
        groups.setdefault((f.severity, f.rule, f.channel or "", f.where or ""), []).append(f)
    out = [
        FindingGroup(
            severity=members[0].severity,
            rule=members[0].rule,
            channel=members[0].channel,
            where=members[0].where,
            pointer=_common_pointer([m.pointer for m in members]),
            findings=tuple(members),
        )
        for members in groups.values()
    ]
    return tuple(sorted(out, key=lambda g: severity_rank(g.severity)))


_GROUP_LISTED = 3
"""A group this small is shown one row per finding; a larger one as one row."""
_GROUP_EXAMPLES = 3
"""Pointers named as examples in a large group's row."""

DEFAULT_MAX_BYTES = 65_000
"""The markdown report's default budget: a GitHub comment holds 65,536 characters."""
MIN_MAX_BYTES = 2_048
"""The smallest ``--max-bytes``: the header, the summary table and the tail must fit."""


def _evidence_cell(f: Finding) -> str:
    if f.evidence is None:
        return ""
    e = f.evidence
    bits = []
    if e.count is not None:
        bits.append(f"{e.count} msgs")
    if e.ratio is not None:
        bits.append(f"{e.ratio:.1%}")
    if e.partition is not None and e.offset is not None:
        bits.append(f"e.g. p{e.partition}@{e.offset}")
    return ", ".join(bits)


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _finding_row(f: Finding) -> str:
    return _md_row(
        [
            f"`{f.rule}`",
            _md_cell(f.channel or ""),
            f.where or "",
            f"`{_md_cell(f.pointer)}`",
            _md_cell(f.message),
            _evidence_cell(f),
            f"`{f.id}`",
        ]
    )


def _group_row(g: FindingGroup) -> str:
    first = g.findings[0]
    rest = [
        f"`{_md_cell(f.pointer[len(g.pointer) :] or f.pointer)}`"
        for f in g.findings[1 : 1 + _GROUP_EXAMPLES]
    ]
    more = len(g.findings) - 1 - len(rest)
    also = ", ".join(rest) + (f" and {more} more" if more else "")
    counts = [f.evidence.count for f in g.findings if f.evidence and f.evidence.count is not None]
    evidence = f"{sum(counts)} msgs in all" if counts else ""
    return _md_row(
        [
            f"`{g.rule}` ×{len(g.findings)}",
            _md_cell(g.channel or ""),
            g.where or "",
            f"`{_md_cell(g.pointer or '/')}` …",
            _md_cell(f"{len(g.findings)} findings, e.g. {first.message}") + f"; also {also}",
            evidence,
            "",
        ]
    )


_TABLE_HEAD = [
    "| Rule | Channel | Where | Pointer | Finding | Evidence | Id |",
    "|---|---|---|---|---|---|---|",
]


def render_markdown(report: DriftReport, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """A PR comment or issue body of at most ``max_bytes`` UTF-8 bytes: a summary table,
    then findings by severity (related findings grouped by root cause, see
    :func:`group_findings`), then how many did not fit."""
    lines = [
        f"## Drift report: `{report.spec}` against `{report.compared_with}`",
        "",
    ]
    if not report.findings:
        lines += [f"No drift found. {summary_line(report)}", ""]
        return "\n".join(lines)
    groups = group_findings(report.findings)
    counts = report.counts()
    lines += ["| Severity | Findings | Root causes |", "|---|---|---|"]
    for severity in SEVERITIES:
        n_groups = sum(1 for g in groups if g.severity == severity)
        lines.append(f"| {severity} | {counts[severity]} | {n_groups} |")
    lines += ["", summary_line(report)]
    size = sum(len(line.encode("utf-8")) + 1 for line in lines)
    total = len(report.findings)
    # The tail is the longest it can be, so that the budget holds whatever it says.
    tail_room = len(_tail(total, max_bytes).encode("utf-8")) + 2
    shown = 0
    full = False
    for severity in SEVERITIES:
        members = [g for g in groups if g.severity == severity]
        if not members or full:
            continue
        block = ["", f"### {severity} ({counts[severity]})", "", *_TABLE_HEAD]
        block_size = sum(len(line.encode("utf-8")) + 1 for line in block)
        rows: list[tuple[str, int]] = []
        for g in members:
            if len(g.findings) <= _GROUP_LISTED:
                rows += [(_finding_row(f), 1) for f in g.findings]
            else:
                rows.append((_group_row(g), len(g.findings)))
        added = False
        for row, n in rows:
            row_size = len(row.encode("utf-8")) + 1
            extra = row_size + (0 if added else block_size)
            if size + extra + tail_room > max_bytes:
                full = True
                break
            if not added:
                lines += block
                added = True
            lines.append(row)
            size += extra
            shown += n
    if shown < total:
        lines += ["", _tail(total - shown, max_bytes)]
    lines.append("")
    return "\n".join(lines)


def _tail(hidden: int, max_bytes: int) -> str:
    return (
        f"… and {hidden} more findings, not shown to keep this report under {max_bytes} "
        "bytes: write the full report elsewhere, e.g. `--format json --output drift.json`."
    )


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
        failed = sum(1 for f in findings if at_or_above(f.severity, fail_on))
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
            if at_or_above(f.severity, fail_on):
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


_GITHUB_LEVEL: dict[Severity, str] = {
    "breaking": "error",
    "non-breaking": "warning",
    "info": "notice",
}
_SARIF_LEVEL: dict[Severity, str] = {
    "breaking": "error",
    "non-breaking": "warning",
    "info": "note",
}


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: DriftReport, lines: LineMap | None = None) -> str:
    """GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice``
    annotation per finding (per root cause for large groups, see :func:`group_findings`),
    at the committed spec's line for the finding's pointer (``lines``, from
    :func:`inferrer.asyncapi.read.load_line_map`; a pointer the spec lacks points at its
    nearest ancestor), then a plain summary line."""
    from inferrer.asyncapi.read import line_of

    line_map = lines or {}
    out: list[str] = []
    spec = _gh_property(report.spec)
    for g in group_findings(report.findings):
        if len(g.findings) <= _GROUP_LISTED:
            items = [(f.pointer, f.rule, f.message + f" [{f.id}]") for f in g.findings]
        else:
            first = g.findings[0]
            text = (
                f"{len(g.findings)} findings under {g.pointer or '/'}, e.g. {first.message}"
                f" [{first.id}]"
            )
            items = [(g.pointer, f"{g.rule} ×{len(g.findings)}", text)]
        for pointer, title, message in items:
            out.append(
                f"::{_GITHUB_LEVEL[g.severity]} file={spec},line={line_of(line_map, pointer)},"
                f"title={_gh_property(title)}::{_gh_data(message)}"
            )
    out.append(f"drift: {summary_line(report)}")
    return "\n".join(out) + "\n"


SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"


def render_sarif(report: DriftReport, lines: LineMap | None = None) -> str:
    """SARIF 2.1.0 (GitHub code scanning): the rule table as ``tool.driver.rules``, one
    result per finding with its level and the committed spec's line (see
    :func:`render_github` for ``lines``)."""
    from urllib.parse import quote

    from inferrer.asyncapi.read import line_of
    from inferrer.drift.rules import default_rules
    from inferrer.version import __version__

    line_map = lines or {}
    table = default_rules()
    mode: Compatibility = "BACKWARD"
    for known in COMPATIBILITIES:
        if report.compatibility == known:
            mode = known
    rule_ids = sorted(set(table.rules) | {f.rule for f in report.findings})
    rules = []
    for rule_id in rule_ids:
        rule = table.rules.get(rule_id)
        description = rule.description if rule is not None else rule_id
        severity = table.severity(rule_id, mode)
        rules.append(
            {
                "id": rule_id,
                "name": "".join(part.capitalize() for part in rule_id.split("-")),
                "shortDescription": {"text": description or rule_id},
                "defaultConfiguration": {"level": _SARIF_LEVEL[severity]},
                "properties": {"severity": severity},
            }
        )
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    uri = quote(report.spec.replace("\\", "/"))
    results = []
    for f in report.findings:
        results.append(
            {
                "ruleId": f.rule,
                "ruleIndex": index[f.rule],
                "level": _SARIF_LEVEL[f.severity],
                "message": {"text": f.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": uri},
                            "region": {"startLine": line_of(line_map, f.pointer)},
                        },
                        "logicalLocations": [{"fullyQualifiedName": f.pointer, "kind": "member"}],
                    }
                ],
                "partialFingerprints": {"inferrerFindingId/v1": f.id},
                "properties": {
                    "severity": f.severity,
                    "pointer": f.pointer,
                    "channel": f.channel,
                    "kind": f.kind,
                    "where": f.where,
                },
            }
        )
    log = {
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "infer-asyncapi",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "results": results,
                "properties": {
                    "comparedWith": report.compared_with,
                    "compatibility": report.compatibility,
                    "suppressed": report.suppressed,
                },
            }
        ],
    }
    return json.dumps(log, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render(
    report: DriftReport,
    fmt: Format,
    fail_on: FailOn = "breaking",
    *,
    lines: LineMap | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> str:
    """Render ``report`` in ``fmt``. ``lines`` (the committed spec's line map) places
    github and sarif findings; ``max_bytes`` bounds the markdown report."""
    if fmt == "json":
        return render_json(report)
    if fmt == "markdown":
        return render_markdown(report, max_bytes)
    if fmt == "junit":
        return render_junit(report, fail_on)
    if fmt == "github":
        return render_github(report, lines)
    return render_sarif(report, lines)
