"""THE REFERENCE (the oracle) of the engine's fold: the Python observation the compiled
core (crates/inferrer-core) must equal, message for message. Not used in production.

Observations: what was seen on a topic, mutable while sampling, mergeable after.

* :class:`ShapeObservation` — one JSON value stream (a kind's payloads, the keys,
  the headers): a genson :class:`~inferrer.inference.strategies.StructureBuilder`
  fed one schema fragment per batch (skipped when it repeats the previous one), plus
  a :class:`~inferrer.inference.stats.FieldNode` statistics tree.

Messages are buffered per topic (:data:`BATCH_SIZE` or :data:`BATCH_BYTES`) and
processed a column at a time; ``to_dict`` flushes first, so buffering never shows.
* :class:`KindObservation` — one event kind: payloads, headers, timestamps, examples.
* :class:`TopicObservation` — one topic: kinds keyed by discriminator, keys,
  headers, encodings, envelope, framing, undecodable counts, anomalies (decoded
  payloads with duplicate keys or integers beyond 64 bits), tombstones, partitions.

Only the fold and ``to_dict`` are here: merging, loading and summaries are written
once, in production (:mod:`inferrer.inference.observation`, over the core's dicts).
"""

from __future__ import annotations

import heapq
import itertools
import operator
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from inferrer.decoding import PARTS_FIELDS, Parts
from inferrer.inference import rules
from inferrer.inference.canonical import canonical_json, sort_structure
from inferrer.inference.stats import FieldNode
from inferrer.inference.stats import process_column_reference as process_column
from inferrer.inference.strategies import StructureBuilder, apply_maps

FORMAT_VERSION: Final = 2
BATCH_SIZE: Final = 1024
BATCH_BYTES: Final = 8 << 20
"""A stream's buffer is processed at this many values or raw bytes, whichever first."""
KIND_EXAMPLES: Final = 3

_ENVELOPE_FIELDS: Final = frozenset({"ce_type", "op"})
SHAPE_GROUP_FIELD: Final = "@shape"
"""The group field of messages without a discriminator whose payload is an object:
they are grouped by their shape (:func:`shape_signature`)."""
MAX_SHAPES: Final = 256
"""More two-level shapes than this on one topic: groups of the top-level key set alone;
more of those: they are merged into one group."""
_DECODED: Final = frozenset({"json", "text"})
_KEY_DECODED: Final = _DECODED | {"int32", "int64"}
"""Keys also have values when read as Kafka Integer / Long serializer bytes."""

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
    _KEY_HINT,
) = range(len(PARTS_FIELDS))
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


def _keys_bytes(keys: Iterable[str]) -> bytes:
    return b"".join(len(raw).to_bytes(4, "big") + raw for raw in (k.encode("utf-8") for k in keys))


def shape_signature(value: dict[str, Any]) -> str:
    """CRC-32 of the sorted keys, each preceded by its UTF-8 length (4 bytes,
    big-endian), as eight hex digits; when some value is an object, a dot and the CRC-32
    of each such key (sorted), its key count (4 bytes, big-endian) and its sorted keys,
    encoded the same way. An object with a key that is data (:func:`rules.is_data_key`: a
    map's key) counts as empty."""
    keys = sorted(value)
    top = f"{zlib.crc32(_keys_bytes(keys)):08x}"
    nested = [
        _keys_bytes([k]) + len(sub).to_bytes(4, "big") + _keys_bytes(sub)
        for k in keys
        if type(child := value[k]) is dict
        for sub in [[] if any(map(rules.is_data_key, child)) else sorted(child)]
    ]
    return f"{top}.{zlib.crc32(b''.join(nested)):08x}" if nested else top


def _raw_group(p: Parts) -> tuple[str | None, str | None]:
    """(field, value) a message is grouped by before collapses: its discriminator, else
    its shape signature when its payload is an object."""
    if p[_KIND] is None or p[_KIND_FIELD] is None:
        value = p[_VALUE]
        if type(value) is dict:
            return SHAPE_GROUP_FIELD, shape_signature(value)
    return p[_KIND_FIELD], p[_KIND]


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
        """genson's structure, with the paths the key statistics call maps made maps."""
        schema = self._genson()
        return apply_maps(schema, self.root) if self.count else schema

    def _genson(self) -> dict[str, Any]:
        """genson's structure as built: records everywhere but on collapsed paths (the
        map decision is not monotone, so merges add this, not :meth:`structure`)."""
        self.flush()
        schema: dict[str, Any] = self.builder.to_schema()
        schema.pop("$schema", None)
        return schema

    def merge(self, other: ShapeObservation) -> None:
        self.flush()
        other.flush()
        self.count += other.count
        self.builder.add_schema(other._genson())
        self.root.merge(other.root)
        self.hints |= other.hints

    def to_dict(self) -> dict[str, Any]:
        self.flush()
        return {
            "count": self.count,
            "structure": sort_structure(self.structure()) if self.count or self.hints else {},
            "stats": self.root.to_dict(),
            "hints": sorted(self.hints),
        }


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


