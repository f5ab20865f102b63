"""Compare a committed spec with a second spec, or with observed traffic.

* :func:`diff_specs` — spec against spec; the structural diff is deepdiff's,
  each change it reports is classified by the rule table.
* :func:`diff_observed` — spec against what a sample of traffic showed (topic
  summaries, cluster metadata, decoded messages).

Both return a frozen :class:`~inferrer.drift.model.DriftReport`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inferrer.drift.model import (
    Compatibility,
    DriftReport,
    Evidence,
    Finding,
    Where,
    make_finding_id,
    sort_findings,
)
from inferrer.drift.rules import UNKNOWN_CHANGE, RuleTable, default_rules
from inferrer.drift.spec import (
    SpecView,
    load_spec_file,
    normalize_spec,
)
from inferrer.jsonpointer import escape_token, join_pointer
from inferrer.model import DecodedMessage, TopicMetadata, TopicSummary

if TYPE_CHECKING:
    from inferrer.drift.traffic import CoreTraffic


@dataclass(frozen=True, slots=True)
class DiffOptions:
    """How to compare and classify; every field has a sensible default."""

    compatibility: Compatibility = "BACKWARD"
    rules: RuleTable | None = None
    """None means the shipped table (:func:`~inferrer.drift.rules.default_rules`)."""
    ignore: frozenset[str] = frozenset()
    """Rule ids or finding ids to silence."""
    baseline: frozenset[str] = frozenset()
    """Finding ids already accepted."""
    spec_label: str = "spec"
    compared_with: str = "other"
    scope: frozenset[str] | None = None
    """Documented topics that were meant to be sampled (for missing/silent checks);
    None means every documented topic."""
    absence_p_value: float = 1e-6
    """A documented property is called absent (not just unobserved) only when the
    probability of never seeing it, given its documented presence ratio, is below this."""
    max_validations_per_kind: int = 1000
    """jsonschema validations per message kind beyond the first of each distinct shape."""
    max_shapes_per_kind: int = 10_000
    reuse_shapes: bool = True
    """Walk each distinct message shape once and replay it (False: walk every message,
    the reference the fast path is tested against)."""
    top_reasons: int = 3
    max_enum_values: int = 20
    """New enum values listed per field; beyond that only the count is kept."""

    def table(self) -> RuleTable:
        return self.rules or default_rules()


@dataclass
class FindingCollector:
    """Collects findings, classifying each by the rule table; one per id."""

    options: DiffOptions
    findings: dict[str, Finding] = field(default_factory=dict)

    def add(
        self,
        rule: str,
        where: Where,
        pointer: str,
        message: str,
        *,
        channel: str | None = None,
        kind: str | None = None,
        before: Any = None,
        after: Any = None,
        evidence: Evidence | None = None,
    ) -> None:
        table = self.options.table()
        if rule not in table.rules:
            message = f"{message} (no rule for {rule!r})"
            rule = UNKNOWN_CHANGE
        finding_id = make_finding_id(rule, channel, kind, pointer)
        if finding_id in self.findings:
            return
        self.findings[finding_id] = Finding(
            id=finding_id,
            rule=rule,
            severity=table.severity(rule, self.options.compatibility),
            pointer=pointer,
            message=message,
            before=_plain(before),
            after=_plain(after),
            evidence=evidence,
            channel=channel,
            where=where,
            kind=kind,
        )

    def report(self) -> DriftReport:
        """The report, with the baseline and ignore rules applied."""
        kept: list[Finding] = []
        suppressed: list[Finding] = []
        silenced = self.options.ignore | self.options.baseline
        for f in self.findings.values():
            if f.id in silenced or f.rule in self.options.ignore:
                suppressed.append(f)
            else:
                kept.append(f)
        return DriftReport(
            findings=sort_findings(kept),
            spec=self.options.spec_label,
            compared_with=self.options.compared_with,
            compatibility=self.options.compatibility,
            suppressed=len(suppressed),
            suppressed_findings=sort_findings(suppressed),
        )


def _plain(value: Any) -> Any:
    """JSON-safe plain data (tuples to lists, sets sorted)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((_plain(v) for v in value), key=_sort_key)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


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
_ANNOTATIONS = (
    "description",
    "title",
    "examples",
    "example",
    "default",
    "$comment",
    "deprecated",
    "readOnly",
    "writeOnly",
    "$id",
    "$schema",
)
_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")


