"""Cluster metadata: topics, partitions, configs, watermarks and consumer groups.

Reads no message. Everything here goes through the admin API, so it needs no
consumer group and changes nothing on the cluster.
"""

from __future__ import annotations

import logging
import re
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from confluent_kafka import (
    Consumer,
    ConsumerGroupTopicPartitions,
    KafkaError,
    KafkaException,
    TopicPartition,
)
from confluent_kafka.admin import (
    AdminClient,
    ConfigResource,
    ConfigSource,
    OffsetSpec,
    ResourceType,
)

from inferrer.errors import BrokerUnreachable, ConfigError, CouldNotRun
from inferrer.kafka.config import READ_AHEAD, redact
from inferrer.model import TopicMetadata

REPORTED_CONFIGS = (
    "cleanup.policy",
    "delete.retention.ms",
    "max.message.bytes",
    "retention.bytes",
    "retention.ms",
)

_LOG = logging.getLogger("inferrer.kafka.librdkafka")

_LEADER_MOVING = frozenset(
    {
        KafkaError.NOT_LEADER_FOR_PARTITION,
        KafkaError.LEADER_NOT_AVAILABLE,
        KafkaError.OFFSET_NOT_AVAILABLE,
        KafkaError.UNKNOWN_LEADER_EPOCH,
        KafkaError.REPLICA_NOT_AVAILABLE,
    }
)
"""Partition errors that pass once a leader has taken over (watermarks are asked again)."""

_AUTH_CODES = frozenset(
    {
        KafkaError.TOPIC_AUTHORIZATION_FAILED,
        KafkaError.GROUP_AUTHORIZATION_FAILED,
        KafkaError.CLUSTER_AUTHORIZATION_FAILED,
    }
)
_AUTHENTICATION_CODES = frozenset(
    {KafkaError._AUTHENTICATION, KafkaError.SASL_AUTHENTICATION_FAILED}
)


@dataclass(frozen=True, slots=True)
class SkippedTopic:
    """A selected topic that was not sampled, and why (one line, no secrets)."""

    topic: str
    reason: str


@dataclass(frozen=True, slots=True)
class TopicDescriptions:
    """The outcome of :func:`describe_topic_set`."""

    metadata: Mapping[str, TopicMetadata]
    skipped: tuple[SkippedTopic, ...] = ()
    warnings: tuple[str, ...] = ()


class ErrorLog:
    """Collects librdkafka's global errors so that a failure can say why."""

    def __init__(self) -> None:
        self.errors: list[KafkaError] = []

    def __call__(self, error: KafkaError) -> None:
        self.errors.append(error)

    def reason(self) -> str | None:
        """The most telling error seen: authentication first, then the latest."""
        for err in reversed(self.errors):
            if err.code() in _AUTHENTICATION_CODES:
                return str(err.str())
        return str(self.errors[-1].str()) if self.errors else None

    def authentication_failed(self) -> bool:
        return any(err.code() in _AUTHENTICATION_CODES for err in self.errors)


def client_settings(settings: Mapping[str, str], errors: ErrorLog | None = None) -> dict[str, Any]:
    """librdkafka settings plus our logger, so librdkafka never writes to stderr itself."""
    conf: dict[str, Any] = dict(settings)
    # A metadata request for a named topic must never create it, even on brokers
    # with auto.create.topics.enable=true (librdkafka's producer-side default asks to).
    conf["allow.auto.create.topics"] = "false"
    conf["logger"] = _LOG
    if errors is not None:
        conf["error_cb"] = errors
    return conf


