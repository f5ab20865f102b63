"""Watch snapshots: one member's observation of one topic, with where it stopped.

A ``watch`` process (a *member* of a consumer group) writes, every snapshot interval
and when it stops, one snapshot per topic it reads: the saved-observation JSON of
:func:`inferrer.inference.save_observations` (versioned, redacted as that function
redacts) under a header naming the group, the member, the time, the partitions it
holds and, per partition, the offset it will read next. The observation and the
offsets are taken at the same instant, so a snapshot says exactly which messages it
holds: the next owner of a partition starts where the newest snapshot says the last
owner stopped, and merging the newest snapshot of every member counts each message
once (see README, "watch").

Here are the format, the key, and the merge (:func:`merge_snapshots`); the stores are
a directory (:class:`DirectoryStore`) and a compacted Kafka topic (:class:`TopicStore`,
whose records :mod:`inferrer.kafka.snapshot_topic` writes and reads).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from inferrer.atomic import write_atomic
from inferrer.documents import check_header, parse_json
from inferrer.errors import CaptureError, ObservationError
from inferrer.model import TopicMetadata

if TYPE_CHECKING:
    from inferrer.kafka.config import ClientConfig

__all__ = [
    "DEFAULT_RETENTION_SECONDS",
    "SNAPSHOT_FORMAT",
    "SNAPSHOT_VERSION",
    "DirectoryStore",
    "MergedSnapshots",
    "Snapshot",
    "decode_snapshot",
    "encode_snapshot",
    "merge_snapshots",
    "snapshot_key",
]

SNAPSHOT_FORMAT: Final = "inferrer-watch-snapshot"
SNAPSHOT_VERSION: Final = 1
SNAPSHOT: Final = "watch snapshot"

DEFAULT_RETENTION_SECONDS: Final = 7 * 86400.0
"""How long the snapshots of a member that stopped writing still count (7 days)."""


@dataclass(frozen=True)
class Snapshot:
    """One member's observation of one topic, and the offsets it covers."""

    group: str
    member: str
    topic: str
    time_ms: int
    """When it was taken (milliseconds since the epoch)."""
    observation: Any
    """The topic's :class:`~inferrer.inference.TopicObservation`."""
    positions: Mapping[int, int] = field(default_factory=dict)
    """Partition → the next offset this member would read: every message before it
    that the member read is in ``observation``."""
    assigned: tuple[int, ...] = ()
    """Partitions of the topic the member held when the snapshot was taken."""
    final: bool = False
    """Written as the member left the group."""
    metadata: TopicMetadata | None = None
    """What the cluster said about the topic (explicitly set configs only)."""
    bootstrap: str | None = None
    """The bootstrap address (never credentials), for the document's server."""
    secure: bool = False
    keep_values: bool = False
    """Write the sampled values themselves, not digests (``watch --keep-values``)."""

    @property
    def key(self) -> bytes:
        return snapshot_key(self.group, self.member, self.topic)


def snapshot_key(group: str, member: str, topic: str) -> bytes:
    """The compaction key of a snapshot: one per (group, member, topic)."""
    return json.dumps(
        {"group": group, "member": member, "topic": topic}, sort_keys=True, ensure_ascii=True
    ).encode()


def _saved_json(observation: Any, keep_values: bool) -> Any:
    """The saved-observation document of one topic, as ``save_observations`` writes it."""
    from inferrer.inference.observation import observations_document

    return observations_document({observation.topic: observation}, keep_values=keep_values)


def _load_saved(document: Any, where: str) -> dict[str, Any]:
    """Observations of a saved-observation document, as ``load_observations`` reads them."""
    from inferrer.inference.observation import observations_from_document

    try:
        return dict(observations_from_document(document, f"snapshot {where}"))
    except ObservationError as e:
        raise ObservationError(f"snapshot {where} holds invalid observations: {e}") from e


def _metadata_json(md: TopicMetadata | None) -> Any:
    if md is None:
        return None
    return {
        "partitions": md.partitions,
        "replication_factor": md.replication_factor,
        "configs": dict(sorted(md.configs.items())),
        "consumer_groups": sorted(md.consumer_groups),
    }


def _metadata_of(topic: str, data: Any) -> TopicMetadata | None:
    if data is None:
        return None
    configs = {str(k): str(v) for k, v in dict(data.get("configs", {})).items()}
    return TopicMetadata(
        name=topic,
        partitions=int(data["partitions"]),
        replication_factor=int(data["replication_factor"]),
        configs=configs,
        non_default_configs=tuple(sorted(configs)),
        consumer_groups=tuple(str(g) for g in data.get("consumer_groups", ())),
    )


