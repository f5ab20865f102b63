"""``--from-observations SOURCE``: read observations already made instead of traffic."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from inferrer.cli.options import SOURCE_PANEL
from inferrer.cli.source import SourceOptions
from inferrer.errors import UsageError
from inferrer.kafka.plan import parse_duration

if TYPE_CHECKING:
    from inferrer.pipeline import ObservationSource

FromObservations = Annotated[
    str | None,
    typer.Option(
        "--from-observations",
        metavar="SOURCE",
        help="Read observations instead of traffic: a saved-observations .json file, a "
        "watch snapshot folder (DIR or DIR/GROUP), or kafka:TOPIC or kafka:TOPIC/GROUP (a snapshot "
        "topic on the -b cluster); watch snapshots are merged over members.",
        rich_help_panel=SOURCE_PANEL,
    ),
]
SnapshotRetention = Annotated[
    str,
    typer.Option(
        "--snapshot-retention",
        metavar="DURATION",
        help="With --from-observations: leave out watch members whose newest snapshot is "
        "older than this.",
        rich_help_panel=SOURCE_PANEL,
    ),
]


def observation_source(location: str, options: SourceOptions, retention: str) -> ObservationSource:
    """The :class:`ObservationSource` of ``--from-observations`` and the source flags."""
    from inferrer.pipeline import ObservationSource

    if options.from_file:
        raise UsageError("give --from-file or --from-observations, not both")
    client = None
    if options.bootstrap_server:
        client = options.sample_config().client
    elif location.startswith("kafka:"):
        raise UsageError(
            f"--from-observations {location} reads a cluster: give -b/--bootstrap-server"
        )
    seconds = parse_duration(retention)
    if seconds <= 0:
        raise UsageError(f"invalid --snapshot-retention {retention!r}: must be more than zero")
    return ObservationSource(
        location=location,
        client=client,
        topics=tuple(options.topics or ()),
        exclude=tuple(options.exclude or ()),
        retention_seconds=seconds,
        timeout=parse_duration(options.timeout),
        discriminators=options.discriminators(),
    )