def diff_spec_files(old: str | Path, new: str | Path, options: DiffOptions) -> DriftReport:
    """:func:`diff_specs` on two files; the report names them."""
    labelled = replace(options, spec_label=str(old), compared_with=str(new))
    return diff_specs(load_spec_file(old), load_spec_file(new), labelled)


def diff_specs(old: Mapping[str, Any], new: Mapping[str, Any], options: DiffOptions) -> DriftReport:
    """Classified differences from the ``old`` AsyncAPI document to the ``new`` one."""
    # deepdiff imports pandas; imported here so the CLI starts without it.
    from deepdiff import DeepDiff

    old_view = normalize_spec(old, options.spec_label)
    new_view = normalize_spec(new, options.compared_with)
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
            rule = "partitions-increased" if t2 > t1 else "partitions-decreased"
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
                _config_rule(config),
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


def _config_rule(config: str) -> str:
    if config == "cleanup.policy":
        return "cleanup-policy-changed"
    if config in ("retention.ms", "retention.bytes"):
        return "retention-changed"
    return "topic-config-changed"


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    return json.dumps(value, sort_keys=True, default=str)


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


def _get(schema: Any, node_path: Sequence[Any]) -> Any:
    node = schema
    for token in node_path:
        if (isinstance(node, Mapping) and token in node) or (
            isinstance(node, list) and isinstance(token, int) and token < len(node)
        ):
            node = node[token]
        else:
            return None
    return node


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
    def add(rule: str, node_path: Sequence[Any], text: str, before: Any, after: Any) -> None:
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
            and isinstance(_get(old_schema, [*node_path, token]), Mapping)
            and isinstance(_get(new_schema, [*node_path, token]), Mapping)
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
    old_node = _get(old_schema, node_path)
    new_node = _get(new_schema, node_path)
    shown = field_path(node_path)
    if keyword is None:
        add(UNKNOWN_CHANGE, node_path, f"{shown}: schema replaced", t1, t2)
        return
    if keyword == "properties":
        old_props = set((old_node or {}).get("properties") or {})
        new_props = set((new_node or {}).get("properties") or {})
        for name in sorted(new_props ^ old_props):
            _classify_property(add, node_path, name, old_schema, new_schema)
        return
    if keyword == "type":
        _classify_types(add, node_path, shown, schema_types(old_node), schema_types(new_node))
        return
    if keyword == "required":
        old_req = set((old_node or {}).get("required") or [])
        new_req = set((new_node or {}).get("required") or [])
        old_props = set((old_node or {}).get("properties") or {})
        new_props = set((new_node or {}).get("properties") or {})
        for name in sorted(new_req - old_req):
            if name in old_props or name not in new_props:
                add(
                    "required-added",
                    [*node_path, "properties", name],
                    f"{field_path([*node_path, 'properties', name])} became required",
                    False,
                    True,
                )
        for name in sorted(old_req - new_req):
            if name in new_props or name not in old_props:
                add(
                    "required-removed",
                    [*node_path, "properties", name],
                    f"{field_path([*node_path, 'properties', name])} is no longer required",
                    True,
                    False,
                )
        return
    if keyword in ("enum", "const"):
        _classify_enum(add, node_path, shown, old_node, new_node)
        return
    if keyword == "format":
        before = (old_node or {}).get("format")
        after = (new_node or {}).get("format")
        add(
            "format-changed",
            [*node_path, "format"],
            f"{shown}: format {_show(before)} → {_show(after)}",
            before,
            after,
        )
        return
    if keyword in _LOWER_BOUNDS or keyword in _UPPER_BOUNDS:
        before = (old_node or {}).get(keyword)
        after = (new_node or {}).get(keyword)
        if before is None:
            tightened = True
        elif after is None:
            tightened = False
        elif keyword in _LOWER_BOUNDS:
            tightened = after > before
        else:
            tightened = after < before
        rule = "constraint-tightened" if tightened else "constraint-loosened"
        add(
            rule,
            [*node_path, keyword],
            f"{shown}: {keyword} {_show(before)} → {_show(after)}",
            before,
            after,
        )
        return
    if keyword == "additionalProperties":
        before = (old_node or {}).get("additionalProperties")
        after = (new_node or {}).get("additionalProperties")
        if after is False and before is not False:
            rule = "content-model-closed"
        elif before is False and after is not False:
            rule = "content-model-opened"
        else:
            rule = UNKNOWN_CHANGE
        add(
            rule,
            [*node_path, keyword],
            f"{shown}: additionalProperties {_show(before)} → {_show(after)}",
            before,
            after,
        )
        return
    if keyword in _ANNOTATIONS or (isinstance(keyword, str) and keyword.startswith("x-")):
        add(
            "annotation-changed",
            [*node_path, keyword],
            f"{shown}: {keyword} changed",
            _get(old_node, [keyword]),
            _get(new_node, [keyword]),
        )
        return
    add(
        UNKNOWN_CHANGE,
        [*node_path, keyword],
        f"{shown}: {keyword} changed",
        _get(old_node, [keyword]),
        _get(new_node, [keyword]),
    )


