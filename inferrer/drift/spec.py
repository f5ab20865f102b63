"""Read a committed AsyncAPI document (3.0, 3.1 or 2.6) into a normalized view.

The view is what drift compares: channels by topic address, each with its
messages (keyed by discriminator value, else name, else id), their payload,
headers and Kafka key schemas, the channel's Kafka bindings and the consumer
groups of the operations that receive from it. Local ``$ref``s are resolved;
every element keeps the JSON pointer of where it is written in the document.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inferrer.asyncapi.read import Resolver, load_document
from inferrer.errors import SpecError
from inferrer.jsonpointer import join_pointer, unescape_token

JSON_SCHEMA_FORMATS = (
    "application/schema+json",
    "application/schema+yaml",
    "application/vnd.aai.asyncapi",
)
"""``schemaFormat`` prefixes whose schema drift can read (JSON Schema / AsyncAPI Schema)."""
AVRO_FORMATS = ("application/vnd.apache.avro",)
"""``schemaFormat`` prefixes of Avro schemas, which drift reads as the JSON Schema of
their decoded values (:mod:`inferrer.registry.avro_json`)."""


@dataclass(frozen=True, slots=True)
class SpecMessage:
    """One documented message (event kind) of a channel."""

    key: str
    """How traffic is matched to it: discriminator value, else name, else id."""
    id: str
    name: str | None
    pointer: str
    discriminator: str | None = None
    discriminator_value: str | None = None
    payload: Mapping[str, Any] | None = None
    payload_pointer: str | None = None
    headers: Mapping[str, Any] | None = None
    headers_pointer: str | None = None
    key_schema: Mapping[str, Any] | None = None
    key_pointer: str | None = None
    registry: Mapping[str, Any] | None = None
    """What an inferrer document notes of a registry-backed message's writer schema
    (``x-inferrer-registry``: schemaId, schemaIds, subject, version, strategy)."""


@dataclass(frozen=True, slots=True)
class SpecChannel:
    """One documented topic."""

    address: str
    id: str
    pointer: str
    messages: Mapping[str, SpecMessage] = field(default_factory=dict)
    partitions: int | None = None
    replicas: int | None = None
    topic_configuration: Mapping[str, Any] = field(default_factory=dict)
    bindings_pointer: str | None = None
    group_ids: Mapping[str, str] = field(default_factory=dict)
    """Consumer group id → pointer of the operation binding that names it."""


@dataclass(frozen=True, slots=True)
class SpecView:
    """A committed spec, normalized for comparison."""

    source: str
    version: str
    channels: Mapping[str, SpecChannel]

    def to_comparable(self) -> dict[str, Any]:
        """Plain nested data (no pointers) that a structural diff walks."""
        out: dict[str, Any] = {}
        for address, ch in self.channels.items():
            out[address] = {
                "messages": {
                    key: {
                        "payload": m.payload,
                        "headers": m.headers,
                        "key": m.key_schema,
                    }
                    for key, m in ch.messages.items()
                },
                "bindings": {
                    "partitions": ch.partitions,
                    "replicas": ch.replicas,
                    "topicConfiguration": dict(ch.topic_configuration),
                },
                "groups": sorted(ch.group_ids),
            }
        return {"channels": out}


def read_spec(path: str | Path) -> SpecView:
    """Read and normalize the AsyncAPI document at ``path``."""
    return normalize_spec(load_document(path), str(path))


def _version(doc: Mapping[str, Any], source: str) -> str:
    version = doc.get("asyncapi")
    if not isinstance(version, str):
        raise SpecError(f"spec {source} at /asyncapi: missing AsyncAPI version")
    if version.startswith(("3.0", "3.1", "2.6")):
        return version
    raise SpecError(
        f"spec {source} at /asyncapi: AsyncAPI version {version} is not supported "
        "(use 3.0, 3.1 or 2.6)"
    )


def normalize_spec(doc: Mapping[str, Any], source: str = "<spec>") -> SpecView:
    """Normalize an AsyncAPI 3.0/3.1/2.6 document already loaded as data."""
    version = _version(doc, source)
    resolver = Resolver(doc, source)
    channels = doc.get("channels") or {}
    if not isinstance(channels, Mapping):
        raise SpecError(f"spec {source} at /channels: not a mapping")
    if version.startswith("2."):
        out = _channels_v2(channels, resolver)
    else:
        out = _channels_v3(doc, channels, resolver)
    return SpecView(source=source, version=version, channels=dict(sorted(out.items())))


def _schema(resolver: Resolver, node: Any, at: str) -> tuple[Mapping[str, Any] | None, str]:
    """A message's payload/headers/key schema as plain JSON Schema, and where it is."""
    node, at, refs = resolver.follow_refs(node, at)
    if not isinstance(node, Mapping):
        return (None, at) if node is None else ({}, at)
    fmt = node.get("schemaFormat")
    if isinstance(fmt, str) and "schema" in node:
        if fmt.startswith(AVRO_FORMATS):
            # Traffic of a registry-backed topic is checked as its decoded datums.
            from inferrer.registry.avro_json import avro_to_json_schema

            return avro_to_json_schema(node["schema"]), join_pointer(at, "schema")
        if not fmt.startswith(JSON_SCHEMA_FORMATS):
            return None, at
        return _schema(resolver, node["schema"], join_pointer(at, "schema"))
    inlined = resolver.inline(node, at, refs)
    return (inlined if isinstance(inlined, dict) else {}), at


