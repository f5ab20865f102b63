"""Shell completion through typer's own mechanism: --show-completion prints the script,
and the script's callback completes commands, flags and their choices."""

from __future__ import annotations

import os
import subprocess
import sys


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inferrer", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def _complete(words: str) -> list[str]:
    """What bash completion offers for the last of ``words`` (as the script asks)."""
    parts = words.split(" ")
    env = {
        "_INFER_ASYNCAPI_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(parts) - 1),
    }
    result = subprocess.run(
        [sys.executable, "-c", "from inferrer.cli import main; main([])"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_show_completion_prints_the_bash_script() -> None:
    result = _run("--show-completion", "bash", env={"SHELL": "/bin/bash"})
    assert result.returncode == 0, result.stderr
    assert "complete -o default -F _infer_asyncapi_completion infer-asyncapi" in result.stdout
    assert "_INFER_ASYNCAPI_COMPLETE=complete_bash" in result.stdout


def test_show_completion_takes_the_shell_named_not_the_parent_process() -> None:
    # Under sh (make, cron) typer's own detection finds "sh"; the shell named wins.
    result = subprocess.run(
        ["sh", "-c", f'"{sys.executable}" -m inferrer --show-completion zsh'],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "#compdef infer-asyncapi" in result.stdout
    wrong = _run("--show-completion", "tcsh")
    assert wrong.returncode == 2
    assert wrong.stderr.strip() == "Shell tcsh not supported."


def test_completion_offers_commands_flags_and_choices() -> None:
    assert _complete("infer-asyncapi ") == [
        "infer",
        "diff",
        "record",
        "replay",
        "topics",
        "validate",
        "watch",
    ]
    assert _complete("infer-asyncapi di") == ["diff"]
    assert _complete("infer-asyncapi diff --fo") == ["--follow", "--format"]
    assert _complete("infer-asyncapi diff --format ") == [
        "text",
        "markdown",
        "json",
        "junit",
        "github",
        "sarif",
    ]
    assert _complete("infer-asyncapi diff --fail-on n") == ["non-breaking", "never"]
