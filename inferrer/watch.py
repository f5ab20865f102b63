"""``watch``: observe topics continuously as a member of a consumer group.

N processes started with the same group split the topics' partitions between them
(Kafka's group protocol, :mod:`inferrer.kafka.group`); each folds every message it
reads into observations with the engine, in batches, and writes a snapshot per topic
(:mod:`inferrer.snapshots`) every interval, when it gives partitions up, and when it
stops. Merging the newest snapshot of every member gives the picture of the whole
traffic (:func:`load_merged`, ``infer --from-observations``).

With a committed spec, every message is also checked by the core as it is folded
(the same check ``diff`` runs); each finding is reported once, when first seen.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

from inferrer.errors import CouldNotRun, InferrerError, UsageError
from inferrer.kafka.config import ClientConfig
from inferrer.kafka.plan import StartPosition
from inferrer.model import TopicMetadata, explicit_configs
from inferrer.snapshots import (
    DEFAULT_RETENTION_SECONDS,
    DirectoryStore,
    MergedSnapshots,
    Snapshot,
    merge_snapshots,
)

if TYPE_CHECKING:
    from inferrer.drift.model import FailOn, Finding
    from inferrer.drift.options import DiffOptions
    from inferrer.drift.spec import SpecView
    from inferrer.engine import Engine
    from inferrer.inference import TopicObservation
    from inferrer.inference.kinds import DiscriminatorChoice
    from inferrer.kafka.group import TP, GroupConsumer

_LOG = logging.getLogger("inferrer.watch")

LIVE_IGNORED_RULES: Final = frozenset(
    {"topic-missing", "topic-silent", "kind-unobserved", "property-unobserved", "property-absent"}
)
"""Rules about absence: what has not been seen *yet* says nothing while watching."""

REFRESH_SECONDS: Final = 86400.0
"""Unchanged topics are rewritten once a day, so that a live member's snapshots never
look older than a day (the retention window of the merge must be longer)."""

DRIFT_CHECK_SECONDS: Final = 0.5
"""How often the findings are recomputed while messages arrive."""

KAFKA_PREFIX: Final = "kafka:"

MAX_LAG_SHOWN: Final = 12
"""Partitions whose lag the status line lists (``--status-port`` gives them all)."""

StopReason = Literal["stopped", "duration", "fail-on"]


def default_member() -> str:
    """``HOST-PID``: unique on a machine, readable in logs."""
    return f"{socket.gethostname()}-{os.getpid()}"


class SnapshotStore(Protocol):
    def write(self, snapshots: list[Snapshot]) -> int: ...
    def read(self, group: str | None = None, *, observations: bool = True) -> list[Snapshot]: ...


@dataclass(frozen=True)
class WatchConfig:
    """What ``watch`` reads, where it writes, and what it checks."""

    client: ClientConfig
    group: str
    topics: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    include_internal: bool = False
    member: str = field(default_factory=default_member)
    start: StartPosition = field(default_factory=StartPosition)
    commit: bool = False
    snapshot_interval: float = 60.0
    snapshot_dir: Path | None = None
    snapshot_topic: str | None = None
    spec: Path | None = None
    diff_options: DiffOptions | None = None
    fail_on: FailOn = "never"
    status_interval: float = 10.0
    status_port: int | None = None
    session_timeout_ms: int = 45000
    timeout: float = 10.0
    duration: float | None = None
    """Stop after this many seconds (None: until stopped)."""
    keep_values: bool = False
    """Snapshots hold the sampled values themselves, not digests (``--keep-values``)."""
    discriminators: tuple[DiscriminatorChoice, ...] = ()
    """``--discriminator`` choices: how the kinds of matching topics are told apart in
    the status's kind counts and in the live drift check (snapshots keep the fold)."""


