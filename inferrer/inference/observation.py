"""Observations: what was seen on a topic, folded by the engine, mergeable, summarized here.

The engine's compiled core (:mod:`inferrer.engine`) owns the state while messages are
folded. Here it is read and combined:

* :class:`TopicObservation` — one topic's observation, a handle on the core's
  ``Topic`` (merge, ``to_dict``/``from_dict``); :meth:`TopicObservation.summarize`
  gives the read-only :class:`~inferrer.model.TopicSummary`.
* :class:`KindObservation` / :class:`ShapeObservation` — read views of one event kind
  and of one stream of JSON values (a kind's payloads, the keys, the headers), made
  from the observation's dict form when a summary is written.

The dict form (format :data:`FORMAT_VERSION`) is the contract of saved observation
files and snapshots. :func:`merge` is associative and commutative.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from inferrer import _core
from inferrer.atomic import write_atomic
from inferrer.documents import check_header, parse_json, read_text
from inferrer.errors import ObservationError
from inferrer.inference import kinds as kind_rules
from inferrer.inference import rules
from inferrer.inference.canonical import annotate, finalize
from inferrer.inference.stats import FieldNode
from inferrer.jsonpointer import escape_token
from inferrer.model import (
    HEADER_KIND_PREFIX,
    RECORD_KIND_FIELD,
    FieldSummary,
    KindSummary,
    PayloadEncoding,
    TopicSummary,
)

FORMAT_VERSION: Final[int] = _core.FORMAT_VERSION
OBSERVATIONS: Final = "observations file"
"""Version of the observation dicts and files (the core's)."""

_ENVELOPE_FIELDS: Final = frozenset({"ce_type", "op", RECORD_KIND_FIELD})

GroupKey = tuple[str, str] | None
"""(discriminator field, value), or None for messages without a discriminator."""


class ShapeObservation:
    """A read view of one stream of JSON values: its structure, statistics and hints."""

    __slots__ = ("_root", "data")

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self._root: FieldNode | None = None

    @property
    def count(self) -> int:
        count: int = self.data["count"]
        return count

    @property
    def hints(self) -> list[str]:
        hints: list[str] = self.data["hints"]
        return hints

    @property
    def root(self) -> FieldNode:
        """The statistics tree (built once, on first use)."""
        if self._root is None:
            self._root = FieldNode.from_dict(self.data["stats"])
        return self._root

    def structure(self) -> dict[str, Any]:
        """Types, properties, required, items and maps; declared schemas merged in.

        A new dict each time (callers annotate it in place)."""
        return _structure_with_hints(self.data)

    def schema(self) -> dict[str, Any]:
        """The canonical JSON Schema of every value seen (with formats and enums)."""
        if self.count == 0 and not self.hints:
            return {}
        return finalize(annotate(self.structure(), self.root))

    def fields(self, messages: int) -> tuple[FieldSummary, ...]:
        """Field statistics, sorted by path."""
        out: list[FieldSummary] = []

        def visit(node: FieldNode, path: str) -> None:
            if path or node.n_obj != node.total:
                out.append(_field_summary(node, path or "", messages))
            if node.is_map():
                values = node.map_values()
                if values is not None:
                    visit(values, f"{path}/{{}}")
            else:
                for key, child in node.children.items():
                    visit(child, f"{path}/{escape_token(key)}")
            if node.items is not None:
                visit(node.items, f"{path}/*")

        if self.count:
            visit(self.root, "")
        return tuple(sorted(out, key=lambda f: f.path))


def _structure_with_hints(shape: Mapping[str, Any]) -> dict[str, Any]:
    """A shape dict's structure (the core derives it from the statistics), with declared
    schemas (Kafka Connect hints) merged by genson."""
    structure: dict[str, Any] = copy.deepcopy(shape["structure"])
    hints: list[str] = shape["hints"]
    if not hints:
        return structure
    # genson merges declared schemas (rare: Kafka Connect); loaded only for them.
    from inferrer.inference.strategies import StructureBuilder

    builder = StructureBuilder(schema_uri=None)
    if shape["count"]:
        builder.add_schema(structure)
    for hint in hints:
        builder.add_schema(json.loads(hint))
    merged: dict[str, Any] = builder.to_schema()
    merged.pop("$schema", None)
    return merged


def _key_schema(key: ShapeObservation) -> dict[str, Any]:
    """The key schema: text keys that are all digits (a numeric id written by a String
    serializer) keep ``type: string`` and get ``pattern: '^[0-9]+$'``."""
    schema = key.schema()
    if schema.get("type") in ("string", ["null", "string"]):
        schema.update(key.root.string_hint())
        schema = dict(sorted(schema.items()))
    return schema


def _headers_schema(headers: ShapeObservation) -> dict[str, Any]:
    """The headers schema: header values are text, so numeric and boolean values keep
    ``type: string`` with a ``pattern`` hint (``^[0-9]+$``, ``^-?[0-9]+([.][0-9]+)?$``,
    ``^(true|false)$``) where no format or enum already says more."""
    schema = headers.schema()
    for branch in schema.get("anyOf", [schema]):
        for name, sub in (branch.get("properties") or {}).items():
            child = headers.root.children.get(name)
            if child is None or "format" in sub or "enum" in sub:
                continue
            if sub.get("type") in ("string", ["null", "string"]):
                hint = child.string_hint()
                if hint:
                    sub.update(hint)
                    branch["properties"][name] = dict(sorted(sub.items()))
    return schema


def _finite(x: int | float | None) -> float | None:
    if x is None:
        return None
    try:
        # + 0.0: -0.0 and 0.0 both read as 0.0.
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


@dataclass
class KindObservation:
    """A read view of one event kind on one topic."""

    data: Mapping[str, Any]
    payload: ShapeObservation = field(init=False)
    headers: ShapeObservation = field(init=False)

    def __post_init__(self) -> None:
        self.payload = ShapeObservation(self.data["payload"])
        self.headers = ShapeObservation(self.data["headers"])

    @property
    def count(self) -> int:
        count: int = self.data["count"]
        return count

    @property
    def examples(self) -> list[tuple[int, str, int, int]]:
        """(value hash, canonical JSON, partition, offset), smallest hashes first."""
        return [(e[0], e[1], e[2], e[3]) for e in self.data["examples"]]

    @staticmethod
    def merged(kinds: Iterable[KindObservation]) -> KindObservation:
        """One kind of everything in ``kinds`` (merged by the core)."""
        return KindObservation(_core.merge_kinds([k.data for k in kinds]))


def _mode(counter: Mapping[str, int], default: Any) -> Any:
    if not counter:
        return default
    return min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]


