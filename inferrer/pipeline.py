"""The whole chain: one entry point per stage, which the commands and notebooks share.

A :class:`Source` is either a live cluster (a :class:`~inferrer.kafka.sampler.SampleConfig`)
or capture files; an :class:`ObservationSource` is observations already made.
:func:`collect` reads either into observations (a sample's records decoded once and
folded); :func:`infer` turns those into an AsyncAPI document; :func:`diff` compares a
committed spec with them (or with a second spec); :func:`record` writes a live sample
to a capture file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inferrer.errors import NoTopicsMatched
from inferrer.model import DecodedMessage, TopicMetadata, TopicSummary, explicit_configs

if TYPE_CHECKING:
    from inferrer.asyncapi.build import DocumentOptions, Origin
    from inferrer.drift.model import DriftReport
    from inferrer.drift.options import DiffOptions
    from inferrer.drift.spec import SpecView
    from inferrer.engine import Engine
    from inferrer.inference.kinds import DiscriminatorChoice
    from inferrer.inference.observation import TopicObservation
    from inferrer.kafka.plan import ProgressCallback, SampleConfig
    from inferrer.records import Record
    from inferrer.registry.framed import FramedDecoder
    from inferrer.registry.settings import RegistrySettings


@dataclass(frozen=True, slots=True)
class Source:
    """Where traffic comes from: a live cluster, or capture files (``--from-file``)."""

    sample: SampleConfig | None = None
    capture_files: tuple[Path, ...] = ()
    topics: tuple[str, ...] = ()
    """Topic patterns applied to capture files (live sampling has its own in ``sample``)."""
    exclude: tuple[str, ...] = ()
    include_internal: bool = False
    registry: RegistrySettings | None = None
    """The Schema Registry to decode framed messages with (``--schema-registry``)."""
    named_bootstrap: str | None = None
    """With capture files: the cluster they came from (``-b``), for the document's
    server; nothing connects to it."""
    discriminators: tuple[DiscriminatorChoice, ...] = ()
    """``--discriminator`` choices: how the kinds of matching topics are told apart."""

    def topic_patterns(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The --topics and --exclude patterns of this source."""
        if self.sample is not None and not self.capture_files:
            return self.sample.topics, self.sample.exclude
        return self.topics, self.exclude

    def describe(self) -> str:
        """A one-line, credential-free description for reports."""
        if self.capture_files:
            # stdin is spooled to an unnamed file, opened as /proc/self/fd/N.
            names = ", ".join(
                "stdin" if str(p).startswith("/proc/self/fd/") else p.name
                for p in self.capture_files[:3]
            )
            more = len(self.capture_files) - 3
            return f"capture {names}" + (f" and {more} more" if more > 0 else "")
        if self.sample is not None:
            return f"live sample of {self.sample.client.bootstrap}"
        return "nothing"


@dataclass(frozen=True, slots=True)
class Collected:
    """What a source yielded: observations per topic, cluster facts, warnings."""

    observations: Mapping[str, TopicObservation]
    metadata: Mapping[str, TopicMetadata]
    messages: tuple[DecodedMessage, ...] = ()
    """The decoded sample, kept only when asked (the drift report's reference path)."""
    traffic: Mapping[str, Any] | None = None
    """What the core's drift check counted, when one was asked for (``check``)."""
    warnings: tuple[str, ...] = ()
    bootstrap: str | None = None
    secure: bool = False
    framed: FramedDecoder | None = None
    """The decoder of framed messages, with what it saw (None when no writer schema
    could be had: no registry, no schema sidecar)."""
    discriminators: tuple[DiscriminatorChoice, ...] = ()

    def summaries(self, progress: ProgressCallback | None = None) -> list[TopicSummary]:
        """Each topic's summary (inference proper), reporting topics done to ``progress``;
        registry-backed topics are described by their writer schemas."""
        from inferrer.inference import summarize_all
        from inferrer.kafka.plan import SampleProgress

        if progress is None:
            out = summarize_all(self.observations, self.discriminators)
        else:
            out = []
            names = sorted(self.observations)
            for done, name in enumerate(names):
                progress(SampleProgress(done, len(names), done, len(names), unit="topics"))
                out += summarize_all({name: self.observations[name]}, self.discriminators)
            n = len(names)
            progress(SampleProgress(n, n, n, n, unit="topics"))
        if self.framed is not None:
            from inferrer.registry.document import with_registry

            source = self.framed.source
            client = getattr(source, "registry", None)
            located = getattr(source, "located", None)
            out = with_registry(out, self.framed, client, located)
        return out


