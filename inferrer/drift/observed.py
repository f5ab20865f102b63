"""Spec against observations already made (``diff --from-observations``).

Saved observations and watch snapshots hold statistics, not messages, so the walk of
:mod:`.traffic` over each message cannot run. What the statistics decide is checked
here, per documented event kind, field path by field path:

* ``property-new`` / ``property-new-closed-model`` — a path seen that the schema does
  not declare (the top-most such path only);
* ``traffic-type-changed`` / ``traffic-type-widened`` — JSON types seen at a path that
  the documented type does not accept (none of them / some of them accepted);
* ``null-appearing`` — nulls seen where the documented type has no ``null``;
* ``required-missing`` — a required property absent from some of the objects that
  should hold it (for properties outside arrays and maps, where the statistics count
  objects exactly).

Topic and kind rules (``topic-undocumented``, ``topic-silent``, ``kind-undocumented``,
``kind-unobserved``, ``undecodable-messages``) come from the summaries as for a sample
(:func:`~inferrer.drift.traffic.compare_traffic`). Not decidable from statistics, so not
reported: ``validation-failure``, ``format-violation``, ``enum-value-new``,
``property-unobserved``/``property-absent``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from inferrer.drift.findings import FindingCollector
from inferrer.drift.model import DriftReport, Evidence
from inferrer.drift.options import DiffOptions
from inferrer.drift.rules import RuleId
from inferrer.drift.schemas import schema_types, type_accepts
from inferrer.drift.spec import SpecMessage, SpecView, normalize_spec
from inferrer.jsonpointer import escape_token, unescape_token
from inferrer.model import FieldSummary, KindSummary, TopicMetadata, TopicSummary

_ANY_ITEM = "*"
_ANY_VALUE = "{}"


def _tokens(path: str) -> list[str]:
    """``/a/b~1c/*`` → ``['a', 'b/c', '*']`` (``*`` and ``{}`` stay markers)."""
    if not path:
        return []
    return [unescape_token(t) for t in path[1:].split("/")]


def _branches(node: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """``node`` itself, or its anyOf/oneOf branches (with their pointer suffixes)."""
    for union in ("anyOf", "oneOf"):
        subs = node.get(union)
        if "type" not in node and isinstance(subs, list):
            return [(f"/{union}/{i}", s) for i, s in enumerate(subs) if isinstance(s, Mapping)]
    return [("", node)]


def _union_types(node: Mapping[str, Any]) -> frozenset[str] | None:
    found: set[str] = set()
    for _, sub in _branches(node):
        types = schema_types(sub)
        if types is None:
            return None
        found |= types
    return frozenset(found)


def _child(
    node: Mapping[str, Any], pointer: str, token: str
) -> tuple[Mapping[str, Any], str] | RuleId | None:
    """The schema of ``token`` under ``node``: (schema, pointer); or the rule of an
    undeclared property (``property-new`` / ``property-new-closed-model``); or None
    when the schema says nothing (no type, or a non-object there)."""
    open_model = False
    for suffix, sub in _branches(node):
        base = pointer + suffix
        if token == _ANY_ITEM:
            items = sub.get("items")
            if isinstance(items, Mapping):
                return items, f"{base}/items"
            continue
        if token == _ANY_VALUE:
            extra = sub.get("additionalProperties")
            if isinstance(extra, Mapping):
                return extra, f"{base}/additionalProperties"
            patterns = sub.get("patternProperties")
            if isinstance(patterns, Mapping) and len(patterns) == 1:
                (pattern, schema), *_ = patterns.items()
                if isinstance(schema, Mapping):
                    return schema, f"{base}/patternProperties/{escape_token(pattern)}"
            continue
        props = sub.get("properties")
        if isinstance(props, Mapping) and isinstance(props.get(token), Mapping):
            return props[token], f"{base}/properties/{escape_token(token)}"
        extra = sub.get("additionalProperties")
        if isinstance(extra, Mapping):
            return extra, f"{base}/additionalProperties"
        if isinstance(props, Mapping) or "object" in (schema_types(sub) or ()):
            if extra is not False:
                open_model = True
            elif not open_model:
                return "property-new-closed-model"
    return "property-new" if open_model else None


def _field_schema(
    root: Mapping[str, Any], pointer: str, path: str
) -> tuple[Mapping[str, Any], str] | tuple[RuleId, str] | None:
    """The schema and pointer of a field path, or (rule, pointer of the new property)."""
    node, at = root, pointer
    for token in _tokens(path):
        found = _child(node, at, token)
        if found is None:
            return None
        if isinstance(found, str):
            return found, f"{at}/properties/{escape_token(token)}"
        node, at = found
    return node, at


def _check_kind(
    out: FindingCollector, channel: str, kind: KindSummary, message: SpecMessage
) -> None:
    schema, base = message.payload, message.payload_pointer
    if schema is None or base is None:
        return
    label = f"{channel} {message.key} payload"
    fields = {f.path: f for f in kind.fields}
    new_paths: list[str] = []

    def add(rule: RuleId, pointer: str, text: str, before: Any, after: Any, ev: Evidence) -> None:
        out.add(
            rule,
            "payload",
            pointer,
            f"{label} {text}",
            channel=channel,
            kind=message.key,
            before=before,
            after=after,
            evidence=ev,
        )

    for path in sorted(fields):
        f = fields[path]
        if any(path.startswith(p + "/") for p in new_paths):
            continue  # inside a property already reported as new
        found = _field_schema(schema, base, path)
        if found is None:
            continue
        if isinstance(found[0], str):
            rule, pointer = found[0], found[1]
            new_paths.append(path)
            add(
                rule,
                pointer,
                f"{path}: undocumented property in {f.present} of {kind.count} messages",
                None,
                {"types": sorted(t for t in f.types if t != "null")},
                Evidence(count=f.present, ratio=f.present / max(kind.count, 1)),
            )
            continue
        node, pointer = found
        _check_types(add, path, f, node, pointer)
    _check_required(add, kind, fields, schema, base)


def _check_types(add: Any, path: str, f: FieldSummary, node: Any, pointer: str) -> None:
    allowed = _union_types(node)
    if allowed is None:
        return
    values = sum(f.types.values())
    nulls = f.types.get("null", 0)
    enum = node.get("enum") if isinstance(node, Mapping) else None
    if nulls and "null" not in allowed and not (isinstance(enum, list) and None in enum):
        add(
            "null-appearing",
            pointer,
            f"{path}: null in {nulls} of {values} values",
            sorted(allowed),
            [*sorted(allowed), "null"],
            Evidence(count=nulls, ratio=nulls / max(values, 1)),
        )
    seen = sorted(t for t in f.types if t != "null")
    bad = [t for t in seen if not type_accepts(allowed, t)]
    if bad:
        count = sum(f.types[t] for t in bad)
        rule: RuleId = "traffic-type-widened" if len(bad) < len(seen) else "traffic-type-changed"
        add(
            rule,
            pointer,
            f"{path}: type {sorted(allowed)} documented, {seen} seen ({count} of {values} values)",
            sorted(allowed),
            seen,
            Evidence(count=count, ratio=count / max(values, 1)),
        )


def _objects_at(kind: KindSummary, fields: Mapping[str, FieldSummary], path: str) -> int:
    """How many objects the statistics saw at ``path`` (outside arrays and maps)."""
    f = fields.get(path)
    if f is None:
        # The payload root has no row when every payload was an object.
        return kind.count if path == "" else 0
    return f.types.get("object", 0)


def _check_required(
    add: Any,
    kind: KindSummary,
    fields: Mapping[str, FieldSummary],
    schema: Mapping[str, Any],
    base: str,
) -> None:
    parents = [""] + [
        p
        for p, f in fields.items()
        if f.types.get("object") and _ANY_ITEM not in _tokens(p) and _ANY_VALUE not in _tokens(p)
    ]
    for parent in sorted(parents):
        objects = _objects_at(kind, fields, parent)
        found = _field_schema(schema, base, parent)
        if not objects or found is None or isinstance(found[0], str):
            continue
        node, pointer = found
        for suffix, sub in _branches(node):
            required = sub.get("required")
            if not isinstance(required, list) or len(_branches(node)) > 1:
                continue  # a union's required lists hold for its branch only
            for name in sorted(str(r) for r in required):
                child = f"{parent}/{escape_token(name)}"
                present = fields[child].present if child in fields else 0
                missing = objects - present
                if missing > 0:
                    add(
                        "required-missing",
                        f"{pointer}{suffix}/properties/{escape_token(name)}",
                        f"{child}: required but missing in {missing} of {objects} messages",
                        "required",
                        "missing",
                        Evidence(count=missing, ratio=missing / objects),
                    )


def compare_fields(
    out: FindingCollector, view: SpecView, summaries: Sequence[TopicSummary]
) -> None:
    """Add the field findings the observations' statistics decide (see the module)."""
    from inferrer.drift.traffic import documented_kinds

    for s, kind, message in documented_kinds(view, summaries):
        if message is not None:
            _check_kind(out, s.topic, kind, message)


def diff_observations(
    spec: Mapping[str, Any] | SpecView,
    summaries: Sequence[TopicSummary],
    metadata: Mapping[str, TopicMetadata] | None,
    options: DiffOptions,
) -> DriftReport:
    """Classified differences between ``spec`` (or its normalised view) and observations
    (no messages)."""
    from inferrer.drift.traffic import compare_traffic

    view = spec if isinstance(spec, SpecView) else normalize_spec(spec, options.spec_label)
    collector = FindingCollector(options)
    compare_traffic(collector, view, summaries, metadata, [])
    compare_fields(collector, view, summaries)
    # Observations keep the writer schema ids seen (not their counts).
    from inferrer.drift.registry import SeenIds, compare_registry

    compare_registry(collector, view, SeenIds.of_summaries(summaries))
    return collector.report()
