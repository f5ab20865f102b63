"""``infer-asyncapi topics``: list what would be sampled, without reading any message."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any

import typer

from inferrer.cli import app
from inferrer.cli.common import Command, handles_errors
from inferrer.cli.logs import LOG
from inferrer.cli.source import NO_SOURCE_OPTIONS, SourceOptions, with_source_options
from inferrer.kafka.sampler import Selection, describe_selection


class TopicsFormat(StrEnum):
    text = "text"
    json = "json"


_COLUMNS = ("topic", "partitions", "replication", "messages", "cleanup.policy", "consumer groups")


Subjects = Mapping[str, Mapping[str, list[int]]]


def _subjects_cell(subjects: Mapping[str, list[int]]) -> str:
    return (
        ", ".join(f"{s} (v{','.join(map(str, versions))})" for s, versions in subjects.items())
        or "-"
    )


def render_text(selection: Selection, subjects: Subjects | None = None) -> str:
    """An aligned table: one line per topic, approximate messages from the watermarks
    (and with a registry, each topic's subjects and their versions)."""
    columns = (*_COLUMNS, "subjects") if subjects is not None else _COLUMNS
    rows: list[tuple[str, ...]] = [columns]
    for name in selection.topics:
        md = selection.metadata[name]
        row: tuple[str, ...] = (
            name,
            str(md.partitions),
            str(md.replication_factor),
            str(md.approximate_messages),
            md.configs.get("cleanup.policy", "-"),
            ", ".join(md.consumer_groups) or "-",
        )
        if subjects is not None:
            row = (*row, _subjects_cell(subjects.get(name, {})))
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(columns))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def render_json(selection: Selection, subjects: Subjects | None = None) -> str:
    """The selection as JSON: topics (sorted) with their metadata (and subjects, with a
    registry), and skipped topics."""
    topics: list[dict[str, Any]] = []
    for name in selection.topics:
        md = selection.metadata[name]
        extra = {} if subjects is None else {"subjects": dict(subjects.get(name, {}))}
        topics.append(
            {
                **extra,
                "name": name,
                "partitions": md.partitions,
                "replication_factor": md.replication_factor,
                "approximate_messages": md.approximate_messages,
                "configs": dict(md.configs),
                "non_default_configs": list(md.non_default_configs),
                "consumer_groups": list(md.consumer_groups),
                "watermarks": {str(p): list(w) for p, w in sorted(md.watermarks.items())},
            }
        )
    skipped = [{"topic": s.topic, "reason": s.reason} for s in selection.skipped]
    return json.dumps({"skipped": skipped, "topics": topics}, indent=2, sort_keys=True) + "\n"


@app.command("topics", cls=Command)
@handles_errors
@with_source_options(sample=False, from_file=False)
def topics_command(
    source_options: SourceOptions = NO_SOURCE_OPTIONS,
    output_format: Annotated[
        TopicsFormat, typer.Option("--format", help="Output format.")
    ] = TopicsFormat.text,
) -> None:
    """List the topics a run would sample (partitions, replication, approximate
    messages, cleanup.policy, consumer groups) without reading any message; with
    --schema-registry, also each topic's subjects and their versions."""
    config = source_options.sample_config()
    selection = describe_selection(config)
    for warning in selection.warnings:
        LOG.warning("%s", warning)
    subjects = None
    registry = source_options.source().registry
    if registry is not None:
        from inferrer.registry.client import RegistryClient
        from inferrer.registry.listing import topic_subjects

        subjects = topic_subjects(RegistryClient(registry), selection.topics)
    render = render_json if output_format is TopicsFormat.json else render_text
    sys.stdout.write(render(selection, subjects))
