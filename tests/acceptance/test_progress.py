"""A progress display for reading capture files and for inference, on stderr when it is
a terminal (a real pseudo-terminal here), never in a pipe."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

BANK = Path(__file__).resolve().parents[2] / "fixtures" / "bank"


def _run_on_a_terminal(args: list[str]) -> tuple[int, str]:
    """Run the command with stderr (and stdin) on a pseudo-terminal; what it drew there."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "inferrer", *args],
        stdin=follower,
        stdout=subprocess.DEVNULL,
        stderr=follower,
        env={**os.environ, "COLUMNS": "120", "TERM": "xterm"},
    )
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    code = proc.wait(timeout=120)
    text = b"".join(chunks).decode("utf-8", "replace")
    return code, re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def test_reading_files_shows_files_and_bytes_on_a_terminal(tmp_path: Path) -> None:
    files = [str(p) for p in sorted((BANK / "v1").glob("*.jsonl"))] * 3
    out = tmp_path / "doc.yaml"
    flags = [arg for f in files for arg in ("--from-file", f)]
    code, drawn = _run_on_a_terminal(["infer", *flags, "-o", str(out)])
    assert code == 0, drawn
    assert re.search(r"reading \d+/36 files .*\d+\.\d/\d+\.\d MB", drawn), drawn
    assert "sampling 0/?" not in drawn


def test_no_progress_in_a_pipe(tmp_path: Path) -> None:
    out = tmp_path / "doc.yaml"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "inferrer",
            "infer",
            "--from-file",
            str(BANK / "v1"),
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "reading" not in result.stderr and "\x1b[" not in result.stderr
