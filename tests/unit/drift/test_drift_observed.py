"""Spec against traffic: each finding from hand-made summaries, metadata and decoded messages."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

import pytest

from inferrer.drift.model import DriftReport, Finding
from inferrer.drift.options import DiffOptions
from inferrer.drift.traffic import diff_observed
from inferrer.errors import SpecError
from inferrer.model import DecodedMessage, KindSummary, TopicMetadata, TopicSummary
from tests.drift_helpers import PAYLOAD, order_spec, payload_of

TOPIC = "shop.orders"
HEADERS = "/channels/orders/messages/OrderPlaced/headers"
KEY = "/channels/orders/messages/OrderPlaced/bindings/kafka/key"
BIND = "/channels/orders/bindings/kafka"


def order(i: int, **changes: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "type": "OrderPlaced",
        "orderId": str(uuid.UUID(int=i)),
        "amount": 10.5 + i,
        "status": "NEW" if i % 2 else "PAID",
        "lines": [{"sku": f"SKU-{i}", "qty": 1 + i % 3}],
    }
    if i % 3 == 0:
        value["coupon"] = f"C{i}"
    for name, new in changes.items():
        if new is ...:
            value.pop(name, None)
        else:
            value[name] = new
    return value


def message(i: int, value: Any, **fields: Any) -> DecodedMessage:
    base: dict[str, Any] = {
        "topic": TOPIC,
        "partition": i % 3,
        "offset": 100 + i,
        "timestamp": None,
        "ok": True,
        "value": value,
        "key": f"customer-{i}",
        "key_encoding": "text",
        "headers": {"traceparent": f"00-{i:032x}-{i:016x}-01"},
        "kind": value.get("type") if isinstance(value, dict) else None,
    }
    base.update(fields)
    return DecodedMessage(**base)


def summary(n: int, topic: str = TOPIC, kinds: Sequence[str] = ("OrderPlaced",)) -> TopicSummary:
    return TopicSummary(
        topic=topic,
        messages=n,
        kinds=tuple(KindSummary(name=k, count=n, payload_schema={}) for k in kinds),
    )


def run(
    messages: Sequence[DecodedMessage],
    spec: dict[str, Any] | None = None,
    summaries: Sequence[TopicSummary] | None = None,
    metadata: dict[str, TopicMetadata] | None = None,
    **options: Any,
) -> DriftReport:
    return diff_observed(
        spec or order_spec(),
        summaries if summaries is not None else [summary(len(messages))],
        metadata,
        messages,
        DiffOptions(**options),
    )


def only(report: DriftReport, rule: str) -> Finding:
    found = [f for f in report.findings if f.rule == rule]
    assert len(found) == 1, [(f.rule, f.message) for f in report.findings]
    return found[0]


def rules(report: DriftReport) -> list[str]:
    return [f.rule for f in report.findings]


def test_traffic_that_follows_the_spec_has_no_findings() -> None:
    msgs = [message(i, order(i)) for i in range(60)]
    assert run(msgs).findings == ()


def test_null_appearing_counts_rate_and_points_at_the_property() -> None:
    msgs = [message(i, order(i, amount=None if i < 5 else 1.0)) for i in range(50)]
    report = run(msgs)
    f = only(report, "null-appearing")
    assert f.severity == "breaking"
    assert f.pointer == f"{PAYLOAD}/properties/amount"
    assert (f.before, f.after) == (["number"], ["number", "null"])
    assert f.evidence is not None
    assert (f.evidence.count, f.evidence.ratio) == (5, 0.1)
    assert (f.evidence.partition, f.evidence.offset) == (0, 100)
    assert f.message == "shop.orders OrderPlaced payload /amount: null in 5 of 50 values"
    assert rules(report) == ["null-appearing"]  # the failed validations are this finding


def test_evidence_examples_are_redacted() -> None:
    msgs = [message(i, order(i, amount=None)) for i in range(3)]
    f = only(run(msgs), "null-appearing")
    assert f.evidence is not None
    example = f.evidence.example
    assert example["amount"] is None
    # Redacted with the spec's schema: qty's placeholder respects its minimum of 1, the
    # uuid stays a uuid, the enum value the spec lists stays.
    assert example["lines"] == [{"qty": 1, "sku": "string"}]
    assert example["orderId"] == "00000000-0000-4000-8000-000000000000"
    assert set(example) == set(msgs[0].value)
    assert "SKU-0" not in json.dumps(f.to_dict())


def test_required_missing_type_widened_changed_enum_and_format() -> None:
    msgs = [message(i, order(i)) for i in range(40)]
    msgs += [message(40, order(40, orderId=...))]
    msgs += [message(41, order(41, amount="12.50"))]
    msgs += [message(42, order(42, status="SHIPPED")), message(43, order(43, status="LOST"))]
    msgs += [message(44, order(44, orderId="not-a-uuid"))]
    msgs += [message(45, order(45, lines=[{"sku": 7, "qty": 1}]))]
    report = run(msgs)
    missing = only(report, "required-missing")
    assert missing.pointer == f"{PAYLOAD}/properties/orderId"
    assert missing.evidence is not None and missing.evidence.count == 1
    widened_items = [f for f in report.findings if f.rule == "traffic-type-widened"]
    assert [(f.pointer, f.after) for f in widened_items] == [
        (f"{PAYLOAD}/properties/amount", ["number", "string"]),
        (f"{PAYLOAD}/properties/lines/items/properties/sku", ["integer", "string"]),
    ]
    enum = only(report, "enum-value-new")
    assert (enum.before, enum.after) == (["NEW", "PAID"], ["LOST", "SHIPPED"])
    fmt = only(report, "format-violation")
    assert fmt.severity == "non-breaking"
    assert fmt.message == (
        "shop.orders OrderPlaced payload /orderId: 1 of 45 values do not match format uuid"
    )
    assert {f.severity for f in report.findings if f.rule != "format-violation"} == {"breaking"}


def test_new_property_is_non_breaking_but_breaking_in_a_closed_model() -> None:
    msgs = [message(i, order(i, giftWrap=True) if i < 4 else order(i)) for i in range(20)]
    f = only(run(msgs), "property-new")
    assert (f.severity, f.pointer, f.after) == (
        "non-breaking",
        f"{PAYLOAD}/properties/giftWrap",
        {"types": ["boolean"]},
    )
    assert f.evidence is not None and (f.evidence.count, f.evidence.ratio) == (4, 0.2)
    closed = order_spec()
    payload_of(closed)["additionalProperties"] = False
    report = run(msgs, spec=closed)
    assert only(report, "property-new-closed-model").severity == "breaking"


def test_documented_optional_property_unseen_is_unobserved_not_removed() -> None:
    msgs = [message(i, order(1)) for i in range(500)]  # i=1: never a coupon
    f = only(run(msgs), "property-unobserved")
    assert (f.severity, f.pointer) == ("info", f"{PAYLOAD}/properties/coupon")
    assert f.after == {"present": 0, "of": 500}


def test_absence_is_called_only_when_the_documented_presence_makes_it_clear() -> None:
    spec = order_spec()
    payload_of(spec)["properties"]["coupon"]["x-presence-ratio"] = 0.3
    few = [message(i, order(1)) for i in range(20)]  # 0.7**20 ≈ 8e-4: not clear
    assert only(run(few, spec=spec), "property-unobserved").before == {"presence_ratio": 0.3}
    many = [message(i, order(1)) for i in range(60)]  # 0.7**60 ≈ 5e-10: clear
    f = only(run(many, spec=spec), "property-absent")
    assert f.severity == "non-breaking"


def test_key_and_headers_are_checked_against_their_schemas() -> None:
    msgs = [message(i, order(i), key=i, key_encoding="json") for i in range(10)]
    msgs += [message(10, order(10), key=10, headers={"traceparent": "x", "tenant": b"acme"})]
    report = run(msgs)
    key = only(report, "traffic-type-changed")
    assert (key.where, key.pointer) == ("key", KEY)
    header = only(report, "property-new")
    assert (header.where, header.pointer) == ("headers", f"{HEADERS}/properties/tenant")


def test_topics_undocumented_missing_and_silent() -> None:
    metadata = {
        "shop.refunds": TopicMetadata(name="shop.refunds", partitions=1, replication_factor=1),
    }
    report = run([], summaries=[summary(3, topic="shop.refunds")], metadata=metadata)
    assert [(f.rule, f.severity, f.channel) for f in report.findings] == [
        ("topic-missing", "breaking", "shop.orders"),
        ("topic-undocumented", "non-breaking", "shop.refunds"),
    ]
    silent = run([], summaries=[])
    assert [(f.rule, f.severity, f.pointer) for f in silent.findings] == [
        ("topic-silent", "info", "/channels/orders")
    ]
    scoped = run([], summaries=[], scope=frozenset({"shop.other"}))
    assert scoped.findings == ()


def test_new_kind_and_documented_kind_not_seen() -> None:
    spec = order_spec()
    spec["channels"]["orders"]["messages"]["OrderCancelled"] = {
        "name": "OrderCancelled",
        "payload": {"type": "object"},
    }
    msgs = [message(i, order(i)) for i in range(10)]
    msgs.append(message(10, {"type": "OrderRefunded", "orderId": "x"}))
    report = run(msgs, spec=spec, summaries=[summary(11, kinds=("OrderPlaced", "OrderRefunded"))])
    new = only(report, "kind-undocumented")
    assert (new.severity, new.kind, new.pointer) == (
        "non-breaking",
        "OrderRefunded",
        "/channels/orders/messages",
    )
    assert new.evidence is not None and (new.evidence.partition, new.evidence.offset) == (1, 110)
    unseen = only(report, "kind-unobserved")
    assert (unseen.severity, unseen.kind) == ("info", "OrderCancelled")


def test_bindings_against_cluster_metadata() -> None:
    metadata = {
        TOPIC: TopicMetadata(
            name=TOPIC,
            partitions=2,
            replication_factor=1,
            configs={"cleanup.policy": "compact,delete", "retention.ms": "86400000"},
            consumer_groups=("fraud",),
        )
    }
    msgs = [message(i, order(i)) for i in range(5)]
    report = run(msgs, metadata=metadata)
    assert [(f.rule, f.severity, f.pointer, f.before, f.after) for f in report.findings] == [
        ("partitions-decreased", "breaking", f"{BIND}/partitions", 3, 2),
        (
            "cleanup-policy-changed",
            "breaking",
            f"{BIND}/topicConfiguration/cleanup.policy",
            ["delete"],
            ["compact", "delete"],
        ),
        (
            "retention-changed",
            "non-breaking",
            f"{BIND}/topicConfiguration/retention.ms",
            604800000,
            86400000,
        ),
        ("consumer-group-gone", "non-breaking", "/operations/billing", "billing", None),
        ("replicas-changed", "info", f"{BIND}/replicas", 3, 1),
        ("consumer-group-new", "info", "/channels/orders/x-consumer-groups/fraud", None, "fraud"),
    ]


def test_undecodable_messages_and_tombstones() -> None:
    msgs = [message(i, order(i)) for i in range(8)]
    msgs.append(message(8, None, ok=False, reason="invalid JSON", kind=None))
    msgs.append(message(9, None, encoding="null", kind=None))
    f = only(run(msgs, summaries=[summary(10)]), "undecodable-messages")
    assert f.after == {"invalid JSON": 1}
    assert f.evidence is not None and (f.evidence.count, f.evidence.ratio) == (1, 0.1)


def test_validation_work_is_bounded_per_kind_but_every_new_shape_is_validated() -> None:
    msgs = [message(i, order(1, coupon=...)) for i in range(100)]
    two_lines = [{"sku": "a", "qty": 0}, {"sku": "b", "qty": 1}]
    msgs.append(message(100, order(1, coupon=..., lines=two_lines)))  # a new shape
    msgs.append(message(101, order(1, coupon=..., status="LOST")))  # same shape, not validated
    zero_qty = [{"sku": "a", "qty": 0}]
    msgs.append(message(102, order(1, coupon=..., lines=zero_qty)))  # same shape, not validated
    f = only(run(msgs, max_validations_per_kind=10), "validation-failure")
    assert f.after == {
        "failed": 1,
        "validated": 11,
        "top_reasons": [{"count": 1, "reason": "/lines/0/qty: fails minimum"}],
    }
    # the field walk still sees every message
    assert only(run(msgs, max_validations_per_kind=10), "enum-value-new").evidence is not None


def test_severity_follows_the_compatibility_mode() -> None:
    msgs = [message(i, order(i, amount=None, lines=[{"sku": "a", "qty": 0}])) for i in range(4)]
    forward = run(msgs, compatibility="FORWARD")
    assert {f.rule: f.severity for f in forward.findings} == {
        "null-appearing": "non-breaking",
        "validation-failure": "non-breaking",
    }


def test_an_invalid_committed_schema_cannot_run() -> None:
    spec = order_spec()
    payload_of(spec)["properties"]["amount"]["type"] = "money"
    with pytest.raises(SpecError) as e:
        run([message(0, order(0))], spec=spec)
    assert str(e.value).startswith(
        f"spec spec at {PAYLOAD}: not a valid JSON Schema: 'money' is not valid under any of "
    )
    assert e.value.exit_code == 3


# --- one finding per root cause -------------------------------------------------


def test_a_type_change_is_one_finding_not_also_a_validation_failure() -> None:
    msgs = [message(i, order(i, amount=f"{i}.50")) for i in range(30)]
    report = run(msgs)
    assert [(f.rule, f.pointer) for f in report.findings] == [
        ("traffic-type-changed", f"{PAYLOAD}/properties/amount")
    ]
    assert report.findings[0].message == (
        "shop.orders OrderPlaced payload /amount: type ['number'] documented, ['string'] seen "
        "(30 of 30 values)"
    )


def test_each_field_finding_explains_its_validation_errors() -> None:
    spec = order_spec()
    payload_of(spec)["additionalProperties"] = False
    payload_of(spec)["properties"]["note"] = {"anyOf": [{"type": "string"}, {"type": "integer"}]}
    payload_of(spec)["properties"]["note"]["anyOf"][0]["enum"] = ["hi"]
    msgs = [message(i, order(i)) for i in range(20)]
    msgs += [message(20, order(20, orderId=...))]  # required missing
    msgs += [message(21, order(21, status="LOST"))]  # enum value new
    msgs += [message(22, order(22, giftWrap=True))]  # property new in a closed model
    msgs += [message(23, order(23, lines=[{"qty": 2}]))]  # required missing in an item
    msgs += [message(24, order(24, note="bye"))]  # enum value new inside an anyOf branch
    msgs += [message(25, order(25, amount=None))]  # null appearing
    report = run(msgs, spec=spec)
    assert sorted((f.rule, f.pointer) for f in report.findings) == [
        ("enum-value-new", f"{PAYLOAD}/properties/note/anyOf/0"),
        ("enum-value-new", f"{PAYLOAD}/properties/status"),
        ("null-appearing", f"{PAYLOAD}/properties/amount"),
        ("property-new-closed-model", f"{PAYLOAD}/properties/giftWrap"),
        ("required-missing", f"{PAYLOAD}/properties/lines/items/properties/sku"),
        ("required-missing", f"{PAYLOAD}/properties/orderId"),
    ]


def test_a_keyword_the_field_walk_does_not_check_stays_a_validation_failure() -> None:
    spec = order_spec()
    payload_of(spec)["properties"]["coupon"]["maxLength"] = 3
    payload_of(spec)["properties"]["lines"]["items"]["properties"]["sku"]["pattern"] = "^SKU-"
    msgs = [message(i, order(i, coupon=...)) for i in range(20)]
    msgs += [message(20 + i, order(i, coupon="LONGCODE")) for i in range(3)]
    msgs += [message(23, order(23, coupon=..., lines=[{"sku": "X-1", "qty": 1}]))]
    report = run(msgs, spec=spec)
    f = only(report, "validation-failure")
    assert rules(report) == ["validation-failure"]
    assert (f.severity, f.pointer) == ("breaking", PAYLOAD)
    assert f.after == {
        "failed": 4,
        "validated": 24,
        "top_reasons": [
            {"count": 3, "reason": "/coupon: fails maxLength"},
            {"count": 1, "reason": "/lines/0/sku: fails pattern"},
        ],
    }
    assert f.message == (
        "shop.orders OrderPlaced payload 4 of 24 validated messages fail the committed schema "
        "(16.7%) for reasons no field finding explains; top reasons: /coupon: fails maxLength "
        "(3); /lines/0/sku: fails pattern (1)"
    )
    assert f.evidence is not None
    # The first failing message by (partition, offset): 121 is on partition 0, 120 on 2.
    assert (f.evidence.partition, f.evidence.offset) == (0, 121)
    assert (f.evidence.count, f.evidence.ratio) == (4, 0.166667)


def test_mixed_failures_keep_only_the_unexplained_ones_in_validation_failure() -> None:
    spec = order_spec()
    payload_of(spec)["properties"]["coupon"]["maxLength"] = 3
    msgs = [message(i, order(i, coupon=...)) for i in range(20)]
    msgs += [message(20 + i, order(i, coupon=..., amount="1.5")) for i in range(5)]
    msgs += [message(25, order(25, coupon="LONGCODE"))]
    msgs += [message(26, order(26, coupon="LONGCODE", amount="2.5"))]  # both at once
    report = run(msgs, spec=spec)
    assert rules(report) == ["validation-failure", "traffic-type-widened"]
    widened = only(report, "traffic-type-widened")
    assert widened.evidence is not None and widened.evidence.count == 6
    failure = only(report, "validation-failure")
    assert failure.after == {
        "failed": 2,
        "validated": 27,
        "top_reasons": [{"count": 2, "reason": "/coupon: fails maxLength"}],
    }
    assert failure.evidence is not None
    assert (failure.evidence.count, failure.evidence.offset) == (2, 125)
