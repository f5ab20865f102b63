"""Build an AsyncAPI document from topic summaries and cluster metadata.

One channel per sampled topic, one message per event kind (payload schemas in
``components/schemas``), a ``send`` operation per channel and a ``receive``
operation per consumer group, Kafka bindings 0.5.0, and the evidence behind
each part in ``x-inferrer-*`` extensions. The result is a plain dict; see
:mod:`inferrer.asyncapi.io` for deterministic output.

Descriptions hold no numbers on purpose: ``--update`` keeps prose a human may
have edited, while the ``x-inferrer-*`` evidence is refreshed on every run.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal

from inferrer.asyncapi.evidence import EXTENSION_PREFIX, EvidenceMode, split_evidence
from inferrer.asyncapi.families import DEFAULT_MIN_FAMILY, Family, group_topics
from inferrer.asyncapi.io import AsyncAPIVersion
from inferrer.asyncapi.names import distinguishing_segment, kind_name, unique_key
from inferrer.asyncapi.reuse import share_schemas
from inferrer.errors import UsageError
from inferrer.inference.canonical import finalize
from inferrer.model import (
    HEADER_KIND_PREFIX,
    KindSummary,
    PayloadEncoding,
    RegistrySchema,
    RegistrySchemaType,
    TopicMetadata,
    TopicSummary,
)
from inferrer.records import clamp_timestamp
from inferrer.redact import example_for_schema, redact_example
from inferrer.validation import valid_values

ExamplesMode = Literal["redacted", "raw", "none"]
Protocol = Literal["kafka", "kafka-secure"]

BINDING_VERSION = "0.5.0"
MAX_EXAMPLES = 3
"""Examples an observation keeps per kind, so the most a message can show."""

_CONTENT_TYPE_BY_ENCODING: dict[PayloadEncoding, str] = {
    "json": "application/json",
    "avro": "application/vnd.apache.avro+binary",
    "protobuf": "application/x-protobuf",
    "text": "text/plain",
    "binary": "application/octet-stream",
    "null": "application/octet-stream",
}

_KEY_PATTERN = re.compile(r"[^A-Za-z0-9._-]")
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")

# JSON Schema keywords whose value is one subschema, a list of them, or a map of them.
_SUBSCHEMA = ("additionalProperties", "items", "not", "if", "then", "else", "contains")
_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "items", "prefixItems")
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "definitions", "$defs")


@dataclass(frozen=True, slots=True)
class DocumentOptions:
    """How to write the document. Every field maps to one ``infer`` flag."""

    title: str = "Inferred Kafka events"
    """``info.title`` (``--title``)."""
    version: str = "0.1.0"
    """``info.version``: the version of the described API, not of AsyncAPI."""
    description: str | None = None
    """Replaces the generated ``info.description`` when given."""
    asyncapi_version: AsyncAPIVersion = "3.0.0"
    """``--asyncapi-version``."""
    examples_per_message: int = 1
    """``--examples-per-message``: at most this many examples per message (up to
    :data:`MAX_EXAMPLES`); one shows the structure, more mostly repeat it."""
    examples: ExamplesMode = "redacted"
    """``--examples``: ``redacted`` placeholders, ``raw`` sampled values, or ``none``."""
    bootstrap: str | None = None
    """The bootstrap address the sample came from (``host:port[,host:port]``).
    Any scheme or ``user:password@`` part is dropped; no server is written when None."""
    secure: bool = False
    """True when TLS or SASL was used to connect: the protocol becomes ``kafka-secure``."""
    default_content_type: str = "application/json"
    """``defaultContentType``."""
    server_name: str | None = None
    """``--server-name``: the id of the (first) server, instead of one made from the
    bootstrap host."""
    contact: Mapping[str, str] | None = None
    """``--contact``: ``info.contact`` (name, and email or url)."""
    license: Mapping[str, str] | None = None
    """``--license``: ``info.license`` (name, and url)."""
    origin: Origin = "live"
    """Where the observations came from, for ``info.description``: a ``live`` sample,
    a ``capture`` file, or saved ``observations`` (set by the pipeline)."""
    group_topics: int = DEFAULT_MIN_FAMILY
    """``--group-topics N``: topics differing in one segment with the same messages become
    one templated channel when at least N of them do (0 never;
    :mod:`inferrer.asyncapi.families`)."""
    evidence: EvidenceMode = "file"
    """``--evidence``: ``inline`` writes the sample's evidence into the document as
    ``x-inferrer-*`` extensions; ``file`` and ``none`` leave it out of the document (the
    pipeline writes it beside the document for ``file``, see
    :mod:`inferrer.asyncapi.evidence`)."""

    @property
    def protocol(self) -> Protocol:
        return "kafka-secure" if self.secure else "kafka"


def _split_named(text: str, what: str) -> tuple[str, list[str]]:
    name, *rest = (part.strip() for part in text.split(","))
    if not name:
        raise UsageError(f"--{what} needs a name first, e.g. --{what} 'NAME,URL'")
    return name, [r for r in rest if r]


def parse_contact(text: str) -> dict[str, str]:
    """``--contact NAME[,EMAIL][,URL]`` as ``info.contact``."""
    name, rest = _split_named(text, "contact")
    contact = {"name": name}
    for item in rest:
        if item.startswith(("http://", "https://")) and "url" not in contact:
            contact["url"] = item
        elif re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", item) and "email" not in contact:
            contact["email"] = item
        else:
            raise UsageError(f"--contact: {item!r} is not an email address or an http(s) URL")
    return contact


def parse_license(text: str) -> dict[str, str]:
    """``--license NAME[,URL]`` as ``info.license``."""
    name, rest = _split_named(text, "license")
    if len(rest) > 1 or (rest and not rest[0].startswith(("http://", "https://"))):
        raise UsageError(f"--license: {','.join(rest)!r} is not one http(s) URL")
    return {"name": name, **({"url": rest[0]} if rest else {})}


def build_document(
    summaries: Iterable[TopicSummary],
    metadata: Mapping[str, TopicMetadata],
    options: DocumentOptions | None = None,
) -> dict[str, Any]:
    """Return the AsyncAPI document (a plain dict) describing the sampled topics.

    There is one channel per summary; ``metadata`` only adds facts (partitions,
    replicas, configs, consumer groups) to the channels of sampled topics. The
    result does not depend on the order of ``summaries``.
    """
    options = options or DocumentOptions()
    ordered = sorted(summaries, key=lambda s: s.topic)
    topics = [s.topic for s in ordered]
    if len(set(topics)) != len(topics):
        raise UsageError("build_document got two summaries for the same topic")
    ordered, metadata, families = group_topics(ordered, metadata, options.group_topics)
    plan = _plan(ordered, metadata, families)
    if options.asyncapi_version == "2.6.0":
        doc = _build_v2(plan, options)
    else:
        doc = _build_v3(plan, options)
    if options.evidence != "inline":
        doc = split_evidence(doc)[0]
    return doc


def build_document_with_evidence(
    summaries: Iterable[TopicSummary],
    metadata: Mapping[str, TopicMetadata],
    options: DocumentOptions,
) -> dict[str, Any]:
    """:func:`build_document` with the evidence inline whatever ``options.evidence`` says
    (its prose still says where the evidence goes): for the callers that merge the
    document first and take the evidence out after (``--update``)."""
    inline = dataclasses.replace(options, evidence="inline")
    doc = build_document(summaries, metadata, inline)
    doc["info"]["description"] = _info_description(options)
    return doc


# --- planning: ids, schemas and messages common to every AsyncAPI version -------------


@dataclass(frozen=True, slots=True)
class _MessagePlan:
    id: str
    kind: KindSummary
    summary: TopicSummary


@dataclass(frozen=True, slots=True)
class _ChannelPlan:
    id: str
    summary: TopicSummary
    metadata: TopicMetadata | None
    messages: tuple[_MessagePlan, ...]
    family: Family | None = None


def _plan(
    summaries: Sequence[TopicSummary],
    metadata: Mapping[str, TopicMetadata],
    families: Mapping[str, Family],
) -> list[_ChannelPlan]:
    # Message ids by the rules of inferrer.asyncapi.names: from the kind's value or the
    # topic, qualified by the segment that tells topics apart when names collide.
    names: dict[tuple[str, int], str] = {}
    topics_by_name: dict[str, list[str]] = {}
    for summary in summaries:
        for index, kind in enumerate(_ordered_kinds(summary)):
            field, value = kind.discriminator_field, kind.discriminator_value
            only = len(summary.kinds) == 1
            name = component_key(kind_name(summary.topic, field, value, kind.name, only=only))
            names[(summary.topic, index)] = name
            topics_by_name.setdefault(name, []).append(summary.topic)
    channel_ids: set[str] = set()
    message_ids: set[str] = set()
    plans: list[_ChannelPlan] = []
    for summary in summaries:
        plain_id = summary.topic.replace("{", "").replace("}", "")
        channel_id = unique_key(component_key(plain_id), channel_ids)
        messages: list[_MessagePlan] = []
        for index, kind in enumerate(_ordered_kinds(summary)):
            base = names[(summary.topic, index)]
            others = [t for t in topics_by_name[base] if t != summary.topic]
            if others:
                base = component_key(distinguishing_segment(summary.topic, others) + base)
            messages.append(_MessagePlan(unique_key(base, message_ids), kind, summary))
        plans.append(
            _ChannelPlan(
                channel_id,
                summary,
                metadata.get(summary.topic),
                tuple(messages),
                families.get(summary.topic),
            )
        )
    return plans


def _ordered_kinds(summary: TopicSummary) -> list[KindSummary]:
    return sorted(summary.kinds, key=lambda k: (k.name, k.discriminator_value or ""))


def component_key(text: str) -> str:
    """A key valid in ``components`` (``^[A-Za-z0-9._-]+$``) derived from ``text``."""
    key = _KEY_PATTERN.sub("_", text)
    return key or "_"


def _title(name: str) -> str:
    words = _WORDS.findall(name)
    if not words:
        return name
    text = " ".join(words)
    return text[0].upper() + text[1:]


def _iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    ms = clamp_timestamp(ms)
    moment = datetime.fromtimestamp(ms // 1000, tz=UTC)
    return f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"


def _ratio(value: float) -> float:
    return round(float(value), 4)


def _prune(mapping: dict[str, Any]) -> dict[str, Any]:
    """Drop entries whose value is None, an empty container, or zero evidence."""
    return {k: v for k, v in mapping.items() if v is not None and v != {} and v != [] and v != ()}


def _hosts(bootstrap: str) -> list[str]:
    hosts: list[str] = []
    for item in bootstrap.split(","):
        host = item.strip()
        if "://" in host:
            host = host.split("://", 1)[1]
        if "@" in host:  # user:password@host — never written
            host = host.rsplit("@", 1)[1]
        host = host.split("/", 1)[0]
        if host and host not in hosts:
            hosts.append(host)
    return hosts


def server_name(host: str) -> str:
    """The id a person would give the server at ``host`` (``host:port``): the host's first
    DNS label (``broker-1.bank.internal:9093`` → ``broker-1``), ``local`` for this
    machine, ``broker`` for an IP address. Repeats get ``_2``, ``_3``... in the document."""
    name = host
    if name.startswith("["):  # [ipv6]:port
        name = name[1:].split("]", 1)[0]
    elif name.count(":") == 1:
        name = name.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        address = None
    if name.lower() == "localhost" or (address is not None and address.is_loopback):
        return "local"
    if address is not None:
        return "broker"
    return name.split(".", 1)[0] or "broker"


def _content_type(summary: TopicSummary) -> str:
    return summary.content_type or _CONTENT_TYPE_BY_ENCODING[summary.encoding]


def _payload_schema(kind: KindSummary, summary: TopicSummary, mode: ExamplesMode) -> dict[str, Any]:
    schema = {k: v for k, v in kind.payload_schema.items() if k not in ("$schema", "$id")}
    if summary.tombstones:
        schema = admit_tombstones(schema)
    scrubbed: dict[str, Any] = _scrub_schema(schema, mode)
    return scrubbed


def admit_tombstones(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The payload schema of a topic that carries tombstones (a null value: on a
    compacted topic, the deletion of its key): the kind's schema, or null. Canonical:
    ``type: [T, 'null']``, or an ``anyOf`` with a bare null branch when T has keywords.
    The channel's ``x-inferrer-tombstones`` counts them."""
    if not schema:
        return {}
    return finalize({"anyOf": [{"type": "null"}, dict(schema)]})


