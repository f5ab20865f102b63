"""Collecting findings: each one classified by the rule table, one per finding id, and
the report they make (with the baseline and ignore rules applied).

Every kind of diff (spec against spec, against traffic, against observations) adds its
findings to one :class:`FindingCollector`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from inferrer.drift.model import (
    DriftReport,
    Evidence,
    Finding,
    Where,
    make_finding_id,
    sort_findings,
)
from inferrer.drift.options import DiffOptions
from inferrer.drift.rules import UNKNOWN_CHANGE, RuleId


@dataclass
class FindingCollector:
    """Collects findings, classifying each by the rule table; one per id."""

    options: DiffOptions
    findings: dict[str, Finding] = field(default_factory=dict)

    def add(
        self,
        rule: RuleId,
        where: Where,
        pointer: str,
        message: str,
        *,
        channel: str | None = None,
        kind: str | None = None,
        before: Any = None,
        after: Any = None,
        evidence: Evidence | None = None,
    ) -> None:
        table = self.options.table()
        if rule not in table.rules:
            message = f"{message} (no rule for {rule!r})"
            rule = UNKNOWN_CHANGE
        finding_id = make_finding_id(rule, channel, kind, pointer)
        if finding_id in self.findings:
            return
        self.findings[finding_id] = Finding(
            id=finding_id,
            rule=rule,
            severity=table.severity(rule, self.options.compatibility),
            pointer=pointer,
            message=message,
            before=_plain(before),
            after=_plain(after),
            evidence=evidence,
            channel=channel,
            where=where,
            kind=kind,
        )

    def report(self) -> DriftReport:
        """The report, with the baseline and ignore rules applied."""
        kept: list[Finding] = []
        suppressed: list[Finding] = []
        silenced = self.options.ignore | self.options.baseline
        for f in self.findings.values():
            if f.id in silenced or f.rule in self.options.ignore:
                suppressed.append(f)
            else:
                kept.append(f)
        return DriftReport(
            findings=sort_findings(kept),
            spec=self.options.spec_label,
            compared_with=self.options.compared_with,
            compatibility=self.options.compatibility,
            suppressed=len(suppressed),
            suppressed_findings=sort_findings(suppressed),
        )


def _plain(value: Any) -> Any:
    """JSON-safe plain data (tuples to lists, sets sorted)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((_plain(v) for v in value), key=sort_key)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def sort_key(value: Any) -> str:
    """A plain value's JSON text, keys sorted: a total order over values, and the way a
    finding's message shows one."""
    return json.dumps(value, sort_keys=True, default=str)