def open_consumer(
    settings: Mapping[str, str], errors: ErrorLog, *, partition_eof: bool
) -> Consumer:
    """A consumer over ``settings`` (a copy is changed) that never commits or stores an
    offset by itself, whatever ``-X`` says (only an explicit ``commit()`` does: watch's
    ``--commit``), with the read-ahead of :data:`READ_AHEAD` unless ``-X`` sets it, and
    the end of a partition reported or not as asked."""
    conf = dict(settings)
    conf.setdefault("fetch.wait.max.ms", "100")
    for key, value in READ_AHEAD.items():
        conf.setdefault(key, value)
    conf["enable.auto.commit"] = "false"
    conf["enable.auto.offset.store"] = "false"
    conf["enable.partition.eof"] = "true" if partition_eof else "false"
    try:
        return Consumer(client_settings(conf, errors))
    except KafkaException as e:
        raise invalid_config(conf, e) from e


def open_admin(settings: Mapping[str, str]) -> tuple[AdminClient, ErrorLog]:
    """An admin client over ``settings``, with its error log."""
    errors = ErrorLog()
    try:
        return AdminClient(client_settings(settings, errors)), errors
    except KafkaException as e:
        raise invalid_config(settings, e) from e


@contextmanager
def kafka_errors(settings: Mapping[str, str]) -> Iterator[None]:
    """Turn an unexpected client failure (a request timing out, a broker error) into
    a one-line :class:`CouldNotRun`, with secrets redacted."""
    address = settings.get("bootstrap.servers", "?")
    try:
        yield
    except KafkaException as e:
        reason = redact(_tidy(_exception_reason(e)), settings)
        raise CouldNotRun(f"a Kafka request to {address} failed: {reason}") from e
    except FutureTimeout as e:
        raise CouldNotRun(f"a Kafka request to {address} did not complete in time") from e


def invalid_config(settings: Mapping[str, str], e: KafkaException) -> ConfigError:
    """The error for settings librdkafka refuses, without any secret value."""
    return ConfigError(
        "invalid Kafka client configuration: " + redact(_exception_reason(e), settings)
    )


def raise_unreachable(
    settings: Mapping[str, str], errors: ErrorLog, timeout: float, cause: BaseException
) -> None:
    """Raise the one-line error for a cluster that did not answer (never quotes secrets)."""
    address = settings.get("bootstrap.servers", "?")
    reason = redact(_tidy(errors.reason() or _exception_reason(cause)), settings)
    if errors.authentication_failed():
        raise CouldNotRun(f"authentication failed at {address}: {reason}") from cause
    raise BrokerUnreachable(
        f"no Kafka broker answered at {address} within {timeout:g}s ({reason})"
    ) from cause


def _tidy(reason: str) -> str:
    """Drop librdkafka's varying decorations: the ``host:port/id:`` prefix and the
    ``(after 3ms in state ..., 1 identical error(s) suppressed)`` note, wherever it is."""
    reason = re.sub(r"^\S+/(?:bootstrap|\d+): ", "", reason)
    return re.sub(r"\s*\(after \d+ms in state (?:[^()]|\([^()]*\))*\)", "", reason)


def _exception_reason(e: BaseException) -> str:
    if isinstance(e, KafkaException) and e.args and isinstance(e.args[0], KafkaError):
        return str(e.args[0].str())
    return str(e) or e.__class__.__name__


def _error_of(e: BaseException) -> KafkaError | None:
    if isinstance(e, KafkaException) and e.args and isinstance(e.args[0], KafkaError):
        return e.args[0]
    return None


def list_topic_names(
    admin: AdminClient, settings: Mapping[str, str], errors: ErrorLog, timeout: float
) -> dict[str, Any]:
    """The cluster's visible topics (name → librdkafka TopicMetadata).

    Raises :class:`BrokerUnreachable` when no broker answers within ``timeout``.
    """
    try:
        md = admin.list_topics(timeout=timeout)
    except KafkaException as e:
        admin.poll(0)  # serves the error callback, which knows why
        raise_unreachable(settings, errors, timeout, e)
    if errors.authentication_failed():
        raise_unreachable(settings, errors, timeout, RuntimeError("authentication failed"))
    return dict(md.topics)


