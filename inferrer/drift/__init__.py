"""Drift: compare a committed spec with observed traffic or another spec.

Public API::

    from inferrer.drift import DiffOptions, diff_specs, diff_observed
    from inferrer.drift import diff_observations
    from inferrer.drift import DriftReport, Finding, Evidence, render
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inferrer.drift.compare import diff_specs
    from inferrer.drift.model import DriftReport, Evidence, Finding, Severity
    from inferrer.drift.observed import diff_observations
    from inferrer.drift.options import DiffOptions
    from inferrer.drift.reporters import render
    from inferrer.drift.rules import RuleId, RuleTable, default_rules, load_rules
    from inferrer.drift.spec import SpecView, normalize_spec, read_spec
    from inferrer.drift.traffic import diff_observed

_HOMES = {
    "DiffOptions": "options",
    "diff_observed": "traffic",
    "diff_observations": "observed",
    "diff_specs": "compare",
    "DriftReport": "model",
    "Evidence": "model",
    "Finding": "model",
    "Severity": "model",
    "render": "reporters",
    "RuleId": "rules",
    "RuleTable": "rules",
    "default_rules": "rules",
    "load_rules": "rules",
    "SpecView": "spec",
    "normalize_spec": "spec",
    "read_spec": "spec",
}


def __getattr__(name: str) -> Any:
    # Loaded on first use: importing one drift module (the reporters, for the CLI's
    # option defaults) does not import the comparison and its jsonschema.
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'inferrer.drift' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"inferrer.drift.{home}"), name)


__all__ = [
    "DiffOptions",
    "DriftReport",
    "Evidence",
    "Finding",
    "RuleId",
    "RuleTable",
    "Severity",
    "SpecView",
    "default_rules",
    "diff_observations",
    "diff_observed",
    "diff_specs",
    "load_rules",
    "normalize_spec",
    "read_spec",
    "render",
]
