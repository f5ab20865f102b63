"""An Avro schema as the JSON Schema of its decoded values (as :mod:`.schemas` writes them).

Drift checks traffic against a committed document's payload; for a registry-backed
message that payload is Avro, and the traffic is its decoded datums as JSON. The
mapping follows the decoders: ``int``/``long`` → integer, ``float``/``double`` →
number, ``bytes``/``fixed`` → string (base64), an enum → its symbols, a record → an
object whose fields without a default are required (a reader fills in the others), a
map → an object, a
union → the union of its branches; logical types keep their JSON format: timestamps
are ``date-time``, ``date`` is ``date``, ``uuid`` is ``uuid``, decimals are text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

MAX_DEPTH: Final = 64

_PRIMITIVES: Final[Mapping[str, dict[str, Any]]] = {
    "null": {"type": "null"},
    "boolean": {"type": "boolean"},
    "int": {"type": "integer"},
    "long": {"type": "integer"},
    "float": {"type": "number"},
    "double": {"type": "number"},
    "bytes": {"type": "string"},
    "string": {"type": "string"},
}
_LOGICAL_FORMATS: Final[Mapping[str, str]] = {
    "timestamp-millis": "date-time",
    "timestamp-micros": "date-time",
    "date": "date",
    "uuid": "uuid",
}


def _full_name(name: str, namespace: str | None) -> str:
    return name if "." in name or not namespace else f"{namespace}.{name}"


def _union(branches: list[dict[str, Any]]) -> dict[str, Any]:
    # Branches that are bare types merge into one type list; others stay an anyOf.
    if all(set(b) == {"type"} and isinstance(b["type"], str) for b in branches):
        types = sorted({b["type"] for b in branches})
        return {"type": types[0] if len(types) == 1 else types}
    return {"anyOf": branches}


class _Converter:
    def __init__(self) -> None:
        self.named: dict[str, Any] = {}

    def convert(
        self, schema: Any, namespace: str | None, depth: int, stack: tuple[str, ...]
    ) -> dict[str, Any]:
        if depth > MAX_DEPTH:
            return {}
        if isinstance(schema, list):
            return _union([self.convert(b, namespace, depth + 1, stack) for b in schema])
        if isinstance(schema, str):
            if schema in _PRIMITIVES:
                return dict(_PRIMITIVES[schema])
            name = _full_name(schema, namespace)
            if name in stack or name not in self.named:
                return {}  # a recursive or unknown type: anything
            node = self.named[name]
            return self.convert(node, namespace, depth + 1, (*stack, name))
        if not isinstance(schema, Mapping):
            return {}
        kind = schema.get("type")
        logical = schema.get("logicalType")
        if kind in ("record", "error", "enum", "fixed") and isinstance(schema.get("name"), str):
            ns = schema.get("namespace") if isinstance(schema.get("namespace"), str) else namespace
            full = _full_name(schema["name"], ns)
            self.named.setdefault(full, schema)
            namespace = full.rpartition(".")[0] or None
            stack = (*stack, full)
        if logical == "decimal":
            return {"type": "string"}
        if isinstance(logical, str) and logical in _LOGICAL_FORMATS:
            return {"type": "string", "format": _LOGICAL_FORMATS[logical]}
        if kind in ("record", "error"):
            properties: dict[str, Any] = {}
            required: list[str] = []
            for f in schema.get("fields") or ():
                if isinstance(f, Mapping) and isinstance(f.get("name"), str):
                    properties[f["name"]] = self.convert(f.get("type"), namespace, depth + 1, stack)
                    # A field with a default is one a reader fills in when the writer had
                    # none: not required of the data (Avro's schema resolution).
                    if "default" not in f:
                        required.append(f["name"])
            return {"type": "object", "properties": properties, "required": sorted(required)}
        if kind == "enum":
            symbols = [s for s in schema.get("symbols") or () if isinstance(s, str)]
            return {"type": "string", "enum": symbols}
        if kind == "fixed":
            return {"type": "string"}
        if kind == "array":
            return {
                "type": "array",
                "items": self.convert(schema.get("items"), namespace, depth + 1, stack),
            }
        if kind == "map":
            values = self.convert(schema.get("values"), namespace, depth + 1, stack)
            return {"type": "object", "additionalProperties": values}
        if isinstance(kind, str | list):
            return self.convert(kind, namespace, depth + 1, stack)
        return {}


def avro_to_json_schema(schema: Any, references: list[Any] | None = None) -> dict[str, Any]:
    """The JSON Schema of the values an Avro ``schema`` decodes to; ``references`` are
    schemas (of other subjects) whose named types ``schema`` uses."""
    converter = _Converter()
    for ref in references or ():
        converter.convert(ref, None, 0, ())
    return converter.convert(schema, None, 0, ())
