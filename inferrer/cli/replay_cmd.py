"""``infer-asyncapi replay``: produce capture files into a cluster."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from inferrer.cli import app
from inferrer.cli.common import Command, handles_errors
from inferrer.cli.logs import LOG
from inferrer.errors import EXIT_CANNOT_RUN, EXIT_OK, UsageError
from inferrer.kafka.replay import ReplayReport, replay_capture


def _parse_properties(items: list[str]) -> dict[str, str]:
    props: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"-X expects name=value, got {item!r}")
        props[name.strip()] = value
    return props


def _render(report: ReplayReport) -> None:
    for t in report.topics:
        state = "created" if t.created else "existing"
        line = f"{t.topic}: {t.produced} produced to {t.partitions} partitions ({state})"
        if t.failed:
            line += f", {t.failed} failed: {t.first_error}"
        print(line)
    print(
        f"{report.produced} records produced to {len(report.topics)} topics, "
        f"{report.failed} failed, {report.bad_lines} bad capture lines skipped"
    )
    for bad in report.bad_line_details:
        LOG.info("skipped %s", bad)


@app.command("replay", cls=Command)
@handles_errors
def replay(
    captures: list[Path] = typer.Argument(  # noqa: B008
        ...,
        metavar="CAPTURE",
        help="Capture files (JSON Lines, as written by `record` or `kcat -C -J`).",
    ),
    bootstrap: str = typer.Option(
        ...,
        "-b",
        "--bootstrap-server",
        metavar="HOST:PORT",
        help="Kafka bootstrap address, host:port[,host:port].",
    ),
    topic_prefix: str = typer.Option(
        "",
        "--topic-prefix",
        metavar="PREFIX",
        help="Put this in front of every topic name produced to.",
    ),
    properties: list[str] = typer.Option(  # noqa: B008
        [], "-X", metavar="KEY=VALUE", help="A librdkafka client property (repeatable)."
    ),
    timeout: float = typer.Option(
        30.0,
        "--timeout",
        metavar="SECONDS",
        help="Seconds to wait for the broker, topic creation and delivery.",
    ),
) -> None:
    """Produce capture files into a cluster, creating missing topics as captured.

    Each record goes to its captured partition with its key, headers and original
    timestamp. Missing topics are created with the partition count and configs of
    the capture's sidecar (x.topics.json), or, without one, with max partition
    seen + 1 partitions and broker defaults. Existing topics are reused as they are.
    """
    config = {**_parse_properties(properties), "bootstrap.servers": bootstrap}
    report = replay_capture(captures, config, topic_prefix=topic_prefix, timeout=timeout)
    _render(report)
    if report.failed:
        print(f"Error: {report.failed} records could not be produced", file=sys.stderr)
        raise typer.Exit(EXIT_CANNOT_RUN)
    raise typer.Exit(EXIT_OK)
