"""What a JSON Schema node says, read the same way by every kind of diff: the types it
allows, its enum values, the node at a path."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def schema_types(node: Any) -> frozenset[str] | None:
    """The JSON types a schema node allows, or None when it does not say."""
    if not isinstance(node, Mapping):
        return None
    t = node.get("type")
    if isinstance(t, str):
        return frozenset([t])
    if isinstance(t, list):
        return frozenset(str(x) for x in t)
    return None


def type_accepts(allowed: frozenset[str] | None, json_type: str) -> bool:
    """Whether a value of ``json_type`` fits ``allowed`` (integer fits number)."""
    if allowed is None:
        return True
    return json_type in allowed or (json_type == "integer" and "number" in allowed)


def enum_values(node: Any) -> list[Any] | None:
    """The values an ``enum`` (or ``const``) of a schema node allows, or None."""
    if not isinstance(node, Mapping):
        return None
    if "enum" in node and isinstance(node["enum"], list):
        return list(node["enum"])
    if "const" in node:
        return [node["const"]]
    return None


def node_at(schema: Any, node_path: Sequence[Any]) -> Any:
    """The node of ``schema`` at ``node_path`` (keys and list indexes), or None."""
    node = schema
    for token in node_path:
        if (isinstance(node, Mapping) and token in node) or (
            isinstance(node, list) and isinstance(token, int) and token < len(node)
        ):
            node = node[token]
        else:
            return None
    return node
