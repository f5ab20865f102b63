"""The config file: inferrer.toml or [tool.inferrer] in pyproject.toml, with profiles;
precedence CLI flag > environment variable > profile > top level > default."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BANK = Path(__file__).resolve().parents[2] / "fixtures" / "bank" / "v1"
CONFIG = """\
bootstrap-server = "127.0.0.1:1"
timeout = "1s"
[topics]
timeout = "2s"
[profile.prod]
bootstrap-server = "127.0.0.2:1"
[profile.prod.topics]
timeout = "1s"
"""


def _run(
    cwd: Path, *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP_SERVERS",)}
    full_env.pop("INFERRER_PROFILE", None)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "inferrer", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=60,
    )


def _address(result: subprocess.CompletedProcess[str]) -> str:
    """The broker address a run tried (its one-line error names it) and its timeout."""
    assert result.returncode == 3, result.stderr
    line = result.stderr.splitlines()[-1]
    assert line.startswith("Error: no Kafka broker answered at "), line
    return " ".join(line.split()[6:9])


def test_precedence_flag_env_profile_top_level(tmp_path: Path) -> None:
    (tmp_path / "inferrer.toml").write_text(CONFIG, encoding="utf-8")
    env = {"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.3:1"}
    # The top level, its [topics] table over its common keys.
    assert _address(_run(tmp_path, "topics")) == "127.0.0.1:1 within 2s"
    # A profile over the top level (selected by flag, or by $INFERRER_PROFILE).
    assert _address(_run(tmp_path, "topics", "--profile", "prod")) == "127.0.0.2:1 within 1s"
    selected = _run(tmp_path, "topics", env={"INFERRER_PROFILE": "prod"})
    assert _address(selected) == "127.0.0.2:1 within 1s"
    # The environment variable over the profile, the flag over both.
    assert _address(_run(tmp_path, "--profile", "prod", "topics", env=env)).startswith(
        "127.0.0.3:1"
    )
    flag = _run(tmp_path, "topics", "-b", "127.0.0.4:1", "--profile=prod", env=env)
    assert _address(flag) == "127.0.0.4:1 within 1s"
    assert _address(_run(tmp_path, "topics", "--timeout", "1s")) == "127.0.0.1:1 within 1s"


def test_without_a_config_the_defaults_apply(tmp_path: Path) -> None:
    result = _run(tmp_path, "topics", "--timeout", "1s")
    assert (result.returncode, result.stderr) == (
        2,
        "Error: no bootstrap server: pass -b/--bootstrap-server or set KAFKA_BOOTSTRAP_SERVERS\n",
    )


def test_pyproject_tool_table_and_output_options(tmp_path: Path) -> None:
    capture = BANK / "bank.payments.jsonl"
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "x"\n[tool.inferrer]\nfrom-file = ["{capture}"]\n'
        '[tool.inferrer.infer]\nformat = "json"\n'
        '[tool.inferrer.profile.ci]\noutput = "doc.json"\n',
        encoding="utf-8",
    )
    stdout = _run(tmp_path, "infer", "-q")
    assert stdout.returncode == 0, stdout.stderr
    assert json.loads(stdout.stdout)["asyncapi"] == "3.0.0"
    written = _run(tmp_path, "--profile", "ci", "-q")  # the default command, infer
    assert (written.returncode, written.stdout) == (0, ""), written.stderr
    assert json.loads((tmp_path / "doc.json").read_text(encoding="utf-8"))["channels"]
    yaml_out = _run(tmp_path, "infer", "-q", "--format", "yaml")
    assert yaml_out.stdout.startswith("asyncapi: 3.0.0\n")


def test_inferrer_toml_wins_over_pyproject_and_config_names_a_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.inferrer]\nbootstrap-server = "127.0.0.5:1"\ntimeout = "1s"\n', encoding="utf-8"
    )
    assert _address(_run(tmp_path, "topics")).startswith("127.0.0.5:1")
    (tmp_path / "inferrer.toml").write_text(CONFIG, encoding="utf-8")
    assert _address(_run(tmp_path, "topics")).startswith("127.0.0.1:1")
    other = tmp_path / "elsewhere.toml"
    other.write_text('bootstrap-server = "127.0.0.6:1"\ntimeout = "1s"\n', encoding="utf-8")
    assert _address(_run(tmp_path, "topics", "--config", other)).startswith("127.0.0.6:1")


@pytest.mark.parametrize(
    ("text", "args", "error"),
    [
        ("bootstrap = 'x'\n", [], "unknown key 'bootstrap'"),
        ("[diff]\nformat = 'markdown'\nfial-on = 'info'\n", [], "unknown key 'diff.fial-on'"),
        ("[topics]\nspec = 'a.yaml'\n", [], "unknown key 'topics.spec'"),
        ("[nosuch]\na = 1\n", [], "unknown key 'nosuch'"),
        ("[profile.prod]\nbogus = 1\n", [], "[profile.prod]: unknown key 'bogus'"),
        ("timeout = '1s'\n", ["--profile", "dev"], "no profile 'dev' (profiles: none)"),
        ("timeout = \n", [], "invalid TOML"),
    ],
)
def test_config_errors_are_usage_errors_naming_the_key(
    tmp_path: Path, text: str, args: list[str], error: str
) -> None:
    (tmp_path / "inferrer.toml").write_text(text, encoding="utf-8")
    result = _run(tmp_path, "topics", *args)
    assert result.returncode == 2
    assert result.stderr.startswith("Error: config ")
    assert error in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_a_profile_without_a_config_file_is_a_usage_error(tmp_path: Path) -> None:
    result = _run(tmp_path, "topics", env={"INFERRER_PROFILE": "prod"})
    assert result.returncode == 2
    assert result.stderr.startswith("Error: profile 'prod' selected but no inferrer.toml")
