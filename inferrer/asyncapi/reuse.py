"""Reuse: an object schema that occurs more than once is written once and referenced.

Structurally identical object schemas (the same properties, types, formats, required
fields...) with at least :data:`MIN_SHARED_PROPERTIES` properties become one entry of
``components/schemas``, and each occurrence a ``$ref`` to it: a previous address that
repeats the new address, a ``Money`` object in several events, Debezium's ``before`` and
``after`` rows. The largest repeated schema is taken first, so a shared schema that holds
another shared one refers to it in turn.

Names come from where the schema occurs, by these rules: the words every property name
holding it ends with (``address``, ``previousAddress`` → ``Address``), else the most
frequent of those names, then the shortest, then alphabetical; an array's name made
singular for its items (``lines`` → ``Line``, else ``…Item``), ``Value`` after a map's
name; ``before``/``after`` pairs (a change-data-capture row) are named after the message,
with ``Row``. A name already taken gets ``_2``, ``_3``... The result depends only on the
schemas, never on input order.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, Final

from inferrer.asyncapi.names import pascal, singular, unique_key, words

MIN_SHARED_PROPERTIES: Final = 2
"""An object schema needs at least this many properties to be worth a name of its own."""

_REF_PREFIX: Final = "#/components/schemas/"
_ROW_NAMES: Final = frozenset({"before", "after"})


def _canonical(schema: Any) -> str:
    return json.dumps(schema, sort_keys=True, separators=(",", ":"))


def _is_candidate(schema: Any) -> bool:
    if not isinstance(schema, dict) or "$ref" in schema:
        return False
    properties = schema.get("properties")
    return isinstance(properties, dict) and len(properties) >= MIN_SHARED_PROPERTIES


Setter = Callable[[Any], None]


def _slot(container: dict[str, Any] | list[Any], key: Any) -> Setter:
    def put(value: Any) -> None:
        container[key] = value

    return put


def _children(schema: dict[str, Any], name: str) -> Iterator[tuple[Setter, str, Any]]:
    """(where it sits, context name, child) for each direct subschema of ``schema``."""
    properties = schema.get("properties")
    if isinstance(properties, dict):
        for key, child in properties.items():
            yield _slot(properties, key), str(key), child
    items = schema.get("items")
    if isinstance(items, dict):
        item = singular(name)
        yield _slot(schema, "items"), item if item != name else f"{name}Item", items
    additional = schema.get("additionalProperties")
    if isinstance(additional, dict):
        yield _slot(schema, "additionalProperties"), f"{name}Value", additional
    patterns = schema.get("patternProperties")
    if isinstance(patterns, dict):
        for key, child in patterns.items():
            yield _slot(patterns, key), f"{name}Value", child
    for keyword in ("anyOf", "oneOf", "allOf"):
        branches = schema.get(keyword)
        if isinstance(branches, list):
            for index, child in enumerate(branches):
                yield _slot(branches, index), name, child


_Place = tuple[Setter, str, str, dict[str, Any]]
"""Where a subschema sits, the name of its context, the component schema holding it, and
the subschema itself."""


def _occurrences(schemas: dict[str, Any]) -> dict[str, list[_Place]]:
    """Canonical text → the places of every candidate subschema below the top of each
    component schema."""
    found: dict[str, list[_Place]] = {}

    def walk(schema: Any, name: str, owner: str, depth: int) -> None:
        if not isinstance(schema, dict) or depth > 64:
            return
        for put, context, child in _children(schema, name):
            if _is_candidate(child):
                found.setdefault(_canonical(child), []).append((put, context, owner, child))
            walk(child, context, owner, depth + 1)

    for schema_id in sorted(schemas):
        walk(schemas[schema_id], schema_id, schema_id, 0)
    return found


def _name(contexts: list[str], owners: list[str]) -> str:
    if set(contexts) <= _ROW_NAMES:
        # The words the owning messages begin with: SupplierCreated, SupplierDeleted →
        # SupplierRow.
        heads = [words(pascal(o)) for o in sorted(set(owners))]
        prefix: list[str] = []
        while all(len(h) > len(prefix) + 1 for h in heads) and (
            len({h[len(prefix)] for h in heads}) == 1
        ):
            prefix.append(heads[0][len(prefix)])
        base = "".join(prefix) or sorted(owners, key=lambda o: (len(o), o))[0]
        return f"{pascal(base) or 'Change'}Row"
    # The words every context ends with: shippingAddress, billingAddress → Address.
    tails = [words(pascal(c)) for c in contexts]
    common: list[str] = []
    while (
        all(len(t) > len(common) for t in tails)
        and len({t[len(t) - len(common) - 1] for t in tails}) == 1
    ):
        common.insert(0, tails[0][len(tails[0]) - len(common) - 1])
    if common:
        return "".join(common)
    counts: dict[str, int] = {}
    for context in contexts:
        counts[context] = counts.get(context, 0) + 1
    best = sorted(counts, key=lambda c: (-counts[c], len(c), c))[0]
    return pascal(best) or "Shared"


def share_schemas(schemas: dict[str, Any]) -> dict[str, Any]:
    """``components/schemas`` with every repeated object schema written once.

    ``schemas`` (id → schema) is not modified; the result holds the same ids, each
    repeated subschema replaced by a ``$ref`` to a new entry named as the module says.
    """
    result: dict[str, Any] = json.loads(json.dumps(schemas))
    taken = set(result)
    while True:
        found = _occurrences(result)
        repeated = [(text, places) for text, places in found.items() if len(places) > 1]
        if not repeated:
            return result
        # The largest first (then by its text, for a deterministic choice). A schema that
        # sits inside one taken in this pass waits for the next: it then counts once
        # inside the new component. So a pass per level of nesting, not per schema.
        repeated.sort(key=lambda item: (len(item[0]), item[0]), reverse=True)
        claimed: set[int] = set()
        for text, places in repeated:
            if any(id(place[3]) in claimed for place in places):
                continue
            for place in places:
                claimed.update(_node_ids(place[3]))
            name = unique_key(_name([p[1] for p in places], [p[2] for p in places]), taken)
            result[name] = json.loads(text)
            for put, _context, _owner, _node in places:
                put({"$ref": f"{_REF_PREFIX}{name}"})


def _node_ids(schema: Any) -> Iterator[int]:
    """The ids of ``schema`` and of every mapping and list below it."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            yield id(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
