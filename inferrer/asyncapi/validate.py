"""Validate AsyncAPI documents with the official JavaScript parser.

The parser (``@asyncapi/parser`` from npm) runs under ``node`` through the
small driver ``validate.mjs`` shipped next to this module. ``node_modules`` is
looked up in ``$INFERRER_NODE_MODULES``, then ``./node_modules``, then the
``node_modules`` of the source checkout inferrer is installed from.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal

from inferrer.errors import SpecError, ToolingMissing
from inferrer.jsonpointer import pointer_of

Severity = Literal["error", "warning", "info", "hint"]

DRIVER = Path(__file__).with_name("validate.mjs")
PARSER_PACKAGE = "@asyncapi/parser"
NODE_MODULES_ENV = "INFERRER_NODE_MODULES"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding of the parser about a document."""

    severity: Severity
    code: str
    message: str
    path: str
    """JSON pointer to the offending part of the document ("" for the whole)."""
    line: int | None
    """1-based line in the file, when the parser knows it."""
    column: int | None


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """What the parser said about one file."""

    file: str
    diagnostics: tuple[Diagnostic, ...]

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")

    @property
    def valid(self) -> bool:
        """True when the parser reported no error (warnings and hints allowed)."""
        return not self.errors


def find_node_modules() -> Path:
    """The ``node_modules`` directory holding ``@asyncapi/parser``.

    Raises :class:`~inferrer.errors.ToolingMissing` with a one-line hint when
    there is none.
    """
    override = os.environ.get(NODE_MODULES_ENV)
    if override:
        candidate = Path(override)
        if not (candidate / PARSER_PACKAGE / "package.json").is_file():
            raise ToolingMissing(
                f"{PARSER_PACKAGE} is not installed in {candidate} (from ${NODE_MODULES_ENV})"
            )
        return candidate
    candidates = [Path.cwd() / "node_modules", Path(__file__).resolve().parents[2] / "node_modules"]
    for candidate in candidates:
        if (candidate / PARSER_PACKAGE / "package.json").is_file():
            return candidate
    raise ToolingMissing(
        f"{PARSER_PACKAGE} is not installed: run `make npm` in the inferrer checkout, "
        f"or set {NODE_MODULES_ENV} to a node_modules directory that has it"
    )


def find_node() -> str:
    """The path of the ``node`` executable, or :class:`ToolingMissing`."""
    node = shutil.which("node")
    if node is None:
        raise ToolingMissing("node is not installed or not on PATH (Node 20+ is needed)")
    return node


def _report(line: str) -> ValidationReport:
    data: dict[str, Any] = json.loads(line)
    file = str(data["file"])
    if "unreadable" in data:
        raise SpecError(f"{file}: cannot read: {data['unreadable']}")
    diagnostics = tuple(
        Diagnostic(
            severity=d["severity"],
            code=d["code"],
            message=d["message"],
            path=pointer_of(d["path"]),
            line=d["line"],
            column=d["column"],
        )
        for d in data["diagnostics"]
    )
    return ValidationReport(file=file, diagnostics=diagnostics)


class ParserProcess:
    """One long-lived ``node`` process running the parser; validates file after file.

    Starting node and loading the parser takes about a second, so callers that
    check many documents (the test-suite) keep one process open.
    """

    def __init__(self, node_modules: Path | None = None) -> None:
        self._node_modules = node_modules or find_node_modules()
        self._proc: subprocess.Popen[str] | None = None
        # stderr goes to a file: a pipe nobody reads could fill up and stall node.
        self._stderr: IO[str] | None = None

    def __enter__(self) -> ParserProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _start(self) -> subprocess.Popen[str]:
        if self._proc is None:
            node = find_node()
            self._stderr = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 - closed in close()
            self._proc = subprocess.Popen(
                [node, str(DRIVER), str(self._node_modules)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                text=True,
                encoding="utf-8",
            )
        return self._proc

    def validate(self, path: str | os.PathLike[str]) -> ValidationReport:
        """Run the parser on the file at ``path``."""
        name = os.fspath(path)
        if not Path(name).exists():
            raise SpecError(f"cannot read spec {name}: no such file")
        if not Path(name).is_file():
            raise SpecError(f"{name}: not a file")
        proc = self._start()
        stdin: IO[str] | None = proc.stdin
        stdout: IO[str] | None = proc.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(name + "\n")
            stdin.flush()
        except BrokenPipeError:
            pass
        line = stdout.readline()
        if not line:
            self._fail(proc)
        return _report(line)

    def _fail(self, proc: subprocess.Popen[str]) -> None:
        code = proc.wait()
        stderr = ""
        if self._stderr is not None:
            self._stderr.seek(0)
            stderr = self._stderr.read()
        self.close()
        first = stderr.strip().splitlines()[0] if stderr.strip() else f"exit status {code}"
        raise ToolingMissing(f"the AsyncAPI parser (node) failed: {first}")

    def close(self) -> None:
        """Stop the node process."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdin is not None:
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None


def validate_files(paths: Iterable[str | os.PathLike[str]]) -> list[ValidationReport]:
    """Run the official AsyncAPI parser on each file, in one node process."""
    with ParserProcess() as parser:
        return [parser.validate(path) for path in paths]


def validate_file(path: str | os.PathLike[str]) -> ValidationReport:
    """Run the official AsyncAPI parser on one file."""
    return validate_files([path])[0]