@dataclass(frozen=True, slots=True)
class Inferred:
    """An inferred document and what it was built from."""

    document: dict[str, Any]
    summaries: tuple[TopicSummary, ...]
    metadata: Mapping[str, TopicMetadata]
    warnings: tuple[str, ...] = ()
    unobserved: tuple[str, ...] = ()
    """With ``--update``: JSON pointers of documented fields not seen in this sample."""
    evidence: dict[str, Any] | None = None
    """The sample's evidence, to write beside the document (``--evidence file``)."""


def _fold_capture_files(
    source: Source,
    warnings: list[str],
    checker: Engine | None,
    progress: ProgressCallback | None = None,
    framed: FramedDecoder | None = None,
) -> tuple[dict[str, TopicObservation], dict[str, TopicMetadata]]:
    """Fold the capture files in the engine, in one pass; keep the selected topics."""
    from inferrer.capture import CaptureStats
    from inferrer.engine.fold import fold_captures
    from inferrer.inference import TopicObservation
    from inferrer.kafka.select import select_topics

    stats = CaptureStats()
    from inferrer.kafka.plan import SampleProgress

    def report(read: int, total: int, files_read: int, files: int) -> None:
        if progress is not None:
            progress(SampleProgress(read, total, files_read, files, unit="bytes"))

    observed, topics = fold_captures(
        source.capture_files, stats=stats, check_with=checker, progress=report, framed=framed
    )
    names = select_topics(
        topics, source.topics, source.exclude, include_internal=source.include_internal
    )
    if not names:
        wanted = ", ".join(source.topics) or "*"
        raise NoTopicsMatched(f"no topic in the capture file(s) matches {wanted}")
    if stats.bad:
        warnings.append(f"{stats.bad} unreadable line(s) in the capture file(s) were skipped")
    observations = {t: TopicObservation(observed[t]) for t in names if t in observed}
    return observations, {t: topics[t] for t in names}


def _capture_messages(
    source: Source, chosen: Iterable[str], framed: FramedDecoder | None
) -> list[DecodedMessage]:
    """Every record of the chosen topics, decoded (for checks that need each message),
    framed ones with their writer schemas as the fold read them."""
    from inferrer.capture import iter_captures
    from inferrer.engine import decode_record

    wanted = set(chosen)
    records: Iterable[Record] = iter_captures([os.fspath(p) for p in source.capture_files])
    if framed is None:
        return [decode_record(rec) for rec in records if rec.topic in wanted]
    return [
        framed.of_record_type(decode_record(rec))
        for rec in framed.records(records, counted=False)
        if rec.topic in wanted
    ]


def kind_limit_warnings(observations: Mapping[str, TopicObservation]) -> list[str]:
    """One warning per topic whose payload discriminator took more values than the kind
    limit: its messages are then described as one kind, and the user should know."""
    from inferrer.inference.rules import MAX_KINDS

    return [
        f"topic {topic}: its discriminator field took more than {MAX_KINDS} values, "
        "so its messages are described as one kind, not one per value"
        for topic, obs in sorted(observations.items())
        if obs.kind_limit_exceeded
    ]


def collect(
    source: Source | ObservationSource,
    *,
    keep_messages: bool = False,
    check: str | None = None,
    progress: ProgressCallback | None = None,
) -> Collected:
    """The observations of a source: the one entry point of collection, for the command
    line and notebooks.

    Traffic (a :class:`Source`) is read, every record decoded once and folded
    (:func:`_collect_traffic`); observations already made (an :class:`ObservationSource`)
    are read and merged over ``watch`` members (``keep_messages``, ``check`` and
    ``progress`` do not apply to them).
    """
    if isinstance(source, ObservationSource):
        return _collect_observations(source)
    return _collect_traffic(source, keep_messages=keep_messages, check=check, progress=progress)