def _scrub_schema(schema: Any, mode: ExamplesMode) -> Any:
    """Apply the examples mode to schema-level ``examples`` and ``default`` values."""
    if not isinstance(schema, Mapping):
        return schema
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _SUBSCHEMA_MAPS and isinstance(value, Mapping):
            result[key] = {name: _scrub_schema(sub, mode) for name, sub in value.items()}
        elif key in _SUBSCHEMA_LISTS and isinstance(value, list):
            result[key] = [_scrub_schema(sub, mode) for sub in value]
        elif key in _SUBSCHEMA and isinstance(value, Mapping):
            result[key] = _scrub_schema(value, mode)
        elif key == "examples" and isinstance(value, list):
            if mode == "raw":
                result[key] = list(value)
            elif mode == "redacted":
                result[key] = [redact_example(v, schema) for v in value]
        elif key == "enum" and isinstance(value, list) and len(value) == 1:
            # One value (a kind's discriminator): JSON Schema's own word for it.
            result["const"] = value[0]
        elif key == "default" and mode != "raw":
            result[key] = redact_example(value, schema)
        else:
            result[key] = value
    return result


def _examples(
    kind: KindSummary, schema: Mapping[str, Any], mode: ExamplesMode, most: int
) -> list[Any]:
    if mode == "none" or most < 1:
        return []
    chosen = list(kind.examples[:MAX_EXAMPLES])
    if mode == "redacted":
        # The first example is made from the schema alone, so it stays the same as long
        # as the schema does, whichever messages the sample happened to keep; further
        # ones (--examples-per-message) are redacted sampled messages.
        redacted = [_restore_discriminator(kind, redact_example(e, schema)) for e in chosen]
        chosen = [_restore_discriminator(kind, example_for_schema(schema))]
        chosen += [e for e in redacted if e not in chosen]
    # The official parser checks examples against the payload schema; a placeholder
    # that cannot satisfy a constraint (an unusual pattern) drops its example, and the
    # next one kept takes its place.
    return valid_values(schema, chosen)[:most]