class TopicObservation:
    """The mergeable observation of one topic (the core's ``Topic``)."""

    __slots__ = ("core",)

    def __init__(self, topic: str | _core.Topic) -> None:
        self.core: _core.Topic = _core.Topic(topic) if isinstance(topic, str) else topic

    @property
    def topic(self) -> str:
        name: str = self.core.topic
        return name

    @property
    def messages(self) -> int:
        n: int = self.core.messages
        return n

    @property
    def kind_limit_exceeded(self) -> bool:
        """Whether a payload discriminator took more than ``rules.MAX_KINDS`` values on
        this topic, so that its messages are described as one kind."""
        exceeded: bool = self.core.kind_limit_exceeded
        return exceeded

    @property
    def framed_binary(self) -> bool:
        """Whether some values were Schema Registry framed Avro or Protobuf, left undecoded."""
        framed: bool = self.core.framed_binary
        return framed

    def merge_from(self, other: TopicObservation) -> None:
        """Fold ``other`` (same topic) into this observation; ``other`` is unchanged."""
        self.core.merge(other.core)

    def copy(self) -> TopicObservation:
        return TopicObservation(self.core.copy())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form; :meth:`from_dict` reads it back."""
        data: dict[str, Any] = self.core.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TopicObservation:
        if not isinstance(data, Mapping) or data.get("version") != FORMAT_VERSION:
            topic = data.get("topic") if isinstance(data, Mapping) else None
            version = data.get("version") if isinstance(data, Mapping) else None
            raise ObservationError(
                f"observation of topic {topic!r} has format version "
                f"{version!r}; expected {FORMAT_VERSION}"
            )
        try:
            return cls(_core.Topic.from_dict(data))
        except KeyError as e:
            raise ObservationError(
                f"observation of topic {data.get('topic')!r} is invalid: no {e.args[0]!r} field"
            ) from e
        except (TypeError, ValueError) as e:
            raise ObservationError(
                f"observation of topic {data.get('topic')!r} is invalid: {e}"
            ) from e

    def summarize(self, choice: kind_rules.DiscriminatorChoice | None = None) -> TopicSummary:
        """The read-only summary: one :class:`KindSummary` per event kind, sorted by name;
        ``choice`` forces how the kinds are told apart."""
        d = self.to_dict()
        key = ShapeObservation(d["key"])
        headers = ShapeObservation(d["headers"])
        groups: dict[GroupKey, KindObservation] = {
            (None if e["field"] is None else (e["field"], e["value"])): KindObservation(
                e["observation"]
            )
            for e in d["kinds"]
        }
        kinds, selection = _resolve_kinds(self.topic, groups, choice)
        first, last = d["first_timestamp"], d["last_timestamp"]
        span = (last - first) / 1000 if first is not None and last is not None else 0
        encoding: PayloadEncoding = _mode(d["encodings"], "null" if d["tombstones"] else "json")
        return TopicSummary(
            topic=self.topic,
            messages=d["messages"],
            kinds=kinds,
            content_type=_mode(d["content_types"], None),
            encoding=encoding,
            envelope=_mode(d["envelopes"], "none"),
            framing=_mode(d["framings"], "none"),
            schema_ids=tuple(d["schema_ids"]),
            key_schema=_key_schema(key) if key.count else None,
            key_encoding=_mode(d["key_encodings"], "null"),
            headers_schema=_headers_schema(headers) if headers.root.children else None,
            undecodable=dict(d["undecodable"]),
            anomalies=dict(d["anomalies"]),
            tombstones=d["tombstones"],
            first_timestamp=first,
            last_timestamp=last,
            rate_per_second=round(d["timestamped"] / span, 3) if span > 0 else None,
            partitions_seen=tuple(d["partitions"]),
            kind_selection=selection,
        )


def _group_sort_key(g: GroupKey) -> tuple[str, str]:
    return ("", "") if g is None else g


def _top_level_keys(kind: KindObservation) -> frozenset[str]:
    """The kind's shape: its top-level properties, and those of each top-level record
    (an envelope's ``data`` or ``payload`` object often holds all that differs)."""
    keys: set[str] = set()
    for key, child in kind.payload.root.children.items():
        if not child.present:
            continue
        keys.add(key)
        if not child.is_map():
            keys.update(f"{key}/{sub}" for sub, grand in child.children.items() if grand.present)
    return frozenset(keys)


Named = tuple[str, GroupKey, KindObservation]


def _shape_group(g: tuple[str, str], k: KindObservation) -> kind_rules.ShapeGroup | None:
    root = k.payload.root
    if root.is_map() or k.payload.count != k.count:
        return None
    count = k.count
    values: dict[str, dict[str, int]] = {}
    nested: set[str] = set()
    for name, child in root.children.items():
        if child.n_str == count and child.strs is not None:
            values[name] = dict(child.strs)
        if child.n_obj != count or child.is_map():
            continue
        # A top-level record in every message (an envelope's metadata or data): its
        # keys are part of the shape, its string fields candidates.
        for sub, grand in child.children.items():
            if grand.present == count and not rules.is_data_key(sub):
                nested.add(f"{name}/{sub}")
            if grand.n_str == count and grand.strs is not None:
                values[kind_rules.nested_name(name, sub)] = dict(grand.strs)
    for name, child in k.headers.root.children.items():
        if child.n_str == count and child.strs is not None:
            values[HEADER_KIND_PREFIX + name] = dict(child.strs)
    keys = frozenset(n for n, c in root.children.items() if c.present)
    return kind_rules.ShapeGroup(g[1], count, keys, values, frozenset(nested))


def _merged(kinds: list[KindObservation]) -> KindObservation:
    return kinds[0] if len(kinds) == 1 else KindObservation.merged(kinds)


def _split_by(
    field_name: str,
    groups: Mapping[str, tuple[kind_rules.ShapeGroup, KindObservation]],
    cells: Mapping[str, Mapping[str, int]],
) -> list[Named]:
    """One kind per value of ``field_name`` over shape groups. A group holding several
    values (kinds of one shape) feeds each of them; the count is the value's own."""
    out: list[Named] = []
    for value in sorted(cells):
        sigs = sorted(cells[value])
        kinds = [groups[s][1] for s in sigs]
        kind = _merged(kinds)
        n = sum(cells[value].values())
        if n != kind.count:
            data = dict(kind.data)
            data["count"] = n
            if not field_name.startswith(HEADER_KIND_PREFIX):
                path = kind_rules.field_tokens(field_name)
                data["examples"] = [
                    e for e in data["examples"] if _value_at(json.loads(e[1]), path) == value
                ]
            kind = KindObservation(data)
        g = (field_name, value)
        out.append((rules.pascal_case(_kind_name(g)), g, kind))
    return out


def _value_at(value: Any, path: Sequence[str]) -> Any:
    for token in path:
        if not isinstance(value, dict):
            return None
        value = value.get(token)
    return value


def _resolve_kinds(
    topic: str,
    groups: Mapping[GroupKey, KindObservation],
    choice: kind_rules.DiscriminatorChoice | None = None,
) -> tuple[tuple[KindSummary, ...], dict[str, Any] | None]:
    """Apply the discriminator rules and name the kinds; with the evidence of the choice.

    Envelope kinds (CloudEvents ``type``, Debezium ``op``) always split. Payload
    fields (``@type``, ``eventType``, ``event_type``, ``type``, ``kind``) and kind
    headers split a topic only when at least two values occur and their shapes
    (top-level property sets, and those of top-level records) differ; otherwise the
    topic has one kind (the field may still become an enum). Messages without any of
    these come in shape groups, split by the best ranked candidate field (also one of a
    top-level object, ``/metadata/type``) or header, else by shape clusters
    (:mod:`inferrer.inference.kinds`). ``choice`` forces a field, a header, or no split
    at all.
    """
    forced = None if choice is None else choice.field
    envelope = {g: k for g, k in groups.items() if g is not None and g[0] in _ENVELOPE_FIELDS}
    shaped = {
        g: k for g, k in groups.items() if g is not None and g[0] == kind_rules.SHAPE_GROUP_FIELD
    }
    payload = {
        g: k
        for g, k in groups.items()
        if g is not None and g[0] not in _ENVELOPE_FIELDS and g not in shaped
    }
    rest: list[KindObservation] = [] if groups.get(None) is None else [groups[None]]
    named: list[Named] = []
    selection: dict[str, Any] = {}
    if forced == kind_rules.NO_SPLIT:
        rest = [groups[g] for g in sorted(groups, key=_group_sort_key)]
        envelope, shaped, payload = {}, {}, {}
        selection = {"chosen": None, "forced": True}
    # Known payload fields and kind headers, grouped by the core.
    if payload:
        shapes = {_top_level_keys(k) for k in payload.values()}
        fields = {g[0] for g in payload if g is not None}
        chosen_known = None
        if forced is not None:
            chosen_known = next((f for f in sorted(fields) if _same_field(f, forced)), None)
        if chosen_known is not None or (forced is None and len(payload) >= 2 and len(shapes) >= 2):
            for g, k in payload.items():
                assert g is not None
                if chosen_known is None or g[0] == chosen_known:
                    named.append((rules.pascal_case(_kind_name(g)), g, k))
                else:
                    rest.append(k)
            selection = {
                "chosen": chosen_known or "+".join(sorted(fields)),
                "forced": forced is not None,
            }
        else:
            rest.extend(payload[g] for g in sorted(payload, key=_group_sort_key))
    # Shape groups: ranked candidates, else shape clusters.
    infos: dict[str, tuple[kind_rules.ShapeGroup, KindObservation]] = {}
    for g in sorted(shaped, key=_group_sort_key):
        assert g is not None
        info = _shape_group(g, shaped[g])
        if info is None:
            rest.append(shaped[g])
        else:
            infos[g[1]] = (info, shaped[g])
    if infos:
        named_shapes, leftover, shape_evidence = _resolve_shapes(topic, infos, forced)
        rest.extend(leftover)
        if named_shapes is None:
            rest.extend(k for _, k in infos.values())
        else:
            named.extend(named_shapes)
        if shape_evidence and (named_shapes is not None or not selection):
            selection = {**selection, **shape_evidence}
    for eg, k in envelope.items():
        assert eg is not None
        value = rules.DEBEZIUM_OPS.get(eg[1], eg[1]) if eg[0] == "op" else eg[1]
        if eg[0] == RECORD_KIND_FIELD:
            value = eg[1].rsplit(".", 1)[-1]
        named.append((rules.pascal_case(value), eg, k))
    if rest:
        named.append((rules.pascal_case(topic.rsplit(".", 1)[-1]), None, _merged(rest)))
    named.sort(key=lambda t: (t[0], _group_sort_key(t[1])))
    row = _debezium_row_schema([k for _, g, k in named if g is not None and g[0] == "op"])
    out: list[KindSummary] = []
    used: dict[str, int] = {}
    for name, key, kind in named:
        used[name] = used.get(name, 0) + 1
        unique = name if used[name] == 1 else f"{name}{used[name]}"
        summary = _kind_summary(unique, key, kind)
        if row is not None and key is not None and key[0] == "op":
            summary = _with_row_schema(summary, row)
        out.append(summary)
    if not selection.get("candidates") and selection.get("chosen") is None and not forced:
        selection = {}  # one kind, and nothing that looked like a discriminator
    return tuple(sorted(out, key=lambda s: s.name)), (selection or None)


def _same_field(field_name: str, wanted: str) -> bool:
    if wanted.startswith(HEADER_KIND_PREFIX) and field_name.startswith(HEADER_KIND_PREFIX):
        return field_name.lower() == wanted.lower()
    return field_name == wanted


def _resolve_shapes(
    topic: str,
    infos: Mapping[str, tuple[kind_rules.ShapeGroup, KindObservation]],
    forced: str | None,
) -> tuple[list[Named] | None, list[KindObservation], dict[str, Any]]:
    """Kinds of the shape groups (None: one kind with the rest), groups left for the
    rest, and the evidence."""
    shape_groups = [info for info, _ in infos.values()]
    # The ranking of all candidates only when a forced choice or no perfect known name
    # needs it (the same winner either way).
    ranked = kind_rules.rank_candidates(shape_groups, complete=forced is not None)
    evidence: dict[str, Any] = {
        "candidates": [c.evidence() for c in ranked if c.plausible][: kind_rules.MAX_LISTED]
    }
    if forced is not None:
        names = {n for g in shape_groups for n in g.values}
        name = next((n for n in sorted(names) if _same_field(n, forced)), None)
        if name is None:
            return None, [], {"chosen": None, "forced": True, "missing": forced, **evidence}
        cells: dict[str, dict[str, int]] = {}
        unassigned: list[KindObservation] = []
        for sig, (info, kind) in infos.items():
            if name in info.values:
                for value, n in info.values[name].items():
                    cells.setdefault(value, {})[sig] = n
            else:
                unassigned.append(kind)
        return (
            _split_by(name, infos, cells),
            unassigned,
            {
                "chosen": name,
                "forced": True,
                **evidence,
            },
        )
    best = ranked[0] if ranked and ranked[0].rejected is None else None
    if best is not None:
        return (
            _split_by(best.field, infos, best.cells),
            [],
            {
                "chosen": best.field,
                "forced": False,
                **evidence,
            },
        )
    clusters, why = kind_rules.shape_clusters(shape_groups)
    if not clusters:
        return None, [], {"chosen": None, "forced": False, "clusters": why, **evidence}
    common = kind_rules.common_keys(shape_groups)
    base = rules.pascal_case(topic.rsplit(".", 1)[-1])
    out: list[Named] = []
    for cluster in clusters:
        kind = _merged([infos[g.signature][1] for g in cluster])
        key = kind_rules.cluster_name_key(cluster, clusters)
        out.append((f"{base}With{rules.pascal_case(key)}", None, kind))
    return (
        out,
        [],
        {
            "chosen": "shape-clusters",
            "forced": False,
            "clusters": [sorted(kind_rules.common_keys(c) - common) for c in clusters],
            **evidence,
        },
    )


def _debezium_row_schema(kinds: list[KindObservation]) -> dict[str, Any] | None:
    """One row schema for ``before`` and ``after`` of every Debezium kind of a topic:
    the statistics of every ``before``/``after`` merged by the core, then annotated."""
    sides: list[dict[str, Any]] = []
    for kind in kinds:
        children = kind.payload.data["stats"].get("children", {})
        for side in ("before", "after"):
            node = children.get(side)
            if node is not None:
                sides.append(node)
    if not sides:
        return None
    shape = _core.Shape.from_stats(sides)
    return finalize(annotate(shape.structure(), FieldNode.from_dict(shape.stats())))


def _with_row_schema(summary: KindSummary, row: dict[str, Any]) -> KindSummary:
    payload = dict(summary.payload_schema)
    properties = dict(payload.get("properties", {}))
    for side in ("before", "after"):
        if side in properties:
            properties[side] = row
    payload["properties"] = properties
    return dataclasses.replace(summary, payload_schema=payload, row_schema=row)


def _kind_name(g: tuple[str, str]) -> str:
    """The word a kind is named from: its value; a Java class's simple name for Spring
    Kafka's ``__TypeId__`` header (``com.acme.OrderPlaced`` → ``OrderPlaced``)."""
    field_name, value = g
    if field_name.lower() == HEADER_KIND_PREFIX + "__typeid__":
        return value.rsplit(".", 1)[-1].rsplit("$", 1)[-1] or value
    return value


def _pin_discriminator(schema: dict[str, Any], g: GroupKey) -> dict[str, Any]:
    """A payload discriminator is the kind's identity (its value names the message):
    its property lists that one value, although a constant is otherwise no enum."""
    if g is None or g[0] in _ENVELOPE_FIELDS or g[0].startswith(HEADER_KIND_PREFIX):
        return schema
    prop: Any = schema
    for token in kind_rules.field_tokens(g[0]):
        prop = (prop.get("properties") or {}).get(token) if isinstance(prop, dict) else None
    if isinstance(prop, dict) and prop.get("type") == "string":
        prop["enum"] = [g[1]]
    return schema


def _kind_summary(name: str, g: GroupKey, k: KindObservation) -> KindSummary:
    examples = k.examples
    example = examples[0] if examples else None
    return KindSummary(
        name=name,
        count=k.count,
        payload_schema=_pin_discriminator(k.payload.schema(), g),
        discriminator_field=None if g is None else g[0],
        discriminator_value=None if g is None else g[1],
        headers_schema=_headers_schema(k.headers) if k.headers.root.children else None,
        # A kind split off shape groups it shares counts fewer messages than its payload.
        fields=k.payload.fields(max(k.count, k.payload.count)),
        examples=tuple(json.loads(e[1]) for e in examples),
        first_timestamp=k.data["first_timestamp"],
        last_timestamp=k.data["last_timestamp"],
        example_partition=None if example is None else example[2],
        example_offset=None if example is None else example[3],
    )


def merge(a: TopicObservation, b: TopicObservation) -> TopicObservation:
    """A new observation of everything in ``a`` and ``b`` (same topic); inputs untouched."""
    if a.topic != b.topic:
        raise ValueError(f"cannot merge observations of {a.topic!r} and {b.topic!r}")
    out = a.copy()
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
                out[topic] = obs.copy()
    return out


SavedValues = Literal["digests", "verbatim"]
"""How a saved file holds sampled values (its ``values`` header field)."""


def observations_document(
    observations: Mapping[str, TopicObservation], *, keep_values: bool = False
) -> dict[str, Any]:
    """The saved-observation JSON value of ``observations`` (see :func:`save_observations`)."""
    from inferrer.inference.digest import strip_values

    topics = [observations[t].to_dict() for t in sorted(observations)]
    values: SavedValues = "verbatim" if keep_values else "digests"
    return {
        "version": FORMAT_VERSION,
        "values": values,
        "topics": topics if keep_values else [strip_values(t) for t in topics],
    }


def save_observations(
    observations: Mapping[str, TopicObservation], path: str | Path, *, keep_values: bool = False
) -> None:
    """Write observations as JSON, atomically (:func:`inferrer.atomic.write_atomic`).

    By default the file holds no sampled value (:func:`inferrer.inference.digest.
    strip_values`: digests and pre-redacted examples; header ``"values": "digests"``);
    a document inferred from it, or from merges of such files, is the one the live
    observations give. ``keep_values`` writes the values themselves (``"verbatim"``).
    Merge files saved the same way only: a value and its digest count as two values.
    """
    data = observations_document(observations, keep_values=keep_values)
    write_atomic(Path(path), json.dumps(data, sort_keys=True, ensure_ascii=True) + "\n")


def load_observations(path: str | Path) -> dict[str, TopicObservation]:
    """Read observations written by :func:`save_observations`."""
    where = str(path)
    data = parse_json(
        read_text(path, OBSERVATIONS, ObservationError), where, OBSERVATIONS, ObservationError
    )
    return observations_from_document(data, where)


def observations_from_document(data: Any, where: str) -> dict[str, TopicObservation]:
    """The observations of a saved-observations document (:func:`observations_document`)."""
    check_header(data, where, OBSERVATIONS, ObservationError, version=FORMAT_VERSION)
    try:
        return {t["topic"]: TopicObservation.from_dict(t) for t in data["topics"]}
    except (KeyError, TypeError, ValueError) as e:
        raise ObservationError(f"{where} is not a valid {OBSERVATIONS}: {e!r}") from e
