"""Redacted examples: the real structure, with placeholder leaf values.

A redacted example keeps every object key and array length of the sampled
payload, and replaces each leaf value by a fixed placeholder of the same JSON
type that keeps the value's format (an email stays a well-formed address at
example.com, a date-time stays a valid date-time, a uuid stays a uuid).
Booleans and nulls are kept: they carry no personal data and keep the example
true to the schema. Values listed in the schema's ``enum`` (or ``const``) are
kept. Keys of map-like objects (a schema with ``additionalProperties`` and no
``properties``) are data too and are replaced by ``key1``, ``key2``..., and so is any
key the schema does not declare that looks like data rather than a field name
(:func:`is_data_key`: a number, a uuid, a date, an email address, a name with spaces).

Redaction is deterministic and uses no randomness.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from typing import Any

from inferrer.inference.rules import is_data_key
from inferrer.model import json_type

# The standard library's regular expression parser; private, hence loaded untyped.
_re_parser: Any = importlib.import_module("re._parser")

_PLACEHOLDER_BY_FORMAT: dict[str, str] = {
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "00:00:00Z",
    "duration": "PT1H",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "uri": "https://example.com/",
    "iri": "https://example.com/",
    "uri-reference": "https://example.com/",
    "uri-template": "https://example.com/{id}",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
}

_GENERIC_STRING = "string"


def placeholder_for_format(fmt: str | None) -> str:
    """The placeholder a string of format ``fmt`` (None: no format) is redacted to when
    the schema asks for nothing more (no pattern, no length)."""
    return _PLACEHOLDER_BY_FORMAT.get(fmt or "", _GENERIC_STRING)


def detect_format(value: str) -> str | None:
    """The format a string value has (uuid, email, date-time ...) by the inference's own
    grammar (:mod:`inferrer.inference.rules`, ``grammar.json``), or None. A value is
    never given a placeholder of a format the inference would not have claimed for it."""
    from inferrer.engine import match_formats
    from inferrer.inference.rules import ALL_FORMATS_MASK, FORMAT_HINTS, FORMATS

    mask = match_formats(value, ALL_FORMATS_MASK)
    for index, name in enumerate(FORMATS):
        if mask >> index & 1 and name not in FORMAT_HINTS:
            return name
    return None


def example_for_schema(schema: Mapping[str, Any]) -> Any:
    """A placeholder value built from ``schema`` alone: every declared property, one
    entry of each map and array, placeholders by type and format, ``const`` and the
    first ``enum`` value kept. The same schema always gives the same example, so a
    document's example does not change when the traffic behind it does not."""
    return _example(schema, 0)


_MAX_EXAMPLE_DEPTH = 64


def _example(schema: Any, depth: int) -> Any:
    if not isinstance(schema, Mapping) or depth > _MAX_EXAMPLE_DEPTH:
        return None
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    for keyword in ("anyOf", "oneOf"):
        branches = schema.get(keyword)
        if isinstance(branches, list) and branches:
            chosen = next(
                (b for b in branches if isinstance(b, Mapping) and b.get("type") != "null"),
                branches[0],
            )
            return _example(chosen, depth + 1)
    declared = schema.get("type")
    names = declared if isinstance(declared, list) else [declared]
    concrete = [n for n in names if isinstance(n, str) and n != "null"]
    kind = concrete[0] if concrete else ("null" if "null" in names else _implied_type(schema))
    if kind == "object":
        return _example_object(schema, depth)
    if kind == "array":
        items = schema.get("items")
        low = schema.get("minItems")
        count = max(1, low) if isinstance(low, int) else 1
        return [_example(items, depth + 1) for _ in range(count)] if items is not None else []
    if kind == "string":
        return _redact_string("", schema)
    if kind == "integer":
        return _clamp_int(0, schema)
    if kind == "number":
        return float(_clamp_number(0.0, schema))
    if kind == "boolean":
        return True
    return None


def _implied_type(schema: Mapping[str, Any]) -> str | None:
    if any(k in schema for k in ("properties", "additionalProperties", "patternProperties")):
        return "object"
    if "items" in schema:
        return "array"
    return None


def _example_object(schema: Mapping[str, Any], depth: int) -> dict[str, Any]:
    result: dict[str, Any] = {}
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        for name, sub in properties.items():
            result[str(name)] = _example(sub, depth + 1)
    if result:
        return result
    patterns = schema.get("patternProperties")
    if isinstance(patterns, Mapping):
        for pattern, sub in patterns.items():
            key = sample_for_pattern(str(pattern))
            if key is not None:
                return {key: _example(sub, depth + 1)}
    additional = schema.get("additionalProperties")
    if isinstance(additional, Mapping):
        names = schema.get("propertyNames")
        key = _redact_string("", names) if isinstance(names, Mapping) else "key1"
        return {key: _example(additional, depth + 1)}
    return result


def redact_path(path: str) -> str:
    """A JSON pointer (or field path) with each token that is data (:func:`is_data_key`)
    replaced by ``{}``, as the map's values are written in field paths."""
    from inferrer.jsonpointer import unescape_token

    if not path.startswith("/"):
        return path
    tokens = path.split("/")[1:]
    return "".join(
        "/{}" if t not in ("", "*", "{}") and is_data_key(unescape_token(t)) else f"/{t}"
        for t in tokens
    )