def _restore_discriminator(kind: KindSummary, example: Any) -> Any:
    # The discriminator value is the kind's name, already public in the document.
    field = kind.discriminator_field
    if field is None or kind.discriminator_value is None or not isinstance(example, dict):
        return example
    if field.startswith(HEADER_KIND_PREFIX):  # a header named it: nothing to restore
        return example
    parts = field.lstrip("/").split("/") if field.startswith("/") else [field]
    node: Any = example
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict) and parts[-1] in node:
        node[parts[-1]] = kind.discriminator_value
    return example


def _field_evidence(kind: KindSummary) -> dict[str, Any]:
    evidence: dict[str, Any] = {}
    for item in sorted(kind.fields, key=lambda f: f.path):
        entry: dict[str, Any] = {
            "presence": _ratio(item.presence_ratio),
            "nulls": _ratio(item.null_ratio),
            "types": {name: count for name, count in sorted(item.types.items())},
            "distinct": item.distinct,
        }
        if item.distinct_approximate:
            entry["distinctIsLowerBound"] = True
        if item.format is not None:
            entry["format"] = item.format
        evidence[item.path or "/"] = entry
    return evidence


def _message_evidence(plan: _MessagePlan) -> dict[str, Any]:
    kind, summary = plan.kind, plan.summary
    discriminator = None
    if kind.discriminator_field is not None:
        discriminator = _prune(
            {"field": kind.discriminator_field, "value": kind.discriminator_value}
        )
    share = _ratio(kind.count / summary.messages) if summary.messages else None
    return _prune(
        {
            f"{EXTENSION_PREFIX}sample-size": kind.count,
            f"{EXTENSION_PREFIX}share-of-topic": share,
            f"{EXTENSION_PREFIX}first-seen": _iso(kind.first_timestamp),
            f"{EXTENSION_PREFIX}last-seen": _iso(kind.last_timestamp),
            f"{EXTENSION_PREFIX}discriminator": discriminator,
            f"{EXTENSION_PREFIX}fields": _field_evidence(kind),
            f"{EXTENSION_PREFIX}registry": _registry_evidence(kind.registry),
            f"{EXTENSION_PREFIX}observed-schema": (
                dict(kind.payload_schema) or None if kind.registry is not None else None
            ),
        }
    )


