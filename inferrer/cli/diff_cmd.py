"""``infer-asyncapi diff``: report drift of a second spec (or traffic) against the committed spec.

The command turns its flags into a :class:`~inferrer.drift.options.DiffOptions` value
(:func:`build_diff_options`) and what the spec is compared with, calls
:func:`inferrer.pipeline.diff`, and renders the report (:func:`finish_report`). The
choices of ``--format``, ``--fail-on`` and ``--compatibility`` are the library's.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from inferrer.cli import app
from inferrer.cli.common import Command, handles_errors
from inferrer.cli.logs import LOG
from inferrer.cli.observations import FromObservations, SnapshotRetention, observation_source
from inferrer.cli.progress import sampling_progress
from inferrer.cli.source import NO_SOURCE_OPTIONS, SourceOptions, with_source_options
from inferrer.cli.text_report import TEXT
from inferrer.drift.model import Compatibility, FailOn
from inferrer.drift.reporters import DEFAULT_MAX_BYTES, LINE_FORMATS, MIN_MAX_BYTES, Format
from inferrer.errors import EXIT_DRIFT, EXIT_OK, UsageError

if TYPE_CHECKING:
    from inferrer.drift.model import DriftReport
    from inferrer.drift.options import DiffOptions

ReportFormat = Literal["text", Format]
"""``--format``: the text table, and every format of the library's reporters. The choices
of ``--fail-on`` and ``--compatibility`` are the library's types too."""


def build_diff_options(
    compatibility: Compatibility, rules: Path | None, baseline: Path | None, ignore: list[str]
) -> DiffOptions:
    """Turn the shared diff flags into a :class:`DiffOptions` value."""
    from inferrer.drift.baseline import read_baseline
    from inferrer.drift.options import DiffOptions
    from inferrer.drift.rules import load_rules

    return DiffOptions(
        compatibility=compatibility,
        rules=load_rules(rules) if rules is not None else None,
        baseline=read_baseline(baseline) if baseline is not None else frozenset(),
        ignore=frozenset(ignore),
    )


def finish_report(
    report: DriftReport,
    fmt: ReportFormat,
    output: Path | None,
    fail_on: FailOn,
    write_baseline: Path | None,
    *,
    spec: Path | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> int:
    """Render ``report``, write it (atomically with ``-o``), and return the exit code.

    github and sarif findings point at lines of ``spec`` (the committed spec's file)."""
    from inferrer.asyncapi.read import load_line_map
    from inferrer.atomic import write_atomic
    from inferrer.drift.baseline import render_baseline
    from inferrer.drift.reporters import render

    if fmt == TEXT:
        from inferrer.cli.text_report import render_text

        text = render_text(report, color=output is None and sys.stdout.isatty())
    else:
        lines = None
        if spec is not None and fmt in LINE_FORMATS:
            lines = load_line_map(spec)
        text = render(report, fmt, fail_on, lines=lines, max_bytes=max_bytes)
    if output is not None:
        write_atomic(output, text)
        counts = report.counts()
        summary = ", ".join(f"{n} {s}" for s, n in counts.items())
        LOG.info("drift: %s; report written to %s", summary, output)
    else:
        sys.stdout.write(text)
    if write_baseline is not None:
        write_atomic(write_baseline, render_baseline(report))
    return EXIT_DRIFT if report.fails(fail_on) else EXIT_OK


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
        ReportFormat,
        typer.Option(
            "--format",
            help="Report format: github prints Actions annotations at the spec's lines, "
            "sarif is SARIF 2.1.0 for code scanning.",
        ),
    ] = "text",
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
    ] = "breaking",
    compatibility: Annotated[
        Compatibility,
        typer.Option("--compatibility", help="Schema Registry compatibility mode."),
    ] = "BACKWARD",
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
    from inferrer.pipeline import Against, ObservationSource, diff

    live = source_options.live
    from_file = source_options.from_file
    against: Against
    if from_observations is not None:
        if other is not None:
            raise UsageError("compare the spec with a second spec or with observations, not both")
        against = observation_source(from_observations, source_options, snapshot_retention)
    elif other is not None and (from_file or live):
        raise UsageError("compare the spec with a second spec or with traffic, not both")
    elif other is None and not from_file and not live:
        raise UsageError(
            "nothing to compare the spec with: give a second spec (infer-asyncapi diff "
            "--spec OLD.yaml NEW.yaml), --from-file CAPTURE, or -b BOOTSTRAP --topics PATTERN"
        )
    else:
        against = other if other is not None else source_options.source()
    options = build_diff_options(compatibility, rules, baseline, ignore or [])
    if isinstance(against, ObservationSource):
        report = diff(spec, against, options)
        # Not (yet) applied to observations: github/sarif spec lines, --max-bytes.
        raise typer.Exit(finish_report(report, fmt, output, fail_on, write_baseline))
    if isinstance(against, Path):
        report = diff(spec, against, options)
    else:
        with sampling_progress() as progress:
            report = diff(spec, against, options, progress=progress)
    raise typer.Exit(
        finish_report(report, fmt, output, fail_on, write_baseline, spec=spec, max_bytes=max_bytes)
    )
