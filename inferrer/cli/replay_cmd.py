"""``infer-asyncapi replay``: produce capture files into a cluster."""

from __future__ import annotations

from pathlib import Path

import typer

from inferrer.cli import app
from inferrer.cli.common import Command, handles_errors
from inferrer.cli.logs import LOG
from inferrer.cli.options import BootstrapServer, CommandConfig, Overrides, Timeout
from inferrer.errors import CouldNotRun
from inferrer.kafka.config import build_client_config
from inferrer.kafka.plan import parse_wait
from inferrer.kafka.replay import ReplayReport, replay_capture


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
    bootstrap_server: BootstrapServer = None,
    command_config: CommandConfig = None,
    overrides: Overrides = None,
    timeout: Timeout = "30s",
    topic_prefix: str = typer.Option(
        "",
        "--topic-prefix",
        metavar="PREFIX",
        help="Put this in front of every topic name produced to.",
    ),
) -> None:
    """Produce capture files into a cluster, creating missing topics as captured.

    Each record goes to its captured partition with its key, headers and original
    timestamp. Missing topics are created with the partition count and configs of
    the capture's sidecar (x.topics.json), or, without one, with max partition
    seen + 1 partitions and broker defaults. Existing topics are reused as they are.
    The connection flags are those of every other command (-b or
    $KAFKA_BOOTSTRAP_SERVERS, --command-config, -X); --timeout defaults to 30s here.
    """
    config = build_client_config(bootstrap_server, command_config, overrides or ())
    for warning in config.warnings:
        LOG.warning("%s", warning)
    seconds = parse_wait(timeout, "--timeout")
    report = replay_capture(
        captures, dict(config.settings), topic_prefix=topic_prefix, timeout=seconds
    )
    _render(report)
    if report.failed:
        raise CouldNotRun(f"{report.failed} records could not be produced")
