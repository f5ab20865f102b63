"""The command line behaves like the tools people know: stdin for `--from-file -`,
help without type placeholders, -v/-q through the logging module (issue 17)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from inferrer.cli import COMMAND_MODULES
from tests.bank_helpers import ROOT
from tests.kafka_util import run_cli

CAPTURE = ROOT / "fixtures/bank/v1/bank.payments.jsonl"


def _run_stdin(args: list[str], data: bytes) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
    return subprocess.run(
        [sys.executable, "-m", "inferrer", *args],
        input=data,
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_from_file_dash_reads_stdin_as_a_pipe_would_give_it(tmp_path: Path) -> None:
    # A pipe brings no topics sidecar: compare with the file read without one.
    alone = tmp_path / "alone.jsonl"
    alone.write_bytes(CAPTURE.read_bytes())
    from_file = run_cli(["infer", "--from-file", str(alone), "--no-summary"])
    assert from_file.returncode == 0, from_file.stderr
    piped = _run_stdin(["infer", "--from-file", "-", "--no-summary"], CAPTURE.read_bytes())
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.decode() == from_file.stdout

    spec = tmp_path / "spec.yaml"
    spec.write_text(from_file.stdout)
    diff = _run_stdin(["diff", "--spec", str(spec), "--from-file", "-"], CAPTURE.read_bytes())
    assert diff.returncode == 0, diff.stderr
    assert diff.stdout.decode().startswith(f"Drift report: {spec} against capture stdin\n")


def test_stdin_can_be_given_once() -> None:
    proc = _run_stdin(["infer", "--from-file", "-", "--from-file", "-"], b"")
    assert (proc.returncode, proc.stderr) == (
        2,
        b"Error: --from-file - (stdin) can be given once\n",
    )


@pytest.mark.parametrize("command", sorted(COMMAND_MODULES))
def test_help_has_no_type_placeholders(command: str) -> None:
    proc = run_cli([command, "--help"], env={"COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    placeholders = re.findall(r"<(?:bool|str|path|int|float|list\[[a-z]+\])>", proc.stdout)
    assert placeholders == []
    assert "[default: 0]" not in proc.stdout


def test_top_level_help_lists_one_line_summaries() -> None:
    proc = run_cli(["--help"], env={"COLUMNS": "200"})
    rows = re.findall(r"^  (\S*) +(.*?)$", proc.stdout.split("Commands:\n")[1], re.MULTILINE)
    assert sorted(name for name, _ in rows) == sorted(COMMAND_MODULES)  # no continuation rows
    assert "<bool>" not in proc.stdout


def _bad_capture(tmp_path: Path) -> Path:
    path = tmp_path / "c.jsonl"
    path.write_text(CAPTURE.read_text() + "not json\n")
    return path


def test_quiet_levels(tmp_path: Path) -> None:
    capture, out = _bad_capture(tmp_path), tmp_path / "out.yaml"
    args = ["infer", "--from-file", str(capture), "-o", str(out)]
    warning = "Warning: 1 unreadable line(s) in the capture file(s) were skipped\n"

    default = run_cli(args)
    assert default.returncode == 0
    assert default.stderr.startswith(warning) and default.stderr.endswith(f"wrote {out}\n")
    assert "Inferred topics" in default.stderr
    quiet = run_cli([*args, "-q"])
    assert (quiet.returncode, quiet.stderr) == (0, warning)
    quieter = run_cli([*args, "-qq"])
    assert (quieter.returncode, quieter.stderr) == (0, "")
    assert out.read_text().startswith("asyncapi: 3.0.0\n")
    # Errors are always said.
    missing = run_cli(["infer", "--from-file", str(tmp_path / "nope.jsonl"), "-qq"])
    assert missing.returncode == 3 and missing.stderr.startswith("Error: ")


def test_verbose_adds_debug_notes_without_secrets() -> None:
    proc = run_cli(
        [
            "infer",
            "-b",
            "127.0.0.1:1",
            "--timeout",
            "1s",
            "-X",
            "sasl.password=hunter2-secret",
            "-X",
            "sasl.username=alice",
            "-vv",
        ]
    )
    assert proc.returncode == 3
    lines = proc.stderr.splitlines()
    assert lines[0].startswith("debug: Kafka client settings: bootstrap.servers=127.0.0.1:1; ")
    assert "sasl.password=******" in lines[0]
    assert lines[-1].startswith("Error: no Kafka broker answered at 127.0.0.1:1 within 1s")
    assert "hunter2" not in proc.stderr + proc.stdout


def test_the_commands_log_through_the_logging_module() -> None:
    import logging

    from inferrer.cli.logs import configure_logging, level_for

    package = logging.getLogger("inferrer")
    saved = (package.handlers[:], package.level, package.propagate)

    def ours() -> list[logging.Handler]:
        # pytest attaches its capture handlers to every non-propagating logger while a
        # test runs (when an earlier test left this one so): count the command's own.
        return [h for h in package.handlers if type(h).__module__ == "inferrer.cli.logs"]

    try:
        configure_logging(verbose=1)
        assert package.level == logging.DEBUG and len(ours()) == 1
        configure_logging(quiet=1)  # configuring again replaces the handler
        assert package.level == logging.WARNING and len(ours()) == 1
        assert not package.propagate
    finally:
        package.handlers[:], package.propagate = saved[0], saved[2]
        package.setLevel(saved[1])
    assert [level_for(0, 0), level_for(2, 0), level_for(0, 2)] == [
        logging.INFO,
        logging.DEBUG,
        logging.ERROR,
    ]