def _collect_traffic(
    source: Source,
    *,
    keep_messages: bool,
    check: str | None,
    progress: ProgressCallback | None,
) -> Collected:
    """Read the source, decode every record once and fold it into observations.

    Records stream from the source to the engine in batches: the sample is never
    held in memory (unless ``keep_messages`` asks for the decoded messages). With
    ``check`` (a plan of :func:`inferrer.drift.traffic.core_plan`), the engine also
    checks every message against the committed spec on the way; a plan the core cannot
    check (a pattern its regex engine lacks) keeps the decoded messages instead, for
    the reference walk (``traffic`` is then None).
    """
    from inferrer.engine import Engine
    from inferrer.inference import TopicObservation, observations_of

    warnings: list[str] = []
    bootstrap: str | None = None
    secure = False
    kept: list[DecodedMessage] = []
    checker: Engine | None = None
    if check is not None:
        checker = Engine()
        try:
            checker.check(check)
        except ValueError:
            checker, keep_messages = None, True
    framed = _framed_decoder(source)
    if source.capture_files:
        observations, metadata = _fold_capture_files(source, warnings, checker, progress, framed)
        if keep_messages:
            kept = _capture_messages(source, metadata, framed)
        bootstrap = source.named_bootstrap
    elif source.sample is not None:
        from inferrer.engine import decode_record
        from inferrer.kafka.sampler import open_stream, record_of

        engine = Engine()
        if checker is not None:
            engine.adopt_check(checker)
        if framed is not None:
            # The core decodes framed messages, asking ``framed`` once per schema id.
            engine.set_framing([], framed)
        stream = open_stream(source.sample, progress)
        records: list[Record] = []
        for batch in stream.batches():
            engine.fold_messages(batch)
            if keep_messages:
                records.extend(record_of(m) for m in batch)
        if framed is not None:
            framed.absorb(engine.framed_use() or {"order": [], "uses": []})
            # Decoded after the fold's counts are in, so schemas are first used in
            # the order the fold met them.
            kept = [
                framed.of_record_type(decode_record(r))
                for r in framed.records(records, counted=False)
            ]
        else:
            kept = [decode_record(r) for r in records]
        if stream.partial and not source.sample.allow_partial:
            from inferrer.kafka.plan import partial_sample_error

            raise partial_sample_error(stream.partial)
        skipped = {s.topic for s in stream.skipped}
        warnings.extend(stream.warnings)
        metadata = {t: m for t, m in sorted(stream.selection.metadata.items()) if t not in skipped}
        observations = {t: o for t, o in observations_of(engine).items() if t in metadata}
        # Per topic, in partition and offset order, whatever order partitions arrived in.
        kept.sort(key=lambda m: (m.topic, m.partition, m.offset))
        if checker is not None:
            checker.adopt_check(engine)
        bootstrap = source.sample.client.bootstrap
        protocol = source.sample.client.settings.get("security.protocol", "plaintext")
        secure = protocol.lower() != "plaintext"
    else:
        raise NoTopicsMatched("nothing to read: give --bootstrap-server or --from-file")

    warnings.extend(kind_limit_warnings(observations))
    warnings.extend(framed_warnings(observations, framed))
    # Topics selected but empty still deserve a channel: they are documented facts.
    full = dict(observations)
    for topic in metadata:
        full.setdefault(topic, TopicObservation(topic))
    return Collected(
        observations=dict(sorted(full.items())),
        metadata=metadata,
        messages=tuple(kept),
        traffic=checker.check_results() if checker is not None else None,
        warnings=tuple(warnings),
        bootstrap=bootstrap,
        secure=secure,
        framed=framed,
        discriminators=source.discriminators,
    )


