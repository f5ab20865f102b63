"""genson, extended the genson way: strategies registered on SchemaBuilder subclasses.

* :class:`RecordObject` / :class:`MapObject` — every object is added as a record;
  :func:`apply_maps` then turns the paths whose key statistics say map (see
  :func:`~inferrer.inference.rules.decide_map`) into ``additionalProperties`` with one
  value schema, not a property per key.
  ``required`` is always kept in the builder state (even when empty) so that a
  schema round-trips through ``to_schema``/``add_schema`` without losing it.
* :class:`FormatString` — tracks which formats every value matched, and the distinct
  values up to a bound, and emits ``format`` / ``enum`` by the rules in
  :mod:`~inferrer.inference.rules`.

:class:`StructureBuilder` knows maps but not formats or enums; the engine feeds it
once per distinct message shape and adds formats and enums from field statistics.
:class:`ReferenceBuilder` knows everything and is fed every message; it is the slow
reference the tests compare the engine against.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from genson import SchemaBuilder
from genson.schema.strategies import (
    Boolean,
    List,
    Null,
    Number,
    Object,
    SchemaStrategy,
    String,
    Tuple,
)

from inferrer.inference import rules
from inferrer.inference.stats import (  # builder-internal: a map's key families
    MAP_KEYS,
    MAP_PREFIX,
    FieldNode,
    process_column_reference,
)

ENUM_BOUND = 64


class RecordObject(Object):  # type: ignore[misc]
    """An object with named properties; ``required`` survives a round trip."""

    @staticmethod
    def match_schema(schema: dict[str, Any]) -> bool:
        return schema.get("type") == "object" and MAP_KEYS not in schema

    @staticmethod
    def match_object(obj: Any) -> bool:
        return isinstance(obj, dict)

    def add_object(self, obj: dict[str, Any]) -> None:
        super().add_object(obj)
        # Tell string strategies their field name: the enum rule never makes an
        # enum of a field named like an id.
        for name, node in self._properties.items():
            for strategy in node._active_strategies:
                strategy.field_name = name

    def to_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = super().to_schema()
        if self._required is not None:
            schema["required"] = sorted(self._required)
        return schema


class MapObject(SchemaStrategy):  # type: ignore[misc]
    """An object used as a map: one schema for the values of every key.

    Maps are decided per path from key statistics (:func:`apply_maps`), never per
    object, so this strategy only merges map schemas: key families by intersection,
    the id prefix when every schema has the same one."""

    KEYWORDS = ("type", "additionalProperties", MAP_KEYS, MAP_PREFIX)

    @staticmethod
    def match_schema(schema: dict[str, Any]) -> bool:
        return schema.get("type") == "object" and MAP_KEYS in schema

    @staticmethod
    def match_object(obj: Any) -> bool:
        return False

    def __init__(self, node_class: Any) -> None:
        super().__init__(node_class)
        self._values = node_class()
        self._key_classes: set[str] | None = None
        self._prefixes: set[str] = set()

    def add_schema(self, schema: dict[str, Any]) -> None:
        super().add_schema(schema)
        classes = set(schema.get(MAP_KEYS, ()))
        self._key_classes = classes if self._key_classes is None else self._key_classes & classes
        self._prefixes.add(schema.get(MAP_PREFIX, ""))
        if isinstance(schema.get("additionalProperties"), dict):
            self._values.add_schema(schema["additionalProperties"])

    def to_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = super().to_schema()
        schema["type"] = "object"
        schema[MAP_KEYS] = sorted(self._key_classes or ())
        if len(self._prefixes) == 1 and "" not in self._prefixes:
            schema[MAP_PREFIX] = next(iter(self._prefixes))
        values = self._values.to_schema()
        if values:
            schema["additionalProperties"] = values
        return schema


class FormatString(String):  # type: ignore[misc]
    """A string strategy that detects formats and enums from every value it sees."""

    KEYWORDS = ("type", "format", "enum")

    def __init__(self, node_class: Any) -> None:
        super().__init__(node_class)
        self._count = 0
        self._mask = rules.ALL_FORMATS_MASK
        self._distinct: Counter[str] | None = Counter()

    def add_object(self, obj: str) -> None:
        self._count += 1
        if self._mask:
            self._mask = rules.match_formats(obj, self._mask)
        if self._distinct is not None:
            self._distinct[obj] += 1
            if len(self._distinct) > ENUM_BOUND:
                self._distinct = None

    def to_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = super().to_schema()
        distinct = ENUM_BOUND + 1 if self._distinct is None else len(self._distinct)
        fmt = rules.decide_format(self._mask, distinct)
        if fmt is not None:
            schema["format"] = fmt
        enum = rules.decide_enum(getattr(self, "field_name", None), self._count, self._distinct)
        if enum is not None:
            schema["enum"] = list(enum)
        return schema


STRUCTURE_STRATEGIES = (Null, Boolean, Number, String, List, Tuple, MapObject, RecordObject)


class StructureBuilder(SchemaBuilder):  # type: ignore[misc]
    """Types, properties, required, items and maps; no formats or enums."""

    STRATEGIES = STRUCTURE_STRATEGIES


class ReferenceBuilder(SchemaBuilder):  # type: ignore[misc]
    """Everything, from every value: the slow reference for the engine's output."""

    STRATEGIES = (Null, Boolean, Number, FormatString, List, Tuple, MapObject, RecordObject)


