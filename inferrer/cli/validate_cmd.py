"""``infer-asyncapi validate FILE...``: run the official AsyncAPI parser on documents."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from inferrer.asyncapi.validate import ValidationReport, validate_files
from inferrer.cli import app
from inferrer.cli.common import Command, handles_errors
from inferrer.errors import EXIT_DRIFT, EXIT_OK


def render_report(report: ValidationReport) -> list[str]:
    """Lines for one file: its errors and warnings, then a verdict."""
    lines = []
    for d in report.diagnostics:
        if d.severity not in ("error", "warning"):
            continue
        where = f"{report.file}:{d.line}:{d.column}" if d.line is not None else report.file
        at = f" (at {d.path})" if d.path else ""
        lines.append(f"{where}: {d.severity}: {d.message} [{d.code}]{at}")
    errors = len(report.errors)
    warnings = sum(1 for d in report.diagnostics if d.severity == "warning")
    verdict = "valid" if report.valid else "invalid"
    lines.append(f"{report.file}: {verdict} ({errors} errors, {warnings} warnings)")
    return lines


@app.command("validate", cls=Command)
@handles_errors
def validate(
    files: Annotated[
        list[Path],
        typer.Argument(metavar="SPEC", help="AsyncAPI documents (YAML or JSON) to check."),
    ],
) -> None:
    """Check AsyncAPI documents with the official @asyncapi/parser (run through node).

    Prints each error and warning as FILE:LINE:COLUMN: severity: message, with the rule,
    then one verdict line per file. Exit status: 0 when every file is valid
    (warnings allowed), 1 when a file has errors, 3 when a file cannot be read or
    node or @asyncapi/parser is missing ($INFERRER_NODE_MODULES, ./node_modules,
    or the checkout's node_modules from `make npm`).
    """
    reports = validate_files(files)
    for report in reports:
        for line in render_report(report):
            print(line)
    raise typer.Exit(EXIT_OK if all(r.valid for r in reports) else EXIT_DRIFT)