@dataclass
class WatchStatus:
    """What a running watch has done so far (the status line and ``--status-port``)."""

    group: str
    member: str
    started: float
    messages: int = 0
    rate: float = 0.0
    """Messages per second since the last status."""
    assigned: list[str] = field(default_factory=list)
    lag: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)
    snapshots: int = 0
    snapshot_bytes: int = 0
    last_snapshot_seconds: float = 0.0
    rebalances: int = 0
    findings: int = 0
    broker_down_for: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def line(self) -> str:
        shown = [f"{k}={v}" for k, v in self.lag.items()]
        more = len(shown) - MAX_LAG_SHOWN
        lag = ", ".join(shown[:MAX_LAG_SHOWN]) + (f" and {more} more" if more > 0 else "")
        total = sum(self.lag.values())
        kinds = sum(self.kinds.values())
        down = (
            f"; broker down for {self.broker_down_for:.0f}s"
            if self.broker_down_for is not None
            else ""
        )
        return (
            f"watch {self.member}: {self.messages} messages ({self.rate:.0f}/s), "
            f"{len(self.assigned)} partition(s), lag {total} ({lag or '-'}), {kinds} kind(s) in "
            f"{len(self.kinds)} topic(s), {self.snapshots} snapshot(s){down}"
        )


@dataclass(frozen=True)
class WatchResult:
    """How a watch ended."""

    reason: StopReason
    status: WatchStatus
    failing: Finding | None = None
    """With ``fail_on``: the first finding at or above the level."""


def open_stores(config: WatchConfig) -> list[SnapshotStore]:
    """The snapshot stores of a config (the topic is created on first use)."""
    stores: list[SnapshotStore] = []
    if config.snapshot_topic:
        from inferrer.snapshots import TopicStore

        store = TopicStore(config.client, config.snapshot_topic, timeout=config.timeout)
        store.ensure_topic()
        stores.append(store)
    if config.snapshot_dir is not None:
        try:
            config.snapshot_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise CouldNotRun(f"cannot create {config.snapshot_dir}: {e.strerror}") from e
        stores.append(DirectoryStore(config.snapshot_dir))
    return stores


class _StatusServer:
    """``GET /`` on loopback: the status as JSON."""

    def __init__(self, port: int, status: Callable[[], dict[str, Any]]) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = (json.dumps(status(), sort_keys=True) + "\n").encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        try:
            self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        except OSError as e:
            raise UsageError(f"--status-port {port}: {e.strerror}") from e
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def count_kinds(
    observed: Mapping[str, TopicObservation], discriminators: Sequence[DiscriminatorChoice] = ()
) -> dict[str, int]:
    """Per topic, the number of event kinds a document of ``observed`` would have, the
    ``--discriminator`` choices applied."""
    from inferrer.inference import summarize_all

    return {s.topic: len(s.kinds) for s in summarize_all(observed, discriminators)}


