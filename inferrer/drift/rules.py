"""The classification table: which severity each kind of change gets, per mode.

The table is data (``rules.yaml`` shipped with the package). A user file
overrides entries; :meth:`RuleTable.with_overrides` returns a new table and
never mutates the shared default.

Rule ids are the :data:`RuleId` literal type: the code names no rule the table lacks,
and the table holds no rule the code never reports (``tests/test_drift_rule_ids.py``).
A rule's ``match`` says which changes it classifies where a name decides it: schema
``keywords`` (spec against spec) and topic ``configs``; patterns as in
:func:`fnmatch.fnmatchcase`, the first rule in table order that matches wins.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, cast, get_args

import yaml

from inferrer.documents import parse_yaml, read_text
from inferrer.drift.model import COMPATIBILITIES, SEVERITIES, WHERES, Compatibility, Severity, Where
from inferrer.errors import ConfigError

RuleId = Literal[
    "channel-added",
    "channel-removed",
    "topic-undocumented",
    "topic-missing",
    "topic-silent",
    "message-added",
    "message-removed",
    "kind-undocumented",
    "kind-unobserved",
    "undecodable-messages",
    "schema-added",
    "schema-removed",
    "property-added",
    "property-added-closed-model",
    "required-property-added",
    "property-removed",
    "required-property-removed",
    "required-added",
    "required-removed",
    "type-widened",
    "type-narrowed",
    "type-changed",
    "enum-extended",
    "enum-narrowed",
    "format-changed",
    "constraint-tightened",
    "constraint-loosened",
    "content-model-closed",
    "content-model-opened",
    "annotation-changed",
    "validation-failure",
    "property-new",
    "property-new-closed-model",
    "property-unobserved",
    "property-absent",
    "required-missing",
    "null-appearing",
    "traffic-type-widened",
    "traffic-type-changed",
    "enum-value-new",
    "format-violation",
    "partitions-increased",
    "partitions-decreased",
    "replicas-changed",
    "cleanup-policy-changed",
    "retention-changed",
    "topic-config-changed",
    "consumer-group-new",
    "consumer-group-gone",
    "schema-id-new",
    "registry-incompatible",
    "subject-version-changed",
    "unknown-change",
]

RULE_IDS: tuple[RuleId, ...] = get_args(RuleId)
"""Every rule id, in the order of ``rules.yaml``."""

UNKNOWN_CHANGE: RuleId = "unknown-change"
MATCH_KINDS = ("keywords", "configs")
"""What a rule's ``match`` may name: schema keywords, topic configuration names."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of the table."""

    id: str
    where: tuple[Where, ...]
    description: str
    severity: Mapping[Compatibility, Severity]
    match: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    """Patterns of names this rule classifies, per kind of :data:`MATCH_KINDS`."""


@dataclass(frozen=True, slots=True)
class RuleTable:
    """Rule id → :class:`Rule`. Read-only; overrides make a new table."""

    rules: Mapping[str, Rule]

    def severity(self, rule_id: str, compatibility: Compatibility) -> Severity:
        """The severity of ``rule_id`` under ``compatibility``; unknown ids classify as
        ``unknown-change``."""
        rule = self.rules.get(rule_id) or self.rules[UNKNOWN_CHANGE]
        return rule.severity[compatibility]

    def config_rule(self, name: str) -> RuleId:
        """The rule a change of the topic configuration ``name`` is classified by."""
        return self.matching("configs", name) or "topic-config-changed"

    def matching(self, kind: str, name: object) -> RuleId | None:
        """The first rule whose ``match`` of ``kind`` (one of :data:`MATCH_KINDS`) has a
        pattern ``name`` matches, or None (also for a name that is not a string)."""
        if not isinstance(name, str):
            return None
        for rule in self.rules.values():
            if any(fnmatchcase(name, pattern) for pattern in rule.match.get(kind, ())):
                return cast(RuleId, rule.id)
        return None

    def with_overrides(self, overrides: Mapping[str, Any], source: str = "rules") -> RuleTable:
        """A new table with ``overrides`` applied (``{rule: severity}`` for every mode, or
        ``{rule: {MODE: severity}}``)."""
        rules = dict(self.rules)
        for rule_id, value in overrides.items():
            if rule_id not in rules:
                known = ", ".join(sorted(rules))
                raise ConfigError(f"{source}: unknown rule {rule_id!r} (known: {known})")
            base = rules[rule_id]
            severity = dict(base.severity)
            if isinstance(value, Mapping) and "severity" in value:
                value = value["severity"]
            if isinstance(value, str):
                severity = dict.fromkeys(COMPATIBILITIES, _severity(value, source, rule_id))
            elif isinstance(value, Mapping):
                for mode, sev in value.items():
                    if mode not in COMPATIBILITIES:
                        raise ConfigError(
                            f"{source}: rule {rule_id!r}: unknown compatibility mode {mode!r} "
                            "(use BACKWARD, FORWARD or FULL)"
                        )
                    severity[cast(Compatibility, mode)] = _severity(sev, source, rule_id)
            else:
                raise ConfigError(
                    f"{source}: rule {rule_id!r}: give a severity or a mapping of mode to severity"
                )
            rules[rule_id] = Rule(
                id=base.id,
                where=base.where,
                description=base.description,
                severity=MappingProxyType(severity),
                match=base.match,
            )
        return RuleTable(rules=MappingProxyType(rules))