def _framed_decoder(source: Source) -> FramedDecoder | None:
    """The decoder of framed messages, when writer schemas can be had: from the
    capture files' schema sidecars, and from the registry (which must answer: exit 3
    when it was asked for and cannot be reached at all)."""
    from inferrer.registry import schemas_path

    if source.registry is None and not any(
        schemas_path(c).exists() for c in source.capture_files if str(c) != "-"
    ):
        return None  # no writer schema to be had (and the registry's modules stay unloaded)
    from inferrer.registry.client import RegistryClient
    from inferrer.registry.framed import FramedDecoder
    from inferrer.registry.sidecar import read_sidecars

    client = None
    if source.registry is not None:
        client = RegistryClient(source.registry)
        client.subjects()  # raises RegistryUnreachable, before any sampling
    schemas = read_sidecars(source.capture_files, client)
    return FramedDecoder(schemas) if schemas else None


def framed_warnings(
    observations: Mapping[str, TopicObservation], framed: FramedDecoder | None
) -> list[str]:
    """One line naming the topics whose framed messages were not decoded, and why."""
    if framed is None:
        topics = sorted(t for t, o in observations.items() if o.framed_binary)
        if not topics:
            return []
        return [
            "Schema Registry framed Avro/Protobuf messages were not decoded (give "
            "--schema-registry URL) on: " + ", ".join(topics)
        ]
    lines = []
    for topic in framed.undecoded_topics():
        uses = framed.topic_use(topic).values()
        reasons = sorted({r for u in uses for r in u.failures})
        missed = sum(sum(u.failures.values()) for u in uses)
        lines.append(f"topic {topic}: {missed} framed message(s) not decoded: {reasons[0]}")
    return lines


def infer(
    source: Source | ObservationSource,
    options: DocumentOptions,
    *,
    update: Path | None = None,
    progress: ProgressCallback | None = None,
    document_name: str | None = None,
) -> Inferred:
    """Sample (or read) the source and build its AsyncAPI document: the one entry point
    of inference, for the command line and notebooks.

    The source is traffic (a :class:`Source`) or observations already made (an
    :class:`ObservationSource`, ``infer --from-observations``).

    With ``update``, the inferred document is merged into the spec at that path,
    keeping everything a human wrote there; the caller writes the result. With
    ``options.evidence`` ``file``, the evidence comes back beside the document
    (:attr:`Inferred.evidence`, naming ``document_name``), for the caller to write.
    """
    collected = collect(source, progress=progress)
    origin: Origin
    if isinstance(source, ObservationSource):
        # Watch snapshots hold live traffic and the cluster's facts, as a live sample.
        origin = "live" if collected.bootstrap else "observations"
        metadata = collected.metadata
    else:
        origin = "capture" if source.capture_files else "live"
        metadata = {topic: explicit_configs(md) for topic, md in collected.metadata.items()}
    return _document_of(collected, metadata, options, origin, update, document_name, progress)


def _document_of(
    collected: Collected,
    metadata: Mapping[str, TopicMetadata],
    options: DocumentOptions,
    origin: Origin,
    update: Path | None,
    document_name: str | None,
    progress: ProgressCallback | None = None,
) -> Inferred:
    """The document (or the updated spec) and its evidence, from what was collected."""
    import dataclasses

    from inferrer.asyncapi import update_spec_file
    from inferrer.asyncapi.build import build_document_with_evidence
    from inferrer.asyncapi.evidence import split_evidence

    summaries = collected.summaries(progress)
    options = dataclasses.replace(
        options,
        bootstrap=options.bootstrap or collected.bootstrap,
        secure=options.secure or collected.secure,
        origin=origin,
    )
    if update is not None:
        result = update_spec_file(update, summaries, metadata, options)
        return Inferred(
            document=result.document,
            summaries=tuple(summaries),
            metadata=collected.metadata,
            warnings=collected.warnings,
            unobserved=tuple(result.unobserved),
            evidence=result.evidence,
        )
    document = build_document_with_evidence(summaries, metadata, options)
    evidence: dict[str, Any] | None = None
    if options.evidence != "inline":
        document, evidence = split_evidence(document, document_name=document_name)
    return Inferred(
        document=document,
        summaries=tuple(summaries),
        metadata=collected.metadata,
        warnings=collected.warnings,
        evidence=evidence if options.evidence == "file" else None,
    )


