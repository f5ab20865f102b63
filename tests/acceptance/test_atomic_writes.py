"""Writes are atomic and leave nothing behind when killed; special files and symlinks
are written through, never replaced (issue 17)."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from inferrer.atomic import sweep_stale_temp_files, write_atomic
from tests.kafka_util import run_cli

_WRITER = """
import sys, time
import inferrer.atomic as atomic
from inferrer.cli.common import Terminated, install_signal_handlers
if sys.argv[2] == "named":
    atomic._open_unnamed = lambda directory, mode: None
install_signal_handlers()
try:
    with atomic.atomic_binary_writer(sys.argv[1]) as fh:
        fh.write(b"secret message data\\n" * 500_000)
        fh.flush()
        print("writing", flush=True)
        time.sleep(60)
except Terminated:
    sys.exit(143)
"""


def _killed_mid_write(target: Path, sig: int, how: str) -> int:
    with subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(target), how], stdout=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "writing\n"
        proc.send_signal(sig)
        # Generous: unwinding frees 10 MB of unwritten pages, which once took over 30 s
        # while two other suites filled the disk.
        return proc.wait(180)


@pytest.mark.parametrize("how", ["unnamed", "named"])
def test_sigterm_mid_write_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path, how: str
) -> None:
    target = tmp_path / "capture.jsonl"
    target.write_text("old\n")
    assert _killed_mid_write(target, signal.SIGTERM, how) == 143
    assert [p.name for p in tmp_path.iterdir()] == ["capture.jsonl"]
    assert target.read_text() == "old\n"


def test_sigkill_mid_write_leaves_no_file_at_all(tmp_path: Path) -> None:
    target = tmp_path / "capture.jsonl"
    assert _killed_mid_write(target, signal.SIGKILL, "unnamed") == -signal.SIGKILL
    assert list(tmp_path.iterdir()) == []


def test_the_next_write_deletes_what_a_killed_run_left(tmp_path: Path) -> None:
    target = tmp_path / "capture.jsonl"
    assert _killed_mid_write(target, signal.SIGKILL, "named") == -signal.SIGKILL
    (left,) = tmp_path.iterdir()
    assert left.name.startswith(".capture.jsonl.inferrer-") and left.stat().st_size > 0
    other = tmp_path / "doc.yaml"
    write_atomic(other, "x\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.yaml"]


def test_sweeping_keeps_the_files_of_live_processes_and_strangers(tmp_path: Path) -> None:
    mine = tmp_path / f".a.inferrer-{os.getpid()}-0.tmp"
    alive = tmp_path / f".a.inferrer-{os.getppid()}-0.tmp"
    stranger = tmp_path / ".a.xyz.tmp"
    for p in (mine, alive, stranger):
        p.write_text("x")
    assert sweep_stale_temp_files(tmp_path) == []
    assert sorted(tmp_path.iterdir()) == sorted([mine, alive, stranger])


def test_a_symlink_stays_a_symlink_and_its_target_is_replaced(tmp_path: Path) -> None:
    real = tmp_path / "real" / "asyncapi.yaml"
    real.parent.mkdir()
    real.write_text("old\n")
    os.chmod(real, 0o600)
    link = tmp_path / "asyncapi.yaml"
    link.symlink_to(real)
    write_atomic(link, "new\n")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new\n"
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    dangling = tmp_path / "dangling.yaml"
    dangling.symlink_to(tmp_path / "real" / "new.yaml")
    write_atomic(dangling, "x\n")
    assert dangling.is_symlink() and (tmp_path / "real" / "new.yaml").read_text() == "x\n"
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["asyncapi.yaml", "new.yaml"]


def test_a_fifo_is_written_through(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    capture = tmp_path / "c.jsonl"
    capture.write_text('{"topic": "t", "partition": 0, "offset": 0, "payload": "{}"}\n')
    proc = run_cli(["infer", "--from-file", str(capture), "-o", str(fifo), "--no-summary"])
    reader.join(30)
    assert proc.returncode == 0, proc.stderr
    assert got and got[0].startswith(b"asyncapi: 3.0.0\n")
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl", "pipe"]


def test_dev_null_is_written_through_not_replaced(tmp_path: Path) -> None:
    before = os.stat("/dev/null")
    capture = tmp_path / "c.jsonl"
    capture.write_text('{"topic": "t", "partition": 0, "offset": 0, "payload": "{}"}\n')
    for args in (
        ["infer", "--from-file", str(capture), "-o", "/dev/null"],
        ["diff", "--spec", str(capture.with_suffix(".yaml")), "--from-file", str(capture)],
    ):
        if args[0] == "diff":
            run_cli(["infer", "--from-file", str(capture), "-o", args[2]])
            args += ["-o", "/dev/null"]
        proc = run_cli(args)
        assert proc.returncode == 0, proc.stderr
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert after.st_ino == before.st_ino


def test_a_capture_written_to_dev_null_gets_no_sidecar_in_dev() -> None:
    from inferrer.capture import write_capture
    from inferrer.model import TopicMetadata
    from inferrer.records import Record

    count = write_capture(
        [Record("t", 0, 0, 1, None, b"{}")], "/dev/null", topics=[TopicMetadata("t", 1, 1)]
    )
    assert count == 1
    assert not Path("/dev/null.topics.json").exists()
