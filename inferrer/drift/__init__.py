"""Drift: compare a committed spec with observed traffic or another spec.

Public API::

    from inferrer.drift import DiffOptions, diff_specs, diff_spec_files, diff_observed
    from inferrer.drift import DriftReport, Finding, Evidence, render
"""

from __future__ import annotations

from inferrer.drift.compare import DiffOptions, diff_observed, diff_spec_files, diff_specs
from inferrer.drift.model import DriftReport, Evidence, Finding, Severity
from inferrer.drift.reporters import render
from inferrer.drift.rules import RuleTable, default_rules, load_rules
from inferrer.drift.spec import SpecView, normalize_spec, read_spec

__all__ = [
    "DiffOptions",
    "DriftReport",
    "Evidence",
    "Finding",
    "RuleTable",
    "Severity",
    "SpecView",
    "default_rules",
    "diff_observed",
    "diff_spec_files",
    "diff_specs",
    "load_rules",
    "normalize_spec",
    "read_spec",
    "render",
]
