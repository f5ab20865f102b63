"""Baselines: findings a team has accepted, by id, in a small JSON file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from inferrer.documents import parse_json, read_text
from inferrer.drift.model import DriftReport
from inferrer.errors import ConfigError

BASELINE_SCHEMA_VERSION = 1


def render_baseline(report: DriftReport) -> str:
    """Every finding of ``report`` (shown or already suppressed) as an accepted entry."""
    entries = sorted(
        (
            {"id": f.id, "rule": f.rule, "channel": f.channel, "pointer": f.pointer}
            for f in (*report.findings, *report.suppressed_findings)
        ),
        key=lambda e: str(e["id"]),
    )
    unique = list({e["id"]: e for e in entries}.values())
    doc: dict[str, Any] = {"schema_version": BASELINE_SCHEMA_VERSION, "accepted": unique}
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def read_baseline(path: str | Path) -> frozenset[str]:
    """The accepted finding ids in the baseline file at ``path``."""
    p = Path(path)
    data = parse_json(read_text(p, "baseline", ConfigError), str(p), "baseline", ConfigError)
    accepted = data.get("accepted") if isinstance(data, dict) else None
    if not isinstance(accepted, list):
        raise ConfigError(f"baseline {p}: expected an object with an 'accepted' list")
    ids = set()
    for entry in accepted:
        ident = entry.get("id") if isinstance(entry, dict) else entry
        if not isinstance(ident, str):
            raise ConfigError(f"baseline {p}: every accepted entry needs an 'id' string")
        ids.add(ident)
    return frozenset(ids)
