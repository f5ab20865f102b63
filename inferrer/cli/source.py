"""Turn the source options (live cluster or ``--from-file``) into a pipeline Source."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from inferrer.cli.options import SOURCE_PANEL, build_sample_config
from inferrer.errors import UsageError
from inferrer.pipeline import Source

FromFile = Annotated[
    list[Path] | None,
    typer.Option(
        "--from-file",
        metavar="CAPTURE",
        help="Read a capture file (JSONL, as written by `record` or `kcat -C -J`), or every "
        "*.jsonl in a folder, instead of a cluster; repeatable. Works offline.",
        rich_help_panel=SOURCE_PANEL,
    ),
]


def expand_capture_paths(paths: list[Path]) -> tuple[Path, ...]:
    """Files as given; a folder stands for the ``*.jsonl`` files in it, sorted."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.glob("*.jsonl"))
            if not found:
                raise UsageError(f"no *.jsonl capture file in folder {path}")
            out.extend(found)
        else:
            out.append(path)
    return tuple(out)


def build_source(
    *,
    from_file: list[Path] | None,
    bootstrap_server: str | None,
    command_config: Path | None,
    overrides: list[str] | None,
    topics: list[str] | None,
    exclude: list[str] | None,
    include_internal: bool,
    max_messages: int,
    start: str,
    follow: str | None,
    timeout: str,
) -> Source:
    """A capture-file source when ``--from-file`` is given, a live one otherwise."""
    if from_file:
        if command_config is not None or overrides:
            raise UsageError("--from-file reads no cluster: drop --command-config and -X")
        return Source(
            capture_files=expand_capture_paths(from_file),
            topics=tuple(topics or ()),
            exclude=tuple(exclude or ()),
            include_internal=include_internal,
        )
    if not bootstrap_server:
        raise UsageError(
            "no Kafka to read: give -b/--bootstrap-server (or set KAFKA_BOOTSTRAP_SERVERS), "
            "or --from-file CAPTURE"
        )
    sample = build_sample_config(
        bootstrap_server,
        command_config,
        overrides,
        topics,
        exclude,
        include_internal,
        max_messages,
        start,
        follow,
        timeout,
    )
    return Source(sample=sample)