def probe_topic(admin: AdminClient, topic: str, timeout: float) -> str | None:
    """Why a topic absent from the listing is absent: a one-line reason when it exists
    but cannot be described (authorization), None when it simply does not exist."""
    try:
        md = admin.list_topics(topic=topic, timeout=timeout)
    except KafkaException as e:
        return _exception_reason(e)
    found = md.topics.get(topic)
    if found is None or found.error is None:
        return None
    if found.error.code() in _AUTH_CODES:
        return "not authorized to describe the topic"
    return None


def earliest_spec() -> OffsetSpec:
    return OffsetSpec.earliest()  # type: ignore[no-untyped-call,no-any-return]


def latest_spec() -> OffsetSpec:
    return OffsetSpec.latest()  # type: ignore[no-untyped-call,no-any-return]


def _result(future: Future[Any], timeout: float) -> Any:
    return future.result(timeout=timeout + 5)


def list_offsets(
    admin: AdminClient,
    partitions: Iterable[tuple[str, int]],
    spec: OffsetSpec,
    timeout: float,
) -> dict[tuple[str, int], int | KafkaError]:
    """Offsets of many partitions: an int, or the partition's error.

    A partition whose leader is still taking over (a topic created a moment ago: the
    metadata names the leader before the broker leads it) is asked again, for up to
    ``timeout`` seconds."""
    pending = list(partitions)
    out: dict[tuple[str, int], int | KafkaError] = {}
    deadline = time.monotonic() + timeout
    pause = 0.05
    while pending:
        request = {TopicPartition(t, p): spec for t, p in pending}
        futures = admin.list_offsets(request, request_timeout=timeout)
        for tp, fut in futures.items():
            try:
                out[(tp.topic, tp.partition)] = int(_result(fut, timeout).offset)
            except KafkaException as e:
                out[(tp.topic, tp.partition)] = _error_of(e) or KafkaError(KafkaError._FAIL)
        pending = [
            key
            for key in pending
            if isinstance(found := out[key], KafkaError) and found.code() in _LEADER_MOVING
        ]
        if pending and time.monotonic() + pause < deadline:
            time.sleep(pause)
            pause = min(pause * 2, 0.5)
        else:
            break
    return out


def _describe_configs(
    admin: AdminClient, topics: Sequence[str], timeout: float
) -> dict[str, tuple[dict[str, str], tuple[str, ...]] | KafkaError]:
    resources = [ConfigResource(ResourceType.TOPIC, t) for t in topics]
    if not resources:
        return {}
    futures = admin.describe_configs(resources, request_timeout=timeout)
    out: dict[str, tuple[dict[str, str], tuple[str, ...]] | KafkaError] = {}
    for resource, fut in futures.items():
        try:
            entries = _result(fut, timeout)
        except KafkaException as e:
            out[resource.name] = _error_of(e) or KafkaError(KafkaError._FAIL)
            continue
        configs: dict[str, str] = {}
        explicit: list[str] = []
        for name in REPORTED_CONFIGS:
            entry = entries.get(name)
            if entry is None or entry.value is None:
                continue
            configs[name] = str(entry.value)
            if entry.source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value:
                explicit.append(name)
        out[resource.name] = (configs, tuple(explicit))
    return out