def _registry_evidence(registry: RegistrySchema | None) -> dict[str, Any] | None:
    if registry is None:
        return None
    return _prune(
        {
            "schemaId": registry.schema_id,
            "schemaIds": list(registry.ids),
            "schemaType": registry.schema_type,
            "record": registry.record,
            "subject": registry.subject,
            "version": registry.version,
            "strategy": registry.strategy,
        }
    )


def _channel_evidence(plan: _ChannelPlan) -> dict[str, Any]:
    s, md = plan.summary, plan.metadata
    return _prune(
        {
            f"{EXTENSION_PREFIX}sample-size": s.messages,
            f"{EXTENSION_PREFIX}first-seen": _iso(s.first_timestamp),
            f"{EXTENSION_PREFIX}last-seen": _iso(s.last_timestamp),
            f"{EXTENSION_PREFIX}encoding": s.encoding,
            f"{EXTENSION_PREFIX}key-encoding": s.key_encoding,
            f"{EXTENSION_PREFIX}envelope": None if s.envelope == "none" else s.envelope,
            f"{EXTENSION_PREFIX}framing": None if s.framing == "none" else s.framing,
            f"{EXTENSION_PREFIX}schema-ids": sorted(set(s.schema_ids)),
            f"{EXTENSION_PREFIX}undecodable": dict(sorted(s.undecodable.items())),
            f"{EXTENSION_PREFIX}anomalies": dict(sorted(s.anomalies.items())),
            f"{EXTENSION_PREFIX}tombstones": s.tombstones or None,
            f"{EXTENSION_PREFIX}partitions-seen": sorted(set(s.partitions_seen)),
            f"{EXTENSION_PREFIX}rate-per-second": (
                None if s.rate_per_second is None else round(s.rate_per_second, 3)
            ),
            f"{EXTENSION_PREFIX}consumer-groups": sorted(set(md.consumer_groups)) if md else None,
            f"{EXTENSION_PREFIX}topics": list(plan.family.members) if plan.family else None,
            f"{EXTENSION_PREFIX}kind-selection": (
                None if s.kind_selection is None else dict(s.kind_selection)
            ),
        }
    )


