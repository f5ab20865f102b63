"""`--version` and `--help` import nothing heavy: no parser of messages, no schema
library, no Kafka client, no compiled core, no rich (measured in BENCHMARKS.md, not
timed here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from inferrer.cli import COMMAND_MODULES, COMMAND_SUMMARIES, register

HEAVY = (
    "confluent_kafka",
    "genson",
    "inferrer._core",
    "jsonschema",
    "orjson",
    "pandas",
    "pydantic",
    "rich",
    "yaml",
    "inferrer.asyncapi",
    "inferrer.drift",
    "inferrer.pipeline",
)

_PROBE = """
import json, sys
from inferrer.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
sys.stderr.write(json.dumps(sorted(sys.modules)))
"""


def _imported(*args: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, timeout=60
    )
    return set(json.loads(result.stderr.splitlines()[-1]))


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["-h"]])
def test_version_and_help_import_nothing_heavy(args: list[str]) -> None:
    imported = _imported(*args)
    heavy = sorted(m for m in imported if m.split(".")[0] in HEAVY or m.startswith(HEAVY))
    assert heavy == []
    assert "inferrer.cli" in imported  # the probe ran the real entry point


def test_a_command_imports_what_it_needs() -> None:
    """The probe sees imports: running a command's --help does load its modules."""
    assert "inferrer.drift.reporters" in _imported("diff", "--help")


def test_the_root_help_lists_each_command_with_its_own_summary() -> None:
    group = register()
    names = list(COMMAND_MODULES)
    assert list(COMMAND_SUMMARIES) == names
    import typer.main

    command = typer.main.get_command(group)
    for name in names:
        sub = command.commands[name]  # type: ignore[attr-defined]
        assert sub.short_help == COMMAND_SUMMARIES[name], name
    result = subprocess.run(
        [sys.executable, "-m", "inferrer", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    assert [
        line.split()[0]
        for line in result.stdout.split("Commands:\n")[1].splitlines()
        if line.startswith("  ") and not line.startswith("   ")
    ] == names


_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bank" / "v1"


def test_reading_a_capture_without_a_registry_or_sidecar_loads_no_registry_module(
    tmp_path: Path,
) -> None:
    capture = sorted(_FIXTURES.glob("*.jsonl"))[0]
    plain = tmp_path / "plain.jsonl"
    plain.write_bytes(capture.read_bytes())
    out = tmp_path / "doc.yaml"
    imported = _imported("infer", "--from-file", str(plain), "-o", str(out), "--no-summary")
    assert out.exists()
    assert "inferrer.pipeline" in imported  # the probe ran the command
    # Only the option's parser (registry.settings) is read; no client, decoder or sidecar.
    loaded = sorted(m for m in imported if m.startswith("inferrer.registry."))
    assert loaded == ["inferrer.registry.settings"]
    # With a schema sidecar beside the capture, the registry's sidecar reader is loaded.
    (tmp_path / "plain.schemas.json").write_text(
        json.dumps({"format": "inferrer-capture-schemas", "version": 1, "schemas": {}})
    )
    imported = _imported("infer", "--from-file", str(plain), "-o", str(out), "--no-summary")
    assert "inferrer.registry.sidecar" in imported