def consumer_groups_by_topic(
    admin: AdminClient, topics: Iterable[str], timeout: float, warnings: list[str]
) -> dict[str, tuple[str, ...]]:
    """Topic → sorted ids of groups with committed offsets on it or members assigned to it.

    Failures (for example no right to list groups) become warnings, not errors.
    """
    wanted = set(topics)
    found: dict[str, set[str]] = defaultdict(set)
    try:
        listing = _result(admin.list_consumer_groups(request_timeout=timeout), timeout)
    except KafkaException as e:
        warnings.append(f"consumer groups not listed: {_exception_reason(e)}")
        return {}
    group_ids = sorted(g.group_id for g in listing.valid)
    if not group_ids:
        return {}
    described = admin.describe_consumer_groups(group_ids, request_timeout=timeout)
    offsets = {
        gid: admin.list_consumer_group_offsets(
            [ConsumerGroupTopicPartitions(gid)], request_timeout=timeout
        )[gid]
        for gid in group_ids
    }
    unreadable: list[str] = []
    for gid in group_ids:
        try:
            description = _result(described[gid], timeout)
            for member in description.members:
                for tp in member.assignment.topic_partitions:
                    if tp.topic in wanted:
                        found[tp.topic].add(gid)
            committed = _result(offsets[gid], timeout)
            for tp in committed.topic_partitions or ():
                if tp.topic in wanted and tp.offset >= 0:
                    found[tp.topic].add(gid)
        except KafkaException:
            unreadable.append(gid)
    if unreadable:
        warnings.append("consumer groups not described: " + ", ".join(unreadable))
    return {t: tuple(sorted(g)) for t, g in found.items()}


def describe_topic_set(
    admin: AdminClient,
    listing: Mapping[str, Any],
    topics: Sequence[str],
    *,
    timeout: float,
    include_groups: bool = True,
) -> TopicDescriptions:
    """Describe ``topics`` (present in ``listing``): partitions, replication, configs,
    watermarks, consumer groups. Topics the principal may not describe are skipped."""
    warnings: list[str] = []
    skipped: dict[str, str] = {}
    parts: dict[str, list[int]] = {}
    replication: dict[str, int] = {}
    for name in topics:
        tmd = listing[name]
        if tmd.error is not None and tmd.error.code() in _AUTH_CODES:
            skipped[name] = "not authorized to describe the topic"
            continue
        parts[name] = sorted(tmd.partitions)
        replication[name] = max((len(p.replicas) for p in tmd.partitions.values()), default=0)
    pairs = [(t, p) for t, ps in parts.items() for p in ps]
    lows = list_offsets(admin, pairs, earliest_spec(), timeout)
    highs = list_offsets(admin, pairs, latest_spec(), timeout)
    configs = _describe_configs(admin, list(parts), timeout)
    for name in parts:
        for p in parts[name]:
            for found in (lows[(name, p)], highs[(name, p)]):
                if isinstance(found, KafkaError) and name not in skipped:
                    skipped[name] = _skip_reason(found, "reading watermarks")
        conf = configs.get(name)
        if isinstance(conf, KafkaError) and name not in skipped:
            if conf.code() in _AUTH_CODES:
                warnings.append(f"{name}: not authorized to describe configs")
            else:
                warnings.append(f"{name}: configs not described ({conf.str()})")
    described = [t for t in parts if t not in skipped]
    groups = consumer_groups_by_topic(admin, described, timeout, warnings) if include_groups else {}
    metadata: dict[str, TopicMetadata] = {}
    for name in described:
        conf = configs.get(name)
        values, explicit = conf if isinstance(conf, tuple) else ({}, ())
        metadata[name] = TopicMetadata(
            name=name,
            partitions=len(parts[name]),
            replication_factor=replication[name],
            configs=dict(sorted(values.items())),
            non_default_configs=tuple(sorted(explicit)),
            consumer_groups=groups.get(name, ()),
            watermarks={
                p: (_offset(lows[(name, p)]), _offset(highs[(name, p)])) for p in parts[name]
            },
        )
    return TopicDescriptions(
        metadata=metadata,
        skipped=tuple(SkippedTopic(t, r) for t, r in sorted(skipped.items())),
        warnings=tuple(warnings),
    )


def _offset(found: int | KafkaError) -> int:
    assert isinstance(found, int)
    return found


def _skip_reason(error: KafkaError, doing: str) -> str:
    if error.code() in _AUTH_CODES:
        return "not authorized to read the topic"
    if error.code() in (KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._UNKNOWN_TOPIC):
        return "deleted while sampling"
    return f"failed {doing}: {error.str()}"