class Watcher:
    """One member's run: consume, fold, snapshot, check, report."""

    def __init__(
        self,
        config: WatchConfig,
        *,
        stop: threading.Event,
        on_finding: Callable[[Finding], None] | None = None,
        on_status: Callable[[WatchStatus], None] | None = None,
    ) -> None:
        self.config = config
        self.stop = stop
        self.on_finding = on_finding
        self.on_status = on_status
        self.stores: list[SnapshotStore] = []
        self.metadata: dict[str, TopicMetadata] = {}
        self.observed: dict[str, TopicObservation] = {}
        self.status = WatchStatus(config.group, config.member, time.time())
        self.emitted: set[str] = set()
        self.failing: Finding | None = None
        self._spec: SpecView | None = None
        """The committed spec, normalised once."""
        self._options: DiffOptions | None = None
        self._consumer: GroupConsumer | None = None
        self._engine: Engine | None = None
        self._dirty = False
        self._lock = threading.Lock()
        self._written: dict[str, tuple[Any, ...]] = {}
        self._refresh_at = time.monotonic() + REFRESH_SECONDS

    # -- setting up ---------------------------------------------------------------

    def _select(self) -> list[str]:
        from inferrer.kafka.plan import SampleConfig
        from inferrer.kafka.sampler import describe_selection

        cfg = self.config
        selection = describe_selection(
            SampleConfig(
                client=cfg.client,
                topics=cfg.topics,
                exclude=cfg.exclude,
                include_internal=cfg.include_internal,
                timeout=cfg.timeout,
            )
        )
        for warning in selection.warnings:
            _LOG.warning("%s", warning)
        chosen = [t for t in selection.topics if t != cfg.snapshot_topic]
        if not chosen:
            raise UsageError("no topic to watch: only the snapshot topic matched")
        for t in chosen:
            md = explicit_configs(selection.metadata[t])
            # The document lists consumers; this watch group is not one of the topic's.
            groups = tuple(g for g in md.consumer_groups if g != cfg.group)
            self.metadata[t] = dataclasses.replace(md, consumer_groups=groups, watermarks={})
        return chosen

    def _set_check(self, engine: Engine) -> None:
        cfg = self.config
        if cfg.spec is None:
            return
        from inferrer.asyncapi.read import load_document
        from inferrer.drift.options import DiffOptions
        from inferrer.drift.spec import normalize_spec
        from inferrer.drift.traffic import core_plan

        spec = load_document(cfg.spec)
        options = cfg.diff_options or DiffOptions()
        options = dataclasses.replace(
            options,
            spec_label=str(cfg.spec),
            compared_with=f"watch {cfg.group}/{cfg.member}",
            scope=frozenset(),
            ignore=options.ignore | LIVE_IGNORED_RULES,
        )
        view = normalize_spec(spec, str(cfg.spec))
        plan = core_plan(view, options)
        if plan is None:
            raise UsageError(f"{cfg.spec}: watch cannot check this spec as it goes")
        try:
            engine.check(plan)
        except ValueError as e:
            raise UsageError(f"{cfg.spec}: watch cannot check this spec as it goes: {e}") from e
        self._spec, self._options = view, options

    def _resume(self) -> None:
        """A member restarted under its old name continues from its own snapshots."""
        if not self.stores:
            return
        own = [s for s in self.stores[0].read(self.config.group) if s.member == self.config.member]
        from inferrer.snapshots import newest

        for s in newest(own).values():
            self.observed[s.topic] = s.observation
        if own:
            _LOG.info("resumed from %d snapshot(s) of member %s", len(own), self.config.member)

    # -- the group's callbacks ----------------------------------------------------

    def _start_offsets(self, tps: list[TP]) -> dict[TP, int]:
        """Where the last owner of each partition stopped, by the newest snapshots."""
        known: dict[TP, int] = {}
        if self.stores:
            try:
                snaps = self.stores[0].read(self.config.group, observations=False)
            except InferrerError as e:
                _LOG.warning("could not read the snapshots (%s): starting by --from", e)
                snaps = []
            for s in snaps:
                for p, offset in s.positions.items():
                    tp = (s.topic, p)
                    known[tp] = max(known.get(tp, offset), offset)
        assert self._consumer is not None
        for tp, offset in self._consumer.positions.items():
            known[tp] = max(known.get(tp, offset), offset)
        return {tp: known[tp] for tp in tps if tp in known}

    def _before_revoke(self, tps: list[TP], lost: bool) -> None:
        # The next owner starts where this snapshot says this member stopped.
        self.snapshot(final=False)

    # -- the work -----------------------------------------------------------------

    def _drain(self) -> None:
        """Move what the engine folded into the member's observations."""
        from inferrer.inference import TopicObservation

        assert self._engine is not None
        for topic in self._engine.topics():
            obs = TopicObservation(self._engine.take(topic))
            if topic in self.observed:
                self.observed[topic].merge_from(obs)
            else:
                self.observed[topic] = obs

    def snapshot(self, *, final: bool) -> None:
        """Write one snapshot per topic to every store (a failure is reported, not fatal)."""
        from inferrer.inference import TopicObservation

        if self._consumer is None or not self.stores:
            return
        began = time.monotonic()
        self._drain()
        now_ms = int(time.time() * 1000)
        consumer = self._consumer
        topics = sorted(set(self.observed) | {t for t, _ in consumer.positions})
        snaps = []
        signatures: dict[str, tuple[Any, ...]] = {}
        cfg = self.config
        refresh = time.monotonic() >= self._refresh_at
        for topic in topics:
            obs = self.observed.get(topic) or TopicObservation(topic)
            positions = {p: o for (t, p), o in consumer.positions.items() if t == topic}
            assigned = tuple(sorted(p for t, p in consumer.assigned if t == topic))
            signature = (obs.messages, tuple(sorted(positions.items())), assigned)
            # A snapshot replaces the member's previous one of the topic: one that would
            # say the same again is not rewritten (but all are, daily and at the end).
            if not final and not refresh and self._written.get(topic) == signature:
                continue
            signatures[topic] = signature
            snaps.append(
                Snapshot(
                    group=cfg.group,
                    member=cfg.member,
                    topic=topic,
                    time_ms=now_ms,
                    observation=obs,
                    positions=positions,
                    assigned=assigned,
                    final=final,
                    metadata=self.metadata.get(topic),
                    bootstrap=cfg.client.bootstrap,
                    secure=cfg.client.settings.get("security.protocol", "plaintext").lower()
                    != "plaintext",
                    keep_values=cfg.keep_values,
                )
            )
        written = 0
        ok = True
        for store in self.stores:
            try:
                written += store.write(snaps)
            except InferrerError as e:
                ok = False
                _LOG.warning("%s; retrying at the next snapshot", e)
        if ok:
            self._written.update(signatures)
            if refresh:
                self._refresh_at = time.monotonic() + REFRESH_SECONDS
            consumer.commit()
        self.status.snapshots += 1
        self.status.snapshot_bytes = written
        self.status.last_snapshot_seconds = round(time.monotonic() - began, 4)
        _LOG.debug(
            "snapshot of %d topic(s), %d bytes, in %.3fs",
            len(snaps),
            written,
            self.status.last_snapshot_seconds,
        )

    def check_drift(self) -> None:
        """Emit every finding not emitted before; remember the first failing one."""
        if self._spec is None or self._options is None or self._engine is None:
            return
        from inferrer.drift.model import at_or_above
        from inferrer.drift.traffic import CoreTraffic, diff_observed
        from inferrer.inference import summarize_all

        results = self._engine.check_results()
        self._drain()
        if results is None:
            return
        summaries = summarize_all(self.observed, self.config.discriminators)
        report = diff_observed(self._spec, summaries, None, CoreTraffic(results), self._options)
        for finding in report.findings:
            if finding.id in self.emitted:
                continue
            self.emitted.add(finding.id)
            self.status.findings += 1
            if self.on_finding is not None:
                self.on_finding(finding)
            if self.failing is None and at_or_above(finding.severity, self.config.fail_on):
                self.failing = finding

    def _count_kinds(self) -> None:
        self._drain()
        kinds = count_kinds(self.observed, self.config.discriminators)
        with self._lock:
            self.status.kinds = kinds

    def _report_status(self, consumer: GroupConsumer, since: float, counted: int) -> None:
        self._count_kinds()
        now = time.monotonic()
        with self._lock:
            self.status.rate = round(counted / (now - since), 1) if now > since else 0.0
            self.status.assigned = [f"{t}[{p}]" for t, p in sorted(consumer.assigned)]
            self.status.lag = {f"{t}[{p}]": n for (t, p), n in sorted(consumer.lag().items())}
            self.status.rebalances = consumer.rebalances
            out = consumer.outage
            self.status.broker_down_for = round(now - out.since, 1) if out else None
        if self.on_status is not None:
            self.on_status(self.status)

    def _status_dict(self) -> dict[str, Any]:
        with self._lock:
            return self.status.to_dict()

    def run(self) -> WatchResult:
        """Join the group and work until stopped, the duration ends or ``fail_on`` fires."""
        from inferrer.engine import Engine
        from inferrer.kafka.group import GroupConfig, GroupConsumer

        cfg = self.config
        topics = self._select()
        engine = self._engine = Engine()
        self._set_check(engine)
        self.stores = open_stores(cfg)
        self._resume()
        # Serving status from here on: the watch is set up, and about to join.
        server = _StatusServer(cfg.status_port, self._status_dict) if cfg.status_port else None
        group_config = GroupConfig(
            client=cfg.client,
            group=cfg.group,
            topics=tuple(topics),
            member=cfg.member,
            start=cfg.start,
            commit=cfg.commit,
            session_timeout_ms=cfg.session_timeout_ms,
            timeout=cfg.timeout,
        )
        began = time.monotonic()
        reason: StopReason = "stopped"
        consumer: GroupConsumer | None = None
        try:
            consumer = self._consumer = GroupConsumer(
                group_config, start_offsets=self._start_offsets, before_revoke=self._before_revoke
            )
            next_snapshot = began + cfg.snapshot_interval
            next_status = began + cfg.status_interval
            next_check = began
            status_since, status_count = began, 0
            while not self.stop.is_set():
                batch = consumer.poll(0.2)
                if batch:
                    n = engine.fold_messages(batch)
                    self.status.messages += n
                    status_count += n
                    self._dirty = True
                consumer.update_positions()
                if consumer.rebalances != self.status.rebalances:
                    with self._lock:
                        self.status.rebalances = consumer.rebalances
                        self.status.assigned = [f"{t}[{p}]" for t, p in sorted(consumer.assigned)]
                now = time.monotonic()
                if self._dirty and self._spec is not None and now >= next_check:
                    self._dirty = False
                    next_check = now + DRIFT_CHECK_SECONDS
                    self.check_drift()
                    if self.failing is not None:
                        reason = "fail-on"
                        break
                if now >= next_snapshot:
                    self.snapshot(final=False)
                    next_snapshot = time.monotonic() + cfg.snapshot_interval
                if now >= next_status:
                    self._report_status(consumer, status_since, status_count)
                    status_since, status_count = now, 0
                    next_status = now + cfg.status_interval
                if cfg.duration is not None and now - began >= cfg.duration:
                    reason = "duration"
                    break
            if self._dirty and self._spec is not None:
                self.check_drift()
                if self.failing is not None:
                    reason = "fail-on"
        finally:
            if consumer is not None:
                # Leaving runs the revoke callback (a snapshot); then the last one.
                try:
                    consumer.close()
                finally:
                    self.snapshot(final=True)
                    self.status.assigned, self.status.lag = [], {}
                    for store in self.stores:
                        close = getattr(store, "close", None)
                        if close is not None:
                            close()
            if server is not None:
                server.close()
        return WatchResult(reason=reason, status=self.status, failing=self.failing)