def infer_reference_schema(
    values: Iterable[Any], hints: Iterable[Mapping[str, Any]] = ()
) -> dict[str, Any]:
    """The slow reference: every value through :class:`ReferenceBuilder`, canonical.

    The engine (:class:`~inferrer.inference.observation.ShapeObservation`) must give
    the same schema; the tests hold it to that.
    """
    from inferrer.inference.canonical import finalize

    builder = ReferenceBuilder(schema_uri=None)
    node = FieldNode()
    seen = False
    values = list(values)
    for value in values:
        builder.add_object(value)
        seen = True
    if values:
        process_column_reference(values, node, None)
    for hint in hints:
        builder.add_schema(dict(hint))
        seen = True
    if not seen:
        return {}
    schema: dict[str, Any] = builder.to_schema()
    schema.pop("$schema", None)
    return finalize(apply_maps(schema, node))


def _object_branch(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "object"


def apply_maps(schema: dict[str, Any], node: FieldNode | None) -> dict[str, Any]:
    """A genson schema with every object path that ``node``'s key statistics call a map
    (:meth:`FieldNode.is_map`) turned into one map schema: its record and map branches
    merged by genson into the schema of the values. A new dict; input untouched."""
    if node is None:
        return schema
    s = dict(schema)
    if "anyOf" in s:
        branches = [b for b in s["anyOf"] if not (_object_branch(b) and node.is_map())]
        objects = [b for b in s["anyOf"] if _object_branch(b) and node.is_map()]
        rest = [apply_maps(b, node) for b in branches]
        if objects:
            rest.append(_map_schema(objects, node))
        if len(rest) == 1:
            del s["anyOf"]
            s.update(rest[0])
        else:
            s["anyOf"] = sorted(rest, key=_canonical)
        return s
    if _object_branch(s) and node.is_map():
        return _map_schema([s], node)
    if isinstance(s.get("properties"), dict):
        s["properties"] = {
            k: apply_maps(v, node.children.get(k)) for k, v in s["properties"].items()
        }
    if isinstance(s.get("items"), dict):
        s["items"] = apply_maps(s["items"], node.items)
    return s


def _canonical(value: Any) -> str:
    from inferrer.inference.canonical import canonical_json

    return canonical_json(value)


def _map_schema(objects: list[dict[str, Any]], node: FieldNode) -> dict[str, Any]:
    values = StructureBuilder(schema_uri=None)
    for obj in objects:
        for sub in (obj.get("properties") or {}).values():
            values.add_schema(sub)
        if isinstance(obj.get("additionalProperties"), dict):
            values.add_schema(obj["additionalProperties"])
    value_schema: dict[str, Any] = values.to_schema()
    value_schema.pop("$schema", None)
    out: dict[str, Any] = {
        "type": "object",
        MAP_KEYS: rules.families_of(node.map_families()),
        "additionalProperties": apply_maps(value_schema, node.map_values()),
    }
    prefix = node.map_prefix()
    if prefix and node.map_families() & rules.family_mask([rules.ID_CLASS]):
        out[MAP_PREFIX] = prefix
    return out