@dataclass(frozen=True, slots=True)
class Recorded:
    """What :func:`record` wrote: records per topic, and notes."""

    path: Path
    counts: Mapping[str, int]
    """Topic → records written (0 for a selected topic that had none)."""
    warnings: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def record(
    config: SampleConfig,
    path: Path,
    *,
    progress: ProgressCallback | None = None,
    registry: RegistrySettings | None = None,
) -> Recorded:
    """Sample the selected topics read-only, exactly as ``infer`` does, into a capture file:
    the one entry point of recording.

    Writes ``path`` (JSON Lines, ``kcat -C -J`` shape) and its topics sidecar, both
    atomically. The sidecar keeps each topic's partitions, replication factor and
    explicitly set configs, so ``infer --from-file`` gives the document a live run
    gives, and ``replay`` recreates the topics. With ``registry``, the writer schemas of
    the framed messages go into a third sidecar (``x.schemas.json``), for offline work.
    """
    from inferrer.capture import write_capture
    from inferrer.kafka.sampler import sample_topics

    client = None
    if registry is not None:
        from inferrer.registry.client import RegistryClient

        client = RegistryClient(registry)
        client.subjects()  # raises RegistryUnreachable before any sampling
    result = sample_topics(config, progress)
    if result.partial and not config.allow_partial:
        from inferrer.kafka.plan import partial_sample_error

        raise partial_sample_error(result.partial)
    topics = [explicit_configs(md) for _, md in sorted(result.metadata.items())]
    write_capture(result.all_records(), path, topics=topics)
    if client is not None:
        from inferrer.registry.sidecar import record_schemas

        record_schemas(path, result.all_records(), client)
    return Recorded(
        path=path,
        counts={topic: len(records) for topic, records in sorted(result.records.items())},
        warnings=tuple(result.warnings),
    )


@dataclass(frozen=True, slots=True)
class ObservationSource:
    """Observations already made: a saved-observations file, or the snapshots of
    ``watch`` members (a snapshot folder, or ``kafka:TOPIC`` on ``client``'s cluster)."""

    location: str
    client: Any = None
    """The :class:`~inferrer.kafka.config.ClientConfig` for a ``kafka:`` source."""
    topics: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    retention_seconds: float | None = None
    """Snapshots of members silent for longer are left out (None: the default, 7 days)."""
    timeout: float = 10.0
    discriminators: tuple[DiscriminatorChoice, ...] = ()


def _collect_observations(source: ObservationSource) -> Collected:
    """The observations of ``source`` (merged over watch members), as a sample's are
    collected."""
    from inferrer.kafka.select import select_topics
    from inferrer.watch import is_observations_file, load_merged

    warnings: list[str] = []
    bootstrap: str | None = None
    secure = False
    metadata: Mapping[str, TopicMetadata] = {}
    if is_observations_file(source.location):
        from inferrer.inference import load_observations

        observations: Mapping[str, TopicObservation] = load_observations(source.location)
    else:
        from inferrer.snapshots import DEFAULT_RETENTION_SECONDS

        retention = source.retention_seconds
        merged = load_merged(
            source.location,
            source.client,
            retention_seconds=DEFAULT_RETENTION_SECONDS if retention is None else retention,
            timeout=source.timeout,
        )
        if merged.expired:
            warnings.append(
                f"left out {len(merged.expired)} member(s) silent for longer than the "
                f"retention window: {', '.join(merged.expired[:5])}"
            )
        observations, metadata = merged.observations, merged.metadata
        bootstrap, secure = merged.bootstrap, merged.secure
    names = select_topics(
        sorted(set(observations) | set(metadata)),
        source.topics,
        source.exclude,
        include_internal=True,
    )
    if not names:
        wanted = ", ".join(source.topics) or "*"
        raise NoTopicsMatched(f"no topic in {source.location} matches {wanted}")
    from inferrer.inference import TopicObservation

    chosen = {t: observations[t] if t in observations else TopicObservation(t) for t in names}
    return Collected(
        observations=dict(sorted(chosen.items())),
        metadata={t: metadata[t] for t in names if t in metadata},
        warnings=tuple(warnings),
        bootstrap=bootstrap,
        secure=secure,
        discriminators=source.discriminators,
    )


