"""Plain values passed between the stages.

These are the contracts between stages, so that each stage can be built and
tested on in-memory data:

* :class:`DecodedMessage` — what the decoder makes of one :class:`~inferrer.records.Record`.
* :class:`TopicSummary` / :class:`KindSummary` / :class:`FieldSummary` — the
  finished, read-only view of a topic's observation (the mutable, mergeable
  observation lives in :mod:`inferrer.inference`). The document writer, the
  drift report and the notebook frames read only these.
* :class:`TopicMetadata` — what the cluster says about a topic.

All of them are JSON-serialisable through :func:`dataclasses.asdict`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

JSONType = Literal["null", "boolean", "integer", "number", "string", "array", "object"]

Envelope = Literal[
    "none", "kafka-connect", "debezium", "cloudevents-binary", "cloudevents-structured"
]
Framing = Literal["none", "confluent"]
PayloadEncoding = Literal["json", "avro", "protobuf", "text", "binary", "null", "int32", "int64"]
"""How bytes were read; ``int32`` / ``int64`` only for keys (Kafka's Integer and Long
serializers: 4 or 8 big-endian bytes)."""


@dataclass(frozen=True, slots=True)
class DecodedMessage:
    """One record, decoded.

    ``value`` is the event payload as JSON-like Python data after unwrapping any
    envelope (for Kafka Connect: the ``payload``; for CloudEvents structured mode:
    ``data``; for Debezium the change event itself). Plain text is a ``str``;
    binary is ``None`` with ``encoding="binary"`` and ``size`` set.
    """

    topic: str
    partition: int
    offset: int
    timestamp: int | None
    ok: bool
    """False when the value could not be decoded; ``reason`` then says why."""
    reason: str | None = None
    """Why the value could not be decoded; or, for a decoded value, its anomalies
    (:data:`inferrer.decoding.ANOMALIES`, comma-joined, sorted), None when it has none."""
    value: Any = None
    key: Any = None
    key_encoding: PayloadEncoding = "null"
    headers: Mapping[str, Any] = field(default_factory=dict)
    encoding: PayloadEncoding = "json"
    content_type: str | None = None
    envelope: Envelope = "none"
    framing: Framing = "none"
    schema_id: int | None = None
    kind: str | None = None
    """The event kind, when a discriminator (``type``, ``eventType``, CloudEvents
    ``type``, Debezium ``op`` ...) names one; None otherwise."""
    size: int = 0
    """Size of the raw value in bytes."""
    kind_field: str | None = None
    """Where ``kind`` came from: a payload field name (``type``), ``ce_type``
    (CloudEvents) or ``op`` (Debezium)."""
    value_hash: int = 0
    """CRC-32 of the raw value bytes; picks examples independently of sample order."""
    value_hint: Mapping[str, Any] | None = None
    """A JSON Schema the envelope declares for ``value`` (Kafka Connect ``schema``
    translated, with its ``optional`` flags), merged into the inferred schema."""
    key_hint: Mapping[str, Any] | None = None
    """The same for ``key``, when the key is a Kafka Connect ``{schema, payload}``."""


DECODED_FIELDS: tuple[str, ...] = (
    "partition",
    "offset",
    "timestamp",
    "ok",
    "reason",
    "value",
    "key",
    "key_encoding",
    "headers",
    "encoding",
    "content_type",
    "envelope",
    "framing",
    "schema_id",
    "kind",
    "kind_field",
    "size",
    "value_hash",
    "value_hint",
    "key_hint",
)
"""The fields of a :class:`DecodedMessage` after ``topic``, in the order the decoders
(the engine's core and the reference) return them as a tuple."""


@dataclass(frozen=True, slots=True)
class FieldSummary:
    """Statistics of one field path within one message kind.

    ``path`` is a JSON pointer into the payload where ``*`` stands for any array
    item and ``{}`` for any value of a map (``/items/*/sku``, ``/balances/{}``).
    """

    path: str
    types: Mapping[str, int]
    """JSON type name → number of values of that type."""
    present: int
    """Messages of this kind in which the path was present."""
    presence_ratio: float
    null_ratio: float
    """Share of present values that were null."""
    distinct: int
    distinct_approximate: bool
    """True when ``distinct`` is a lower bound, because the exact count was capped."""
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    format: str | None = None
    enum: tuple[Any, ...] | None = None
    examples: tuple[Any, ...] = ()


RegistrySchemaType = Literal["AVRO", "PROTOBUF", "JSON"]


@dataclass(frozen=True, slots=True)
class RegistrySchema:
    """A writer schema from the Schema Registry that one record type of a topic carried."""

    schema_type: RegistrySchemaType
    text: str
    """The schema as the registry holds it (Avro or JSON Schema JSON text, .proto text)."""
    schema_id: int
    """The id of the schema described (the newest of ``ids``)."""
    ids: tuple[int, ...]
    """Every schema id of this record type seen in the sample, ascending."""
    record: str | None = None
    """The record or message type's full name (``com.bank.Payment``)."""
    subject: str | None = None
    version: int | None = None
    strategy: str | None = None
    """How the subject is named: ``TopicNameStrategy``, ``RecordNameStrategy`` or
    ``TopicRecordNameStrategy``; None when the registry was not asked."""
    count: int = 0
    """Messages of this record type in the sample."""


@dataclass(frozen=True, slots=True)
class KindSummary:
    """One event kind seen on a topic, and the schemas inferred for it."""

    name: str
    """A component-key-safe name: the discriminator value (``PaymentSettled``),
    or a name derived from the topic when the topic carries one kind."""
    count: int
    payload_schema: Mapping[str, Any]
    """Canonical JSON Schema (draft-07 compatible) of the payload."""
    discriminator_field: str | None = None
    discriminator_value: str | None = None
    headers_schema: Mapping[str, Any] | None = None
    fields: tuple[FieldSummary, ...] = ()
    examples: tuple[Any, ...] = ()
    """A few raw payload examples. Never written out unredacted unless asked."""
    first_timestamp: int | None = None
    last_timestamp: int | None = None
    example_partition: int | None = None
    example_offset: int | None = None
    row_schema: Mapping[str, Any] | None = None
    """Debezium only: the one row schema ``before`` and ``after`` share (nullable)."""
    registry: RegistrySchema | None = None
    """The registry's writer schema of this kind (a record type of a registry-backed
    topic): the document's payload; ``payload_schema`` is then what was observed."""


@dataclass(frozen=True, slots=True)
class TopicSummary:
    """Everything inferred about one topic from its sample."""

    topic: str
    messages: int
    kinds: tuple[KindSummary, ...]
    content_type: str | None = None
    encoding: PayloadEncoding = "json"
    envelope: Envelope = "none"
    framing: Framing = "none"
    schema_ids: tuple[int, ...] = ()
    key_schema: Mapping[str, Any] | None = None
    key_encoding: PayloadEncoding = "null"
    headers_schema: Mapping[str, Any] | None = None
    undecodable: Mapping[str, int] = field(default_factory=dict)
    """Reason → count of messages whose value could not be decoded."""
    anomalies: Mapping[str, int] = field(default_factory=dict)
    """Anomaly (:data:`inferrer.decoding.ANOMALIES`) → count of decoded messages with it."""
    tombstones: int = 0
    first_timestamp: int | None = None
    last_timestamp: int | None = None
    rate_per_second: float | None = None
    partitions_seen: tuple[int, ...] = ()
    key_registry: RegistrySchema | None = None
    """The registry's writer schema of the keys, when they are framed."""
    kind_selection: Mapping[str, Any] | None = None
    """Evidence of how the kinds were told apart (:mod:`inferrer.inference.kinds`): the
    chosen discriminator or shape clusters, and the ranked candidates with their scores."""


@dataclass(frozen=True, slots=True)
class TopicMetadata:
    """What the cluster says about a topic (no message content)."""

    name: str
    partitions: int
    replication_factor: int
    configs: Mapping[str, str] = field(default_factory=dict)
    """The topic configs that matter to a spec reader (cleanup.policy, retention.ms,
    retention.bytes, delete.retention.ms, max.message.bytes, ...)."""
    non_default_configs: tuple[str, ...] = ()
    """Names of the configs above that were set explicitly (not broker defaults)."""
    consumer_groups: tuple[str, ...] = ()
    """Groups with committed offsets on, or members assigned to, this topic."""
    watermarks: Mapping[int, tuple[int, int]] = field(default_factory=dict)
    """Partition → (low, high) offsets."""

    @property
    def approximate_messages(self) -> int:
        return sum(high - low for low, high in self.watermarks.values())


HEADER_KIND_PREFIX: Final = "header:"
"""The kind field of an event kind named by a header: this prefix and the header's name
(the core and the reference decoder write it)."""
RECORD_KIND_FIELD: Final = "@record"
"""The kind field of a Confluent-framed message whose schema id names a record (or
message) type: the schema id is the discriminator, the type's full name the kind (the
core's ``observe.rs``); such kinds always split a topic, like envelope kinds."""


def json_type(value: Any) -> JSONType:
    """The JSON type name of a decoded value (bytes count as a string, any other
    mapping as an object, a tuple as an array)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, (str, bytes, bytearray)):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    return "object"


def explicit_configs(metadata: TopicMetadata) -> TopicMetadata:
    """``metadata`` with only the configs set explicitly on the topic.

    A spec documents what a topic's owner chose, not the broker's defaults (which
    differ from cluster to cluster); capture sidecars keep the same set, so a
    document is the same whether it was inferred live or from a recording.
    """
    explicit = set(metadata.non_default_configs)
    return replace(metadata, configs={k: v for k, v in metadata.configs.items() if k in explicit})
