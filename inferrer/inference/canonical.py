"""From builder output to the canonical JSON Schema a reader sees.

:func:`annotate` adds formats and enums decided from field statistics to a structure
schema; :func:`finalize` makes any schema canonical: builder-internal keywords become
``propertyNames``, empty ``required`` goes, an enum survives only where every non-null
value is a string (a format, which constrains strings only, also on a union's
strings), ``anyOf`` branches are merged and sorted, keys are sorted.
The same data therefore gives the same bytes, whatever the sample order.
"""

from __future__ import annotations

import json
from typing import Any

from inferrer.inference import rules
from inferrer.inference.stats import MAP_KEYS, MAP_PREFIX, FieldNode


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace: the key for ordering and hashing."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _types(schema: dict[str, Any]) -> set[str]:
    t = schema.get("type")
    if t is None:
        return set()
    return {t} if isinstance(t, str) else set(t)


def annotate(schema: dict[str, Any], node: FieldNode | None) -> dict[str, Any]:
    """Add ``format`` and ``enum`` from ``node``'s statistics, in place; returns schema."""
    if node is None:
        return schema
    if "anyOf" in schema:
        for branch in schema["anyOf"]:
            annotate(branch, node)
        return schema
    if "string" in _types(schema):
        fmt = node.string_format()
        if fmt is not None:
            schema["format"] = fmt
        enum = node.string_enum()
        if enum is not None:
            schema["enum"] = list(enum)
    for key, sub in (schema.get("properties") or {}).items():
        annotate(sub, node.children.get(key))
    if isinstance(schema.get("items"), dict):
        annotate(schema["items"], node.items)
    if isinstance(schema.get("additionalProperties"), dict):
        annotate(schema["additionalProperties"], node.map_values())
    return schema


def _strip_enum(schema: dict[str, Any]) -> None:
    schema.pop("enum", None)


def finalize(schema: dict[str, Any]) -> dict[str, Any]:
    """The canonical form of a builder's schema (a new dict; input untouched)."""
    out = _finalize(schema)
    out.pop("$schema", None)
    return out


def _finalize(schema: dict[str, Any]) -> dict[str, Any]:
    s = dict(schema)
    s.pop("$schema", None)
    if "anyOf" in s:
        # A null branch is bare: keywords of another type (merged into it from a
        # declared ``type: [T, null]`` schema) say nothing about null.
        branches = [
            {"type": "null"} if _types(b) == {"null"} else b
            for b in (_finalize(b) for b in s.pop("anyOf"))
        ]
        non_null = set().union(*(_types(b) for b in branches)) - {"null"}
        if non_null != {"string"}:
            for b in branches:
                if "string" in _types(b):
                    _strip_enum(b)
        merged_types: set[str] = set()
        rest: list[dict[str, Any]] = []
        for b in branches:
            if set(b) == {"type"}:
                merged_types |= _types(b)
            else:
                rest.append(b)
        if merged_types:
            t = sorted(merged_types)
            rest.append({"type": t[0] if len(t) == 1 else t})
        rest.sort(key=canonical_json)
        if len(rest) == 1:
            s.update(rest[0])
        else:
            s["anyOf"] = rest
    types = _types(s)
    if types and types - {"null", "string"} and "string" in types:
        # An enum would forbid the other types' values; a format constrains strings only,
        # so the string part of a union keeps it.
        _strip_enum(s)
    if "enum" in s and "null" in types:
        s["enum"] = [None, *s["enum"]]
    if MAP_KEYS in s:
        names = rules.map_key_names(
            rules.family_mask(s.pop(MAP_KEYS)), s.pop(MAP_PREFIX, None) or None
        )
        if names:
            s["propertyNames"] = names
    if "required" in s and not s["required"]:
        del s["required"]
    if "properties" in s:
        s["properties"] = {k: _finalize(v) for k, v in sorted(s["properties"].items())}
    for key in ("items", "additionalProperties"):
        if isinstance(s.get(key), dict):
            s[key] = _finalize(s[key])
    if isinstance(s.get("items"), list):
        s["items"] = [_finalize(i) for i in s["items"]]
    return {k: s[k] for k in sorted(s)}


def sort_structure(schema: Any) -> Any:
    """A builder schema in a fixed order (keys, ``anyOf`` branches), nothing else changed.

    Used for stored observations, so that equal observations serialise identically.
    """
    if isinstance(schema, list):
        return [sort_structure(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: sort_structure(schema[k]) for k in sorted(schema)}
    if isinstance(out.get("anyOf"), list):
        out["anyOf"] = sorted(out["anyOf"], key=canonical_json)
    if isinstance(out.get("properties"), dict):
        out["properties"] = {k: out["properties"][k] for k in sorted(out["properties"])}
    return out