def _topic_configuration(configs: Mapping[str, str]) -> dict[str, Any]:
    """The topic configs the Kafka channel binding 0.5.0 defines, typed as it requires."""
    result: dict[str, Any] = {}
    policy = configs.get("cleanup.policy")
    if policy is not None:
        values = sorted({p.strip() for p in policy.split(",")} & {"compact", "delete"})
        if values:
            result["cleanup.policy"] = values
    for name, minimum in (
        ("retention.ms", -1),
        ("retention.bytes", -1),
        ("delete.retention.ms", 0),
        ("max.message.bytes", 0),
    ):
        raw = configs.get(name)
        if raw is None:
            continue
        try:
            number = int(raw)
        except ValueError:
            continue
        if number >= minimum:
            result[name] = number
    for name in ("confluent.key.schema.validation", "confluent.value.schema.validation"):
        raw = configs.get(name)
        if raw is not None and raw.lower() in ("true", "false"):
            result[name] = raw.lower() == "true"
    for name in ("confluent.key.subject.name.strategy", "confluent.value.subject.name.strategy"):
        raw = configs.get(name)
        if raw:
            result[name] = raw
    return result


def _channel_binding(plan: _ChannelPlan) -> dict[str, Any]:
    # A family's channel stands for several topics: its address names them.
    binding: dict[str, Any] = {} if plan.family else {"topic": plan.summary.topic}
    md = plan.metadata
    if md is not None:
        if md.partitions >= 1:
            binding["partitions"] = md.partitions
        if md.replication_factor >= 1:
            binding["replicas"] = md.replication_factor
        configuration = _topic_configuration(md.configs)
        if configuration:
            binding["topicConfiguration"] = configuration
    binding["bindingVersion"] = BINDING_VERSION
    return {"kafka": binding}


def _message_binding(summary: TopicSummary, registry: RegistrySchema | None) -> dict[str, Any]:
    binding: dict[str, Any] = {}
    if summary.key_schema is not None:
        binding["key"] = {
            k: v for k, v in summary.key_schema.items() if k not in ("$schema", "$id")
        }
    if summary.framing == "confluent" or registry is not None:
        # Confluent wire format: magic byte 0 and a 4-byte schema id before the payload.
        binding["schemaIdLocation"] = "payload"
        binding["schemaIdPayloadEncoding"] = "confluent"
        if registry is not None and registry.strategy is not None:
            binding["schemaLookupStrategy"] = registry.strategy
    binding["bindingVersion"] = BINDING_VERSION
    return {"kafka": binding}


