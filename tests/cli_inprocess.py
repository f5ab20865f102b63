"""The ``infer-asyncapi`` command line run in the test's own process, for the unit tests
that check a command's result (a child interpreter costs a second of start-up; the
command line as a real process is tested in ``tests/acceptance/``)."""

from __future__ import annotations

import contextlib
import gc
import io
import logging
import signal
from dataclasses import dataclass

from inferrer.cli import main
from inferrer.cli.logs import CLIENT_LOGGER, PACKAGE_LOGGER


@dataclass(frozen=True)
class CliResult:
    """What a run of the command line gave: as ``subprocess.CompletedProcess`` names it."""

    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str) -> CliResult:
    """``infer-asyncapi ARGS`` through :func:`inferrer.cli.main`, its output captured;
    the process-wide state a run sets (the ``inferrer`` loggers, the SIGTERM handler, the
    collector's thresholds) is put back afterwards."""
    package, client = logging.getLogger(PACKAGE_LOGGER), logging.getLogger(CLIENT_LOGGER)
    saved = (package.handlers[:], package.level, package.propagate, client.level)
    sigterm = signal.getsignal(signal.SIGTERM)
    thresholds = gc.get_threshold()
    out, err = io.StringIO(), io.StringIO()
    code: int | str | None = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main(list(args))
    except SystemExit as e:
        code = e.code
    finally:
        package.handlers[:], package.propagate = saved[0], saved[2]
        package.setLevel(saved[1])
        client.setLevel(saved[3])
        signal.signal(signal.SIGTERM, sigterm)
        gc.set_threshold(*thresholds)
    if isinstance(code, str):
        err.write(code)
        code = 1
    return CliResult(code or 0, out.getvalue(), err.getvalue())