def _severity(value: Any, source: str, rule_id: str) -> Severity:
    if value not in SEVERITIES:
        raise ConfigError(
            f"{source}: rule {rule_id!r}: unknown severity {value!r} "
            "(use breaking, non-breaking or info)"
        )
    return cast(Severity, value)


def _match(value: Any, source: str, rule_id: str) -> Mapping[str, tuple[str, ...]]:
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, Mapping) or any(k not in MATCH_KINDS for k in value):
        raise ConfigError(f"{source}: rule {rule_id!r}: match names {', '.join(MATCH_KINDS)}")
    return MappingProxyType({str(k): tuple(str(p) for p in v or ()) for k, v in value.items()})


def _parse_table(data: Any, source: str) -> RuleTable:
    if not isinstance(data, Mapping) or not isinstance(data.get("rules"), Mapping):
        raise ConfigError(f"{source}: expected a mapping with a 'rules' mapping")
    rules: dict[str, Rule] = {}
    for rule_id, row in data["rules"].items():
        if not isinstance(row, Mapping):
            raise ConfigError(f"{source}: rule {rule_id!r} is not a mapping")
        where = tuple(row.get("where") or ())
        if any(w not in WHERES for w in where):
            raise ConfigError(f"{source}: rule {rule_id!r}: unknown place in {list(where)}")
        severity = {
            mode: _severity((row.get("severity") or {}).get(mode), source, str(rule_id))
            for mode in COMPATIBILITIES
        }
        rules[str(rule_id)] = Rule(
            id=str(rule_id),
            where=cast(tuple[Where, ...], where),
            description=str(row.get("description", "")),
            severity=MappingProxyType(severity),
            match=_match(row.get("match"), source, str(rule_id)),
        )
    if UNKNOWN_CHANGE not in rules:
        raise ConfigError(f"{source}: the table must define {UNKNOWN_CHANGE!r}")
    return RuleTable(rules=MappingProxyType(rules))


@functools.cache
def default_rules() -> RuleTable:
    """The table shipped with inferrer (``inferrer/drift/rules.yaml``)."""
    text = resources.files("inferrer.drift").joinpath("rules.yaml").read_text(encoding="utf-8")
    return _parse_table(yaml.safe_load(text), "rules.yaml")


RULES_FILE = "rules file"


def load_rules(path: str | Path, base: RuleTable | None = None) -> RuleTable:
    """``base`` (the default table) with the overrides in the YAML or JSON file at ``path``.

    The file holds ``rules: {rule-id: severity | {BACKWARD: severity, ...}}``.
    """
    p = Path(path)
    data = parse_yaml(read_text(p, RULES_FILE, ConfigError), str(p), RULES_FILE, ConfigError)
    if not isinstance(data, Mapping) or not isinstance(data.get("rules"), Mapping):
        raise ConfigError(f"rules file {p}: expected a mapping with a 'rules' mapping")
    return (base or default_rules()).with_overrides(data["rules"], f"rules file {p}")