_REGISTRY_FORMATS: Final[Mapping[RegistrySchemaType, str]] = {
    "AVRO": "application/vnd.apache.avro;version=1.9.0",
    "PROTOBUF": "application/vnd.google.protobuf;version=3",
    "JSON": "application/schema+json;version=draft-07",
}


def registry_schema_value(registry: RegistrySchema) -> Any:
    """A registry schema as the document holds it: Avro and JSON Schema as the JSON they
    are, a .proto file as its text."""
    if registry.schema_type == "PROTOBUF":
        return registry.text
    return json.loads(registry.text)


def _registry_payload(registry: RegistrySchema, v2: bool) -> tuple[str, Any]:
    """(``schemaFormat``, the payload): 2.x names the format on the message, 3.0 in a
    Multi Format Schema Object."""
    form = _REGISTRY_FORMATS[registry.schema_type]
    value = registry_schema_value(registry)
    return (form, value) if v2 else (form, {"schemaFormat": form, "schema": value})


def _message(plan: _MessagePlan, schema_ref: str, options: DocumentOptions) -> dict[str, Any]:
    kind, summary = plan.kind, plan.summary
    schema = _payload_schema(kind, summary, options.examples)
    payload: Any = {"$ref": schema_ref}
    content_type = _content_type(summary)
    form: str | None = None
    if kind.registry is not None:
        form, payload = _registry_payload(kind.registry, options.asyncapi_version == "2.6.0")
    message: dict[str, Any] = {
        "name": plan.id,
        "title": _title(plan.id),
        "contentType": content_type,
        **({"schemaFormat": form} if form and options.asyncapi_version == "2.6.0" else {}),
        "payload": payload,
        "bindings": _message_binding(summary, kind.registry),
    }
    described = _message_summary(plan.id, kind, summary)
    if described is not None:
        message["summary"] = described
    headers = kind.headers_schema or summary.headers_schema
    if headers is not None:
        message["headers"] = {k: v for k, v in headers.items() if k not in ("$schema", "$id")}
    # Examples are JSON checked against the payload schema: none for a registry's schema.
    examples = (
        _examples(kind, schema, options.examples, options.examples_per_message)
        if kind.registry is None
        else []
    )
    if examples:
        message["examples"] = [{"payload": example} for example in examples]
    message.update(_message_evidence(plan))
    return message


def _message_summary(name: str, kind: KindSummary, summary: TopicSummary) -> str | None:
    # Only a kind has something to say (how it is told apart); "a message on the topic"
    # would repeat the channel.
    if kind.discriminator_field is not None and kind.discriminator_value is not None:
        article = "An" if name[:1] in "AEIOU" else "A"
        return (
            f"{article} {name} event on {summary.topic} "
            f"({kind.discriminator_field} = {kind.discriminator_value})."
        )
    return None


Origin = Literal["live", "capture", "observations"]

_ORIGIN_WORDS: dict[Origin, tuple[str, str]] = {
    "live": (
        "a read-only sample of live Kafka traffic",
        "partitions, replicas, topic configuration and consumer groups read from the cluster",
    ),
    "capture": (
        "Kafka traffic recorded in capture files (kcat -C -J JSON Lines)",
        "partitions, replicas and topic configuration as the capture's topics file "
        "recorded them (or the partitions seen, without one); no consumer groups",
    ),
    "observations": (
        "saved observations of Kafka traffic",
        "topic facts as they were recorded with the observations",
    ),
}


def _info_description(options: DocumentOptions) -> str:
    if options.description is not None:
        return options.description
    traffic, facts = _ORIGIN_WORDS[options.origin]
    return (
        f"Inferred by inferrer from {traffic}: "
        "one channel per topic, one message per event kind, payload schemas "
        f"inferred from the sampled values, {facts}. "
        f"Examples are {_EXAMPLES_WORDS[options.examples]}. "
        f"{_EVIDENCE_WORDS[options.evidence]} Review the schemas before relying on "
        "them: they describe only what the sample contained."
    )


