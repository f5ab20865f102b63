"""Spec against spec: each change is classified by its rule, under each compatibility mode."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from inferrer.drift.compare import diff_specs
from inferrer.drift.model import Compatibility
from inferrer.drift.options import DiffOptions
from tests.drift_helpers import PAYLOAD, order_spec, payload_of

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "drift"
Spec = dict[str, Any]


def _props(spec: Spec) -> dict[str, Any]:
    result: dict[str, Any] = payload_of(spec)["properties"]
    return result


def _set(path: list[Any], value: Any) -> Callable[[Spec], None]:
    def mutate(spec: Spec) -> None:
        node = spec
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return mutate


def _delete(path: list[Any]) -> Callable[[Spec], None]:
    def mutate(spec: Spec) -> None:
        node = spec
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return mutate


def _both(*mutations: Callable[[Spec], None]) -> Callable[[Spec], None]:
    def mutate(spec: Spec) -> None:
        for m in mutations:
            m(spec)

    return mutate


P = ["channels", "orders", "messages", "OrderPlaced", "payload"]
B = ["channels", "orders", "bindings", "kafka"]
BIND = "/channels/orders/bindings/kafka"

# (mutation, rule, pointer, severity under BACKWARD, FORWARD, FULL)
CASES: list[tuple[str, Callable[[Spec], None], str, str, tuple[str, str, str]]] = [
    (
        "optional property added",
        _set([*P, "properties", "fee"], {"type": "number"}),
        "property-added",
        f"{PAYLOAD}/properties/fee",
        ("non-breaking", "non-breaking", "non-breaking"),
    ),
    (
        "required property added",
        _both(
            _set([*P, "properties", "fee"], {"type": "number"}),
            _set([*P, "required"], ["type", "orderId", "amount", "fee"]),
        ),
        "required-property-added",
        f"{PAYLOAD}/properties/fee",
        ("breaking", "non-breaking", "breaking"),
    ),
    (
        "property added to a closed model",
        _both(_set([*P, "additionalProperties"], False), lambda s: None),
        "content-model-closed",
        f"{PAYLOAD}/additionalProperties",
        ("breaking", "non-breaking", "breaking"),
    ),
    (
        "optional property removed",
        _delete([*P, "properties", "coupon"]),
        "property-removed",
        f"{PAYLOAD}/properties/coupon",
        ("non-breaking", "non-breaking", "non-breaking"),
    ),
    (
        "required property removed",
        _both(_delete([*P, "properties", "amount"]), _set([*P, "required"], ["type", "orderId"])),
        "required-property-removed",
        f"{PAYLOAD}/properties/amount",
        ("non-breaking", "breaking", "breaking"),
    ),
    (
        "property became required",
        _set([*P, "required"], ["type", "orderId", "amount", "coupon"]),
        "required-added",
        f"{PAYLOAD}/properties/coupon",
        ("breaking", "non-breaking", "breaking"),
    ),
    (
        "property became optional",
        _set([*P, "required"], ["type", "orderId"]),
        "required-removed",
        f"{PAYLOAD}/properties/amount",
        ("non-breaking", "breaking", "breaking"),
    ),
    (
        "integer widened to number",
        _set([*P, "properties", "lines", "items", "properties", "qty", "type"], "number"),
        "type-widened",
        f"{PAYLOAD}/properties/lines/items/properties/qty/type",
        ("non-breaking", "breaking", "breaking"),
    ),
    (
        "null allowed",
        _set([*P, "properties", "coupon", "type"], ["string", "null"]),
        "type-widened",
        f"{PAYLOAD}/properties/coupon/type",
        ("non-breaking", "breaking", "breaking"),
    ),
    (
        "number narrowed to integer",
        _set([*P, "properties", "amount", "type"], "integer"),
        "type-narrowed",
        f"{PAYLOAD}/properties/amount/type",
        ("breaking", "non-breaking", "breaking"),
    ),
    (
        "type changed",
        _set([*P, "properties", "amount", "type"], "string"),
        "type-changed",
        f"{PAYLOAD}/properties/amount/type",
        ("breaking", "breaking", "breaking"),
    ),
    (
        "enum extended",
        _set([*P, "properties", "status", "enum"], ["NEW", "PAID", "SHIPPED"]),
        "enum-extended",
        f"{PAYLOAD}/properties/status/enum",
        ("non-breaking", "breaking", "breaking"),
    ),
    (
        "enum narrowed",
        _set([*P, "properties", "status", "enum"], ["NEW"]),
        "enum-narrowed",
        f"{PAYLOAD}/properties/status/enum",
        ("breaking", "non-breaking", "breaking"),
    ),
    (
        "enum added",
        _set([*P, "properties", "coupon", "enum"], ["A", "B"]),
        "enum-narrowed",
        f"{PAYLOAD}/properties/coupon/enum",
        ("breaking", "non-breaking", "breaking"),
    ),
    (
        "format changed",
        _set([*P, "properties", "orderId", "format"], "uri"),
        "format-changed",
        f"{PAYLOAD}/properties/orderId/format",
        ("non-breaking", "non-breaking", "non-breaking"),
    ),
    (
        "minimum raised",
        _set([*P, "properties", "lines", "items", "properties", "qty", "minimum"], 2),
        "constraint-tightened",
        f"{PAYLOAD}/properties/lines/items/properties/qty/minimum",
        ("breaking", "non-breaking", "breaking"),
    ),
    (
        "minimum dropped",
        _delete([*P, "properties", "lines", "items", "properties", "qty", "minimum"]),
        "constraint-loosened",
        f"{PAYLOAD}/properties/lines/items/properties/qty/minimum",
        ("non-breaking", "breaking", "breaking"),
    ),
    (
        "maxLength added",
        _set([*P, "properties", "coupon", "maxLength"], 8),
        "constraint-tightened",
        f"{PAYLOAD}/properties/coupon/maxLength",
        ("breaking", "non-breaking", "breaking"),
    ),
    (
        "description changed",
        _set([*P, "properties", "coupon", "description"], "a code"),
        "annotation-changed",
        f"{PAYLOAD}/properties/coupon/description",
        ("info", "info", "info"),
    ),
    (
        "pattern added",
        _set([*P, "properties", "coupon", "pattern"], "^C"),
        "unknown-change",
        f"{PAYLOAD}/properties/coupon/pattern",
        ("info", "info", "info"),
    ),
    (
        "key schema changed",
        _set(
            ["channels", "orders", "messages", "OrderPlaced", "bindings", "kafka", "key", "type"],
            "integer",
        ),
        "type-changed",
        "/channels/orders/messages/OrderPlaced/bindings/kafka/key/type",
        ("breaking", "breaking", "breaking"),
    ),
    (
        "header added",
        _set(
            ["channels", "orders", "messages", "OrderPlaced", "headers", "properties", "tenant"],
            {"type": "string"},
        ),
        "property-added",
        "/channels/orders/messages/OrderPlaced/headers/properties/tenant",
        ("non-breaking", "non-breaking", "non-breaking"),
    ),
    (
        "message added",
        _set(
            ["channels", "orders", "messages", "OrderCancelled"],
            {"name": "OrderCancelled", "payload": {"type": "object"}},
        ),
        "message-added",
        "/channels/orders/messages/OrderCancelled",
        ("non-breaking", "non-breaking", "non-breaking"),
    ),
    (
        "channel added",
        _set(["channels", "refunds"], {"address": "shop.refunds"}),
        "channel-added",
        "/channels/refunds",
        ("non-breaking", "non-breaking", "non-breaking"),
    ),
    (
        "partitions increased",
        _set([*B, "partitions"], 6),
        "partitions-increased",
        f"{BIND}/partitions",
        ("non-breaking", "non-breaking", "non-breaking"),
    ),
    (
        "partitions decreased",
        _set([*B, "partitions"], 1),
        "partitions-decreased",
        f"{BIND}/partitions",
        ("breaking", "breaking", "breaking"),
    ),
    (
        "replicas changed",
        _set([*B, "replicas"], 1),
        "replicas-changed",
        f"{BIND}/replicas",
        ("info", "info", "info"),
    ),
    (
        "cleanup policy changed",
        _set([*B, "topicConfiguration", "cleanup.policy"], ["compact"]),
        "cleanup-policy-changed",
        f"{BIND}/topicConfiguration/cleanup.policy",
        ("breaking", "breaking", "breaking"),
    ),
    (
        "retention changed",
        _set([*B, "topicConfiguration", "retention.ms"], 1000),
        "retention-changed",
        f"{BIND}/topicConfiguration/retention.ms",
        ("non-breaking", "non-breaking", "non-breaking"),
    ),
    (
        "other topic config changed",
        _set([*B, "topicConfiguration", "max.message.bytes"], 2),
        "topic-config-changed",
        f"{BIND}/topicConfiguration/max.message.bytes",
        ("info", "info", "info"),
    ),
    (
        "consumer group added",
        _set(
            ["operations", "billing", "bindings", "kafka", "groupId", "enum"], ["billing", "audit"]
        ),
        "consumer-group-new",
        "/operations/billing",
        ("info", "info", "info"),
    ),
]


@pytest.mark.parametrize(
    ("name", "mutate", "rule", "pointer", "severities"), CASES, ids=[c[0] for c in CASES]
)
def test_each_change_gets_its_rule_and_severity_per_mode(
    name: str,
    mutate: Callable[[Spec], None],
    rule: str,
    pointer: str,
    severities: tuple[str, str, str],
) -> None:
    old = order_spec()
    new = order_spec()
    mutate(new)
    modes: tuple[Compatibility, ...] = ("BACKWARD", "FORWARD", "FULL")
    for mode, severity in zip(modes, severities, strict=True):
        report = diff_specs(old, new, DiffOptions(compatibility=mode))
        assert [(f.rule, f.pointer, f.severity) for f in report.findings] == [
            (rule, pointer, severity)
        ], mode


def test_property_added_where_the_old_model_was_closed() -> None:
    old = order_spec()
    payload_of(old)["additionalProperties"] = False
    new = order_spec()
    payload_of(new)["additionalProperties"] = False
    _props(new)["fee"] = {"type": "number"}
    severities = [
        [(f.rule, f.severity) for f in diff_specs(old, new, DiffOptions(compatibility=m)).findings]
        for m in ("BACKWARD", "FORWARD", "FULL")
    ]
    assert severities == [
        [("property-added-closed-model", "non-breaking")],
        [("property-added-closed-model", "breaking")],
        [("property-added-closed-model", "breaking")],
    ]


def test_removals_point_into_the_old_spec_and_are_breaking() -> None:
    old = order_spec()
    new = order_spec()
    del new["channels"]["orders"]["messages"]["OrderPlaced"]
    report = diff_specs(old, new, DiffOptions())
    assert [(f.rule, f.pointer, f.severity, f.kind) for f in report.findings] == [
        ("message-removed", "/channels/orders/messages/OrderPlaced", "breaking", "OrderPlaced")
    ]
    del new["channels"]["orders"]
    report = diff_specs(old, new, DiffOptions())
    assert [(f.rule, f.pointer, f.channel) for f in report.findings] == [
        ("channel-removed", "/channels/orders", "shop.orders")
    ]


def test_consumer_group_gone_and_renamed() -> None:
    old = order_spec()
    new = order_spec()
    new["operations"]["billing"]["bindings"]["kafka"]["groupId"]["enum"] = ["billing-v2"]
    report = diff_specs(old, new, DiffOptions())
    assert sorted((f.rule, f.before, f.after) for f in report.findings) == [
        ("consumer-group-gone", "billing", None),
        ("consumer-group-new", None, "billing-v2"),
    ]


def test_many_changes_in_one_property_are_each_classified() -> None:
    # deepdiff would report a heavily changed dict as one replaced value; every keyword
    # must still get its own finding.
    old = order_spec()
    new = order_spec()
    _props(new)["coupon"].update({"maxLength": 8, "description": "d", "format": "uuid"})
    report = diff_specs(old, new, DiffOptions())
    assert sorted(f.rule for f in report.findings) == [
        "annotation-changed",
        "constraint-tightened",
        "format-changed",
    ]


def test_a_replaced_subschema_is_reported_as_unknown_not_dropped() -> None:
    old = order_spec()
    new = order_spec()
    _props(new)["coupon"] = True
    report = diff_specs(old, new, DiffOptions())
    assert [(f.rule, f.severity, f.before, f.after) for f in report.findings] == [
        ("unknown-change", "info", {"type": "string"}, True)
    ]


def test_same_spec_in_26_and_30_has_no_drift() -> None:
    old = yaml.safe_load((FIXTURES / "payments-2.6.yaml").read_text(encoding="utf-8"))
    new = yaml.safe_load((FIXTURES / "payments-3.0.yaml").read_text(encoding="utf-8"))
    assert diff_specs(old, new, DiffOptions()).findings == ()


def test_ids_are_stable_and_depend_on_what_not_when() -> None:
    old = order_spec()
    new = order_spec()
    _props(new)["amount"]["type"] = "string"
    first = diff_specs(old, new, DiffOptions())
    second = diff_specs(old, order_spec() | {"channels": new["channels"]}, DiffOptions())
    assert [f.id for f in first.findings] == [f.id for f in second.findings]
    assert first.findings[0].id == "D" + first.findings[0].id[1:]
    assert len(first.findings[0].id) == 13


def test_ignore_and_baseline_silence_findings_and_count_them() -> None:
    old = order_spec()
    new = order_spec()
    _props(new)["amount"]["type"] = "string"
    _props(new)["fee"] = {"type": "number"}
    full = diff_specs(old, new, DiffOptions())
    assert [f.rule for f in full.findings] == ["type-changed", "property-added"]
    by_rule = diff_specs(old, new, DiffOptions(ignore=frozenset({"property-added"})))
    assert [f.rule for f in by_rule.findings] == ["type-changed"]
    assert by_rule.suppressed == 1
    by_id = diff_specs(old, new, DiffOptions(baseline=frozenset({full.findings[0].id})))
    assert [f.rule for f in by_id.findings] == ["property-added"]
    assert by_id.suppressed == 1
    assert [f.rule for f in by_id.suppressed_findings] == ["type-changed"]
