"""``infer-asyncapi diff``: report drift of a second spec (or traffic) against the committed spec.

Option parsing (:func:`build_diff_options`) and rendering (:func:`finish_report`)
are separate from the source of what the spec is compared with, so that live
traffic and capture files plug in by calling
:func:`inferrer.drift.compare.diff_observed` and handing its report to
:func:`finish_report`.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from inferrer.cli import app
from inferrer.cli.common import Command, handles_errors
from inferrer.cli.logs import LOG
from inferrer.cli.observations import FromObservations, SnapshotRetention, observation_source
from inferrer.cli.progress import sampling_progress
from inferrer.cli.source import NO_SOURCE_OPTIONS, SourceOptions, with_source_options
from inferrer.drift.reporters import DEFAULT_MAX_BYTES, MIN_MAX_BYTES
from inferrer.errors import EXIT_DRIFT, EXIT_OK, UsageError

if TYPE_CHECKING:
    from inferrer.drift.compare import DiffOptions
    from inferrer.drift.model import DriftReport


class OutputFormat(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"
    junit = "junit"
    github = "github"
    sarif = "sarif"


class FailOn(StrEnum):
    breaking = "breaking"
    non_breaking = "non-breaking"
    info = "info"
    never = "never"


class CompatibilityMode(StrEnum):
    BACKWARD = "BACKWARD"
    FORWARD = "FORWARD"
    FULL = "FULL"


def build_diff_options(
    compatibility: CompatibilityMode,
    rules: Path | None,
    baseline: Path | None,
    ignore: list[str],
    spec: Path,
    compared_with: str,
) -> DiffOptions:
    """Turn the shared diff flags into a :class:`DiffOptions` value."""
    from inferrer.drift.baseline import read_baseline
    from inferrer.drift.compare import DiffOptions
    from inferrer.drift.rules import load_rules

    return DiffOptions(
        compatibility=compatibility.value,
        rules=load_rules(rules) if rules is not None else None,
        baseline=read_baseline(baseline) if baseline is not None else frozenset(),
        ignore=frozenset(ignore),
        spec_label=str(spec),
        compared_with=compared_with,
    )


def finish_report(
    report: DriftReport,
    fmt: OutputFormat,
    output: Path | None,
    fail_on: FailOn,
    write_baseline: Path | None,
    *,
    spec: Path | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> int:
    """Render ``report``, write it (atomically with ``-o``), and return the exit code.

    github and sarif findings point at lines of ``spec`` (the committed spec's file)."""
    from inferrer.asyncapi.io import load_line_map
    from inferrer.atomic import write_atomic
    from inferrer.drift.baseline import render_baseline
    from inferrer.drift.reporters import render

    lines = None
    if spec is not None and fmt in (OutputFormat.github, OutputFormat.sarif):
        lines = load_line_map(spec)
    text = render(
        report,
        fmt.value,
        fail_on.value,
        color=output is None and sys.stdout.isatty(),
        lines=lines,
        max_bytes=max_bytes,
    )
    if output is not None:
        write_atomic(output, text)
        counts = report.counts()
        summary = ", ".join(f"{n} {s}" for s, n in counts.items())
        LOG.info("drift: %s; report written to %s", summary, output)
    else:
        sys.stdout.write(text)
    if write_baseline is not None:
        write_atomic(write_baseline, render_baseline(report))
    return EXIT_DRIFT if report.fails(fail_on.value) else EXIT_OK


@app.command("diff", cls=Command)
@handles_errors
@with_source_options(kinds=True)
def diff_command(
    spec: Annotated[
        Path,
        typer.Option(
            "--spec", metavar="FILE", help="The committed AsyncAPI document (3.0, 3.1, 2.6)."
        ),
    ],
    other: Annotated[
        Path | None,
        typer.Argument(
            help="A second AsyncAPI document to compare the committed spec with.",
            metavar="OTHER_SPEC",
        ),
    ] = None,
    fmt: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            help="Report format: github prints Actions annotations at the spec's lines, "
            "sarif is SARIF 2.1.0 for code scanning.",
        ),
    ] = OutputFormat.text,
    max_bytes: Annotated[
        int,
        typer.Option(
            "--max-bytes",
            metavar="N",
            min=MIN_MAX_BYTES,
            help="Keep a markdown report within N bytes (the default fits a GitHub comment); "
            "what does not fit is counted at its end.",
        ),
    ] = DEFAULT_MAX_BYTES,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            metavar="FILE",
            help="Write the report to FILE (atomically) instead of stdout.",
        ),
    ] = None,
    fail_on: Annotated[
        FailOn,
        typer.Option("--fail-on", help="Exit 1 when a finding is at or above this severity."),
    ] = FailOn.breaking,
    compatibility: Annotated[
        CompatibilityMode,
        typer.Option("--compatibility", help="Schema Registry compatibility mode."),
    ] = CompatibilityMode.BACKWARD,
    rules: Annotated[
        Path | None,
        typer.Option("--rules", metavar="FILE", help="YAML file overriding rule severities."),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline", metavar="FILE", help="JSON file of accepted finding ids to silence."
        ),
    ] = None,
    write_baseline: Annotated[
        Path | None,
        typer.Option(
            "--write-baseline",
            metavar="FILE",
            help="Write every current finding as accepted to FILE.",
        ),
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option(
            "--ignore", metavar="RULE_OR_ID", help="Silence a rule id or a finding id (repeatable)."
        ),
    ] = None,
    from_observations: FromObservations = None,
    snapshot_retention: SnapshotRetention = "7d",
    source_options: SourceOptions = NO_SOURCE_OPTIONS,
) -> None:
    """Report where traffic (live, or a capture file) or a second spec has drifted from
    the committed spec.

    Exit codes: 0 clean, 1 drift at or above --fail-on, 2 usage error, 3 could not run.

    \b
    Examples:
      infer-asyncapi diff --spec asyncapi.yaml --topics 'bank.*' -b $BROKERS --format markdown
      infer-asyncapi diff --spec asyncapi.yaml --from-file capture.jsonl
      infer-asyncapi diff --spec old.yaml new.yaml
    """
    from inferrer.drift.compare import diff_spec_files
    from inferrer.pipeline import diff_against_observations, diff_against_source

    live = source_options.live
    from_file = source_options.from_file
    if from_observations is not None:
        if other is not None:
            raise UsageError("compare the spec with a second spec or with observations, not both")
        observed = observation_source(from_observations, source_options, snapshot_retention)
        options = build_diff_options(
            compatibility, rules, baseline, ignore or [], spec, f"observations {from_observations}"
        )
        report = diff_against_observations(spec, observed, options)
        raise typer.Exit(finish_report(report, fmt, output, fail_on, write_baseline))
    if other is not None and (from_file or live):
        raise UsageError("compare the spec with a second spec or with traffic, not both")
    if other is None and not from_file and not live:
        raise UsageError(
            "nothing to compare the spec with: give a second spec (infer-asyncapi diff "
            "--spec OLD.yaml NEW.yaml), --from-file CAPTURE, or -b BOOTSTRAP --topics PATTERN"
        )
    if other is not None:
        options = build_diff_options(compatibility, rules, baseline, ignore or [], spec, str(other))
        report = diff_spec_files(spec, other, options)
        raise typer.Exit(
            finish_report(
                report, fmt, output, fail_on, write_baseline, spec=spec, max_bytes=max_bytes
            )
        )
    source = source_options.source()
    options = build_diff_options(
        compatibility, rules, baseline, ignore or [], spec, source.describe()
    )
    with sampling_progress() as progress:
        report = diff_against_source(spec, source, options, progress=progress)
    raise typer.Exit(
        finish_report(report, fmt, output, fail_on, write_baseline, spec=spec, max_bytes=max_bytes)
    )
