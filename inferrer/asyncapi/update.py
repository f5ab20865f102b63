"""Merge a fresh inference into an existing AsyncAPI document without losing human edits.

The rules, in order of precedence:

* What the existing document says wins. Descriptions, titles, summaries,
  tags, ``x-`` extensions, constraints (``maxLength``, ``pattern``, a narrower
  ``enum``), renamed ids, hand-added channels, messages and operations are kept
  as they are.
* ``x-inferrer-*`` extensions are inferrer's evidence, not human prose: they
  are replaced by the fresh values.
* Whatever is missing is added: new topics (channels and their operations), new
  event kinds (messages and payload schemas), new fields (payload and header
  properties, added as optional), new consumer groups (receive operations), and
  fields of existing objects the existing document does not have yet.
* Nothing is deleted. Payload and header properties, and messages of a channel,
  that the fresh inference did not observe are reported as JSON pointers into
  the result in :attr:`UpdateResult.unobserved`.

Channels are matched by ``address`` (AsyncAPI 3) or key (2.x, where the key is
the topic); messages within a matched channel by ``name``, then by the
``x-inferrer-discriminator`` evidence, then by component id, then by the shape
of their payload (shared top-level property names) — so a message id renamed
by hand still matches; operations by action, channel address and consumer group.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inferrer.asyncapi.build import DocumentOptions, build_document_with_evidence
from inferrer.asyncapi.evidence import EXTENSION_PREFIX, split_evidence
from inferrer.asyncapi.names import unique_key
from inferrer.asyncapi.read import Resolver, detect_version, load_document
from inferrer.errors import UsageError
from inferrer.jsonpointer import escape_token, join_pointer, unescape_token
from inferrer.model import TopicMetadata, TopicSummary


@dataclass(frozen=True, slots=True)
class UpdateResult:
    """The merged document and what it says that the fresh sample did not show."""

    document: dict[str, Any]
    unobserved: list[str]
    """JSON pointers (into ``document``) of properties and channel messages kept
    although the fresh inference did not observe them. Sorted."""
    added: list[str] = field(default_factory=list)
    """JSON pointers of the channels, messages, operations and properties added. Sorted."""
    evidence: dict[str, Any] | None = None
    """The evidence taken out of the merged document (``options.evidence`` ``file``)."""


def update_document(existing: dict[str, Any], inferred: dict[str, Any]) -> UpdateResult:
    """Merge ``inferred`` (a fresh :func:`~inferrer.asyncapi.build.build_document`) into
    ``existing``. Neither argument is modified."""
    old_version = detect_version(existing, "the existing document")
    new_version = detect_version(inferred, "the inferred document")
    if old_version[0] != new_version[0]:
        raise UsageError(
            f"cannot update an AsyncAPI {old_version} document with a {new_version} inference; "
            f"infer with --asyncapi-version {old_version}"
        )
    merger = _Merger(copy.deepcopy(existing), inferred)
    if old_version.startswith("2."):
        merger.merge_v2()
    else:
        merger.merge_v3()
    return UpdateResult(
        document=merger.doc,
        unobserved=sorted(set(merger.unobserved)),
        added=sorted(set(merger.added)),
    )


def update_spec_file(
    path: str | os.PathLike[str],
    summaries: Iterable[TopicSummary],
    metadata: Mapping[str, TopicMetadata],
    options: DocumentOptions,
) -> UpdateResult:
    """Load the spec at ``path``, infer a document in the spec's own AsyncAPI version,
    and merge it in with :func:`update_document`. Writing the result is the caller's.

    ``options.asyncapi_version`` is ignored: the existing file decides. The merge is
    made with the evidence inline (so stale evidence in the file is replaced); unless
    ``options.evidence`` is ``inline`` it is then taken out of the result again.
    """
    existing = load_document(path)
    version = detect_version(existing, os.fspath(path))
    inferred = build_document_with_evidence(
        summaries, metadata, dataclasses.replace(options, asyncapi_version=version)
    )
    result = update_document(existing, inferred)
    if options.evidence == "inline":
        return result
    document, evidence = split_evidence(result.document, document_name=Path(path).name)
    return dataclasses.replace(
        result, document=document, evidence=evidence if options.evidence == "file" else None
    )


# --- references --------------------------------------------------------------------------


def _ref_id(ref: Any, prefix: str) -> str | None:
    if isinstance(ref, dict) and isinstance(ref.get("$ref"), str):
        value: str = ref["$ref"]
        if value.startswith(prefix) and "/" not in value[len(prefix) :]:
            return unescape_token(value[len(prefix) :])
    return None


def _is_evidence(key: str) -> bool:
    return key.startswith(EXTENSION_PREFIX)


# --- the merge ----------------------------------------------------------------------------


@dataclass(slots=True)
class _ExistingMessage:
    key: str
    pointer: str
    """Where the message object is (after following references)."""
    node: dict[str, Any]
    component: str | None


@dataclass(slots=True)
class _Merger:
    doc: dict[str, Any]
    inferred: dict[str, Any]
    unobserved: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    message_ids: dict[str, str] = field(default_factory=dict)
    """Inferred message component id → id in the result."""
    refs: Resolver = field(init=False)
    """The existing document's references (a reference it cannot follow stays as written)."""
    inferred_refs: Resolver = field(init=False)

    def __post_init__(self) -> None:
        self.refs = Resolver(self.doc, strict=False)
        self.inferred_refs = Resolver(self.inferred, strict=False)

    # - plain objects -

    def merge_plain(self, target: dict[str, Any], fresh: dict[str, Any]) -> None:
        """Add what ``target`` lacks from ``fresh``; refresh evidence; keep the rest."""
        for key, value in fresh.items():
            if _is_evidence(key) or key not in target:
                target[key] = copy.deepcopy(value)
            elif (
                isinstance(target[key], dict)
                and isinstance(value, dict)
                and "$ref" not in target[key]
            ):
                self.merge_plain(target[key], value)

    def merge_top(self) -> None:
        for key in ("info", "defaultContentType"):
            if key not in self.doc and key in self.inferred:
                self.doc[key] = copy.deepcopy(self.inferred[key])
        if isinstance(self.doc.get("info"), dict) and isinstance(self.inferred.get("info"), dict):
            self.merge_plain(self.doc["info"], self.inferred["info"])
        # Servers a human has set (say, production hosts) are kept as they are.
        if not self.doc.get("servers") and self.inferred.get("servers"):
            self.doc["servers"] = copy.deepcopy(self.inferred["servers"])
        for key, value in self.inferred.items():
            if _is_evidence(key):
                self.doc[key] = copy.deepcopy(value)

    # - schemas -

    def merge_schema(self, pointer: str, target: Any, fresh: Any, seen: set[str]) -> None:
        """Add properties ``fresh`` has to ``target`` (optional); report those it lacks."""
        target, pointer = self.refs.follow(target, pointer)
        if pointer in seen or not isinstance(target, dict) or not isinstance(fresh, dict):
            return
        seen = seen | {pointer}
        for kind in ("object", "array"):
            found = _branch(self.refs, pointer, target, kind)
            fresh_branch = _branch(self.inferred_refs, "", fresh, kind)
            if found is None or fresh_branch is None:
                continue
            where, node = found
            fresh_node = fresh_branch[1]
            if kind == "object":
                self._merge_properties(where, node, fresh_node, seen)
            elif isinstance(node.get("items"), dict) and isinstance(fresh_node.get("items"), dict):
                self.merge_schema(
                    join_pointer(where, "items"), node["items"], fresh_node["items"], seen
                )

    def _merge_properties(
        self, pointer: str, node: dict[str, Any], fresh: dict[str, Any], seen: set[str]
    ) -> None:
        fresh_properties = fresh.get("properties")
        if not isinstance(fresh_properties, dict):
            return
        properties = node.get("properties")
        if not isinstance(properties, dict):
            properties = node["properties"] = {}
        for name, schema in fresh_properties.items():
            if name in properties:
                self.merge_schema(
                    join_pointer(pointer, "properties", name), properties[name], schema, seen
                )
            else:
                properties[name] = copy.deepcopy(schema)
                self.added.append(join_pointer(pointer, "properties", name))
        for name in properties:
            if name not in fresh_properties:
                self.unobserved.append(join_pointer(pointer, "properties", name))

    # - messages -

    def existing_messages(self, pointer: str, messages: Any) -> list[_ExistingMessage]:
        found: list[_ExistingMessage] = []
        if not isinstance(messages, dict):
            return found
        for key, value in messages.items():
            node, where = self.refs.follow(value, join_pointer(pointer, key))
            if isinstance(node, dict) and "$ref" not in node:
                component = (
                    where.split("/")[-1] if where.startswith("/components/messages/") else None
                )
                found.append(
                    _ExistingMessage(key, where, node, component and unescape_token(component))
                )
        return found

    def match_messages(
        self, fresh: list[tuple[str, dict[str, Any]]], candidates: list[_ExistingMessage]
    ) -> dict[str, _ExistingMessage]:
        """Inferred message id → the existing message it describes."""
        matches: dict[str, _ExistingMessage] = {}
        free = list(candidates)
        for same in self._criteria():
            for message_id, message in fresh:
                if message_id in matches:
                    continue
                for candidate in free:
                    if same(message_id, message, candidate):
                        matches[message_id] = candidate
                        free.remove(candidate)
                        break
        return matches

    def _criteria(
        self,
    ) -> Iterator[Callable[[str, dict[str, Any], _ExistingMessage], bool]]:
        def by_name(_id: str, message: dict[str, Any], old: _ExistingMessage) -> bool:
            name = message.get("name")
            return name is not None and old.node.get("name") == name

        def by_discriminator(_id: str, message: dict[str, Any], old: _ExistingMessage) -> bool:
            key = f"{EXTENSION_PREFIX}discriminator"
            return key in message and old.node.get(key) == message[key]

        def by_id(message_id: str, _message: dict[str, Any], old: _ExistingMessage) -> bool:
            return old.component == message_id

        def by_shape(_id: str, message: dict[str, Any], old: _ExistingMessage) -> bool:
            # Kinds told apart by a discriminator share most fields: never match those by shape.
            key = f"{EXTENSION_PREFIX}discriminator"
            if key in message or key in old.node:
                return False
            fresh_names = _property_names(self.inferred_refs, message.get("payload"))
            old_names = _property_names(self.refs, old.node.get("payload"))
            if not fresh_names or not old_names:
                return False
            return len(fresh_names & old_names) * 2 >= len(fresh_names | old_names)

        yield by_name
        yield by_discriminator
        yield by_id
        yield by_shape

    def merge_message(self, old: _ExistingMessage, fresh: dict[str, Any]) -> None:
        for key in ("payload", "headers"):
            if key in fresh and key in old.node:
                fresh_schema, _ = self.inferred_refs.follow(fresh[key], "")
                payload = old.node[key]
                if isinstance(payload, dict) and "schemaFormat" in payload and "schema" in payload:
                    # A multi-format schema (AsyncAPI 3): merge into its schema when JSON.
                    if "json" not in str(payload["schemaFormat"]).lower() and "asyncapi" not in str(
                        payload["schemaFormat"]
                    ):
                        continue
                    self.merge_schema(
                        join_pointer(old.pointer, key, "schema"),
                        payload["schema"],
                        fresh_schema,
                        set(),
                    )
                else:
                    self.merge_schema(join_pointer(old.pointer, key), payload, fresh_schema, set())
        rest = {k: v for k, v in fresh.items() if k not in ("payload", "headers")}
        for key in ("payload", "headers"):
            if key in fresh and key not in old.node:
                rest[key] = self.copy_schema_ref(fresh[key])
        self.merge_plain(old.node, rest)

    def copy_schema_ref(self, value: Any) -> Any:
        """A copy of an inferred payload/headers field, with its schema component added."""
        schema_id = _ref_id(value, "#/components/schemas/")
        if schema_id is None:
            return copy.deepcopy(value)
        schemas = self.doc.setdefault("components", {}).setdefault("schemas", {})
        fresh_schema = self.inferred["components"]["schemas"][schema_id]
        # Reuse the component when it already holds exactly this schema (a re-run).
        if schemas.get(schema_id) == fresh_schema:
            return {"$ref": f"#/components/schemas/{escape_token(schema_id)}"}
        new_id = unique_key(schema_id, set(schemas))
        schemas[new_id] = copy.deepcopy(fresh_schema)
        self.added.append(join_pointer("/components/schemas", new_id))
        return {"$ref": f"#/components/schemas/{escape_token(new_id)}"}

    def add_message(self, message_id: str, fresh: dict[str, Any]) -> str:
        """Add an inferred message component; returns its id in the result."""
        messages = self.doc.setdefault("components", {}).setdefault("messages", {})
        new_id = unique_key(message_id, set(messages))
        message = {k: copy.deepcopy(v) for k, v in fresh.items() if k not in ("payload", "headers")}
        for key in ("payload", "headers"):
            if key in fresh:
                message[key] = self.copy_schema_ref(fresh[key])
        messages[new_id] = message
        self.added.append(join_pointer("/components/messages", new_id))
        self.message_ids[message_id] = new_id
        return new_id

    def inferred_message(self, ref: Any) -> tuple[str, dict[str, Any]] | None:
        message_id = _ref_id(ref, "#/components/messages/")
        if message_id is None:
            return None
        return message_id, self.inferred["components"]["messages"][message_id]

    # - AsyncAPI 3 -

    def merge_v3(self) -> None:
        self.merge_top()
        channels = self.doc.setdefault("channels", {})
        by_address: dict[str, str] = {}
        for channel_id in sorted(channels):
            node, _ = self.refs.follow(channels[channel_id], join_pointer("/channels", channel_id))
            if isinstance(node, dict) and isinstance(node.get("address"), str):
                by_address.setdefault(node["address"], channel_id)
        channel_ids: dict[str, str] = {}
        message_keys: dict[tuple[str, str], str] = {}
        for fresh_id, fresh in self.inferred.get("channels", {}).items():
            channel_id = by_address.get(fresh.get("address", ""))
            if channel_id is None and fresh_id in channels and "address" not in channels[fresh_id]:
                channel_id = fresh_id
            if channel_id is None:
                channel_id = unique_key(fresh_id, set(channels))
                channels[channel_id] = {}
                self.added.append(join_pointer("/channels", channel_id))
            channel_ids[fresh_id] = channel_id
            channel, pointer = self.refs.follow(
                channels[channel_id], join_pointer("/channels", channel_id)
            )
            if not isinstance(channel, dict):
                continue
            self.merge_plain(channel, {k: v for k, v in fresh.items() if k != "messages"})
            fresh_messages = fresh.get("messages", {})
            if not fresh_messages:
                continue
            channel_messages = channel.setdefault("messages", {})
            old = self.existing_messages(join_pointer(pointer, "messages"), channel_messages)
            wanted: list[tuple[str, dict[str, Any]]] = []
            keys: dict[str, str] = {}
            for key, ref in fresh_messages.items():
                found = self.inferred_message(ref)
                if found is not None:
                    wanted.append(found)
                    keys[found[0]] = key
            matches = self.match_messages(wanted, old)
            for message_id, message in wanted:
                match = matches.get(message_id)
                if match is not None:
                    self.merge_message(match, message)
                    message_keys[(fresh_id, keys[message_id])] = match.key
                    continue
                new_id = self.add_message(message_id, message)
                key = unique_key(keys[message_id], set(channel_messages))
                channel_messages[key] = {"$ref": f"#/components/messages/{escape_token(new_id)}"}
                self.added.append(join_pointer(pointer, "messages", key))
                message_keys[(fresh_id, keys[message_id])] = key
            matched_keys = {m.key for m in matches.values()}
            for item in old:
                if item.key not in matched_keys:
                    self.unobserved.append(join_pointer(pointer, "messages", item.key))
        self.merge_operations_v3(channel_ids, message_keys)

    def merge_operations_v3(
        self, channel_ids: dict[str, str], message_keys: dict[tuple[str, str], str]
    ) -> None:
        operations = self.doc.setdefault("operations", {})
        index: dict[tuple[Any, ...], str] = {}
        for operation_id in sorted(operations):
            operation = operations[operation_id]
            if isinstance(operation, dict):
                index.setdefault(self._operation_key(self.refs, operation), operation_id)
        for fresh_id, fresh in self.inferred.get("operations", {}).items():
            fresh_channel = _ref_id(fresh.get("channel"), "#/channels/")
            if fresh_channel is None or fresh_channel not in channel_ids:
                continue
            channel_id = channel_ids[fresh_channel]
            refs = []
            for ref in fresh.get("messages", []):
                value = ref.get("$ref", "") if isinstance(ref, dict) else ""
                key = unescape_token(value.rsplit("/", 1)[-1])
                mapped = message_keys.get((fresh_channel, key))
                if mapped is not None:
                    refs.append(
                        {"$ref": "#" + join_pointer("/channels", channel_id, "messages", mapped)}
                    )
            identity = self._operation_key(self.inferred_refs, fresh)
            operation_id = index.get(identity)
            if operation_id is None:
                operation = copy.deepcopy(fresh)
                operation["channel"] = {"$ref": f"#/channels/{escape_token(channel_id)}"}
                operation["messages"] = refs
                operation_id = unique_key(fresh_id, set(operations))
                operations[operation_id] = operation
                index[identity] = operation_id
                self.added.append(join_pointer("/operations", operation_id))
                continue
            operation = operations[operation_id]
            rest = {k: v for k, v in fresh.items() if k not in ("channel", "messages")}
            self.merge_plain(operation, rest)
            existing_refs = operation.get("messages")
            if isinstance(existing_refs, list):
                for ref in refs:
                    if ref not in existing_refs:
                        existing_refs.append(ref)

    def _operation_key(self, refs: Resolver, operation: dict[str, Any]) -> tuple[Any, ...]:
        channel, _ = refs.follow(operation.get("channel"), "")
        address = channel.get("address") if isinstance(channel, dict) else None
        return (operation.get("action"), address, _group_ids(operation))

    # - AsyncAPI 2.x -

    def merge_v2(self) -> None:
        self.merge_top()
        channels = self.doc.setdefault("channels", {})
        for topic, fresh in self.inferred.get("channels", {}).items():
            if topic not in channels:
                channels[topic] = {}
                self.added.append(join_pointer("/channels", topic))
            channel = channels[topic]
            if not isinstance(channel, dict):
                continue
            pointer = join_pointer("/channels", topic)
            plain = {k: v for k, v in fresh.items() if k not in ("publish", "subscribe")}
            self.merge_plain(channel, plain)
            observed: set[str] = set()
            existing_all: dict[str, _ExistingMessage] = {}
            for action in ("publish", "subscribe"):
                fresh_operation = fresh.get(action)
                if not isinstance(fresh_operation, dict):
                    continue
                operation = channel.setdefault(action, {})
                if not isinstance(operation, dict):
                    continue
                rest = {k: v for k, v in fresh_operation.items() if k != "message"}
                self.merge_plain(operation, rest)
                found = self._merge_v2_messages(
                    join_pointer(pointer, action), operation, fresh_operation
                )
                observed |= found[0]
                existing_all.update(found[1])
            for key, item in existing_all.items():
                if key not in observed:
                    self.unobserved.append(item.pointer)

    def _merge_v2_messages(
        self, pointer: str, operation: dict[str, Any], fresh_operation: dict[str, Any]
    ) -> tuple[set[str], dict[str, _ExistingMessage]]:
        fresh_refs = _v2_message_refs(fresh_operation.get("message"))
        wanted = [m for m in (self.inferred_message(r) for r in fresh_refs) if m is not None]
        current = operation.get("message")
        refs = _v2_message_refs(current)
        entries = {str(i): ref for i, ref in enumerate(refs)}
        old = self.existing_messages(join_pointer(pointer, "message"), entries)
        by_pointer = {item.pointer: item for item in old}
        matches = self.match_messages(wanted, old)
        additions: list[dict[str, Any]] = []
        for message_id, message in wanted:
            match = matches.get(message_id)
            if match is not None:
                self.merge_message(match, message)
                if match.component is not None:
                    self.message_ids.setdefault(message_id, match.component)
                continue
            # publish and subscribe share their messages: add each one once.
            new_id = self.message_ids.get(message_id) or self.add_message(message_id, message)
            ref = {"$ref": f"#/components/messages/{escape_token(new_id)}"}
            if ref not in refs:
                additions.append(ref)
        if additions:
            combined = [*refs, *additions]
            operation["message"] = combined[0] if len(combined) == 1 else {"oneOf": combined}
        observed = {m.pointer for m in matches.values()}
        return observed, by_pointer


