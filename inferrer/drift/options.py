"""How to compare and classify: the options every kind of diff takes."""

from __future__ import annotations

from dataclasses import dataclass

from inferrer.drift.model import Compatibility
from inferrer.drift.rules import RuleTable, default_rules


@dataclass(frozen=True, slots=True)
class DiffOptions:
    """How to compare and classify; every field has a sensible default."""

    compatibility: Compatibility = "BACKWARD"
    rules: RuleTable | None = None
    """None means the shipped table (:func:`~inferrer.drift.rules.default_rules`)."""
    ignore: frozenset[str] = frozenset()
    """Rule ids or finding ids to silence."""
    baseline: frozenset[str] = frozenset()
    """Finding ids already accepted."""
    spec_label: str = "spec"
    """What the committed spec is called in the report and in errors."""
    compared_with: str = ""
    """What it is compared with; empty: named by :func:`inferrer.pipeline.diff` after
    what it is (a second spec's file, the source of traffic or observations)."""
    scope: frozenset[str] | None = None
    """Documented topics that were meant to be sampled (for missing/silent checks);
    None means every documented topic."""
    absence_p_value: float = 1e-6
    """A documented property is called absent (not just unobserved) only when the
    probability of never seeing it, given its documented presence ratio, is below this."""
    max_validations_per_kind: int = 1000
    """jsonschema validations per message kind beyond the first of each distinct shape."""
    max_shapes_per_kind: int = 10_000
    reuse_shapes: bool = True
    """Walk each distinct message shape once and replay it (False: walk every message,
    the reference the fast path is tested against)."""
    top_reasons: int = 3
    max_enum_values: int = 20
    """New enum values listed per field; beyond that only the count is kept."""

    def table(self) -> RuleTable:
        return self.rules or default_rules()
