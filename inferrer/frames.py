"""The analyst API: observations and drift as tidy pandas DataFrames.

Load what a source shows, then look at it as frames::

    from inferrer import load_observations_from, topics_frame, fields_frame, drift_between

    observed = load_observations_from("fixtures/bank/v1")   # a capture folder
    topics_frame(observed)          # one row per topic
    fields_frame(observed)          # one row per (topic, kind, field path)
    types_frame(observed)           # one row per (topic, kind, field path, JSON type)
    findings_frame(drift_between("fixtures/bank/v1", "fixtures/bank/v2"))

Loaders (each returns an :class:`Observed`):

* :func:`load_captures` — capture files (``.jsonl``) or folders of them;
* :func:`load_live` — a read-only sample of a live cluster;
* :func:`load_saved` — an observation JSON written by :meth:`Observed.save`
  (or :func:`inferrer.inference.save_observations`);
* :func:`load_snapshots` — the merged snapshots of ``watch`` members (a snapshot
  folder, or ``kafka:TOPIC`` on a cluster);
* :func:`load_observations_from` — any of the above, picked from the argument.

Every frame has a fixed column order (documented in :data:`TOPIC_COLUMNS`,
:data:`FIELD_COLUMNS`, :data:`TYPE_COLUMNS`, :data:`FINDING_COLUMNS`) and sorted rows,
and keeps its columns and dtypes when it has no row. pandas is imported by this
module only, so the command line never pays for it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias, cast, get_args

import pandas as pd

from inferrer.errors import UsageError
from inferrer.model import FieldSummary, JSONType, KindSummary, TopicMetadata, TopicSummary
from inferrer.records import clamp_timestamp

if TYPE_CHECKING:
    from inferrer.asyncapi.build import DocumentOptions
    from inferrer.drift.model import DriftReport
    from inferrer.drift.options import DiffOptions
    from inferrer.inference.observation import TopicObservation
    from inferrer.kafka.sampler import SampleConfig
    from inferrer.pipeline import Source


# The public names are listed once, in inferrer/__init__.py, which exports them lazily;
# this module does not import the package's front (tests/test_import_graph.py).

PathLike: TypeAlias = str | os.PathLike[str]
CapturePaths: TypeAlias = PathLike | Sequence[PathLike]

JSON_TYPES: tuple[JSONType, ...] = get_args(JSONType)
"""The JSON type names, in the order the type-mix frame and charts use."""
"""JSON type names in the fixed order used in ``types`` columns."""

# -- what a source showed ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Observed:
    """What one source showed: a summary per topic, and what the cluster said about it."""

    summaries: tuple[TopicSummary, ...]
    """One per topic, sorted by topic name."""
    metadata: Mapping[str, TopicMetadata]
    """Cluster (or capture sidecar) facts per topic; empty for a saved observation file."""
    observations: Mapping[str, TopicObservation] = field(default_factory=dict)
    """The mergeable observations the summaries were made from."""
    source: str = ""
    """A one-line, credential-free description of the source."""
    warnings: tuple[str, ...] = ()

    @property
    def topics(self) -> tuple[str, ...]:
        """The observed topic names, sorted."""
        return tuple(s.topic for s in self.summaries)

    def summary(self, topic: str) -> TopicSummary:
        """The summary of one topic; KeyError names the topic when it was not observed."""
        for s in self.summaries:
            if s.topic == topic:
                return s
        raise KeyError(topic)

    def save(self, path: PathLike, *, keep_values: bool = False) -> None:
        """Write the observations as JSON (atomically), for :func:`load_saved`: without
        sampled values unless ``keep_values`` (see
        :func:`inferrer.inference.save_observations`)."""
        from inferrer.inference import save_observations

        save_observations(self.observations, Path(path), keep_values=keep_values)

    def to_document(self, options: DocumentOptions | None = None) -> dict[str, Any]:
        """The AsyncAPI document inferred from these observations."""
        from inferrer.asyncapi import build_document

        return build_document(self.summaries, self.metadata, options)


def _observed(
    observations: Mapping[str, TopicObservation],
    summaries: Sequence[TopicSummary] | None = None,
    **kw: Any,
) -> Observed:
    from inferrer.inference import summarize_all

    return Observed(
        summaries=tuple(summarize_all(observations) if summaries is None else summaries),
        observations=dict(observations),
        **kw,
    )


def _capture_source(paths: CapturePaths, topics: Sequence[str], exclude: Sequence[str]) -> Source:
    """A pipeline source over capture files; a folder stands for its ``*.jsonl`` files."""
    from inferrer.capture import expand_capture_paths
    from inferrer.pipeline import Source

    given = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    files = expand_capture_paths(given)
    if not files:
        raise UsageError("no capture file given")
    return Source(capture_files=tuple(files), topics=tuple(topics), exclude=tuple(exclude))


def _collect(source: Source) -> Observed:
    from inferrer.pipeline import collect

    collected = collect(source)
    # The pipeline's summaries: registry-backed topics described by their writer
    # schemas, as the CLI describes them.
    return _observed(
        collected.observations,
        collected.summaries(),
        metadata=dict(collected.metadata),
        source=source.describe(),
        warnings=collected.warnings,
    )


def load_captures(
    paths: CapturePaths, *, topics: Sequence[str] = (), exclude: Sequence[str] = ()
) -> Observed:
    """Observations from capture files: a file, a folder of ``*.jsonl`` files, or a list.

    ``topics`` and ``exclude`` are the patterns of ``--topics`` / ``--exclude``
    (shell globs, or regular expressions prefixed ``re:``); empty means every topic.
    """
    return _collect(_capture_source(paths, topics, exclude))


def load_live(
    bootstrap: str | None = None,
    topics: Sequence[str] = (),
    *,
    exclude: Sequence[str] = (),
    max_messages: int = 1000,
    start: str = "latest",
    timeout: float = 10.0,
    settings: Mapping[str, str] | None = None,
    config: SampleConfig | None = None,
) -> Observed:
    """Observations from a read-only sample of a live cluster.

    Either give ``config`` (a :class:`~inferrer.kafka.sampler.SampleConfig`), or the
    pieces: ``bootstrap`` (else ``$KAFKA_BOOTSTRAP_SERVERS``), topic patterns,
    ``max_messages`` per topic, ``start`` as for ``--from`` (``latest``, ``earliest``,
    an ISO-8601 time or a duration back from now), and extra librdkafka ``settings``
    (security, SASL ...). Sampling assigns partitions and never commits.
    """
    from inferrer.pipeline import Source

    if config is None:
        from inferrer.kafka.config import build_client_config
        from inferrer.kafka.sampler import SampleConfig, parse_start

        if timeout <= 0:
            raise UsageError(f"invalid timeout {timeout!r}: must be more than zero")
        config = SampleConfig(
            client=build_client_config(bootstrap, None, sorted((settings or {}).items())),
            topics=tuple(topics),
            exclude=tuple(exclude),
            max_messages=max_messages,
            start=parse_start(start),
            timeout=timeout,
        )
    elif bootstrap is not None or topics or exclude or settings:
        raise UsageError("give either config or bootstrap/topics/exclude/settings, not both")
    return _collect(Source(sample=config))


def load_saved(path: PathLike) -> Observed:
    """Observations from a JSON file written by :meth:`Observed.save`.

    Such a file holds no cluster facts: ``metadata`` is empty. Read as
    ``infer --from-observations FILE`` reads it (the pipeline's one way).
    """
    from inferrer.pipeline import ObservationSource, collect

    collected = collect(ObservationSource(location=os.fspath(path)))
    return _observed(
        collected.observations,
        metadata=dict(collected.metadata),
        source=f"observations {path}",
        warnings=collected.warnings,
    )


def load_snapshots(
    source: PathLike,
    *,
    bootstrap: str | None = None,
    settings: Mapping[str, str] | None = None,
    retention_seconds: float | None = None,
    topics: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> Observed:
    """The merged picture of ``watch`` snapshots, as ``infer --from-observations``
    reads it: the newest snapshot of every member seen within ``retention_seconds``
    (default 7 days), merged.

    ``source`` is a snapshot folder (``DIR`` or ``DIR/GROUP``) or ``kafka:TOPIC``
    (``kafka:TOPIC/GROUP``) on the cluster at ``bootstrap`` (else
    ``$KAFKA_BOOTSTRAP_SERVERS``), with extra librdkafka ``settings``.
    """
    from inferrer.pipeline import ObservationSource, collect

    location = os.fspath(source)
    client = None
    if location.startswith("kafka:"):
        from inferrer.kafka.config import build_client_config

        client = build_client_config(bootstrap, None, sorted((settings or {}).items()))
    collected = collect(
        ObservationSource(
            location=location,
            client=client,
            topics=tuple(topics),
            exclude=tuple(exclude),
            retention_seconds=retention_seconds,
        )
    )
    return _observed(
        collected.observations,
        metadata=dict(collected.metadata),
        source=f"watch snapshots {location}",
        warnings=collected.warnings,
    )


def _is_snapshot_folder(path: Path) -> bool:
    """A folder of watch snapshots (``GROUP/MEMBER/TOPIC.json``), not of captures."""
    if not path.is_dir() or any(path.glob("*.jsonl")):
        return False
    return any(path.glob("*/*/*.json")) or any(path.glob("*/*.json"))


Loadable: TypeAlias = "Observed | SampleConfig | Source | CapturePaths"


def load_observations_from(
    source: Loadable, *, topics: Sequence[str] = (), exclude: Sequence[str] = ()
) -> Observed:
    """Observations from whatever ``source`` is.

    * an :class:`Observed` — returned as is;
    * a :class:`~inferrer.kafka.sampler.SampleConfig` — a live sample;
    * a :class:`~inferrer.pipeline.Source` — read as the commands read it;
    * a path ending in ``.json`` — a saved observation file (:func:`load_saved`);
    * ``kafka:TOPIC``, or a folder of watch snapshots — :func:`load_snapshots`;
    * any other path, folder, or list of them — capture files (:func:`load_captures`).

    ``topics`` and ``exclude`` filter capture files (a live config has its own).
    """
    from inferrer.kafka.sampler import SampleConfig
    from inferrer.pipeline import Source

    if isinstance(source, Observed):
        return source
    if isinstance(source, SampleConfig):
        return load_live(config=source)
    if isinstance(source, Source):
        return _collect(source)
    if isinstance(source, str | os.PathLike) and Path(source).suffix == ".json":
        return load_saved(source)
    if isinstance(source, str) and source.startswith("kafka:"):
        return load_snapshots(source, topics=topics, exclude=exclude)
    if isinstance(source, str | os.PathLike) and _is_snapshot_folder(Path(source)):
        return load_snapshots(source, topics=topics, exclude=exclude)
    return load_captures(source, topics=topics, exclude=exclude)


# -- frames ------------------------------------------------------------------------------

TOPIC_COLUMNS: Mapping[str, str] = {
    "topic": "Topic name.",
    "messages": "Messages sampled (tombstones and undecodable ones included).",
    "kinds": "Number of event kinds seen.",
    "event_kinds": "Names of the event kinds, sorted (a tuple).",
    "content_type": "Most common content type (header or envelope); missing when none.",
    "encoding": "Most common payload encoding: json, avro, protobuf, text, binary, null.",
    "envelope": "none, kafka-connect, debezium, cloudevents-binary, cloudevents-structured.",
    "partitions": "Partitions the cluster (or capture sidecar) reports; <NA> when unknown.",
    "partitions_seen": "Partitions messages were sampled from.",
    "replication_factor": "Replication factor the cluster reports; <NA> when unknown.",
    "rate_per_second": "Messages per second over the sampled time span; NaN when unknown.",
    "key_encoding": "Most common key encoding (null when there are no keys).",
    "key_type": "JSON type(s) of the decoded keys, '|'-joined; missing when no key.",
    "key_format": "String format of the keys (uuid, ...); missing when none.",
    "undecodable": "Messages whose value could not be decoded.",
    "undecodable_reasons": "'reason: count' pairs, '; '-joined, sorted; '' when none.",
    "duplicate_keys": "Decoded messages with an object naming a member twice (last one wins).",
    "integer_beyond_64_bits": "Decoded messages with an integer outside [-2**63, 2**64-1].",
    "tombstones": "Messages with a null value.",
    "first_timestamp": "Earliest message timestamp (UTC).",
    "last_timestamp": "Latest message timestamp (UTC).",
}
"""Columns of :func:`topics_frame`, in order, with what each holds."""

_TOPIC_DTYPES: Mapping[str, str] = {
    "topic": "str",
    "messages": "int64",
    "kinds": "int64",
    "event_kinds": "object",
    "content_type": "str",
    "encoding": "str",
    "envelope": "str",
    "partitions": "Int64",
    "partitions_seen": "int64",
    "replication_factor": "Int64",
    "rate_per_second": "float64",
    "key_encoding": "str",
    "key_type": "str",
    "key_format": "str",
    "undecodable": "int64",
    "undecodable_reasons": "str",
    "duplicate_keys": "int64",
    "integer_beyond_64_bits": "int64",
    "tombstones": "int64",
    "first_timestamp": "datetime64[ms, UTC]",
    "last_timestamp": "datetime64[ms, UTC]",
}

FIELD_COLUMNS: Mapping[str, str] = {
    "topic": "Topic name.",
    "kind": "Event kind (message) name.",
    "path": "JSON pointer of the field; '*' is any array item, '{}' any map value.",
    "depth": "Number of pointer tokens (1 for a top-level field).",
    "messages": "Messages of this kind.",
    "present": "Messages of this kind in which the path was present (under a map: entries).",
    "presence_ratio": "present / messages (under a map, entries per message).",
    "null_ratio": "Share of present values that were null.",
    "types": "JSON types seen, '|'-joined in the order of JSON_TYPES.",
    "distinct": "Distinct values seen (a lower bound when distinct_approximate).",
    "distinct_approximate": "True when distinct was capped.",
    "format": "Detected string format (date-time, uuid, email, ...); missing when none.",
    "enum": "The values, when the field looks like an enum (a tuple); None otherwise.",
    "minimum": "Smallest number seen; NaN when not numeric.",
    "maximum": "Largest number seen; NaN when not numeric.",
    "min_length": "Shortest string or array length; <NA> when none.",
    "max_length": "Longest string or array length; <NA> when none.",
}
"""Columns of :func:`fields_frame`, in order, with what each holds."""

_FIELD_DTYPES: Mapping[str, str] = {
    "topic": "str",
    "kind": "str",
    "path": "str",
    "depth": "int64",
    "messages": "int64",
    "present": "int64",
    "presence_ratio": "float64",
    "null_ratio": "float64",
    "types": "str",
    "distinct": "int64",
    "distinct_approximate": "bool",
    "format": "str",
    "enum": "object",
    "minimum": "float64",
    "maximum": "float64",
    "min_length": "Int64",
    "max_length": "Int64",
}

TYPE_COLUMNS: Mapping[str, str] = {
    "topic": "Topic name.",
    "kind": "Event kind (message) name.",
    "path": "JSON pointer of the field.",
    "type": "One JSON type (null included).",
    "count": "Values of that type seen at the path.",
    "share": "count / values of any type seen at the path.",
}
"""Columns of :func:`types_frame`, in order, with what each holds."""

_TYPE_DTYPES: Mapping[str, str] = {
    "topic": "str",
    "kind": "str",
    "path": "str",
    "type": "str",
    "count": "int64",
    "share": "float64",
}

FINDING_COLUMNS: Mapping[str, str] = {
    "id": "Stable finding id (same finding, same id, run after run).",
    "severity": "breaking, non-breaking or info (an ordered categorical, most severe first).",
    "rule": "Id of the rule that classified the change.",
    "where": "topics, messages, payload, key, headers or bindings.",
    "channel": "Topic the finding is about; missing when none.",
    "kind": "Event kind (message) the finding is about; missing when none.",
    "pointer": "JSON pointer into the committed spec (the new one for additions).",
    "message": "One-line human description.",
    "before": "What the spec said (JSON data).",
    "after": "What was seen instead (JSON data).",
    "evidence_count": "Messages supporting the finding; <NA> when not from traffic.",
    "evidence_ratio": "Share of the kind's messages supporting it; NaN when unknown.",
    "evidence_partition": "Partition of an example message; <NA> when none.",
    "evidence_offset": "Offset of that example message; <NA> when none.",
    "evidence_example": "The (redacted) example payload; None when none.",
}
"""Columns of :func:`findings_frame`, in order, with what each holds."""

_FINDING_DTYPES: Mapping[str, str] = {
    "id": "str",
    "severity": "category",
    "rule": "str",
    "where": "str",
    "channel": "str",
    "kind": "str",
    "pointer": "str",
    "message": "str",
    "before": "object",
    "after": "object",
    "evidence_count": "Int64",
    "evidence_ratio": "float64",
    "evidence_partition": "Int64",
    "evidence_offset": "Int64",
    "evidence_example": "object",
}


EVIDENCE_COLUMNS: Mapping[str, str] = {
    "message": "Id of the message (event kind) in the document's components.",
    "messages": "Messages of this kind in the sample.",
    "share_of_topic": "The kind's share of its topic's messages (0..1).",
    "path": "JSON pointer of the field in the payload ('' for the payload itself).",
    "presence_ratio": "Share of the kind's messages that had the field (0..1).",
    "null_ratio": "Share of those where it was null (0..1).",
    "types": "JSON types seen, '|'-joined in JSON_TYPES order.",
    "distinct": "Distinct values seen (a lower bound when distinct_approximate).",
    "distinct_approximate": "True when distinct counting stopped at its bound.",
    "format": "String format seen in every value, if any.",
}
"""Columns of :func:`evidence_frame`, in order, with their meaning."""

_EVIDENCE_DTYPES: Mapping[str, str] = {
    "message": "str",
    "messages": "Int64",
    "share_of_topic": "float64",
    "path": "str",
    "presence_ratio": "float64",
    "null_ratio": "float64",
    "types": "str",
    "distinct": "Int64",
    "distinct_approximate": "bool",
    "format": "object",
}


def evidence_frame(source: PathLike | Mapping[str, Any]) -> pd.DataFrame:
    """One row per field of each message in an evidence file (``--evidence file``).

    ``source`` is the evidence file, the document it sits beside (``asyncapi.yaml`` →
    ``asyncapi.evidence.json``), or an evidence value already loaded. Rows are sorted
    by message and path; columns as in :data:`EVIDENCE_COLUMNS`.
    """
    from inferrer.asyncapi.evidence import EVIDENCE_SUFFIX, evidence_path, load_evidence
    from inferrer.jsonpointer import unescape_token

    if isinstance(source, Mapping):
        evidence: Mapping[str, Any] = source
    else:
        path = Path(source)
        if not path.name.endswith(EVIDENCE_SUFFIX):
            path = evidence_path(path)
        evidence = load_evidence(path)
    rows: list[dict[str, Any]] = []
    for pointer, facts in (evidence.get("nodes") or {}).items():
        fields = facts.get("fields") if isinstance(facts, Mapping) else None
        if not isinstance(fields, Mapping):
            continue
        message = unescape_token(str(pointer).rsplit("/", 1)[-1])
        for field_path, item in fields.items():
            rows.append(
                {
                    "message": message,
                    "messages": facts.get("sample-size"),
                    "share_of_topic": facts.get("share-of-topic"),
                    "path": "" if field_path == "/" else field_path,
                    "presence_ratio": item.get("presence"),
                    "null_ratio": item.get("nulls"),
                    "types": _join_types(t for t, n in (item.get("types") or {}).items() if n),
                    "distinct": item.get("distinct"),
                    "distinct_approximate": bool(item.get("distinctIsLowerBound", False)),
                    "format": item.get("format"),
                }
            )
    rows.sort(key=lambda r: (r["message"], r["path"]))
    return _frame(rows, _EVIDENCE_DTYPES)


def _frame(rows: Sequence[Mapping[str, Any]], dtypes: Mapping[str, str]) -> pd.DataFrame:
    """A frame with exactly these columns, in this order, with these dtypes."""
    columns: dict[str, pd.Series[Any]] = {}
    for name, dtype in dtypes.items():
        values = [row[name] for row in rows]
        if dtype == "object":
            series: pd.Series[Any] = pd.Series(values, dtype=object)
        elif dtype.startswith("datetime64"):
            stamps = [None if v is None else clamp_timestamp(v) for v in values]
            series = pd.Series(pd.to_datetime(cast(Any, stamps), unit="ms", utc=True)).astype(
                cast(Any, dtype)
            )
        elif dtype == "category":
            from inferrer.drift.model import SEVERITIES

            series = pd.Series(pd.Categorical(values, categories=SEVERITIES, ordered=True))
        else:
            series = pd.Series(values, dtype=cast(Any, dtype))
        columns[name] = series
    return pd.DataFrame(columns)


def _summaries(
    observed: Observed | Iterable[TopicSummary],
    metadata: Mapping[str, TopicMetadata] | None,
) -> tuple[list[TopicSummary], Mapping[str, TopicMetadata]]:
    if isinstance(observed, Observed):
        return list(observed.summaries), observed.metadata if metadata is None else metadata
    return list(observed), metadata or {}


def _schema_types(schema: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The JSON types a (canonical) schema admits, in JSON_TYPES order."""
    if not schema:
        return ()
    found: set[str] = set()
    declared = schema.get("type")
    if isinstance(declared, str):
        found.add(declared)
    elif isinstance(declared, list):
        found.update(t for t in declared if isinstance(t, str))
    for key in ("anyOf", "oneOf"):
        for branch in schema.get(key) or ():
            if isinstance(branch, Mapping):
                found.update(_schema_types(branch))
    return tuple(t for t in JSON_TYPES if t in found)


def _join_types(names: Iterable[str]) -> str:
    present = set(names)
    known = [t for t in JSON_TYPES if t in present]
    return "|".join(known + sorted(present - set(JSON_TYPES)))


def topics_frame(
    observed: Observed | Iterable[TopicSummary],
    metadata: Mapping[str, TopicMetadata] | None = None,
) -> pd.DataFrame:
    """One row per topic, sorted by topic; columns as in :data:`TOPIC_COLUMNS`.

    ``metadata`` overrides the cluster facts of an :class:`Observed` (or supplies
    them for bare summaries).
    """
    summaries, meta = _summaries(observed, metadata)
    rows: list[dict[str, Any]] = []
    for s in sorted(summaries, key=lambda s: s.topic):
        m = meta.get(s.topic)
        key_format = s.key_schema.get("format") if s.key_schema else None
        rows.append(
            {
                "topic": s.topic,
                "messages": s.messages,
                "kinds": len(s.kinds),
                "event_kinds": tuple(sorted(k.name for k in s.kinds)),
                "content_type": s.content_type,
                "encoding": s.encoding,
                "envelope": s.envelope,
                "partitions": m.partitions if m is not None else None,
                "partitions_seen": len(s.partitions_seen),
                "replication_factor": m.replication_factor if m is not None else None,
                "rate_per_second": s.rate_per_second,
                "key_encoding": s.key_encoding,
                "key_type": "|".join(_schema_types(s.key_schema)) or None,
                "key_format": key_format if isinstance(key_format, str) else None,
                "undecodable": sum(s.undecodable.values()),
                "undecodable_reasons": "; ".join(
                    f"{reason}: {n}" for reason, n in sorted(s.undecodable.items())
                ),
                "duplicate_keys": s.anomalies.get("duplicate-keys", 0),
                "integer_beyond_64_bits": s.anomalies.get("integer-beyond-64-bits", 0),
                "tombstones": s.tombstones,
                "first_timestamp": s.first_timestamp,
                "last_timestamp": s.last_timestamp,
            }
        )
    return _frame(rows, _TOPIC_DTYPES)


def _depth(path: str) -> int:
    return path.count("/")


def _iter_fields(
    observed: Observed | Iterable[TopicSummary], topic: str | None
) -> Iterator[tuple[TopicSummary, KindSummary, FieldSummary]]:
    """(topic, kind, field) summaries, of one topic when ``topic`` is given."""
    summaries, _ = _summaries(observed, None)
    for s in summaries:
        if topic is None or s.topic == topic:
            for k in s.kinds:
                for f in k.fields:
                    yield s, k, f


def fields_frame(
    observed: Observed | Iterable[TopicSummary], *, topic: str | None = None
) -> pd.DataFrame:
    """One row per field path of each event kind; columns as in :data:`FIELD_COLUMNS`.

    Rows are sorted by topic, kind and path. ``topic`` keeps one topic only.
    """
    rows: list[dict[str, Any]] = [
        {
            "topic": s.topic,
            "kind": k.name,
            "path": f.path,
            "depth": _depth(f.path),
            "messages": k.count,
            "present": f.present,
            "presence_ratio": f.presence_ratio,
            "null_ratio": f.null_ratio,
            "types": _join_types(t for t, n in f.types.items() if n > 0),
            "distinct": f.distinct,
            "distinct_approximate": f.distinct_approximate,
            "format": f.format,
            "enum": f.enum,
            "minimum": f.minimum,
            "maximum": f.maximum,
            "min_length": f.min_length,
            "max_length": f.max_length,
        }
        for s, k, f in _iter_fields(observed, topic)
    ]
    rows.sort(key=lambda r: (r["topic"], r["kind"], r["path"]))
    return _frame(rows, _FIELD_DTYPES)


def types_frame(
    observed: Observed | Iterable[TopicSummary], *, topic: str | None = None
) -> pd.DataFrame:
    """The mix of JSON types: one row per (topic, kind, path, type) with its count.

    Columns as in :data:`TYPE_COLUMNS`; rows sorted by topic, kind, path, then type
    in :data:`JSON_TYPES` order. Types never seen at a path have no row.
    """
    order: dict[str, int] = {t: i for i, t in enumerate(JSON_TYPES)}
    rows: list[dict[str, Any]] = [
        {
            "topic": s.topic,
            "kind": k.name,
            "path": f.path,
            "type": type_name,
            "count": count,
            "share": count / sum(f.types.values()),
        }
        for s, k, f in _iter_fields(observed, topic)
        for type_name, count in f.types.items()
        if count > 0
    ]
    rows.sort(key=lambda r: (r["topic"], r["kind"], r["path"], order.get(r["type"], 99), r["type"]))
    return _frame(rows, _TYPE_DTYPES)


def findings_frame(report: DriftReport) -> pd.DataFrame:
    """One row per finding, in report order (most severe first, then channel, pointer).

    Columns as in :data:`FINDING_COLUMNS`; ``severity`` is an ordered categorical, so
    ``frame[frame.severity <= "non-breaking"]`` keeps breaking and non-breaking ones.
    Suppressed findings (baseline, ignore rules) are not included.
    """
    rows = report.to_records()
    return _frame(rows, _FINDING_DTYPES)


# -- drift -------------------------------------------------------------------------------

Baseline: TypeAlias = "Observed | Mapping[str, Any] | CapturePaths"
Current: TypeAlias = "Mapping[str, Any] | SampleConfig | Source | CapturePaths"

_SPEC_SUFFIXES = (".yaml", ".yml", ".json")


def _is_spec_path(value: object) -> bool:
    return isinstance(value, str | os.PathLike) and Path(value).suffix in _SPEC_SUFFIXES


def _baseline_document(
    baseline: Baseline, topics: Sequence[str], exclude: Sequence[str]
) -> tuple[dict[str, Any], str]:
    from inferrer.asyncapi.read import load_document

    if isinstance(baseline, Observed):
        return baseline.to_document(), baseline.source
    if isinstance(baseline, Mapping):
        return dict(baseline), "spec"
    if _is_spec_path(baseline):
        assert isinstance(baseline, str | os.PathLike)
        return load_document(Path(baseline)), str(baseline)
    observed = load_captures(baseline, topics=topics, exclude=exclude)
    return observed.to_document(), f"inferred from {observed.source}"


def drift_between(
    baseline: Baseline,
    current: Current,
    *,
    options: DiffOptions | None = None,
    topics: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> DriftReport:
    """The drift report of ``current`` against ``baseline``; see :func:`findings_frame`.

    ``baseline`` is the reference: an AsyncAPI document (a mapping, or a ``.yaml``,
    ``.yml`` or ``.json`` file), an :class:`Observed`, or capture files, a folder or
    list of them (a document is inferred from those, as ``infer-asyncapi --from-file``
    would write it).

    ``current`` is what is checked against it: capture files (a path, folder or list),
    a live :class:`~inferrer.kafka.sampler.SampleConfig`, a pipeline
    :class:`~inferrer.pipeline.Source` — compared message by message, as
    ``infer-asyncapi diff`` does — or a second AsyncAPI document (mapping or file),
    compared spec to spec. ``topics`` and ``exclude`` filter capture files (on
    both sides).
    """
    import dataclasses

    from inferrer.drift.options import DiffOptions
    from inferrer.kafka.sampler import SampleConfig
    from inferrer.pipeline import Against, Source, diff

    spec, label = _baseline_document(baseline, topics, exclude)
    opts = dataclasses.replace(options or DiffOptions(), spec_label=label)
    against: Against
    if isinstance(current, Mapping):
        against, opts = current, dataclasses.replace(opts, compared_with="document")
    elif _is_spec_path(current):
        assert isinstance(current, str | os.PathLike)
        against = Path(current)
    elif isinstance(current, SampleConfig):
        against = Source(sample=current)
    elif isinstance(current, Source):
        against = current
    else:
        against = _capture_source(current, topics, exclude)
    if isinstance(against, Source):
        opts = dataclasses.replace(opts, compared_with=against.describe())
    return diff(spec, against, opts)