def run_watch(
    config: WatchConfig,
    *,
    stop: threading.Event | None = None,
    on_finding: Callable[[Finding], None] | None = None,
    on_status: Callable[[WatchStatus], None] | None = None,
) -> WatchResult:
    """Watch until ``stop`` is set (or the duration ends, or ``fail_on`` fires)."""
    if config.snapshot_interval <= 0:
        raise UsageError("--snapshot-interval must be more than zero")
    watcher = Watcher(
        config, stop=stop or threading.Event(), on_finding=on_finding, on_status=on_status
    )
    return watcher.run()


# ------------------------------------------------------------------ the merged picture


def read_snapshot_source(
    source: str, client: ClientConfig | None, *, timeout: float = 10.0
) -> tuple[list[Snapshot], str | None]:
    """Every snapshot of ``source`` and the group it names, if any.

    ``source`` is a snapshot folder (``DIR`` or ``DIR/GROUP``) or ``kafka:TOPIC``
    (``kafka:TOPIC/GROUP``) on the cluster of ``client``.
    """
    if source.startswith(KAFKA_PREFIX):
        name = source[len(KAFKA_PREFIX) :]
        topic, _, group = name.partition("/")
        if not topic:
            raise UsageError(f"--from-observations {source}: name the snapshot topic")
        if client is None or not client.bootstrap:
            raise UsageError(
                f"--from-observations {source} reads a cluster: give -b/--bootstrap-server"
            )
        from inferrer.snapshots import TopicStore

        return TopicStore(client, topic, timeout=timeout).read(group or None), group or None
    return DirectoryStore(source).read(), None


def load_merged(
    source: str,
    client: ClientConfig | None = None,
    *,
    retention_seconds: float = DEFAULT_RETENTION_SECONDS,
    now_ms: int | None = None,
    timeout: float = 10.0,
) -> MergedSnapshots:
    """The merged picture of a snapshot source (see :func:`read_snapshot_source`):
    the newest snapshot of every member seen within ``retention_seconds``."""
    snapshots, group = read_snapshot_source(source, client, timeout=timeout)
    if not snapshots:
        raise CouldNotRun(f"no watch snapshot in {source}")
    return merge_snapshots(
        snapshots,
        now_ms=int(time.time() * 1000) if now_ms is None else now_ms,
        retention_seconds=retention_seconds,
        group=group,
    )


def is_observations_file(source: str) -> bool:
    """True for a saved-observations file (``--from-observations FILE.json``): a file,
    or a missing path named ``*.json`` (reading it then says the file is missing, not
    that there is no snapshot folder of that name)."""
    if source.startswith(KAFKA_PREFIX):
        return False
    path = Path(source)
    return path.is_file() or (path.suffix == ".json" and not path.exists())