def encode_snapshot(snapshot: Snapshot) -> bytes:
    """The snapshot as JSON bytes (keys sorted: the same snapshot, the same bytes)."""
    data = {
        "format": SNAPSHOT_FORMAT,
        "version": SNAPSHOT_VERSION,
        "group": snapshot.group,
        "member": snapshot.member,
        "topic": snapshot.topic,
        "time": snapshot.time_ms,
        "final": snapshot.final,
        "assigned": sorted(snapshot.assigned),
        "positions": {str(p): o for p, o in sorted(snapshot.positions.items())},
        "metadata": _metadata_json(snapshot.metadata),
        "bootstrap": snapshot.bootstrap,
        "secure": snapshot.secure,
        "observations": _saved_json(snapshot.observation, snapshot.keep_values),
    }
    return (json.dumps(data, sort_keys=True, ensure_ascii=True) + "\n").encode()


def decode_snapshot(
    raw: bytes | str, where: str = "snapshot", *, observations: bool = True
) -> Snapshot:
    """Read :func:`encode_snapshot`'s bytes; ObservationError (exit 3) when they are not one.

    ``observations=False`` reads the header only (the observation is left empty)."""
    data = check_header(
        parse_json(raw, where, SNAPSHOT, ObservationError),
        where,
        SNAPSHOT,
        ObservationError,
        version=SNAPSHOT_VERSION,
        format=SNAPSHOT_FORMAT,
    )
    try:
        topic = str(data["topic"])
        held = _load_saved(data["observations"], where) if observations else {}
        if set(held) - {topic}:
            raise ValueError(f"it holds topics other than {topic}")
        from inferrer.inference import TopicObservation

        return Snapshot(
            group=str(data["group"]),
            member=str(data["member"]),
            topic=topic,
            time_ms=int(data["time"]),
            observation=held.get(topic) or TopicObservation(topic),
            positions={int(p): int(o) for p, o in dict(data["positions"]).items()},
            assigned=tuple(int(p) for p in data["assigned"]),
            final=bool(data["final"]),
            metadata=_metadata_of(topic, data["metadata"]),
            bootstrap=data["bootstrap"],
            secure=bool(data["secure"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise ObservationError(f"{where} is not a valid {SNAPSHOT}: {e!r}") from e


@dataclass(frozen=True)
class MergedSnapshots:
    """The merged picture: every counted member's newest snapshot of every topic."""

    observations: Mapping[str, Any]
    """Topic → :class:`~inferrer.inference.TopicObservation`, merged over members."""
    metadata: Mapping[str, TopicMetadata]
    members: tuple[str, ...]
    """Members counted, sorted."""
    expired: tuple[str, ...]
    """Members left out: their newest snapshot is older than the retention window."""
    positions: Mapping[tuple[str, int], int]
    """(topic, partition) → the highest next offset any counted member recorded."""
    bootstrap: str | None = None
    secure: bool = False
    groups: tuple[str, ...] = ()


def newest(snapshots: Iterable[Snapshot]) -> dict[tuple[str, str, str], Snapshot]:
    """The newest snapshot per (group, member, topic); a later one wins a tie."""
    out: dict[tuple[str, str, str], Snapshot] = {}
    for s in snapshots:
        k = (s.group, s.member, s.topic)
        if k not in out or s.time_ms >= out[k].time_ms:
            out[k] = s
    return out


def merge_snapshots(
    snapshots: Iterable[Snapshot],
    *,
    now_ms: int,
    retention_seconds: float = DEFAULT_RETENTION_SECONDS,
    group: str | None = None,
) -> MergedSnapshots:
    """Merge the newest snapshot of every member of ``group`` (or of the one group
    present), leaving out members whose newest snapshot is older than the retention.

    Raises UsageError when snapshots of several groups are given without ``group``.
    """
    from inferrer.errors import UsageError
    from inferrer.inference import TopicObservation

    latest = newest(s for s in snapshots if group is None or s.group == group)
    groups = sorted({g for g, _, _ in latest})
    if len(groups) > 1:
        raise UsageError(
            "snapshots of several consumer groups ("
            + ", ".join(groups[:5])
            + "); pick one: DIR/GROUP or kafka:TOPIC/GROUP"
        )
    member_time: dict[str, int] = {}
    for (_, member, _), s in latest.items():
        member_time[member] = max(member_time.get(member, s.time_ms), s.time_ms)
    horizon = now_ms - int(retention_seconds * 1000)
    counted = {m for m, t in member_time.items() if t >= horizon}
    observations: dict[str, TopicObservation] = {}
    metadata: dict[str, TopicMetadata] = {}
    meta_time: dict[str, int] = {}
    positions: dict[tuple[str, int], int] = {}
    bootstrap: tuple[int, str | None, bool] | None = None
    # Sorted, so that the merge (and so every float it sums) runs in one order.
    for (_, member, topic), s in sorted(latest.items()):
        if member not in counted:
            continue
        if topic in observations:
            observations[topic].merge_from(s.observation)
        else:
            observations[topic] = s.observation.copy()
        if s.metadata is not None and s.time_ms >= meta_time.get(topic, -1):
            metadata[topic], meta_time[topic] = s.metadata, s.time_ms
        for p, offset in s.positions.items():
            positions[(topic, p)] = max(positions.get((topic, p), offset), offset)
        if bootstrap is None or s.time_ms > bootstrap[0]:
            bootstrap = (s.time_ms, s.bootstrap, s.secure)
    return MergedSnapshots(
        observations=dict(sorted(observations.items())),
        metadata=dict(sorted(metadata.items())),
        members=tuple(sorted(counted)),
        expired=tuple(sorted(set(member_time) - counted)),
        positions=positions,
        bootstrap=bootstrap[1] if bootstrap else None,
        secure=bootstrap[2] if bootstrap else False,
        groups=tuple(groups),
    )


# ------------------------------------------------------------------ directory store


def _safe_name(name: str) -> str:
    """A file name for a group or member name: percent-encoded, never ``.``/``..``."""
    encoded = quote(name, safe="")
    return "%2E" + encoded[1:] if encoded.startswith(".") else encoded


class DirectoryStore:
    """Snapshots as files: ``DIR/GROUP/MEMBER/TOPIC.json``, each written atomically.

    ``DIR`` may also be given as ``DIR/GROUP`` (one group's folder) when reading.
    """

    SUFFIX: Final = ".json"

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path_of(self, group: str, member: str, topic: str) -> Path:
        return self.root / _safe_name(group) / _safe_name(member) / (topic + self.SUFFIX)

    def write(self, snapshots: Iterable[Snapshot]) -> int:
        """Write snapshots (each replaces the member's previous one); returns bytes written."""
        written = 0
        for s in snapshots:
            path = self.path_of(s.group, s.member, s.topic)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise CaptureError(f"cannot write snapshots in {path.parent}: {e.strerror}") from e
            data = encode_snapshot(s)
            write_atomic(path, data.decode())
            written += len(data)
        return written

    def _files(self) -> Iterator[Path]:
        if not self.root.is_dir():
            raise CaptureError(f"no snapshot folder {self.root}")
        # DIR/GROUP/MEMBER/TOPIC.json, or (given DIR/GROUP) DIR/MEMBER/TOPIC.json.
        for depth in ("*/*/*", "*/*"):
            found = sorted(p for p in self.root.glob(depth + self.SUFFIX) if p.is_file())
            if found:
                yield from found
                return

    def read(self, group: str | None = None, *, observations: bool = True) -> list[Snapshot]:
        """Every snapshot in the folder (of ``group`` only, when given; headers only
        with ``observations=False``)."""
        out: list[Snapshot] = []
        for path in self._files():
            try:
                raw = path.read_bytes()
            except OSError as e:
                raise ObservationError(f"cannot read {SNAPSHOT} {path}: {e.strerror}") from e
            s = decode_snapshot(raw, str(path), observations=observations)
            if group is None or s.group == group:
                out.append(s)
        return out


class TopicStore:
    """Snapshots in one compacted Kafka topic, keyed by (group, member, topic)."""

    def __init__(self, client: ClientConfig, topic: str, *, timeout: float = 10.0) -> None:
        from inferrer.kafka.snapshot_topic import CompactedTopic

        self.topic = CompactedTopic(client, topic, timeout=timeout)

    def ensure_topic(self) -> bool:
        """Create the topic (compacted, one partition) unless it exists; True if created."""
        return self.topic.ensure_topic()

    def write(self, snapshots: Iterable[Snapshot], timeout: float | None = None) -> int:
        """Produce snapshots and wait until the broker has them all; returns bytes.

        Raises CouldNotRun when they are not all acknowledged in time (the caller
        retries at the next interval: a snapshot replaces the one before)."""
        return self.topic.write(((s.key, encode_snapshot(s)) for s in snapshots), timeout)

    def read(self, group: str | None = None, *, observations: bool = True) -> list[Snapshot]:
        """Every snapshot in the topic (of ``group`` only, when given), oldest first;
        headers only with ``observations=False``."""
        out: list[Snapshot] = []
        for where, value in self.topic.read():
            s = decode_snapshot(value, where, observations=observations)
            if group is None or s.group == group:
                out.append(s)
        return out

    def close(self) -> None:
        self.topic.close()
