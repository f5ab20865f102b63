"""Spec against spec: :func:`diff_specs` compares a committed spec with a second one.

The structural diff is deepdiff's; each change it reports is classified by the rule
table: the schema keyword that changed names the family of rules (``match`` in
``rules.yaml``), and the direction of the change picks the rule among them. Returns a
frozen :class:`~inferrer.drift.model.DriftReport`. Its sibling against traffic is
:mod:`inferrer.drift.traffic`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from inferrer.drift.findings import FindingCollector, sort_key
from inferrer.drift.model import DriftReport, Where
from inferrer.drift.options import DiffOptions
from inferrer.drift.rules import UNKNOWN_CHANGE, RuleId
from inferrer.drift.schemas import enum_values, node_at, schema_types, type_accepts
from inferrer.drift.spec import SpecView, normalize_spec
from inferrer.jsonpointer import escape_token, join_pointer

# --- spec against spec -------------------------------------------------------

_SUBSCHEMA_MAPS = ("properties", "patternProperties", "definitions", "$defs", "dependentSchemas")
_SUBSCHEMA_ONE = (
    "items",
    "additionalProperties",
    "additionalItems",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
)
_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")


def diff_specs(old: Mapping[str, Any], new: Mapping[str, Any], options: DiffOptions) -> DriftReport:
    """Classified differences from the ``old`` AsyncAPI document to the ``new`` one."""
    # deepdiff imports pandas; imported here so the CLI starts without it.
    from deepdiff import DeepDiff

    old_view = normalize_spec(old, options.spec_label)
    new_view = normalize_spec(new, options.compared_with or "other")
    collector = FindingCollector(options)
    diff = DeepDiff(
        old_view.to_comparable(),
        new_view.to_comparable(),
        ignore_order=True,
        view="tree",
        verbose_level=2,
        threshold_to_diff_deeper=0,  # always descend: classify keyword by keyword
    )
    for report_type in sorted(diff.tree):
        for item in diff.tree[report_type]:
            path = item.path(output_format="list")
            _classify_spec_change(
                collector, old_view, new_view, report_type, path, item.t1, item.t2
            )
    return collector.report()


def _is_added(report_type: str) -> bool:
    return report_type in ("dictionary_item_added", "iterable_item_added", "attribute_added")


def _is_removed(report_type: str) -> bool:
    return report_type in ("dictionary_item_removed", "iterable_item_removed", "attribute_removed")


def _absent(value: Any) -> bool:
    return type(value).__name__ == "NotPresent" or value is None


def _classify_spec_change(
    out: FindingCollector,
    old: SpecView,
    new: SpecView,
    report_type: str,
    path: list[Any],
    t1: Any,
    t2: Any,
) -> None:
    address = str(path[1]) if len(path) > 1 else None
    old_ch = old.channels.get(address) if address else None
    new_ch = new.channels.get(address) if address else None
    either = new_ch or old_ch
    channel_pointer = either.pointer if either is not None else "/channels"
    if len(path) == 2:
        if _is_added(report_type):
            out.add(
                "channel-added",
                "topics",
                channel_pointer,
                f"topic {address} added",
                channel=address,
                after=address,
            )
        else:
            out.add(
                "channel-removed",
                "topics",
                channel_pointer,
                f"topic {address} removed",
                channel=address,
                before=address,
            )
        return
    section = path[2] if len(path) > 2 else None
    if section == "messages" and len(path) >= 4:
        key = str(path[3])
        old_msg = old_ch.messages.get(key) if old_ch else None
        new_msg = new_ch.messages.get(key) if new_ch else None
        msg = new_msg or old_msg
        assert msg is not None
        if len(path) == 4:
            if _is_added(report_type):
                out.add(
                    "message-added",
                    "messages",
                    msg.pointer,
                    f"message {key} added to topic {address}",
                    channel=address,
                    kind=key,
                    after=key,
                )
            else:
                out.add(
                    "message-removed",
                    "messages",
                    msg.pointer,
                    f"message {key} removed from topic {address}",
                    channel=address,
                    kind=key,
                    before=key,
                )
            return
        wheres: dict[str, Where] = {"payload": "payload", "key": "key", "headers": "headers"}
        where = wheres[str(path[4])]
        attr = {"payload": "payload", "key": "key_schema", "headers": "headers"}[where]
        base_old = (
            getattr(old_msg, f"{'key' if where == 'key' else where}_pointer") if old_msg else None
        )
        base_new = (
            getattr(new_msg, f"{'key' if where == 'key' else where}_pointer") if new_msg else None
        )
        _classify_schema_change(
            out,
            where,
            address or "",
            key,
            base_new or base_old or msg.pointer,
            getattr(old_msg, attr) if old_msg else None,
            getattr(new_msg, attr) if new_msg else None,
            report_type,
            path[5:],
            t1,
            t2,
        )
        return
    if section == "bindings" and len(path) >= 4:
        pointer = (
            (new_ch.bindings_pointer if new_ch else None)
            or (old_ch.bindings_pointer if old_ch else None)
            or channel_pointer
        )
        name = str(path[3])
        if name == "partitions" and isinstance(t1, int) and isinstance(t2, int):
            rule: RuleId = "partitions-increased" if t2 > t1 else "partitions-decreased"
            out.add(
                rule,
                "bindings",
                join_pointer(pointer, "partitions"),
                f"topic {address}: partitions {t1} → {t2}",
                channel=address,
                before=t1,
                after=t2,
            )
            return
        if name == "replicas" and isinstance(t1, int) and isinstance(t2, int):
            out.add(
                "replicas-changed",
                "bindings",
                join_pointer(pointer, "replicas"),
                f"topic {address}: replicas {t1} → {t2}",
                channel=address,
                before=t1,
                after=t2,
            )
            return
        if name == "topicConfiguration" and len(path) >= 5:
            config = str(path[4])
            before = None if _absent(t1) else t1
            after = None if _absent(t2) else t2
            if len(path) > 5:  # a list value (cleanup.policy) changed item by item
                before = old_ch.topic_configuration.get(config) if old_ch else None
                after = new_ch.topic_configuration.get(config) if new_ch else None
            out.add(
                out.options.table().config_rule(config),
                "bindings",
                join_pointer(pointer, "topicConfiguration", config),
                f"topic {address}: {config} {_show(before)} → {_show(after)}",
                channel=address,
                before=before,
                after=after,
            )
            return
        before = None if _absent(t1) else t1
        after = None if _absent(t2) else t2
        out.add(
            "topic-config-changed",
            "bindings",
            join_pointer(pointer, name),
            f"topic {address}: {name} {_show(before)} → {_show(after)}",
            channel=address,
            before=before,
            after=after,
        )
        return
    if section == "groups":
        old_groups = dict(old_ch.group_ids) if old_ch else {}
        new_groups = dict(new_ch.group_ids) if new_ch else {}
        for group in sorted(set(new_groups) - set(old_groups)):
            out.add(
                "consumer-group-new",
                "bindings",
                new_groups[group],
                f"topic {address}: consumer group {group} documented",
                channel=address,
                after=group,
            )
        for group in sorted(set(old_groups) - set(new_groups)):
            out.add(
                "consumer-group-gone",
                "bindings",
                old_groups[group],
                f"topic {address}: consumer group {group} no longer documented",
                channel=address,
                before=group,
            )
        return
    out.add(
        UNKNOWN_CHANGE,
        "topics",
        channel_pointer,
        f"unclassified change at {_show_path(path)}",
        channel=address,
        before=None if _absent(t1) else t1,
        after=None if _absent(t2) else t2,
    )


def _show(value: Any) -> str:
    return "(none)" if value is None else sort_key(value)


def _show_path(path: Sequence[Any]) -> str:
    return "/" + "/".join(escape_token(str(p)) for p in path)


def field_path(node_path: Sequence[Any]) -> str:
    """A schema location as a field path: ``/items/*/sku`` style (``{}`` for map values)."""
    parts: list[str] = []
    i = 0
    while i < len(node_path):
        token = node_path[i]
        if token in ("properties", "patternProperties") and i + 1 < len(node_path):
            parts.append(str(node_path[i + 1]))
            i += 2
            continue
        if token == "items":
            parts.append("*")
        elif token == "additionalProperties":
            parts.append("{}")
        else:
            parts.append(f"({token})")
        i += 1
    return "/" + "/".join(parts) if parts else "/"


def _classify_schema_change(
    out: FindingCollector,
    where: Where,
    address: str,
    kind: str,
    base_pointer: str,
    old_schema: Any,
    new_schema: Any,
    report_type: str,
    rest: list[Any],
    t1: Any,
    t2: Any,
) -> None:
    def add(rule: RuleId, node_path: Sequence[Any], text: str, before: Any, after: Any) -> None:
        pointer = base_pointer + _show_path(node_path) if node_path else base_pointer
        out.add(
            rule,
            where,
            pointer,
            f"{address} {kind} {where} {text}",
            channel=address,
            kind=kind,
            before=before,
            after=after,
        )

    if not rest:
        if _absent(old_schema) and not _absent(new_schema):
            add("schema-added", [], "schema added", None, new_schema)
        elif _absent(new_schema) and not _absent(old_schema):
            add("schema-removed", [], "schema removed", old_schema, None)
        else:
            add(UNKNOWN_CHANGE, [], "schema replaced", t1, t2)
        return
    node_path: list[Any] = []
    i = 0
    while i < len(rest):
        token = rest[i]
        if token in _SUBSCHEMA_MAPS and i + 1 < len(rest):
            node_path += [token, rest[i + 1]]
            if token == "properties" and i + 2 == len(rest):
                break  # the property itself was added or removed
            i += 2
            continue
        if (
            token in _SUBSCHEMA_ONE
            and i + 1 < len(rest)
            and isinstance(node_at(old_schema, [*node_path, token]), Mapping)
            and isinstance(node_at(new_schema, [*node_path, token]), Mapping)
        ):
            node_path.append(token)
            i += 1
            continue
        if token in _SUBSCHEMA_LISTS and i + 1 < len(rest) and isinstance(rest[i + 1], int):
            node_path += [token, rest[i + 1]]
            i += 2
            continue
        break
    if i < len(rest) and rest[i] == "properties" and i + 2 == len(rest):
        parent = node_path[:-2]
        name = str(rest[i + 1])
        _classify_property(add, parent, name, old_schema, new_schema)
        return
    keyword = rest[i] if i < len(rest) else None
    old_node = node_at(old_schema, node_path)
    new_node = node_at(new_schema, node_path)
    shown = field_path(node_path)
    if keyword is None:
        add(UNKNOWN_CHANGE, node_path, f"{shown}: schema replaced", t1, t2)
        return
    change = _KeywordChange(
        add, node_path, keyword, shown, old_node, new_node, old_schema, new_schema
    )
    family = out.options.table().matching("keywords", keyword)
    if family is None:
        add(
            UNKNOWN_CHANGE,
            [*node_path, keyword],
            f"{shown}: {keyword} changed",
            node_at(old_node, [keyword]),
            node_at(new_node, [keyword]),
        )
        return
    _KEYWORD_CLASSIFIERS[family](change)


_Add = Callable[[RuleId, Sequence[Any], str, Any, Any], None]


@dataclass(frozen=True, slots=True)
class _KeywordChange:
    """A change of one keyword of one schema node, to classify."""

    add: _Add
    node_path: list[Any]
    keyword: Any
    shown: str
    """The node's field path, as messages show it."""
    old_node: Any
    new_node: Any
    old_schema: Any
    new_schema: Any

    def values(self) -> tuple[Any, Any]:
        """The keyword's value before and after (None where absent)."""
        return (self.old_node or {}).get(self.keyword), (self.new_node or {}).get(self.keyword)

    def add_values(self, rule: RuleId) -> None:
        """Add the finding ``rule`` of the keyword's value change: before → after."""
        before, after = self.values()
        self.add(
            rule,
            [*self.node_path, self.keyword],
            f"{self.shown}: {self.keyword} {_show(before)} → {_show(after)}",
            before,
            after,
        )


def _classify_properties(c: _KeywordChange) -> None:
    old_props = set((c.old_node or {}).get("properties") or {})
    new_props = set((c.new_node or {}).get("properties") or {})
    for name in sorted(new_props ^ old_props):
        _classify_property(c.add, c.node_path, name, c.old_schema, c.new_schema)


def _classify_type_keyword(c: _KeywordChange) -> None:
    _classify_types(c.add, c.node_path, c.shown, schema_types(c.old_node), schema_types(c.new_node))


def _classify_required(c: _KeywordChange) -> None:
    old_req = set((c.old_node or {}).get("required") or [])
    new_req = set((c.new_node or {}).get("required") or [])
    old_props = set((c.old_node or {}).get("properties") or {})
    new_props = set((c.new_node or {}).get("properties") or {})
    # A property that became required (or optional) while it stays documented; one
    # added or removed with its requiredness is the property's own finding.
    changes: tuple[tuple[RuleId, set[str], set[str], set[str], str, bool], ...] = (
        ("required-added", new_req - old_req, old_props, new_props, "became required", True),
        (
            "required-removed",
            old_req - new_req,
            new_props,
            old_props,
            "is no longer required",
            False,
        ),
    )
    for rule, names, documented, now_documented, text, required in changes:
        for name in sorted(names):
            if name in documented or name not in now_documented:
                node_path = [*c.node_path, "properties", name]
                c.add(rule, node_path, f"{field_path(node_path)} {text}", not required, required)


def _classify_enum_keyword(c: _KeywordChange) -> None:
    _classify_enum(c.add, c.node_path, c.shown, c.old_node, c.new_node)


def _classify_format(c: _KeywordChange) -> None:
    c.add_values("format-changed")


def _classify_bound(c: _KeywordChange) -> None:
    before, after = c.values()
    if before is None:
        tightened = True
    elif after is None:
        tightened = False
    elif c.keyword in _LOWER_BOUNDS:
        tightened = after > before
    else:
        tightened = after < before
    c.add_values("constraint-tightened" if tightened else "constraint-loosened")


def _classify_content_model(c: _KeywordChange) -> None:
    before, after = c.values()
    rule: RuleId
    if after is False and before is not False:
        rule = "content-model-closed"
    elif before is False and after is not False:
        rule = "content-model-opened"
    else:
        rule = UNKNOWN_CHANGE
    c.add_values(rule)


def _classify_annotation(c: _KeywordChange) -> None:
    c.add(
        "annotation-changed",
        [*c.node_path, c.keyword],
        f"{c.shown}: {c.keyword} changed",
        node_at(c.old_node, [c.keyword]),
        node_at(c.new_node, [c.keyword]),
    )


_KEYWORD_CLASSIFIERS: Mapping[RuleId, Callable[[_KeywordChange], None]] = {
    "property-added": _classify_properties,
    "property-added-closed-model": _classify_properties,
    "required-property-added": _classify_properties,
    "property-removed": _classify_properties,
    "required-property-removed": _classify_properties,
    "required-added": _classify_required,
    "required-removed": _classify_required,
    "type-widened": _classify_type_keyword,
    "type-narrowed": _classify_type_keyword,
    "type-changed": _classify_type_keyword,
    "enum-extended": _classify_enum_keyword,
    "enum-narrowed": _classify_enum_keyword,
    "format-changed": _classify_format,
    "constraint-tightened": _classify_bound,
    "constraint-loosened": _classify_bound,
    "content-model-closed": _classify_content_model,
    "content-model-opened": _classify_content_model,
    "annotation-changed": _classify_annotation,
}
"""The rules a schema keyword's change may be classified by (``match: keywords`` in
``rules.yaml``) → the classifier that picks among them; every rule of a family maps to
the family's classifier."""


def _classify_property(
    add: _Add, parent: list[Any], name: str, old_schema: Any, new_schema: Any
) -> None:
    old_node = node_at(old_schema, parent) or {}
    new_node = node_at(new_schema, parent) or {}
    node_path = [*parent, "properties", name]
    shown = field_path(node_path)
    in_old = name in (old_node.get("properties") or {})
    in_new = name in (new_node.get("properties") or {})
    rule: RuleId
    if in_new and not in_old:
        if name in (new_node.get("required") or []):
            rule = "required-property-added"
        elif old_node.get("additionalProperties") is False:
            rule = "property-added-closed-model"
        else:
            rule = "property-added"
        add(rule, node_path, f"{shown} added", None, new_node["properties"][name])
    elif in_old and not in_new:
        rule = (
            "required-property-removed"
            if name in (old_node.get("required") or [])
            else ("property-removed")
        )
        add(rule, node_path, f"{shown} removed", old_node["properties"][name], None)
    else:
        old_prop = (old_node.get("properties") or {}).get(name)
        new_prop = (new_node.get("properties") or {}).get(name)
        add(UNKNOWN_CHANGE, node_path, f"{shown} replaced", old_prop, new_prop)


def _classify_types(
    add: _Add,
    node_path: list[Any],
    shown: str,
    before: frozenset[str] | None,
    after: frozenset[str] | None,
) -> None:
    new_reads_old = before is not None and all(type_accepts(after, t) for t in before)
    old_reads_new = after is not None and all(type_accepts(before, t) for t in after)
    if before is None:
        new_reads_old = False
        old_reads_new = True
    if after is None:
        new_reads_old = True
        old_reads_new = False
    if new_reads_old and old_reads_new:
        return
    rule: RuleId
    if new_reads_old:
        rule = "type-widened"
    elif old_reads_new:
        rule = "type-narrowed"
    else:
        rule = "type-changed"
    b = sorted(before) if before is not None else None
    a = sorted(after) if after is not None else None
    add(rule, [*node_path, "type"], f"{shown}: type {_show(b)} → {_show(a)}", b, a)


def _classify_enum(
    add: _Add, node_path: list[Any], shown: str, old_node: Any, new_node: Any
) -> None:
    before = enum_values(old_node)
    after = enum_values(new_node)
    pointer_path = [*node_path, "enum"]
    if before is None and after is not None:
        add("enum-narrowed", pointer_path, f"{shown}: enum added", None, after)
        return
    if after is None and before is not None:
        add("enum-extended", pointer_path, f"{shown}: enum removed", before, None)
        return
    if before is None or after is None:
        return
    old_set = {sort_key(v) for v in before}
    new_set = {sort_key(v) for v in after}
    added = sorted(new_set - old_set)
    removed = sorted(old_set - new_set)
    if added:
        add(
            "enum-extended", pointer_path, f"{shown}: enum gained {', '.join(added)}", before, after
        )
    if removed:
        add(
            "enum-narrowed", pointer_path, f"{shown}: enum lost {', '.join(removed)}", before, after
        )
