"""THE REFERENCE (the oracle) of the engine's fold: the Python observation the compiled
core (crates/inferrer-core) must equal, message for message. Not used in production.

Observations: what was seen on a topic, mutable while sampling, mergeable after.

* :class:`ShapeObservation` — one JSON value stream (a kind's payloads, the keys,
  the headers): a genson :class:`~inferrer.inference.strategies.StructureBuilder`
  fed one schema fragment per batch (skipped when it repeats the previous one), plus
  a :class:`~inferrer.inference.stats.FieldNode` statistics tree.

Messages are buffered per topic (:data:`BATCH_SIZE` or :data:`BATCH_BYTES`) and
processed a column at a time; every reader (``summarize``, ``to_dict``, merging)
flushes first, so buffering never shows.
* :class:`KindObservation` — one event kind: payloads, headers, timestamps, examples.
* :class:`TopicObservation` — one topic: kinds keyed by discriminator, keys,
  headers, encodings, envelope, framing, undecodable counts, anomalies (decoded
  payloads with duplicate keys or integers beyond 64 bits), tombstones, partitions.

:func:`merge` is associative and commutative; ``to_dict``/``from_dict`` round-trip
through JSON; :meth:`TopicObservation.summarize` gives the read-only
:class:`~inferrer.model.TopicSummary`.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import json
import operator
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from inferrer.atomic import write_atomic
from inferrer.decoding import PARTS_FIELDS, Parts, parts_of
from inferrer.errors import CaptureError
from inferrer.inference import rules
from inferrer.inference.canonical import annotate, canonical_json, finalize, sort_structure
from inferrer.inference.stats import FieldNode
from inferrer.inference.stats import process_column_reference as process_column
from inferrer.inference.strategies import StructureBuilder
from inferrer.jsonpointer import escape_token
from inferrer.model import (
    DecodedMessage,
    FieldSummary,
    KindSummary,
    PayloadEncoding,
    TopicSummary,
)

FORMAT_VERSION: Final = 2
BATCH_SIZE: Final = 1024
BATCH_BYTES: Final = 8 << 20
"""A stream's buffer is processed at this many values or raw bytes, whichever first."""
KIND_EXAMPLES: Final = 3

_ENVELOPE_FIELDS: Final = frozenset({"ce_type", "op"})
_DECODED: Final = frozenset({"json", "text"})

(
    _PARTITION,
    _OFFSET,
    _TIMESTAMP,
    _OK,
    _REASON,
    _VALUE,
    _KEY,
    _KEY_ENCODING,
    _HEADERS,
    _ENCODING,
    _CONTENT_TYPE,
    _ENVELOPE,
    _FRAMING,
    _SCHEMA_ID,
    _KIND,
    _KIND_FIELD,
    _SIZE,
    _HASH,
    _HINT,
) = range(len(PARTS_FIELDS))
_KIND_OF = operator.itemgetter(_KIND_FIELD, _KIND)
_ENCODING_OF = operator.itemgetter(_ENCODING)
_VALUE_OF = operator.itemgetter(_VALUE)
_SIZE_OF = operator.itemgetter(_SIZE)
_HINT_OF = operator.itemgetter(_HINT)
_HEADERS_OF = operator.itemgetter(_HEADERS)
_HASH_OF = operator.itemgetter(_HASH)
_PARTITION_OF = operator.itemgetter(_PARTITION)
_TIMESTAMP_OF = operator.itemgetter(_TIMESTAMP)
_KEY_OF = operator.itemgetter(_KEY)
_KEY_ENCODING_OF = operator.itemgetter(_KEY_ENCODING)
_SCHEMA_ID_OF = operator.itemgetter(_SCHEMA_ID)


def _time_range(batch: list[Parts]) -> tuple[int | None, int | None, int]:
    """(first, last, how many) timestamps of a batch."""
    return _stamp_range(list(map(_TIMESTAMP_OF, batch)))


