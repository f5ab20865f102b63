"""The values a drift report is made of: findings, their evidence, the report.

A report is a frozen value; reporters render it, notebooks read
:meth:`DriftReport.to_records`. Finding ids are stable across runs: they are
derived from the rule, the channel, the message and the JSON pointer only.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["breaking", "non-breaking", "info"]
FailOn = Literal["breaking", "non-breaking", "info", "never"]
"""The ``--fail-on`` threshold: a severity, or never."""
Compatibility = Literal["BACKWARD", "FORWARD", "FULL"]
Where = Literal["topics", "messages", "payload", "key", "headers", "bindings"]

SEVERITIES: tuple[Severity, ...] = ("breaking", "non-breaking", "info")
"""Severities, most severe first."""

FAIL_ON: tuple[FailOn, ...] = (*SEVERITIES, "never")
"""The thresholds, strictest first."""

COMPATIBILITIES: tuple[Compatibility, ...] = ("BACKWARD", "FORWARD", "FULL")
WHERES: tuple[Where, ...] = ("topics", "messages", "payload", "key", "headers", "bindings")

REPORT_SCHEMA_VERSION = 1


def severity_rank(severity: Severity) -> int:
    """0 for breaking, 1 for non-breaking, 2 for info: lower is more severe."""
    return SEVERITIES.index(severity)


def at_or_above(severity: Severity, fail_on: FailOn) -> bool:
    """Whether a finding of ``severity`` fails a run with threshold ``fail_on``."""
    return fail_on != "never" and severity_rank(severity) <= severity_rank(fail_on)


def make_finding_id(rule: str, channel: str | None, message: str | None, pointer: str) -> str:
    """A short id that depends only on what the finding is about, never on when."""
    text = "\x1f".join((rule, channel or "", message or "", pointer))
    return "D" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class Evidence:
    """What in the sample supports a finding. ``example`` is already redacted."""

    count: int | None = None
    ratio: float | None = None
    partition: int | None = None
    offset: int | None = None
    example: Any = None


@dataclass(frozen=True, slots=True)
class Finding:
    """One classified difference between the committed spec and what it is compared with."""

    id: str
    rule: str
    severity: Severity
    pointer: str
    """JSON pointer into the committed spec (into the new spec for additions)."""
    message: str
    before: Any
    after: Any
    evidence: Evidence | None = None
    channel: str | None = None
    """Topic address the finding is about, when there is one."""
    where: Where | None = None
    kind: str | None = None
    """Message (event kind) the finding is about, when there is one."""

    def to_dict(self) -> dict[str, Any]:
        """The finding as plain JSON data (the ``findings[]`` item of the json report)."""
        evidence = None
        if self.evidence is not None:
            e = self.evidence
            evidence = {
                "count": e.count,
                "ratio": e.ratio,
                "partition": e.partition,
                "offset": e.offset,
                "example": e.example,
            }
        return {
            "id": self.id,
            "rule": self.rule,
            "severity": self.severity,
            "where": self.where,
            "channel": self.channel,
            "kind": self.kind,
            "pointer": self.pointer,
            "message": self.message,
            "before": self.before,
            "after": self.after,
            "evidence": evidence,
        }


def sort_findings(findings: list[Finding]) -> tuple[Finding, ...]:
    """Findings in report order: most severe first, then by channel, pointer, rule."""
    return tuple(
        sorted(
            findings,
            key=lambda f: (severity_rank(f.severity), f.channel or "", f.pointer, f.rule, f.id),
        )
    )


@dataclass(frozen=True, slots=True)
class DriftReport:
    """The result of a diff: findings (after baseline and ignore rules) and their context."""

    findings: tuple[Finding, ...]
    spec: str
    """What the committed spec is (usually its path)."""
    compared_with: str
    """What it was compared with: a second spec's path, or a description of the sample."""
    compatibility: str
    suppressed: int = 0
    """Findings silenced by the baseline or by ignore rules."""
    suppressed_findings: tuple[Finding, ...] = ()
    """The silenced findings themselves (not rendered; used to rewrite a baseline)."""

    @property
    def max_severity(self) -> Severity | None:
        """The most severe finding's severity, or None when there is no finding."""
        if not self.findings:
            return None
        return min((f.severity for f in self.findings), key=severity_rank)

    def counts(self) -> dict[Severity, int]:
        """Number of findings per severity (every severity present, zero included)."""
        out: dict[Severity, int] = dict.fromkeys(SEVERITIES, 0)
        for f in self.findings:
            out[f.severity] += 1
        return out

    def fails(self, fail_on: FailOn) -> bool:
        """True when a finding is at or above ``fail_on``."""
        top = self.max_severity
        return top is not None and at_or_above(top, fail_on)

    def to_dict(self) -> dict[str, Any]:
        """The report as the documented json schema (see docs/drift.md)."""
        return {
            "schema_version": REPORT_SCHEMA_VERSION,
            "spec": self.spec,
            "compared_with": self.compared_with,
            "compatibility": self.compatibility,
            "max_severity": self.max_severity,
            "counts": self.counts(),
            "suppressed": self.suppressed,
            "findings": [f.to_dict() for f in self.findings],
        }

    def to_records(self) -> list[dict[str, Any]]:
        """One flat row per finding (evidence fields prefixed), for a DataFrame."""
        rows = []
        for f in self.findings:
            d = f.to_dict()
            evidence = d.pop("evidence") or {}
            for name in ("count", "ratio", "partition", "offset", "example"):
                d[f"evidence_{name}"] = evidence.get(name)
            rows.append(d)
        return rows