GroupKey = tuple[str, str] | None
"""(discriminator field, value), or None for messages without a discriminator."""


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
        self.shapes_coarse = False
        """True once more than MAX_SHAPES two-level shapes were seen: shape groups are
        keyed by their top-level signature alone."""
        self.shapes_collapsed = False
        """True once more than MAX_SHAPES shape groups were seen: they are one group."""
        self._pending: list[Parts] = []
        self._pending_bytes = 0

    # -- adding ------------------------------------------------------------------------

    def add_parts(self, parts: Parts) -> None:
        """Add one decoded message as a :data:`~inferrer.decoding.Parts` tuple (fast path)."""
        pending = self._pending
        pending.append(parts)
        self._pending_bytes += parts[_SIZE]
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
        if key_encodings <= _KEY_DECODED:
            self.key.add_many(list(map(_KEY_OF, batch)), 0)
        elif key_encodings & _KEY_DECODED:
            self.key.add_many([p[_KEY] for p in batch if p[_KEY_ENCODING] in _KEY_DECODED], 0)
        for p in batch:
            if p[_KEY_HINT] is not None:
                self.key.add_hint(p[_KEY_HINT])
        self.headers.add_many(list(map(_HEADERS_OF, batch)), 0)
        self.schema_ids.update(set(map(_SCHEMA_ID_OF, batch)) - {None})
        usable = batch if all_usable else [p for p in batch if p[_OK] and p[_ENCODING] != "null"]
        groups: dict[GroupKey, list[Parts]] = {}
        kinds = list(map(_raw_group, usable))
        if len(set(kinds)) <= 1:  # one kind in the whole batch
            if usable:
                groups[self._group_of(usable[0])] = usable
        else:  # one C-level selection per distinct kind, in batch order
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
        return self._group_key(*_raw_group(p))

    def _group_key(self, field_name: str | None, kind: str | None) -> GroupKey:
        if kind is None or field_name is None:
            return None
        if field_name == SHAPE_GROUP_FIELD:
            if self.shapes_collapsed:
                return None
            return (field_name, kind.split(".", 1)[0] if self.shapes_coarse else kind)
        if self.collapsed and field_name not in _ENVELOPE_FIELDS:
            return None
        return (field_name, kind)

    def _shape_groups(self) -> list[GroupKey]:
        return [g for g in self.groups if g is not None and g[0] == SHAPE_GROUP_FIELD]

    def _maybe_collapse(self) -> None:
        shape_groups = self._shape_groups()
        if not self.shapes_collapsed and (self.shapes_coarse or len(shape_groups) > MAX_SHAPES):
            self.shapes_coarse = True
            for g in shape_groups:
                assert g is not None
                target = self._group_key(*g)
                if target != g:
                    kind = self.groups.pop(g)
                    if target in self.groups:
                        self.groups[target].merge(kind)
                    else:
                        self.groups[target] = kind
            shape_groups = self._shape_groups()
        if self.shapes_collapsed or len(shape_groups) > MAX_SHAPES:
            self.shapes_collapsed = True
            self._merge_into_none(shape_groups)
        payload_groups = [
            g
            for g in self.groups
            if g is not None and g[0] != SHAPE_GROUP_FIELD and g[0] not in _ENVELOPE_FIELDS
        ]
        if not self.collapsed and len(payload_groups) <= rules.MAX_KINDS:
            return
        self.collapsed = True
        self._merge_into_none(payload_groups)

    def _merge_into_none(self, groups: list[GroupKey]) -> None:
        for g in groups:
            kind = self.groups.pop(g)
            target = self.groups.get(None)
            if target is None:
                self.groups[None] = kind
            else:
                target.merge(kind)

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
            "shapes_collapsed": self.shapes_collapsed,
            "shapes_coarse": self.shapes_coarse,
            "kinds": [
                {"field": None if g is None else g[0], "value": None if g is None else g[1]}
                | {"observation": k.to_dict()}
                for g, k in sorted(self.groups.items(), key=lambda kv: _group_sort_key(kv[0]))
            ],
        }


def _group_sort_key(g: GroupKey) -> tuple[str, str]:
    return ("", "") if g is None else g


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