def _v2_message_refs(message: Any) -> list[Any]:
    if isinstance(message, dict) and isinstance(message.get("oneOf"), list):
        return list(message["oneOf"])
    if isinstance(message, dict):
        return [message]
    return []


def _group_ids(operation: dict[str, Any]) -> tuple[str, ...] | None:
    bindings = operation.get("bindings")
    kafka = bindings.get("kafka") if isinstance(bindings, dict) else None
    group = kafka.get("groupId") if isinstance(kafka, dict) else None
    if isinstance(group, dict):
        if isinstance(group.get("enum"), list):
            return tuple(sorted(str(g) for g in group["enum"]))
        if "const" in group:
            return (str(group["const"]),)
    return None


def _branch(
    refs: Resolver, pointer: str, schema: dict[str, Any], kind: str
) -> tuple[str, dict[str, Any]] | None:
    """The part of ``schema`` describing values of JSON type ``kind`` (object or array)."""
    if _has_type(schema, kind):
        return pointer, schema
    for keyword in ("anyOf", "oneOf"):
        branches = schema.get(keyword)
        if not isinstance(branches, list):
            continue
        for index, branch in enumerate(branches):
            node, where = refs.follow(branch, join_pointer(pointer, keyword, str(index)))
            if isinstance(node, dict) and _has_type(node, kind):
                return where, node
    return None


def _has_type(schema: dict[str, Any], kind: str) -> bool:
    declared = schema.get("type")
    if declared == kind or (isinstance(declared, list) and kind in declared):
        return True
    if declared is None:
        return ("properties" in schema) if kind == "object" else ("items" in schema)
    return False


def _property_names(refs: Resolver, schema: Any) -> set[str]:
    node, _ = refs.follow(schema, "")
    if isinstance(node, dict) and isinstance(node.get("schema"), dict) and "schemaFormat" in node:
        node, _ = refs.follow(node["schema"], "")
    if not isinstance(node, dict):
        return set()
    found = _branch(refs, "", node, "object")
    if found is None or not isinstance(found[1].get("properties"), dict):
        return set()
    return set(found[1]["properties"])