def _classify_property(
    add: Any, parent: list[Any], name: str, old_schema: Any, new_schema: Any
) -> None:
    old_node = _get(old_schema, parent) or {}
    new_node = _get(new_schema, parent) or {}
    node_path = [*parent, "properties", name]
    shown = field_path(node_path)
    in_old = name in (old_node.get("properties") or {})
    in_new = name in (new_node.get("properties") or {})
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
    add: Any,
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
    if new_reads_old:
        rule = "type-widened"
    elif old_reads_new:
        rule = "type-narrowed"
    else:
        rule = "type-changed"
    b = sorted(before) if before is not None else None
    a = sorted(after) if after is not None else None
    add(rule, [*node_path, "type"], f"{shown}: type {_show(b)} → {_show(a)}", b, a)


def _enum_values(node: Any) -> list[Any] | None:
    if not isinstance(node, Mapping):
        return None
    if "enum" in node and isinstance(node["enum"], list):
        return list(node["enum"])
    if "const" in node:
        return [node["const"]]
    return None


def _classify_enum(
    add: Any, node_path: list[Any], shown: str, old_node: Any, new_node: Any
) -> None:
    before = _enum_values(old_node)
    after = _enum_values(new_node)
    pointer_path = [*node_path, "enum"]
    if before is None and after is not None:
        add("enum-narrowed", pointer_path, f"{shown}: enum added", None, after)
        return
    if after is None and before is not None:
        add("enum-extended", pointer_path, f"{shown}: enum removed", before, None)
        return
    if before is None or after is None:
        return
    old_set = {_sort_key(v) for v in before}
    new_set = {_sort_key(v) for v in after}
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


# --- spec against traffic -----------------------------------------------------


def diff_observed(
    spec: Mapping[str, Any],
    summaries: Sequence[TopicSummary],
    metadata: Mapping[str, TopicMetadata] | None,
    messages: Iterable[DecodedMessage] | CoreTraffic,
    options: DiffOptions,
) -> DriftReport:
    """Classified differences between the committed ``spec`` and a sample of traffic.

    ``summaries`` says which topics and kinds were seen and how often;
    ``metadata`` (None when not read) what the cluster says about topics;
    ``messages`` the decoded sample, streamed once, to validate against the
    committed schemas and find field-level drift (or what the core's check counted
    of it, :class:`~inferrer.drift.traffic.CoreTraffic`).
    """
    from inferrer.drift.traffic import compare_traffic

    view = normalize_spec(spec, options.spec_label)
    collector = FindingCollector(options)
    compare_traffic(collector, view, summaries, metadata, messages)
    return collector.report()