def _info(plans: Sequence[_ChannelPlan], options: DocumentOptions) -> dict[str, Any]:
    description = options.description
    if description is None:
        description = _info_description(options)
    firsts = [p.summary.first_timestamp for p in plans if p.summary.first_timestamp is not None]
    lasts = [p.summary.last_timestamp for p in plans if p.summary.last_timestamp is not None]
    info: dict[str, Any] = {
        "title": options.title,
        "version": options.version,
        "description": description,
    }
    if options.contact:
        info["contact"] = dict(options.contact)
    if options.license:
        info["license"] = dict(options.license)
    info.update(
        _prune(
            {
                f"{EXTENSION_PREFIX}sample-size": sum(p.summary.messages for p in plans),
                f"{EXTENSION_PREFIX}first-seen": _iso(min(firsts)) if firsts else None,
                f"{EXTENSION_PREFIX}last-seen": _iso(max(lasts)) if lasts else None,
                f"{EXTENSION_PREFIX}examples": options.examples,
            }
        )
    )
    return info


_EVIDENCE_WORDS: dict[EvidenceMode, str] = {
    "inline": "The x-inferrer-* extensions hold the evidence (sample sizes, first and last "
    "seen, field presence ratios).",
    "file": "The evidence (sample sizes, first and last seen, field presence ratios) is in "
    "the evidence file written beside this document.",
    "none": "The evidence (sample sizes, first and last seen, field presence ratios) was "
    "not written.",
}

_EXAMPLES_WORDS: dict[ExamplesMode, str] = {
    "redacted": "redacted: real structure, placeholder values of the same type and format",
    "raw": "raw sampled values",
    "none": "omitted",
}


def _servers(options: DocumentOptions, v2: bool) -> dict[str, Any]:
    if not options.bootstrap:
        return {}
    servers: dict[str, Any] = {}
    taken: set[str] = set()
    for host in _hosts(options.bootstrap):
        name = options.server_name or server_name(host)
        server_id = unique_key(component_key(name), taken)
        server: dict[str, Any] = {"url": host} if v2 else {"host": host}
        server["protocol"] = options.protocol
        server["description"] = "A bootstrap server the sample was read from."
        server["bindings"] = {"kafka": {"bindingVersion": BINDING_VERSION}}
        servers[server_id] = server
    return servers


def _document_head(plans: Sequence[_ChannelPlan], options: DocumentOptions) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "asyncapi": options.asyncapi_version,
        "info": _info(plans, options),
    }
    servers = _servers(options, v2=options.asyncapi_version == "2.6.0")
    if servers:
        doc["servers"] = servers
    doc["defaultContentType"] = options.default_content_type
    return doc


def _channel_description(plan: _ChannelPlan) -> str:
    if plan.family is not None:
        return (
            f"Kafka topics {plan.summary.topic}, one per {plan.family.parameter} "
            f"({', '.join(plan.family.members)}), with the same messages, as seen in "
            "sampled traffic."
        )
    return f"Kafka topic {plan.summary.topic}, as seen in sampled traffic."


def _parameters(plan: _ChannelPlan, v2: bool) -> dict[str, Any] | None:
    family = plan.family
    if family is None:
        return None
    values = list(family.values)
    description = f"The {family.parameter} segment of the topic name, as seen."
    if v2:
        return {
            family.parameter: {
                "description": description,
                "schema": {"type": "string", "enum": values},
            }
        }
    return {family.parameter: {"description": description, "enum": values}}