def _stamp_range(stamps: list[int | None]) -> tuple[int | None, int | None, int]:
    """(first, last, how many) of timestamps, None meaning unknown."""
    try:  # the common case: every timestamp known (min fails on None among ints)
        first, last = min(stamps), max(stamps)  # type: ignore[type-var]
    except TypeError:
        first = last = None
    if first is not None and last is not None:
        return first, last, len(stamps)
    known: list[int] = [t for t in stamps if t is not None]
    if not known:
        return None, None, 0
    return min(known), max(known), len(known)


def _KIND_SORT(k: tuple[str | None, str | None]) -> tuple[str, str]:
    return (k[0] or "", k[1] or "")


_META = operator.itemgetter(
    _OK, _REASON, _KEY_ENCODING, _CONTENT_TYPE, _ENCODING, _ENVELOPE, _FRAMING
)


class ShapeObservation:
    """Schema structure (genson) and field statistics of one stream of JSON values.

    Values are buffered and processed a column at a time
    (:func:`~inferrer.inference.stats.process_column`): statistics in C-level loops,
    and genson gets one schema fragment per batch (skipped when it repeats the last
    one) instead of one ``add_object`` per message.
    """

    __slots__ = (
        "_last_fragment",
        "_pending",
        "_pending_bytes",
        "builder",
        "count",
        "hints",
        "root",
    )

    def __init__(self) -> None:
        self.builder = StructureBuilder(schema_uri=None)
        self.root = FieldNode()
        self.count = 0
        self.hints: set[str] = set()
        self._pending: list[Any] = []
        self._pending_bytes = 0
        self._last_fragment: dict[str, Any] | None = None

    def add(self, value: Any, size: int = 0) -> None:
        """Add one JSON value (``size``: its raw size, to bound the buffer's memory)."""
        self.count += 1
        pending = self._pending
        pending.append(value)
        self._pending_bytes += size
        if len(pending) >= BATCH_SIZE or self._pending_bytes >= BATCH_BYTES:
            self.flush()

    def add_many(self, values: list[Any], size: int) -> None:
        """Add several JSON values (``size``: their total raw size)."""
        self.count += len(values)
        self._pending.extend(values)
        self._pending_bytes += size
        if len(self._pending) >= BATCH_SIZE or self._pending_bytes >= BATCH_BYTES:
            self.flush()

    def flush(self) -> None:
        """Process the buffered values."""
        if not self._pending:
            return
        fragment = process_column(self._pending, self.root, None)
        self._pending = []
        self._pending_bytes = 0
        if fragment != self._last_fragment:
            self.builder.add_schema(fragment)
            self._last_fragment = fragment

    def add_hint(self, hint: Mapping[str, Any]) -> None:
        """Merge a declared schema (Kafka Connect) into the structure, once per hint."""
        key = canonical_json(hint)
        if key not in self.hints:
            self.hints.add(key)
            self.builder.add_schema(dict(hint))

    def structure(self) -> dict[str, Any]:
        self.flush()
        schema: dict[str, Any] = self.builder.to_schema()
        schema.pop("$schema", None)
        return schema

    def schema(self) -> dict[str, Any]:
        """The canonical JSON Schema of every value added (with formats and enums)."""
        if self.count == 0 and not self.hints:
            return {}
        self.flush()
        return finalize(annotate(self.structure(), self.root))

    def merge(self, other: ShapeObservation) -> None:
        self.flush()
        other.flush()
        self.count += other.count
        self.builder.add_schema(other.structure())
        self.root.merge(other.root)
        self.hints |= other.hints

    def fields(self, messages: int) -> tuple[FieldSummary, ...]:
        """Field statistics, sorted by path."""
        self.flush()
        out: list[FieldSummary] = []

        def visit(node: FieldNode, path: str) -> None:
            if path or node.n_obj != node.total:
                out.append(_field_summary(node, path or "", messages))
            for key, child in node.children.items():
                visit(child, f"{path}/{escape_token(key)}")
            if node.items is not None:
                visit(node.items, f"{path}/*")
            if node.values is not None:
                visit(node.values, f"{path}/{{}}")

        if self.count:
            visit(self.root, "")
        return tuple(sorted(out, key=lambda f: f.path))

    def to_dict(self) -> dict[str, Any]:
        self.flush()
        return {
            "count": self.count,
            "structure": sort_structure(self.structure()) if self.count or self.hints else {},
            "stats": self.root.to_dict(),
            "hints": sorted(self.hints),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ShapeObservation:
        obs = cls()
        obs.count = data["count"]
        if data["structure"]:
            obs.builder.add_schema(data["structure"])
        obs.root = FieldNode.from_dict(data["stats"])
        obs.hints = set(data["hints"])
        return obs


def _finite(x: int | float | None) -> float | None:
    if x is None:
        return None
    try:
        # + 0.0: -0.0 and 0.0 tie as minimum or maximum, and which one a node keeps
        # depends on the order values came in; both read as 0.0.
        return float(x) + 0.0
    except OverflowError:
        return float("inf") if x > 0 else float("-inf")


def _field_summary(node: FieldNode, path: str, messages: int) -> FieldSummary:
    total = node.total
    distinct, approximate = node.distinct()
    return FieldSummary(
        path=path,
        types=node.types(),
        present=node.present,
        presence_ratio=round(node.present / messages, 6) if messages else 0.0,
        null_ratio=round(node.n_null / total, 6) if total else 0.0,
        distinct=distinct,
        distinct_approximate=approximate,
        minimum=_finite(node.min_num),
        maximum=_finite(node.max_num),
        min_length=node.min_len if node.min_len >= 0 else None,
        max_length=node.max_len if node.max_len >= 0 else None,
        format=node.string_format(),
        enum=node.string_enum(),
        examples=node.examples(),
    )


def _min_opt(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def _max_opt(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


@dataclass
class KindObservation:
    """Everything seen for one event kind on one topic."""

    count: int = 0
    payload: ShapeObservation = field(default_factory=ShapeObservation)
    headers: ShapeObservation = field(default_factory=ShapeObservation)
    first_timestamp: int | None = None
    last_timestamp: int | None = None
    examples: list[tuple[int, str, int, int]] = field(default_factory=list)
    """(value hash, canonical JSON, partition, offset), the smallest hashes first."""

    def add_many(self, batch: list[Parts]) -> None:
        """Add a batch of decoded messages (as :data:`~inferrer.decoding.Parts`) of this kind."""
        # Column extraction with C-level map(itemgetter) where possible: this runs
        # once per message.
        self.count += len(batch)
        # Binary, Avro and Protobuf payloads count, but have no JSON value to infer from.
        if set(map(_ENCODING_OF, batch)) <= _DECODED:
            decoded = batch
        else:
            decoded = [p for p in batch if p[_ENCODING] in _DECODED]
        self.payload.add_many(list(map(_VALUE_OF, decoded)), sum(map(_SIZE_OF, decoded)))
        if any(map(_HINT_OF, batch)):
            hints = {canonical_json(p[_HINT]): p[_HINT] for p in batch if p[_HINT] is not None}
            for hint in hints.values():
                self.payload.add_hint(hint)
        self.headers.add_many(list(map(_HEADERS_OF, batch)), 0)
        first, last, _ = _time_range(batch)
        self.first_timestamp = _min_opt(self.first_timestamp, first)
        self.last_timestamp = _max_opt(self.last_timestamp, last)
        ex = self.examples
        limit = ex[-1][0] if len(ex) >= KIND_EXAMPLES else 1 << 33
        if not decoded or min(map(_HASH_OF, decoded)) > limit:
            return  # the common case once examples are chosen: nothing smaller here
        # The smallest distinct hashes, each at its lowest position: order-independent.
        lowest: dict[int, Parts] = {}
        for p in decoded:
            h = p[_HASH]
            if h <= limit:
                seen = lowest.get(h)
                if seen is None or (p[_PARTITION], p[_OFFSET]) < (seen[_PARTITION], seen[_OFFSET]):
                    lowest[h] = p
        for h in heapq.nsmallest(KIND_EXAMPLES, lowest):
            p = lowest[h]
            self._add_example((h, canonical_json(p[_VALUE]), p[_PARTITION], p[_OFFSET]))

    def _add_example(self, entry: tuple[int, str, int, int]) -> None:
        ex = self.examples
        if any(e[0] == entry[0] and e[1] == entry[1] for e in ex):
            # the same payload twice: keep the lowest position, order-independently
            ex[:] = [min(e, entry) if e[:2] == entry[:2] else e for e in ex]
            return
        ex.append(entry)
        ex.sort()
        del ex[KIND_EXAMPLES:]

    def flush(self) -> None:
        self.payload.flush()
        self.headers.flush()

    def merge(self, other: KindObservation) -> None:
        self.count += other.count
        self.payload.merge(other.payload)
        self.headers.merge(other.headers)
        self.first_timestamp = _min_opt(self.first_timestamp, other.first_timestamp)
        self.last_timestamp = _max_opt(self.last_timestamp, other.last_timestamp)
        for e in other.examples:
            self._add_example(e)

    def to_dict(self) -> dict[str, Any]:
        self.flush()
        return {
            "count": self.count,
            "payload": self.payload.to_dict(),
            "headers": self.headers.to_dict(),
            "first_timestamp": self.first_timestamp,
            "last_timestamp": self.last_timestamp,
            "examples": [list(e) for e in self.examples],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KindObservation:
        return cls(
            count=data["count"],
            payload=ShapeObservation.from_dict(data["payload"]),
            headers=ShapeObservation.from_dict(data["headers"]),
            first_timestamp=data["first_timestamp"],
            last_timestamp=data["last_timestamp"],
            examples=[(e[0], e[1], e[2], e[3]) for e in data["examples"]],
        )


GroupKey = tuple[str, str] | None
"""(discriminator field, value), or None for messages without a discriminator."""


def _mode(counter: Mapping[str, int], default: Any) -> Any:
    if not counter:
        return default
    return min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]


class TopicObservation:
    """The mutable, mergeable observation of one topic."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.messages = 0
        self.tombstones = 0
        self.undecodable: Counter[str] = Counter()
        self.anomalies: Counter[str] = Counter()
        """Decoded messages per anomaly (:data:`~inferrer.decoding.ANOMALIES`)."""
        self.encodings: Counter[str] = Counter()
        self.key_encodings: Counter[str] = Counter()
        self.content_types: Counter[str] = Counter()
        self.envelopes: Counter[str] = Counter()
        self.framings: Counter[str] = Counter()
        self.schema_ids: set[int] = set()
        self.partitions: set[int] = set()
        self.first_timestamp: int | None = None
        self.last_timestamp: int | None = None
        self.timestamped = 0
        self.key = ShapeObservation()
        self.headers = ShapeObservation()
        self.groups: dict[GroupKey, KindObservation] = {}
        self.collapsed = False
        """True once payload discriminator values exceeded MAX_KINDS: not a discriminator."""
        self._pending: list[Parts] = []
        self._pending_bytes = 0

    # -- adding ------------------------------------------------------------------------

    def add(self, msg: DecodedMessage) -> None:
        """Add one decoded message of this topic."""
        self.add_parts(parts_of(msg))

    def add_parts(self, parts: Parts) -> None:
        """Add one decoded message as a :data:`~inferrer.decoding.Parts` tuple (fast path)."""
        pending = self._pending
        pending.append(parts)
        self._pending_bytes += parts[_SIZE]
        if len(pending) >= BATCH_SIZE or self._pending_bytes >= BATCH_BYTES:
            self.flush()

    def add_parts_many(self, parts: list[Parts]) -> None:
        """Add several decoded messages of this topic (see :meth:`add_parts`)."""
        pending = self._pending
        pending.extend(parts)
        self._pending_bytes += sum(map(_SIZE_OF, parts))
        if len(pending) >= BATCH_SIZE or self._pending_bytes >= BATCH_BYTES:
            self.flush()

    def flush(self) -> None:
        """Process the buffered messages, a column at a time."""
        batch = self._pending
        if not batch:
            return
        self._pending = []
        self._pending_bytes = 0
        self.messages += len(batch)
        self.partitions.update(map(_PARTITION_OF, batch))
        first, last, stamped = _time_range(batch)
        self.timestamped += stamped
        self.first_timestamp = _min_opt(self.first_timestamp, first)
        self.last_timestamp = _max_opt(self.last_timestamp, last)
        all_usable = True
        for (ok, reason, key_enc, ctype, enc, envelope, framing), n in Counter(
            map(_META, batch)
        ).items():
            all_usable = all_usable and ok and enc != "null"
            self.key_encodings[key_enc] += n
            if ctype is not None:
                self.content_types[ctype] += n
            if not ok:
                self.undecodable[reason or "unknown"] += n
                continue
            if reason is not None:
                for anomaly in reason.split(","):
                    self.anomalies[anomaly] += n
            self.framings[framing] += n
            if enc == "null":
                self.tombstones += n
                continue
            self.encodings[enc] += n
            self.envelopes[envelope] += n
        key_encodings = set(map(_KEY_ENCODING_OF, batch))
        if key_encodings <= _DECODED:
            self.key.add_many(list(map(_KEY_OF, batch)), 0)
        elif key_encodings & _DECODED:
            self.key.add_many([p[_KEY] for p in batch if p[_KEY_ENCODING] in _DECODED], 0)
        self.headers.add_many(list(map(_HEADERS_OF, batch)), 0)
        self.schema_ids.update(set(map(_SCHEMA_ID_OF, batch)) - {None})
        usable = batch if all_usable else [p for p in batch if p[_OK] and p[_ENCODING] != "null"]
        groups: dict[GroupKey, list[Parts]] = {}
        if len({*map(_KIND_OF, usable)}) <= 1:  # one kind in the whole batch
            if usable:
                groups[self._group_of(usable[0])] = usable
        else:  # one C-level selection per distinct kind, in batch order
            kinds = list(map(_KIND_OF, usable))
            for k in sorted(set(kinds), key=_KIND_SORT):
                bucket = list(itertools.compress(usable, map(k.__eq__, kinds)))
                groups.setdefault(self._group_of(bucket[0]), []).extend(bucket)
        for first_key in sorted(groups, key=_group_sort_key):
            bucket = groups[first_key]
            g = self._group_of(bucket[0])  # again: a collapse may have happened meanwhile
            kind = self.groups.get(g)
            if kind is None:
                self.groups[g] = KindObservation()
                self._maybe_collapse()
                kind = self.groups[self._group_of(bucket[0])]
            kind.add_many(bucket)

    def _group_of(self, p: Parts) -> GroupKey:
        return self._group_key(p[_KIND_FIELD], p[_KIND])

    def _group_key(self, field_name: str | None, kind: str | None) -> GroupKey:
        if kind is None or field_name is None:
            return None
        if self.collapsed and field_name not in _ENVELOPE_FIELDS:
            return None
        return (field_name, kind)

    def _maybe_collapse(self) -> None:
        payload_groups = [g for g in self.groups if g is not None and g[0] not in _ENVELOPE_FIELDS]
        if not self.collapsed and len(payload_groups) <= rules.MAX_KINDS:
            return
        self.collapsed = True
        for g in payload_groups:
            kind = self.groups.pop(g)
            target = self.groups.get(None)
            if target is None:
                self.groups[None] = kind
            else:
                target.merge(kind)

    # -- merging -----------------------------------------------------------------------

    def merge_from(self, other: TopicObservation) -> None:
        """Fold ``other`` (same topic) into this observation."""
        self.flush()
        other.flush()
        self.messages += other.messages
        self.tombstones += other.tombstones
        self.timestamped += other.timestamped
        for mine, theirs in (
            (self.undecodable, other.undecodable),
            (self.anomalies, other.anomalies),
            (self.encodings, other.encodings),
            (self.key_encodings, other.key_encodings),
            (self.content_types, other.content_types),
            (self.envelopes, other.envelopes),
            (self.framings, other.framings),
        ):
            mine.update(theirs)
        self.schema_ids |= other.schema_ids
        self.partitions |= other.partitions
        self.first_timestamp = _min_opt(self.first_timestamp, other.first_timestamp)
        self.last_timestamp = _max_opt(self.last_timestamp, other.last_timestamp)
        self.key.merge(other.key)
        self.headers.merge(other.headers)
        self.collapsed = self.collapsed or other.collapsed
        for g, kind in sorted(other.groups.items(), key=lambda kv: _group_sort_key(kv[0])):
            copy = KindObservation.from_dict(kind.to_dict())
            mine_kind = self.groups.get(g)
            if mine_kind is None:
                self.groups[g] = copy
            else:
                mine_kind.merge(copy)
        self._maybe_collapse()

    # -- serialising -------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form; :meth:`from_dict` reads it back."""
        self.flush()
        return {
            "version": FORMAT_VERSION,
            "topic": self.topic,
            "messages": self.messages,
            "tombstones": self.tombstones,
            "undecodable": dict(sorted(self.undecodable.items())),
            "anomalies": dict(sorted(self.anomalies.items())),
            "encodings": dict(sorted(self.encodings.items())),
            "key_encodings": dict(sorted(self.key_encodings.items())),
            "content_types": dict(sorted(self.content_types.items())),
            "envelopes": dict(sorted(self.envelopes.items())),
            "framings": dict(sorted(self.framings.items())),
            "schema_ids": sorted(self.schema_ids),
            "partitions": sorted(self.partitions),
            "first_timestamp": self.first_timestamp,
            "last_timestamp": self.last_timestamp,
            "timestamped": self.timestamped,
            "key": self.key.to_dict(),
            "headers": self.headers.to_dict(),
            "collapsed": self.collapsed,
            "kinds": [
                {"field": None if g is None else g[0], "value": None if g is None else g[1]}
                | {"observation": k.to_dict()}
                for g, k in sorted(self.groups.items(), key=lambda kv: _group_sort_key(kv[0]))
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TopicObservation:
        if data.get("version") != FORMAT_VERSION:
            raise CaptureError(
                f"observation of topic {data.get('topic')!r} has format version "
                f"{data.get('version')!r}; expected {FORMAT_VERSION}"
            )
        obs = cls(data["topic"])
        obs.messages = data["messages"]
        obs.tombstones = data["tombstones"]
        obs.undecodable = Counter(data["undecodable"])
        obs.anomalies = Counter(data.get("anomalies", {}))  # absent before anomalies
        obs.encodings = Counter(data["encodings"])
        obs.key_encodings = Counter(data["key_encodings"])
        obs.content_types = Counter(data["content_types"])
        obs.envelopes = Counter(data["envelopes"])
        obs.framings = Counter(data["framings"])
        obs.schema_ids = set(data["schema_ids"])
        obs.partitions = set(data["partitions"])
        obs.first_timestamp = data["first_timestamp"]
        obs.last_timestamp = data["last_timestamp"]
        obs.timestamped = data["timestamped"]
        obs.key = ShapeObservation.from_dict(data["key"])
        obs.headers = ShapeObservation.from_dict(data["headers"])
        obs.collapsed = data["collapsed"]
        for entry in data["kinds"]:
            g: GroupKey = None if entry["field"] is None else (entry["field"], entry["value"])
            obs.groups[g] = KindObservation.from_dict(entry["observation"])
        return obs

    # -- summarising -------------------------------------------------------------------

    def summarize(self) -> TopicSummary:
        """The read-only summary: one :class:`KindSummary` per event kind, sorted by name."""
        self.flush()
        self.key.flush()
        self.headers.flush()
        for kind in self.groups.values():
            kind.flush()
        kinds = _resolve_kinds(self.topic, self.groups)
        span = (
            (self.last_timestamp - self.first_timestamp) / 1000
            if self.first_timestamp is not None and self.last_timestamp is not None
            else 0
        )
        encoding: PayloadEncoding = _mode(self.encodings, "null" if self.tombstones else "json")
        headers_schema = self.headers.schema() if self.headers.root.children else None
        return TopicSummary(
            topic=self.topic,
            messages=self.messages,
            kinds=kinds,
            content_type=_mode(self.content_types, None),
            encoding=encoding,
            envelope=_mode(self.envelopes, "none"),
            framing=_mode(self.framings, "none"),
            schema_ids=tuple(sorted(self.schema_ids)),
            key_schema=self.key.schema() if self.key.count else None,
            key_encoding=_mode(self.key_encodings, "null"),
            headers_schema=headers_schema,
            undecodable=dict(sorted(self.undecodable.items())),
            anomalies=dict(sorted(self.anomalies.items())),
            tombstones=self.tombstones,
            first_timestamp=self.first_timestamp,
            last_timestamp=self.last_timestamp,
            rate_per_second=round(self.timestamped / span, 3) if span > 0 else None,
            partitions_seen=tuple(sorted(self.partitions)),
        )


def _group_sort_key(g: GroupKey) -> tuple[str, str]:
    return ("", "") if g is None else g


def _top_level_keys(kind: KindObservation) -> frozenset[str]:
    return frozenset(k for k, c in kind.payload.root.children.items() if c.present)


def _resolve_kinds(
    topic: str, groups: Mapping[GroupKey, KindObservation]
) -> tuple[KindSummary, ...]:
    """Apply the discriminator rule and name the kinds.

    Envelope kinds (CloudEvents ``type``, Debezium ``op``) always split. Payload
    fields (``@type``, ``eventType``, ``event_type``, ``type``, ``kind``) split a topic
    only when at least two values occur and their top-level property sets differ;
    otherwise the topic has one kind (the field may still become an enum).
    """
    envelope = {g: k for g, k in groups.items() if g is not None and g[0] in _ENVELOPE_FIELDS}
    payload = {g: k for g, k in groups.items() if g is not None and g[0] not in _ENVELOPE_FIELDS}
    plain = groups.get(None)
    shapes = {_top_level_keys(k) for k in payload.values()}
    named: list[tuple[str, GroupKey, KindObservation]] = []
    if len(payload) >= 2 and len(shapes) >= 2:
        for g, k in payload.items():
            assert g is not None
            named.append((rules.pascal_case(g[1]), g, k))
        rest = plain
    else:
        rest = None
        sources = [
            k2
            for pg in sorted([*payload, None], key=_group_sort_key)
            if (k2 := plain if pg is None else payload[pg]) is not None
        ]
        if len(sources) == 1:
            rest = sources[0]  # read only below: no copy needed
        elif sources:
            rest = KindObservation.from_dict(sources[0].to_dict())
            for k2 in sources[1:]:
                rest.merge(k2)
    for eg, k in envelope.items():
        assert eg is not None
        value = rules.DEBEZIUM_OPS.get(eg[1], eg[1]) if eg[0] == "op" else eg[1]
        named.append((rules.pascal_case(value), eg, k))
    if rest is not None:
        named.append((rules.pascal_case(topic.rsplit(".", 1)[-1]), None, rest))
    named.sort(key=lambda t: (t[0], _group_sort_key(t[1])))
    row = _debezium_row_schema([k for _, g, k in named if g is not None and g[0] == "op"])
    out: list[KindSummary] = []
    used: Counter[str] = Counter()
    for name, key, kind in named:
        used[name] += 1
        unique = name if used[name] == 1 else f"{name}{used[name]}"
        summary = _kind_summary(unique, key, kind)
        if row is not None and key is not None and key[0] == "op":
            summary = _with_row_schema(summary, row)
        out.append(summary)
    return tuple(sorted(out, key=lambda s: s.name))


def _debezium_row_schema(kinds: list[KindObservation]) -> dict[str, Any] | None:
    """One row schema for ``before`` and ``after`` of every Debezium kind of a topic.

    Built the genson way: the structures of every ``before``/``after`` merged with
    ``add_schema``, annotated from their merged field statistics.
    """
    builder = StructureBuilder(schema_uri=None)
    stats = FieldNode()
    seen = False
    for kind in kinds:
        structure = kind.payload.structure()
        for side in ("before", "after"):
            sub = structure.get("properties", {}).get(side)
            node = kind.payload.root.children.get(side)
            if sub is not None and node is not None:
                builder.add_schema(sub)
                stats.merge(node)
                seen = True
    if not seen:
        return None
    schema: dict[str, Any] = builder.to_schema()
    return finalize(annotate(schema, stats))


def _with_row_schema(summary: KindSummary, row: dict[str, Any]) -> KindSummary:
    payload = dict(summary.payload_schema)
    properties = dict(payload.get("properties", {}))
    for side in ("before", "after"):
        if side in properties:
            properties[side] = row
    payload["properties"] = properties
    return dataclasses.replace(summary, payload_schema=payload, row_schema=row)


def _kind_summary(name: str, g: GroupKey, k: KindObservation) -> KindSummary:
    example = k.examples[0] if k.examples else None
    return KindSummary(
        name=name,
        count=k.count,
        payload_schema=k.payload.schema(),
        discriminator_field=None if g is None else g[0],
        discriminator_value=None if g is None else g[1],
        headers_schema=k.headers.schema() if k.headers.root.children else None,
        fields=k.payload.fields(k.count),
        examples=tuple(json.loads(e[1]) for e in k.examples),
        first_timestamp=k.first_timestamp,
        last_timestamp=k.last_timestamp,
        example_partition=None if example is None else example[2],
        example_offset=None if example is None else example[3],
    )


def merge(a: TopicObservation, b: TopicObservation) -> TopicObservation:
    """A new observation of everything in ``a`` and ``b`` (same topic); inputs untouched."""
    if a.topic != b.topic:
        raise ValueError(f"cannot merge observations of {a.topic!r} and {b.topic!r}")
    out = TopicObservation.from_dict(a.to_dict())
    out.merge_from(b)
    return out


def merge_all(
    observations: Iterable[Mapping[str, TopicObservation]],
) -> dict[str, TopicObservation]:
    """Merge per-topic observation maps (e.g. from several processes) by topic."""
    out: dict[str, TopicObservation] = {}
    for obs_map in observations:
        for topic, obs in obs_map.items():
            if topic in out:
                out[topic].merge_from(obs)
            else:
                out[topic] = TopicObservation.from_dict(obs.to_dict())
    return out


def save_observations(observations: Mapping[str, TopicObservation], path: str | Path) -> None:
    """Write observations as JSON, atomically (:func:`inferrer.atomic.write_atomic`)."""
    target = Path(path)
    data = {
        "version": FORMAT_VERSION,
        "topics": [observations[t].to_dict() for t in sorted(observations)],
    }
    write_atomic(target, json.dumps(data, sort_keys=True, ensure_ascii=True) + "\n")


def load_observations(path: str | Path) -> dict[str, TopicObservation]:
    """Read observations written by :func:`save_observations`."""
    target = Path(path)
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
    except OSError as e:
        raise CaptureError(f"cannot read observations from {target}: {e.strerror}") from e
    except ValueError as e:
        raise CaptureError(f"{target} is not an observations file: invalid JSON") from e
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
        raise CaptureError(f"{target} is not an observations file of version {FORMAT_VERSION}")
    try:
        return {t["topic"]: TopicObservation.from_dict(t) for t in data["topics"]}
    except (KeyError, TypeError, ValueError) as e:
        raise CaptureError(f"{target} is not a valid observations file: {e!r}") from e


def observe_reference(records: Iterable[Any]) -> dict[str, TopicObservation]:
    """The reference fold: every record through the Python decoder, then the Python
    observation (genson structure, column-wise statistics)."""
    from inferrer.decoding import decode_parts

    out: dict[str, TopicObservation] = {}
    for record in records:
        obs = out.get(record.topic)
        if obs is None:
            obs = out[record.topic] = TopicObservation(record.topic)
        obs.add_parts(decode_parts(record))
    return out