def redact_example(value: Any, schema: Mapping[str, Any] | None = None) -> Any:
    """Return ``value`` with every leaf replaced by a type- and format-preserving placeholder.

    ``schema`` is the JSON Schema of ``value`` (optional); it supplies formats,
    enums, length and range constraints, and tells maps from records.
    """
    return _redact(value, schema or {})


def _redact(value: Any, schema: Mapping[str, Any]) -> Any:
    schema = _select_branch(schema, value)
    if _is_kept(value, schema):
        return value
    if isinstance(value, dict):
        return _redact_object(value, schema)
    if isinstance(value, list):
        items = schema.get("items")
        item_schema = items if isinstance(items, Mapping) else {}
        return [_redact(v, item_schema) for v in value]
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return _clamp_int(0, schema)
    if isinstance(value, float):
        return float(_clamp_number(0.0, schema))
    if isinstance(value, str):
        return _redact_string(value, schema)
    return None


def _redact_object(value: dict[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    properties = schema.get("properties")
    properties = properties if isinstance(properties, Mapping) else {}
    additional = schema.get("additionalProperties")
    additional_schema = additional if isinstance(additional, Mapping) else {}
    is_map = not properties and isinstance(additional, Mapping)
    result: dict[str, Any] = {}
    for index, key in enumerate(value, start=1):
        child_schema = properties.get(key)
        if not isinstance(child_schema, Mapping):
            child_schema = additional_schema
        declared = key in properties
        new_key = f"key{index}" if is_map or (not declared and is_data_key(key)) else key
        result[new_key] = _redact(value[key], child_schema)
    return result


def _is_kept(value: Any, schema: Mapping[str, Any]) -> bool:
    enum = schema.get("enum")
    if isinstance(enum, list) and any(_same(value, e) for e in enum):
        return True
    return "const" in schema and _same(value, schema["const"])


def _same(a: Any, b: Any) -> bool:
    # JSON equality: True is not 1.
    return type(a) is type(b) and a == b


def _select_branch(schema: Mapping[str, Any], value: Any) -> Mapping[str, Any]:
    for keyword in ("anyOf", "oneOf"):
        branches = schema.get(keyword)
        if isinstance(branches, list):
            for branch in branches:
                if isinstance(branch, Mapping) and _type_matches(branch.get("type"), value):
                    return branch
    return schema


def _type_matches(declared: Any, value: Any) -> bool:
    actual = json_type(value)
    names = declared if isinstance(declared, list) else [declared]
    return actual in names or (actual == "integer" and "number" in names)


def _clamp_int(default: int, schema: Mapping[str, Any]) -> int:
    return int(_clamp_number(default, schema))


def _clamp_number(default: float, schema: Mapping[str, Any]) -> float:
    low = schema.get("minimum")
    high = schema.get("maximum")
    result = default
    if isinstance(low, int | float) and not isinstance(low, bool) and result < low:
        result = low
    if isinstance(high, int | float) and not isinstance(high, bool) and result > high:
        result = high
    return result


def _redact_string(value: str, schema: Mapping[str, Any]) -> str:
    declared = schema.get("format")
    fmt = declared if isinstance(declared, str) else detect_format(value)
    placeholder = _PLACEHOLDER_BY_FORMAT.get(fmt or "")
    if placeholder is not None:
        return placeholder
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        sample = sample_for_pattern(pattern)
        if sample is not None:
            return sample
    return _fit_length(_GENERIC_STRING, schema)


class _Unsupported(Exception):
    """The pattern uses a construct the sample generator does not handle."""


def sample_for_pattern(pattern: str) -> str | None:
    """A short string matching the regular expression ``pattern``, or None.

    Takes the first alternative, the first character of each class and the
    minimum repetition; the result is checked against the pattern.
    """
    try:
        tree = _re_parser.parse(pattern)
        sample = _generate(tree)
    except (_Unsupported, re.error, RecursionError):
        return None
    return sample if re.search(pattern, sample) else None


def _generate(items: Any) -> str:
    return "".join(_generate_one(str(op), arg) for op, arg in items)


def _generate_one(op: str, arg: Any) -> str:
    if op == "LITERAL":
        return chr(arg)
    if op == "NOT_LITERAL":
        return "x" if chr(arg) != "x" else "y"
    if op == "ANY":
        return "x"
    if op == "AT":
        return ""
    if op == "IN":
        return _generate_class(arg)
    if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        low, _high, sub = arg
        return _generate(sub) * int(low)
    if op == "SUBPATTERN":
        return _generate(arg[-1])
    if op == "ATOMIC_GROUP":
        return _generate(arg)
    if op == "BRANCH":
        return _generate(arg[1][0])
    raise _Unsupported(op)


def _generate_class(items: Any) -> str:
    first_op, first_arg = items[0]
    name = str(first_op)
    if name == "LITERAL":
        return chr(first_arg)
    if name == "RANGE":
        return chr(first_arg[0])
    if name == "CATEGORY":
        category = str(first_arg)
        if category == "CATEGORY_DIGIT":
            return "0"
        if category == "CATEGORY_WORD":
            return "a"
        if category == "CATEGORY_SPACE":
            return " "
    raise _Unsupported(name)


def _fit_length(text: str, schema: Mapping[str, Any]) -> str:
    low = schema.get("minLength")
    high = schema.get("maxLength")
    if isinstance(low, int) and len(text) < low:
        text = text + "x" * (low - len(text))
    if isinstance(high, int) and len(text) > high:
        text = text[:high]
    return text
