"""``infer-asyncapi watch``: observe topics continuously as a member of a consumer group."""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from inferrer.cli import app
from inferrer.cli.common import EXIT_TERMINATED, Command, handles_errors
from inferrer.cli.logs import LOG
from inferrer.cli.source import NO_SOURCE_OPTIONS, SourceOptions, with_source_options
from inferrer.drift.model import Compatibility, FailOn
from inferrer.errors import EXIT_DRIFT, EXIT_OK, CouldNotRun, UsageError
from inferrer.kafka.plan import parse_duration, parse_start

WATCH_PANEL = "Watch"
DRIFT_PANEL = "Live drift"


def _seconds(text: str, flag: str, *, allow_zero: bool = False) -> float:
    value = parse_duration(text)
    if value <= 0 and not (allow_zero and value == 0):
        raise UsageError(f"invalid {flag} {text!r}: must be more than zero")
    return value


@app.command("watch", cls=Command)
@handles_errors
@with_source_options(sample=False, from_file=False, kinds=True)
def watch_command(
    group: Annotated[
        str,
        typer.Option(
            "--group",
            metavar="NAME",
            help="Consumer group to join: processes with the same group split the "
            "partitions. The one command that joins a group.",
            rich_help_panel=WATCH_PANEL,
        ),
    ],
    start: Annotated[
        str,
        typer.Option(
            "--from",
            metavar="WHEN",
            help="Where a partition no member has read yet starts: latest (only new "
            "messages), earliest, an ISO-8601 time, or a duration back from now (1h).",
            rich_help_panel=WATCH_PANEL,
        ),
    ] = "latest",
    member: Annotated[
        str | None,
        typer.Option(
            "--member",
            metavar="NAME",
            help="This process's name in its snapshots (default HOST-PID). A member "
            "restarted under its old name goes on from its own snapshots.",
            rich_help_panel=WATCH_PANEL,
        ),
    ] = None,
    commit: Annotated[
        bool,
        typer.Option(
            "--commit",
            help="Commit the offsets each snapshot covers (default: never commit).",
            rich_help_panel=WATCH_PANEL,
        ),
    ] = False,
    keep_values: Annotated[
        bool,
        typer.Option(
            "--keep-values",
            help="Snapshots hold the sampled string values themselves (default: digests, "
            "so no sampled value is written; merge snapshots written the same way only).",
            rich_help_panel=WATCH_PANEL,
        ),
    ] = False,
    snapshot_interval: Annotated[
        str,
        typer.Option(
            "--snapshot-interval",
            metavar="DURATION",
            help="How often to write snapshots (also when partitions move and on exit).",
            rich_help_panel=WATCH_PANEL,
        ),
    ] = "60s",
    snapshot_dir: Annotated[
        Path | None,
        typer.Option(
            "--snapshot-dir",
            metavar="DIR",
            help="Write snapshots as DIR/GROUP/MEMBER/TOPIC.json (atomically).",
            rich_help_panel=WATCH_PANEL,
        ),
    ] = None,
    snapshot_topic: Annotated[
        str | None,
        typer.Option(
            "--snapshot-topic",
            metavar="TOPIC",
            help="Write snapshots to this compacted topic (created on first use: the one "
            "thing watch creates).",
            rich_help_panel=WATCH_PANEL,
        ),
    ] = None,
    status_interval: Annotated[
        str,
        typer.Option(
            "--status-interval",
            metavar="DURATION",
            help="How often to print a status line on stderr (0: never).",
            rich_help_panel=WATCH_PANEL,
        ),
    ] = "30s",
    status_port: Annotated[
        int | None,
        typer.Option(
            "--status-port",
            metavar="PORT",
            min=1,
            max=65535,
            help="Serve the status as JSON on http://127.0.0.1:PORT/.",
            rich_help_panel=WATCH_PANEL,
        ),
    ] = None,
    session_timeout: Annotated[
        str,
        typer.Option(
            "--session-timeout",
            metavar="DURATION",
            help="How long the group waits for a silent member before moving its "
            "partitions (session.timeout.ms).",
            rich_help_panel=WATCH_PANEL,
        ),
    ] = "45s",
    duration: Annotated[
        str | None,
        typer.Option(
            "--duration",
            metavar="DURATION",
            help="Stop after this long (default: run until SIGTERM or Ctrl-C).",
            rich_help_panel=WATCH_PANEL,
        ),
    ] = None,
    spec: Annotated[
        Path | None,
        typer.Option(
            "--spec",
            metavar="FILE",
            help="Check traffic against this committed spec as it comes; each new finding "
            "is printed once, as a JSON line on stdout.",
            rich_help_panel=DRIFT_PANEL,
        ),
    ] = None,
    findings_topic: Annotated[
        str | None,
        typer.Option(
            "--findings-topic",
            metavar="TOPIC",
            help="With --spec: write each new finding to this existing topic (keyed by "
            "its id) instead of stdout.",
            rich_help_panel=DRIFT_PANEL,
        ),
    ] = None,
    fail_on: Annotated[
        FailOn,
        typer.Option(
            "--fail-on",
            help="With --spec: stop (exit 1) at the first finding at or above this severity.",
            rich_help_panel=DRIFT_PANEL,
        ),
    ] = "never",
    compatibility: Annotated[
        Compatibility,
        typer.Option(
            "--compatibility",
            help="Schema Registry compatibility mode.",
            rich_help_panel=DRIFT_PANEL,
        ),
    ] = "BACKWARD",
    source_options: SourceOptions = NO_SOURCE_OPTIONS,
) -> None:
    """Watch topics continuously as a member of a consumer group: fold every message,
    write snapshots, and report drift from a spec as it happens.

    Start the same command on N machines with the same --group: Kafka splits the
    partitions between them. `infer --from-observations` merges their snapshots.
    SIGTERM or Ctrl-C leaves the group and writes a last snapshot.

    Example: infer-asyncapi watch -b $BROKERS --topics 'bank.*' --group inferrer-watch
    --snapshot-topic inferrer.snapshots --spec asyncapi.yaml
    """
    from inferrer.drift.options import DiffOptions
    from inferrer.watch import WatchConfig, default_member, run_watch

    if not source_options.bootstrap_server:
        raise UsageError(
            "no Kafka to watch: give -b/--bootstrap-server (or set KAFKA_BOOTSTRAP_SERVERS)"
        )
    if not group.strip():
        raise UsageError("--group must name a consumer group")
    discriminators = source_options.discriminators()
    if snapshot_dir is None and snapshot_topic is None:
        LOG.warning("no --snapshot-dir or --snapshot-topic: nothing will be kept")
    if fail_on != "never" and spec is None:
        raise UsageError("--fail-on needs --spec")
    if findings_topic is not None and spec is None:
        raise UsageError("--findings-topic needs --spec")
    sample = source_options.sample_config()
    session = _seconds(session_timeout, "--session-timeout")
    config = WatchConfig(
        client=sample.client,
        group=group,
        topics=sample.topics,
        exclude=sample.exclude,
        include_internal=sample.include_internal,
        member=member or default_member(),
        start=parse_start(start),
        commit=commit,
        snapshot_interval=_seconds(snapshot_interval, "--snapshot-interval"),
        snapshot_dir=snapshot_dir,
        snapshot_topic=snapshot_topic,
        spec=spec,
        diff_options=DiffOptions(compatibility=compatibility),
        fail_on=fail_on,
        status_interval=_seconds(status_interval, "--status-interval", allow_zero=True)
        or float("inf"),
        status_port=status_port,
        session_timeout_ms=int(session * 1000),
        timeout=sample.timeout,
        duration=_seconds(duration, "--duration") if duration else None,
        keep_values=keep_values,
        discriminators=discriminators,
    )
    stop = threading.Event()
    signalled: list[int] = []

    def on_signal(signum: int, frame: Any) -> None:
        signalled.append(signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    sink = None
    if findings_topic is not None:
        from inferrer.kafka.findings_topic import FindingsTopic

        sink = FindingsTopic(config.client, findings_topic, timeout=config.timeout)

    def on_finding(finding: Any) -> None:
        data = {"group": config.group, "member": config.member, **finding.to_dict()}
        line = json.dumps(data, sort_keys=True, ensure_ascii=False)
        if sink is not None:
            try:
                sink.send(finding.id, line)
                return
            except CouldNotRun as e:
                LOG.warning("%s; printed on stdout instead", e)
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    try:
        result = run_watch(
            config,
            stop=stop,
            on_finding=on_finding,
            on_status=lambda status: LOG.info("%s", status.line()),
        )
    finally:
        if sink is not None:
            sink.close()
    LOG.info("%s", result.status.line())
    if result.failing is not None:
        LOG.info(
            "stopped: finding %s (%s) is at or above --fail-on %s",
            result.failing.id,
            result.failing.severity,
            fail_on,
        )
        raise typer.Exit(EXIT_DRIFT)
    if signalled:
        raise typer.Exit(EXIT_TERMINATED if signalled[0] == signal.SIGTERM else 130)
    raise typer.Exit(EXIT_OK)