def _build_v3(plans: Sequence[_ChannelPlan], options: DocumentOptions) -> dict[str, Any]:
    doc = _document_head(plans, options)
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    operation_ids: set[str] = set()
    for plan in plans:
        channel_messages: dict[str, Any] = {}
        for message_plan in plan.messages:
            if message_plan.kind.registry is None:  # a registry's schema is written inline
                schemas[message_plan.id] = _payload_schema(
                    message_plan.kind, message_plan.summary, options.examples
                )
            ref = f"#/components/schemas/{message_plan.id}"
            messages[message_plan.id] = _message(message_plan, ref, options)
            channel_messages[message_plan.id] = {"$ref": f"#/components/messages/{message_plan.id}"}
        channel: dict[str, Any] = {
            "address": plan.summary.topic,
            "description": _channel_description(plan),
        }
        parameters = _parameters(plan, v2=False)
        if parameters:
            channel["parameters"] = parameters
        if channel_messages:
            channel["messages"] = channel_messages
        channel["bindings"] = _channel_binding(plan)
        channel.update(_channel_evidence(plan))
        channels[plan.id] = channel

        channel_ref = {"$ref": f"#/channels/{plan.id}"}
        message_refs = [{"$ref": f"#/channels/{plan.id}/messages/{m.id}"} for m in plan.messages]
        send_id = unique_key(component_key(f"{plan.id}.send"), operation_ids)
        operations[send_id] = {
            "action": "send",
            "channel": channel_ref,
            "summary": f"Producers write to {plan.summary.topic}.",
            "messages": message_refs,
        }
        groups = sorted(set(plan.metadata.consumer_groups)) if plan.metadata else []
        for group in groups:
            receive_id = unique_key(component_key(f"{plan.id}.receive.{group}"), operation_ids)
            operations[receive_id] = {
                "action": "receive",
                "channel": channel_ref,
                "summary": f"Consumer group {group} reads {plan.summary.topic}.",
                "messages": message_refs,
                "bindings": {"kafka": _group_binding([group])},
            }
    doc["channels"] = channels
    doc["operations"] = operations
    components = _prune({"schemas": share_schemas(schemas), "messages": messages})
    if components:
        doc["components"] = components
    return doc


def _group_binding(groups: Sequence[str]) -> dict[str, Any]:
    return {"groupId": {"type": "string", "enum": list(groups)}, "bindingVersion": BINDING_VERSION}


def _build_v2(plans: Sequence[_ChannelPlan], options: DocumentOptions) -> dict[str, Any]:
    # AsyncAPI 2.x operations are seen from the client: `publish` is what producers
    # do to the topic, `subscribe` what consumer groups do.
    doc = _document_head(plans, options)
    # 2.x asks for a document id (a URI) and tags; both are made from what is known.
    slug = "-".join(w.lower() for w in _WORDS.findall(options.title)) or "kafka-events"
    doc = {"asyncapi": doc.pop("asyncapi"), "id": f"urn:inferrer:{slug}", **doc}
    doc["tags"] = [{"name": "kafka", "description": "Topics of an Apache Kafka cluster."}]
    channels: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    operation_ids: set[str] = set()
    for plan in plans:
        refs: list[dict[str, Any]] = []
        for message_plan in plan.messages:
            if message_plan.kind.registry is None:  # a registry's schema is written inline
                schemas[message_plan.id] = _payload_schema(
                    message_plan.kind, message_plan.summary, options.examples
                )
            ref = f"#/components/schemas/{message_plan.id}"
            messages[message_plan.id] = {
                "messageId": message_plan.id,
                **_message(message_plan, ref, options),
            }
            refs.append({"$ref": f"#/components/messages/{message_plan.id}"})
        message_field: dict[str, Any] | None
        if not refs:
            message_field = None
        elif len(refs) == 1:
            message_field = refs[0]
        else:
            message_field = {"oneOf": refs}
        publish: dict[str, Any] = {
            "operationId": unique_key(component_key(f"{plan.id}.send"), operation_ids),
            "summary": f"Producers write to {plan.summary.topic}.",
        }
        if message_field is not None:
            publish["message"] = message_field
        channel: dict[str, Any] = {
            "description": _channel_description(plan),
            "publish": publish,
        }
        groups = sorted(set(plan.metadata.consumer_groups)) if plan.metadata else []
        if groups:
            subscribe: dict[str, Any] = {
                "operationId": unique_key(component_key(f"{plan.id}.receive"), operation_ids),
                "summary": f"Consumer groups read {plan.summary.topic}.",
                "bindings": {"kafka": _group_binding(groups)},
            }
            # The messages are publish's: the 2.x rules count a message that both
            # operations reference as two messages with one messageId.
            channel["subscribe"] = subscribe
        parameters = _parameters(plan, v2=True)
        if parameters:
            channel["parameters"] = parameters
        channel["bindings"] = _channel_binding(plan)
        channel.update(_channel_evidence(plan))
        # 2.x channels are keyed by their address: the topic name itself.
        channels[plan.summary.topic] = channel
    doc["channels"] = channels
    components = _prune({"schemas": share_schemas(schemas), "messages": messages})
    if components:
        doc["components"] = components
    return doc
