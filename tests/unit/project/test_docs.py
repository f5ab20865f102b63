"""The README and the command line cannot drift apart."""

from __future__ import annotations

import re
from typing import Any

import typer.main

from inferrer.cli import register
from tests.bank_helpers import ROOT
from tests.kafka_util import run_cli

README = (ROOT / "README.md").read_text(encoding="utf-8")
MAIN_COMMANDS = ("infer", "diff", "record", "watch")


def _group() -> Any:
    return typer.main.get_group(register())


def _commands() -> list[str]:
    return sorted(_group().commands)


def test_top_level_help_lists_the_commands() -> None:
    proc = run_cli(["--help"])
    assert proc.returncode == 0, proc.stderr
    commands = proc.stdout.split("Commands:\n")[1]
    listed = re.findall(r"^  ([a-z][a-z-]*) {2,}", commands, flags=re.MULTILINE)
    assert sorted(listed) == _commands()


def test_every_command_is_in_the_readme_table_and_back() -> None:
    table = re.findall(r"^\| `infer-asyncapi ([a-z][a-z-]*)` \|", README, flags=re.MULTILINE)
    assert sorted(table) == _commands()  # each command once, and nothing else


def test_every_command_the_readme_mentions_exists() -> None:
    mentioned = set(re.findall(r"infer-asyncapi ([a-z][a-z-]*)\b", README))
    assert mentioned <= set(_commands()), mentioned - set(_commands())


def test_every_flag_of_the_main_commands_is_in_the_readme() -> None:
    group = _group()
    for name in MAIN_COMMANDS:
        command = group.commands[name]
        flags = {
            opt
            for param in command.params
            for opt in (*param.opts, *param.secondary_opts)
            if opt.startswith("--") and opt != "--help"
        }
        assert flags, name
        missing = sorted(f for f in flags if not re.search(re.escape(f) + r"\b", README))
        assert not missing, f"{name}: {missing}"
