"""The rule table is data: complete, overridable without mutation, strict about typos."""

from __future__ import annotations

from pathlib import Path

import pytest

from inferrer.drift.model import COMPATIBILITIES, SEVERITIES
from inferrer.drift.rules import default_rules, load_rules
from inferrer.errors import ConfigError


def test_every_rule_has_a_severity_for_every_mode_and_full_is_the_stricter() -> None:
    table = default_rules()
    assert "unknown-change" in table.rules
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    for rule in table.rules.values():
        assert set(rule.severity) == set(COMPATIBILITIES), rule.id
        assert rule.where, rule.id
        assert rule.description, rule.id
        # FULL is BACKWARD and FORWARD together: never milder than either.
        full = rank[rule.severity["FULL"]]
        assert full <= min(rank[rule.severity["BACKWARD"]], rank[rule.severity["FORWARD"]]), rule.id


def test_overrides_make_a_new_table_and_leave_the_default_alone(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "rules:\n  property-added: breaking\n  format-violation: {FORWARD: breaking}\n",
        encoding="utf-8",
    )
    table = load_rules(path)
    assert table.severity("property-added", "BACKWARD") == "breaking"
    assert table.severity("property-added", "FULL") == "breaking"
    assert table.severity("format-violation", "FORWARD") == "breaking"
    assert table.severity("format-violation", "BACKWARD") == "non-breaking"
    assert default_rules().severity("property-added", "BACKWARD") == "non-breaking"
    assert default_rules().severity("format-violation", "FORWARD") == "info"


def test_unknown_rule_ids_classify_as_unknown_change() -> None:
    assert default_rules().severity("no-such-rule", "BACKWARD") == "info"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules:\n  nope: info\n", "unknown rule 'nope' (known: "),
        (
            "rules:\n  property-added: fatal\n",
            "rule 'property-added': unknown severity 'fatal' (use breaking, non-breaking or info)",
        ),
        (
            "rules:\n  property-added: {SIDEWAYS: info}\n",
            "rule 'property-added': unknown "
            "compatibility mode 'SIDEWAYS' (use BACKWARD, FORWARD or FULL)",
        ),
        ("- 1\n", "expected a mapping with a 'rules' mapping"),
    ],
)
def test_bad_rules_files_are_usage_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_rules(path)
    assert str(e.value).startswith(f"rules file {path}: {message}")
    assert e.value.exit_code == 2