def _discriminator(payload: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
    """The discriminator field and its value, when the payload pins one.

    The field is the AsyncAPI Schema ``discriminator`` keyword; its value is a
    ``const`` or single-value ``enum`` on that property.
    """
    if not payload:
        return None, None
    name = payload.get("discriminator")
    if not isinstance(name, str):
        return None, None
    prop = (payload.get("properties") or {}).get(name)
    if isinstance(prop, Mapping):
        if "const" in prop:
            return name, str(prop["const"])
        enum = prop.get("enum")
        if isinstance(enum, list) and len(enum) == 1:
            return name, str(enum[0])
    return name, None


def _message(resolver: Resolver, msg_id: str, node: Any, at: str) -> SpecMessage:
    node, at = resolver.follow(node, at)
    if not isinstance(node, Mapping):
        raise SpecError(f"spec {resolver.source} at {at}: message is not a mapping")
    payload, payload_at = (
        (None, None)
        if "payload" not in node
        else (_schema(resolver, node["payload"], join_pointer(at, "payload")))
    )
    fmt = node.get("schemaFormat")  # 2.x names the payload's format on the message
    if isinstance(fmt, str) and "payload" in node and not fmt.startswith(JSON_SCHEMA_FORMATS):
        payload = None
        if fmt.startswith(AVRO_FORMATS):
            from inferrer.registry.avro_json import avro_to_json_schema

            raw, _ = resolver.follow(node["payload"], join_pointer(at, "payload"))
            payload = avro_to_json_schema(raw)
    headers, headers_at = (
        (None, None)
        if "headers" not in node
        else (_schema(resolver, node["headers"], join_pointer(at, "headers")))
    )
    key_schema: Mapping[str, Any] | None = None
    key_at: str | None = None
    bindings, bindings_at = resolver.follow(
        node.get("bindings") or {}, join_pointer(at, "bindings")
    )
    kafka = bindings.get("kafka") if isinstance(bindings, Mapping) else None
    if isinstance(kafka, Mapping) and "key" in kafka:
        key_schema, key_at = _schema(
            resolver, kafka["key"], join_pointer(bindings_at, "kafka", "key")
        )
    name = node.get("name") if isinstance(node.get("name"), str) else None
    field_name, value = _discriminator(payload)
    if value is None and isinstance(node.get("x-discriminator-value"), str):
        value = node["x-discriminator-value"]
    # Documents written by inferrer record the kind's discriminator as evidence, also
    # when it is not a payload field (CloudEvents' ce_type header, Debezium's op).
    evidence = node.get("x-inferrer-discriminator")
    if value is None and isinstance(evidence, Mapping) and isinstance(evidence.get("value"), str):
        value = evidence["value"]
        field_name = field_name or (
            evidence["field"] if isinstance(evidence.get("field"), str) else None
        )
    key = value or name or msg_id
    return SpecMessage(
        key=key,
        id=msg_id,
        name=name,
        pointer=at,
        discriminator=field_name,
        discriminator_value=value,
        payload=payload,
        payload_pointer=payload_at,
        headers=headers,
        headers_pointer=headers_at,
        key_schema=key_schema,
        key_pointer=key_at,
        registry=registry
        if isinstance(registry := node.get("x-inferrer-registry"), Mapping)
        else None,
    )


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _follow_channel(
    resolver: Resolver, name: object, raw: Any
) -> tuple[Mapping[str, Any], str, Mapping[str, Any], str | None]:
    """The channel ``/channels/NAME`` (``$ref`` followed) and its pointer, with its Kafka
    binding (``{}`` without one) and that binding's pointer."""
    channel, at = resolver.follow(raw, join_pointer("/channels", str(name)))
    if not isinstance(channel, Mapping):
        raise SpecError(f"spec {resolver.source} at {at}: channel is not a mapping")
    bindings, bindings_at = resolver.follow(
        channel.get("bindings") or {}, join_pointer(at, "bindings")
    )
    if not isinstance(bindings, Mapping) or not isinstance(bindings.get("kafka"), Mapping):
        return channel, at, {}, None
    kafka, kafka_at = resolver.follow(bindings["kafka"], join_pointer(bindings_at, "kafka"))
    return channel, at, (kafka if isinstance(kafka, Mapping) else {}), kafka_at


def _group_ids(resolver: Resolver, operation: Mapping[str, Any], at: str) -> list[str]:
    bindings, bindings_at = resolver.follow(
        operation.get("bindings") or {}, join_pointer(at, "bindings")
    )
    kafka = bindings.get("kafka") if isinstance(bindings, Mapping) else None
    if not isinstance(kafka, Mapping) or "groupId" not in kafka:
        return []
    group = resolver.inline(kafka["groupId"], join_pointer(bindings_at, "kafka", "groupId"))
    if isinstance(group, str):
        return [group]
    if isinstance(group, Mapping):
        if "const" in group:
            return [str(group["const"])]
        if isinstance(group.get("enum"), list):
            return [str(g) for g in group["enum"]]
    return []


def _channel(
    resolver: Resolver,
    channel_id: str,
    address: str,
    at: str,
    kafka: Mapping[str, Any],
    kafka_at: str | None,
    messages: dict[str, SpecMessage],
    groups: dict[str, str],
) -> SpecChannel:
    config = kafka.get("topicConfiguration") or {}
    return SpecChannel(
        address=address,
        id=channel_id,
        pointer=at,
        messages=dict(sorted(messages.items())),
        partitions=_int(kafka.get("partitions")),
        replicas=_int(kafka.get("replicas")),
        topic_configuration=dict(sorted(config.items())) if isinstance(config, Mapping) else {},
        bindings_pointer=kafka_at,
        group_ids=dict(sorted(groups.items())),
    )


def _add_message(messages: dict[str, SpecMessage], message: SpecMessage) -> None:
    key = message.key
    if key in messages:
        # Two messages claiming the same kind: keep both, apart, by id.
        key = f"{message.key}#{message.id}"
    messages[key] = message


def _channels_v3(
    doc: Mapping[str, Any], channels: Mapping[str, Any], resolver: Resolver
) -> dict[str, SpecChannel]:
    groups_by_channel: dict[str, dict[str, str]] = {}
    operations = doc.get("operations") or {}
    if isinstance(operations, Mapping):
        for op_id, raw in operations.items():
            op_at = join_pointer("/operations", str(op_id))
            op, op_at = resolver.follow(raw, op_at)
            if not isinstance(op, Mapping) or op.get("action") != "receive":
                continue
            ref = (
                (op.get("channel") or {}).get("$ref")
                if isinstance(op.get("channel"), Mapping)
                else None
            )
            if not isinstance(ref, str) or not ref.startswith("#/channels/"):
                continue
            channel_key = unescape_token(ref[len("#/channels/") :])
            for group in _group_ids(resolver, op, op_at):
                groups_by_channel.setdefault(channel_key, {}).setdefault(group, op_at)
    out: dict[str, SpecChannel] = {}
    for channel_id, raw in channels.items():
        channel, at, kafka, kafka_at = _follow_channel(resolver, channel_id, raw)
        address = channel.get("address")
        if not isinstance(address, str):
            topic = kafka.get("topic")
            address = topic if isinstance(topic, str) else str(channel_id)
        messages: dict[str, SpecMessage] = {}
        raw_messages = channel.get("messages") or {}
        if isinstance(raw_messages, Mapping):
            for msg_id, node in raw_messages.items():
                msg_at = join_pointer(at, "messages", str(msg_id))
                _add_message(messages, _message(resolver, str(msg_id), node, msg_at))
        spec_channel = _channel(
            resolver,
            str(channel_id),
            address,
            at,
            kafka,
            kafka_at,
            messages,
            groups_by_channel.get(str(channel_id), {}),
        )
        _put_channel(out, spec_channel, channel.get("parameters"), resolver, v2=False)
    return out


_PARAMETER = re.compile(r"\{([^{}]+)\}")


def _parameter_values(parameters: Any, name: str, resolver: Resolver, v2: bool) -> list[str]:
    if not isinstance(parameters, Mapping):
        return []
    node, _ = resolver.follow(parameters.get(name), "/")
    if not isinstance(node, Mapping):
        return []
    if v2:
        node = node.get("schema") if isinstance(node.get("schema"), Mapping) else {}
    enum = node.get("enum") if isinstance(node, Mapping) else None
    return [str(v) for v in enum] if isinstance(enum, list) else []


def _put_channel(
    out: dict[str, SpecChannel],
    channel: SpecChannel,
    parameters: Any,
    resolver: Resolver,
    v2: bool,
) -> None:
    """Add ``channel``; a templated address (``orders.{region}.created``) whose parameters
    list their values (``enum``) stands for one topic per combination of them."""
    names = _PARAMETER.findall(channel.address)
    if not names:
        out[channel.address] = channel
        return
    addresses = [channel.address]
    for name in names:
        values = _parameter_values(parameters, name, resolver, v2)
        if not values:
            out[channel.address] = channel  # open-ended: matches no topic by name
            return
        addresses = [a.replace("{" + name + "}", v, 1) for a in addresses for v in values]
    for address in addresses:
        out[address] = dataclasses.replace(channel, address=address)


def _v2_message_id(target: Any, target_at: str, item_at: str) -> str:
    """A 2.x message's id: its components key, messageId or name, else its place."""
    if target_at.startswith("/components/messages/"):
        return unescape_token(target_at.rsplit("/", 1)[-1])
    if isinstance(target, Mapping):
        for key in ("messageId", "name"):
            if isinstance(target.get(key), str):
                return str(target[key])
    tail = item_at.rsplit("/", 2)
    return f"message-{tail[-1]}" if tail[-2] == "oneOf" else "message"


def _channels_v2(channels: Mapping[str, Any], resolver: Resolver) -> dict[str, SpecChannel]:
    out: dict[str, SpecChannel] = {}
    for name, raw in channels.items():
        channel, at, kafka, kafka_at = _follow_channel(resolver, name, raw)
        topic = kafka.get("topic")
        address = topic if isinstance(topic, str) else str(name)
        messages: dict[str, SpecMessage] = {}
        groups: dict[str, str] = {}
        for action in ("publish", "subscribe"):
            if not isinstance(channel.get(action), Mapping):
                continue
            op_at = join_pointer(at, action)
            op, op_at = resolver.follow(channel[action], op_at)
            for group in _group_ids(resolver, op, op_at):
                groups.setdefault(group, op_at)
            if "message" not in op:
                continue
            msg_node, msg_at = resolver.follow(op["message"], join_pointer(op_at, "message"))
            if isinstance(msg_node, Mapping) and isinstance(msg_node.get("oneOf"), list):
                items = [
                    (item, join_pointer(msg_at, "oneOf", i))
                    for i, item in enumerate(msg_node["oneOf"])
                ]
            else:
                items = [(msg_node, msg_at)]
            for item, item_at in items:
                target, target_at = resolver.follow(item, item_at)
                msg_id = _v2_message_id(target, target_at, item_at)
                message = _message(resolver, str(msg_id), target, target_at)
                if any(m.pointer == message.pointer for m in messages.values()):
                    continue  # the same message under publish and subscribe
                _add_message(messages, message)
        spec_channel = _channel(resolver, str(name), address, at, kafka, kafka_at, messages, groups)
        _put_channel(out, spec_channel, channel.get("parameters"), resolver, v2=True)
    return out
