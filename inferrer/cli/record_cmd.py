"""``infer-asyncapi record``: sample topics (read-only) into a capture file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from inferrer.cli import app
from inferrer.cli.common import Command, handles_errors
from inferrer.cli.logs import LOG
from inferrer.cli.progress import sampling_progress
from inferrer.cli.source import NO_SOURCE_OPTIONS, SourceOptions, with_source_options
from inferrer.pipeline import record


@app.command("record", cls=Command)
@handles_errors
@with_source_options(from_file=False)
def record_command(
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="The capture file to write (JSON Lines, as kcat -C -J prints), with its "
            "topics sidecar FILE.topics.json beside it.",
        ),
    ],
    source_options: SourceOptions = NO_SOURCE_OPTIONS,
) -> None:
    """Sample topics (read-only, as infer does) into a capture file for offline use.

    `infer --from-file FILE` and `diff --from-file FILE` then work without the cluster,
    and `replay FILE` produces it into another one.

    Example: infer-asyncapi record --topics 'bank.*' -b localhost:9092 -o capture.jsonl
    """
    config = source_options.sample_config()
    with sampling_progress() as progress:
        result = record(
            config, output, progress=progress, registry=source_options.source().registry
        )
    for warning in result.warnings:
        LOG.warning("%s", warning)
    for topic, count in result.counts.items():
        LOG.info("%s: %d records", topic, count)
    LOG.info("wrote %d records of %d topics to %s", result.total, len(result.counts), output)
