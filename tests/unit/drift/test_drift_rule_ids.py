"""Rule ids: the code names no rule the table lacks, the table holds no rule nothing reports.

The code's ids are the ``RuleId`` literal type (mypy --strict holds every call that adds a
finding to it); these tests hold that type equal to ``rules.yaml``, every id to a place
that reports it, and the rule families the comparison picks among to the table's
``match`` entries.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import get_args

from inferrer.drift import compare, traffic
from inferrer.drift.rules import MATCH_KINDS, RULE_IDS, UNKNOWN_CHANGE, default_rules

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "inferrer"
CHECK_RS = ROOT / "crates" / "inferrer-core" / "src" / "check.rs"


def _strings_in_code() -> set[str]:
    """Every string constant of the package, but docstrings and the ``RuleId`` and
    ``Hit`` definitions themselves."""
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip: set[int] = set()
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "RuleId" for t in node.targets)
            ) or (isinstance(node, ast.AnnAssign) and ast.unparse(node.target) == "Hit"):
                skip.update(id(n) for n in ast.walk(node))
            elif isinstance(node, ast.Expr):  # a docstring, or a bare string
                skip.add(id(node.value))
        for node in ast.walk(tree):
            is_string = isinstance(node, ast.Constant) and isinstance(node.value, str)
            if is_string and id(node) not in skip:
                found.add(node.value)
    return found


def test_the_rule_id_type_is_the_table() -> None:
    assert tuple(default_rules().rules) == RULE_IDS


def test_every_rule_of_the_table_is_reported_somewhere() -> None:
    # A rule is reported by name in the code, or chosen by its match (keywords, configs).
    table = default_rules()
    matched = {r.id for r in table.rules.values() if any(r.match.get(k) for k in MATCH_KINDS)}
    unused = set(RULE_IDS) - _strings_in_code() - matched - {UNKNOWN_CHANGE}
    assert unused == set()


def test_every_keyword_family_has_its_classifier() -> None:
    table = default_rules()
    with_keywords = {r.id for r in table.rules.values() if r.match.get("keywords")}
    assert set(compare._KEYWORD_CLASSIFIERS) == with_keywords
    # The rules of one classifier are one family: they match the same keywords.
    families: dict[object, set[tuple[str, ...]]] = {}
    for rule_id, classify in compare._KEYWORD_CLASSIFIERS.items():
        families.setdefault(classify, set()).add(table.rules[rule_id].match["keywords"])
    assert all(len(keywords) == 1 for keywords in families.values())


def test_config_rules_come_from_the_table() -> None:
    table = default_rules()
    assert table.config_rule("cleanup.policy") == "cleanup-policy-changed"
    assert table.config_rule("retention.ms") == "retention-changed"
    assert table.config_rule("retention.bytes") == "retention-changed"
    assert table.config_rule("max.message.bytes") == "topic-config-changed"


def test_an_override_keeps_the_match() -> None:
    table = default_rules().with_overrides({"retention-changed": "breaking"})
    assert table.config_rule("retention.ms") == "retention-changed"
    assert table.severity("retention-changed", "FORWARD") == "breaking"


def test_what_the_field_walk_counts_is_a_rule_or_becomes_one() -> None:
    hits = set(get_args(traffic.Hit))
    # type-mismatch becomes traffic-type-widened or traffic-type-changed when emitted.
    assert hits - set(RULE_IDS) == {"type-mismatch"}
    assert {"traffic-type-widened", "traffic-type-changed"} <= set(RULE_IDS)


def test_the_core_counts_only_what_the_reference_counts() -> None:
    text = CHECK_RS.read_text(encoding="utf-8")
    used = set(re.findall(r'"([a-z]+(?:-[a-z]+)+)"', text)) - {"x-presence-ratio", "x-presence"}
    assert used <= set(get_args(traffic.Hit))
    assert "type-mismatch" in used