Against = Source | ObservationSource | Path | Mapping[str, Any]
"""What a committed spec is compared with: traffic (a :class:`Source`), observations
already made (an :class:`ObservationSource`), or a second spec (its file, or the
document)."""


def diff(
    spec: Path | Mapping[str, Any],
    against: Against,
    options: DiffOptions,
    *,
    progress: ProgressCallback | None = None,
) -> DriftReport:
    """The drift report of ``against`` measured against the committed ``spec`` (its file,
    or the document): the one entry point of drift, for the command line and notebooks.

    A file names itself in the report (and in errors); a document in memory is named by
    ``options.spec_label``, a second one by ``options.compared_with``. Traffic is named by
    its source unless ``options.compared_with`` names it.
    """
    import dataclasses

    from inferrer.asyncapi.read import load_document

    if isinstance(spec, Path):
        options = dataclasses.replace(options, spec_label=str(spec))
        spec = load_document(spec)
    if isinstance(against, Path | Mapping):
        from inferrer.drift.compare import diff_specs

        if isinstance(against, Path):
            options = dataclasses.replace(options, compared_with=str(against))
            against = load_document(against)
        return diff_specs(spec, against, options)
    from inferrer.drift.spec import normalize_spec

    view = normalize_spec(spec, options.spec_label)
    if isinstance(against, ObservationSource):
        return _diff_observations(view, against, options)
    return _diff_traffic(view, against, options, progress)


def _diff_traffic(
    view: SpecView, source: Source, options: DiffOptions, progress: ProgressCallback | None
) -> DriftReport:
    from inferrer.drift.traffic import CoreTraffic, core_plan, diff_observed

    # The core checks every message while folding it; a spec it cannot read (a
    # pattern its regex engine lacks) takes the reference path over decoded messages.
    plan = core_plan(view, options)
    collected = collect(source, keep_messages=plan is None, check=plan, progress=progress)
    # Only documented topics this run was asked to look at can be called missing or
    # silent: a nightly job over 'bank.*' says nothing about 'crm.*'.
    options = _scoped(
        options,
        options.compared_with or source.describe(),
        list(view.channels),
        *source.topic_patterns(),
    )
    traffic: Iterable[DecodedMessage] | CoreTraffic = collected.messages
    if collected.traffic is not None:
        traffic = CoreTraffic(collected.traffic)
    metadata = collected.metadata if source.sample is not None else None
    return diff_observed(
        view, collected.summaries(), metadata, traffic, options, framed=collected.framed
    )


def _diff_observations(
    view: SpecView, source: ObservationSource, options: DiffOptions
) -> DriftReport:
    from inferrer.drift.observed import diff_observations

    collected = collect(source)
    # Only documented topics these observations covered can be silent: a watch of
    # 'bank.*' says nothing about 'crm.*'.
    covered = set(collected.observations) | set(collected.metadata)
    options = _scoped(
        options,
        f"observations {source.location}",
        [t for t in view.channels if t in covered],
        source.topics,
        source.exclude,
    )
    metadata = dict(collected.metadata) or None
    return diff_observations(view, collected.summaries(), metadata, options)


def _scoped(
    options: DiffOptions,
    compared_with: str,
    documented: Iterable[str],
    patterns: Sequence[str],
    exclude: Sequence[str],
) -> DiffOptions:
    """``options`` naming what the spec is compared with, and scoped (unless they say
    otherwise) to the documented topics the patterns select."""
    import dataclasses

    from inferrer.kafka.select import select_topics

    scope = frozenset(select_topics(documented, patterns, exclude, include_internal=True))
    return dataclasses.replace(
        options,
        compared_with=compared_with,
        scope=options.scope if options.scope is not None else scope,
    )
