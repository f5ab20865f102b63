"""Golden cases: each directory under ``tests/acceptance/cases/`` is one run of the
command line, and what it must give.

A case directory holds its inputs (a capture file or folder, specs), ``case.yaml`` and
the expected outputs under ``expected/``. ``case.yaml`` says:

* ``about``: what the case shows, in a sentence or two;
* ``args``: the command line after ``infer-asyncapi``, run in the case directory (so
  reports name its files by relative paths); ``{out}`` is a fresh output directory;
* ``exit``: the exit code;
* ``stdout`` (optional): the expected file that standard output equals, byte for byte;
* ``files`` (optional): output file (in ``{out}``) -> the expected file it equals;
* ``valid`` (optional): output file -> the official AsyncAPI parser's verdict on it, as
  ``infer-asyncapi validate`` prints it (npm).

Run with ``INFERRER_REGENERATE_CASES=1`` (``make golden``) to write the outputs over the
expected files instead, on purpose, then review ``git diff``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.kafka_util import run_cli

CASES = Path(__file__).resolve().parent / "cases"
REGENERATE = os.environ.get("INFERRER_REGENERATE_CASES") == "1"
KEYS = {"about", "args", "exit", "stdout", "files", "valid"}


@dataclass(frozen=True)
class Case:
    """One case directory, read from its ``case.yaml``."""

    directory: Path
    about: str
    args: tuple[str, ...]
    exit: int
    stdout: str | None = None
    files: dict[str, str] = field(default_factory=dict)
    valid: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.directory.name

    def argv(self, out: Path) -> list[str]:
        return [a.format(out=out) for a in self.args]


def read_case(directory: Path) -> Case:
    raw: dict[str, Any] = yaml.safe_load((directory / "case.yaml").read_text())
    unknown = set(raw) - KEYS
    assert not unknown, f"{directory.name}/case.yaml: unknown keys {sorted(unknown)}"
    return Case(
        directory=directory,
        about=raw["about"],
        args=tuple(str(a) for a in raw["args"]),
        exit=int(raw["exit"]),
        stdout=raw.get("stdout"),
        files=dict(raw.get("files") or {}),
        valid=dict(raw.get("valid") or {}),
    )


def discover() -> list[Case]:
    return [read_case(d) for d in sorted(CASES.iterdir()) if (d / "case.yaml").is_file()]


ALL = discover()


def run_case(case: Case, out: Path) -> str:
    """Run the case into ``out``; check (or regenerate) its exit code and outputs.

    Returns standard output."""
    out.mkdir(parents=True, exist_ok=True)
    proc = run_cli(case.argv(out), env={"COLUMNS": "100"}, cwd=case.directory)
    assert proc.returncode == case.exit, f"{case.name}: exit {proc.returncode}\n{proc.stderr}"
    actual = {case.directory / exp: (out / name).read_bytes() for name, exp in case.files.items()}
    if case.stdout is not None:
        actual[case.directory / case.stdout] = proc.stdout.encode()
    for expected, data in actual.items():
        if REGENERATE:
            expected.resolve().write_bytes(data)
        else:
            # As text, so that a failure shows the lines that differ.
            assert data.decode() == expected.read_text(), f"{case.name}: {expected.name} differs"
    return proc.stdout


def test_the_cases_are_found_and_each_says_what_it_shows() -> None:
    assert len(ALL) >= 4
    assert "bank-v1-infer" in {c.name for c in ALL}
    for case in ALL:
        assert case.about.strip(), case.name
        assert case.files or case.stdout, f"{case.name}: expects nothing"
        for expected in [*case.files.values(), *([case.stdout] if case.stdout else [])]:
            assert (case.directory / expected).is_file(), f"{case.name}: no {expected}"


@pytest.mark.parametrize("case", ALL, ids=[c.name for c in ALL])
def test_case(case: Case, tmp_path: Path) -> None:
    run_case(case, tmp_path / "out")


VALIDATED = [(c, name) for c in ALL for name in c.valid]


@pytest.mark.npm
@pytest.mark.parametrize(
    ("case", "name"), VALIDATED, ids=[f"{c.name}/{name}" for c, name in VALIDATED]
)
def test_case_output_is_valid_asyncapi(case: Case, name: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_case(case, out)
    proc = run_cli(["validate", str(out / name)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # Warnings (if any) come first, one a line; the verdict is the last line.
    assert proc.stdout.splitlines()[-1] == f"{out / name}: {case.valid[name]}"
