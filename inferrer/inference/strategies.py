"""genson, extended the genson way: strategies registered on SchemaBuilder subclasses.

* :class:`RecordObject` / :class:`MapObject` — an object whose keys are all ids,
  dates or codes of one class (see :func:`~inferrer.inference.rules.map_key_class`)
  is a map: ``additionalProperties`` with one value schema, not a property per key.
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
from inferrer.inference.stats import MAP_KEYS  # builder-internal: a map's key classes

ENUM_BOUND = 64


class RecordObject(Object):  # type: ignore[misc]
    """An object with named properties; ``required`` survives a round trip."""

    @staticmethod
    def match_schema(schema: dict[str, Any]) -> bool:
        return schema.get("type") == "object" and MAP_KEYS not in schema

    @staticmethod
    def match_object(obj: Any) -> bool:
        return isinstance(obj, dict) and rules.map_key_class(obj) is None

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
    """An object used as a map from ids/dates/codes to values of one schema."""

    KEYWORDS = ("type", "additionalProperties", MAP_KEYS)

    @staticmethod
    def match_schema(schema: dict[str, Any]) -> bool:
        return schema.get("type") == "object" and MAP_KEYS in schema

    @staticmethod
    def match_object(obj: Any) -> bool:
        return isinstance(obj, dict) and rules.map_key_class(obj) is not None

    def __init__(self, node_class: Any) -> None:
        super().__init__(node_class)
        self._values = node_class()
        self._key_classes: set[str] = set()

    def add_schema(self, schema: dict[str, Any]) -> None:
        super().add_schema(schema)
        self._key_classes.update(schema.get(MAP_KEYS, ()))
        if isinstance(schema.get("additionalProperties"), dict):
            self._values.add_schema(schema["additionalProperties"])

    def add_object(self, obj: dict[str, Any]) -> None:
        key_class = rules.map_key_class(obj)
        if key_class is not None:
            self._key_classes.add(key_class)
        for value in obj.values():
            self._values.add_object(value)

    def to_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = super().to_schema()
        schema["type"] = "object"
        schema[MAP_KEYS] = sorted(self._key_classes)
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
    seen = False
    for value in values:
        builder.add_object(value)
        seen = True
    for hint in hints:
        builder.add_schema(dict(hint))
        seen = True
    if not seen:
        return {}
    schema: dict[str, Any] = builder.to_schema()
    return finalize(schema)
