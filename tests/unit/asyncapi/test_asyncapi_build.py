"""The AsyncAPI document writer: valid for the official tooling, deterministic, safe."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from inferrer.asyncapi.build import DocumentOptions, build_document
from inferrer.asyncapi.evidence import (
    EVIDENCE_VERSION,
    dump_evidence,
    evidence_path,
    inline_evidence,
    load_evidence,
    split_evidence,
)
from inferrer.asyncapi.io import dump_document
from inferrer.errors import UsageError
from tests.asyncapi_fixtures import (
    CUSTOMER_EXAMPLES,
    FAILED_EXAMPLES,
    SETTLED_EXAMPLES,
    all_metadata,
    all_summaries,
    payments_summary,
)

REPO = Path(__file__).resolve().parents[3]


def build(**options: Any) -> dict[str, Any]:
    return build_document(all_summaries(), all_metadata(), DocumentOptions(**options))


def test_v3_channels_messages_and_schemas() -> None:
    doc = build()
    assert sorted(doc["channels"]) == [
        "audit_log-v2",
        "bank.customers",
        "bank.payments",
        "ledger.entries",
    ]
    payments = doc["channels"]["bank.payments"]
    assert payments["address"] == "bank.payments"
    assert payments["messages"] == {
        "PaymentFailed": {"$ref": "#/components/messages/PaymentFailed"},
        "PaymentSettled": {"$ref": "#/components/messages/PaymentSettled"},
    }
    # Ids by the naming rules: a kind's value, a single-kind topic's meaningful segments.
    assert sorted(doc["components"]["messages"]) == [
        "Created",
        "Customer",
        "Entry",
        "PaymentFailed",
        "PaymentSettled",
    ]
    settled = doc["components"]["messages"]["PaymentSettled"]
    assert settled["payload"] == {"$ref": "#/components/schemas/PaymentSettled"}
    assert settled["name"] == "PaymentSettled"
    assert settled["title"] == "Payment Settled"
    assert settled["contentType"] == "application/json"
    assert settled["headers"]["properties"]["source"] == {
        "type": "string",
        "enum": ["core-banking"],
    }
    assert "$schema" not in doc["components"]["schemas"]["PaymentSettled"]
    assert doc["components"]["schemas"]["PaymentSettled"]["required"] == [
        "amount",
        "currency",
        "occurredAt",
        "paymentId",
        "type",
    ]
    assert doc["defaultContentType"] == "application/json"
    assert doc["info"]["title"] == "Inferred Kafka events"
    assert doc["info"]["description"].startswith(
        "Inferred by inferrer from a read-only sample of live Kafka traffic"
    )


def test_a_document_says_where_its_traffic_came_from() -> None:
    live = build()["info"]["description"]
    assert "read from the cluster" in live and "capture" not in live
    text = build(origin="capture")["info"]["description"]
    assert text.startswith("Inferred by inferrer from Kafka traffic recorded in capture files")
    assert "read from the cluster" not in text and "live" not in text


def test_v3_kafka_bindings() -> None:
    doc = build()
    assert doc["channels"]["bank.customers"]["bindings"] == {
        "kafka": {
            "topic": "bank.customers",
            "partitions": 1,
            "replicas": 1,
            "topicConfiguration": {
                "cleanup.policy": ["compact", "delete"],
                "delete.retention.ms": 86400000,
                "retention.ms": -1,
                "confluent.value.schema.validation": True,
            },
            "bindingVersion": "0.5.0",
        }
    }
    # Configs the 0.5.0 binding does not define (segment.ms ...) are left out.
    assert doc["channels"]["bank.payments"]["bindings"]["kafka"]["topicConfiguration"] == {
        "cleanup.policy": ["delete"],
        "retention.ms": 604800000,
        "retention.bytes": -1,
        "max.message.bytes": 1048588,
    }
    assert doc["components"]["messages"]["PaymentSettled"]["bindings"] == {
        "kafka": {
            "key": {"type": "string", "format": "uuid"},
            "schemaIdLocation": "payload",
            "schemaIdPayloadEncoding": "confluent",
            "bindingVersion": "0.5.0",
        }
    }
    assert doc["components"]["messages"]["Customer"]["bindings"] == {
        "kafka": {"key": {"type": "string"}, "bindingVersion": "0.5.0"}
    }


def test_v3_operations_send_per_channel_receive_per_group() -> None:
    doc = build()
    ops = doc["operations"]
    assert sorted(ops) == [
        "audit_log-v2.send",
        "bank.customers.receive.crm-sync",
        "bank.customers.send",
        "bank.payments.receive.fraud-detector",
        "bank.payments.receive.settlement-service",
        "bank.payments.send",
        "ledger.entries.send",
    ]
    assert ops["bank.payments.send"] == {
        "action": "send",
        "channel": {"$ref": "#/channels/bank.payments"},
        "summary": "Producers write to bank.payments.",
        "messages": [
            {"$ref": "#/channels/bank.payments/messages/PaymentFailed"},
            {"$ref": "#/channels/bank.payments/messages/PaymentSettled"},
        ],
    }
    receive = ops["bank.payments.receive.fraud-detector"]
    assert receive["action"] == "receive"
    assert receive["bindings"] == {
        "kafka": {
            "groupId": {"type": "string", "enum": ["fraud-detector"]},
            "bindingVersion": "0.5.0",
        }
    }


def test_evidence_extensions() -> None:
    doc = build(evidence="inline")
    channel = doc["channels"]["bank.payments"]
    assert channel["x-inferrer-sample-size"] == 150
    assert channel["x-inferrer-first-seen"] == "2024-05-01T12:00:00.000Z"
    assert channel["x-inferrer-last-seen"] == "2024-05-01T13:00:00.000Z"
    assert channel["x-inferrer-schema-ids"] == [3, 7]
    assert channel["x-inferrer-undecodable"] == {"invalid-json": 2}
    assert channel["x-inferrer-partitions-seen"] == [0, 1, 2]
    # Watermarks are offsets: they move with every message and replay does not keep
    # them, so the document leaves them to `infer-asyncapi topics`.
    assert "x-inferrer-approximate-messages" not in channel
    assert channel["x-inferrer-consumer-groups"] == ["fraud-detector", "settlement-service"]
    assert doc["channels"]["bank.customers"]["x-inferrer-tombstones"] == 2
    message = doc["components"]["messages"]["PaymentSettled"]
    assert message["x-inferrer-sample-size"] == 120
    assert message["x-inferrer-share-of-topic"] == 0.8
    assert message["x-inferrer-discriminator"] == {"field": "type", "value": "PaymentSettled"}
    assert message["x-inferrer-fields"]["/payerEmail"] == {
        "presence": 0.8,
        "nulls": 0.0,
        "types": {"string": 96},
        "distinct": 96,
        "format": "email",
    }
    assert message["x-inferrer-fields"]["/settlement/iban"]["distinctIsLowerBound"] is True
    assert doc["info"]["x-inferrer-sample-size"] == 206


def test_v2_channels_keyed_by_topic_with_publish_and_subscribe() -> None:
    doc = build(asyncapi_version="2.6.0")
    payments = doc["channels"]["bank.payments"]
    assert payments["publish"]["message"] == {
        "oneOf": [
            {"$ref": "#/components/messages/PaymentFailed"},
            {"$ref": "#/components/messages/PaymentSettled"},
        ]
    }
    assert payments["subscribe"]["bindings"]["kafka"]["groupId"] == {
        "type": "string",
        "enum": ["fraud-detector", "settlement-service"],
    }
    assert doc["channels"]["ledger.entries"]["publish"]["message"] == {
        "$ref": "#/components/messages/Entry"
    }
    assert "subscribe" not in doc["channels"]["ledger.entries"]
    assert "operations" not in doc


def test_server_ids_a_person_would_choose() -> None:
    from inferrer.asyncapi.build import server_name

    assert server_name("b-1.msk.eu-west-1.amazonaws.com:9092") == "b-1"
    assert server_name("127.0.0.1:56821") == "local"
    assert server_name("[::1]:9092") == "local"
    assert server_name("10.0.0.5:9092") == "broker"
    assert server_name("kafka") == "kafka"
    doc = build(bootstrap="kafka.a.example:9092,kafka.b.example:9092,10.0.0.5:9092")
    assert list(doc["servers"]) == ["kafka", "kafka_2", "broker"]
    named = build(bootstrap="127.0.0.1:9092,127.0.0.2:9092", server_name="prod")
    assert list(named["servers"]) == ["prod", "prod_2"]


def test_no_servers_without_bootstrap() -> None:
    assert "servers" not in build()


def test_duplicate_topic_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as info:
        build_document([payments_summary(), payments_summary()], {}, DocumentOptions())
    assert str(info.value) == "build_document got two summaries for the same topic"


# --- determinism ----------------------------------------------------------------------


def test_same_input_same_bytes_in_any_order() -> None:
    options = DocumentOptions(bootstrap="localhost:9092")
    first = dump_document(build_document(all_summaries(), all_metadata(), options))
    again = dump_document(build_document(all_summaries(), all_metadata(), options))
    shuffled = [
        dataclasses.replace(
            s,
            kinds=tuple(reversed(s.kinds)),
            schema_ids=tuple(reversed(s.schema_ids)),
            partitions_seen=tuple(reversed(s.partitions_seen)),
        )
        for s in reversed(all_summaries())
    ]
    metadata = {
        name: dataclasses.replace(md, consumer_groups=tuple(reversed(md.consumer_groups)))
        for name, md in reversed(list(all_metadata().items()))
    }
    reordered = dump_document(build_document(shuffled, metadata, options))
    assert first == again == reordered


SCRIPT = """
import sys
from inferrer.asyncapi.build import DocumentOptions, build_document
from inferrer.asyncapi.io import dump_document
from tests.asyncapi_fixtures import all_metadata, all_summaries
doc = build_document(all_summaries(), all_metadata(), DocumentOptions(bootstrap="localhost:9092"))
sys.stdout.write(dump_document(doc, sys.argv[1]))
"""


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_same_bytes_under_another_hash_seed(fmt: str) -> None:
    outputs = []
    for seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT, fmt],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.append(result.stdout)
    build_here = build_document(
        all_summaries(), all_metadata(), DocumentOptions(bootstrap="localhost:9092")
    )
    assert outputs[0] == outputs[1] == dump_document(build_here, fmt)  # type: ignore[arg-type]


# --- examples -------------------------------------------------------------------------


def iter_leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for item in value.values():
            yield from iter_leaves(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from iter_leaves(item)
    else:
        yield value


def iter_keys(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from iter_keys(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from iter_keys(item)


ENUM_VALUES = {"EUR", "GBP", "USD", "retail", "PaymentSettled", "PaymentFailed", "Created"}


def sampled_values() -> set[Any]:
    """Sampled leaves that are personal or business data (not enum values or booleans)."""
    examples = (*SETTLED_EXAMPLES, *FAILED_EXAMPLES, *CUSTOMER_EXAMPLES)
    leaves = {
        leaf
        for leaf in iter_leaves(examples)
        if leaf is not None and not isinstance(leaf, bool) and leaf not in ENUM_VALUES
    }
    leaves |= {"carol-account-7731", "rent for flat 4b", 991, 17}
    return leaves


def test_redacted_examples_leak_no_sampled_value() -> None:
    doc = build()
    for fmt in ("yaml", "json"):
        text = dump_document(doc, fmt)  # type: ignore[arg-type]
        for value in sampled_values():
            if isinstance(value, str):
                assert value not in text, value
    numbers = {v for v in sampled_values() if isinstance(v, int | float)}
    for message in doc["components"]["messages"].values():
        example_leaves = set(iter_leaves(message["examples"]))
        assert not (example_leaves & numbers)
        assert "carol-account-7731" not in set(iter_keys(message["examples"]))


def test_one_example_per_message_by_default() -> None:
    messages = build()["components"]["messages"]
    assert {name: len(m.get("examples", [])) for name, m in messages.items()} == {
        name: 1 for name, m in messages.items() if m.get("examples")
    }
    more = build(examples_per_message=3)["components"]["messages"]
    assert len(more["PaymentSettled"]["examples"]) == 2  # all the observation kept


def test_redacted_examples_keep_structure_types_formats_and_enums() -> None:
    doc = build(examples_per_message=3)
    settled = [e["payload"] for e in doc["components"]["messages"]["PaymentSettled"]["examples"]]
    assert len(settled) == 2
    for redacted, raw in zip(settled, SETTLED_EXAMPLES, strict=True):
        assert sorted(redacted) == sorted(raw)
        assert redacted["type"] == "PaymentSettled"
        assert redacted["currency"] == raw["currency"]
        assert redacted["urgent"] is raw["urgent"]
        assert isinstance(redacted["amount"], float)
        assert isinstance(redacted["attempts"], int) and redacted["attempts"] >= 1
        assert re.fullmatch(r"[^@\s]+@example\.com", redacted["payerEmail"])
        assert uuid.UUID(redacted["paymentId"])
        assert datetime.fromisoformat(redacted["occurredAt"])
        assert datetime.fromisoformat(redacted["settlement"]["bookedOn"])
        assert 15 <= len(redacted["settlement"]["iban"]) <= 34
    failed = doc["components"]["messages"]["PaymentFailed"]["examples"][0]["payload"]
    assert failed["labels"] == {"key1": "string"}
    customer = doc["components"]["messages"]["Customer"]["examples"][0]["payload"]
    assert customer["customerId"] == "c-000000"  # matches the schema's pattern
    assert customer["tags"] == ["string"]  # one item of the schema's array
    assert customer["address"] == "string"  # the schema example shows the non-null branch
    assert customer["segment"] == "corporate"  # the first value of the enum
    assert isinstance(customer["score"], int)
    audit = doc["components"]["messages"]["Created"]["examples"][0]["payload"]
    assert audit == {"id": 0}  # this fixture's schema declares no meta object


def test_raw_examples_are_the_sampled_values() -> None:
    doc = build(examples="raw", examples_per_message=3, evidence="inline")
    messages = doc["components"]["messages"]
    assert [e["payload"] for e in messages["PaymentSettled"]["examples"]] == list(SETTLED_EXAMPLES)
    assert [e["payload"] for e in messages["Customer"]["examples"]] == list(CUSTOMER_EXAMPLES)
    assert doc["info"]["x-inferrer-examples"] == "raw"


def test_no_examples_mode_writes_no_examples_and_no_values() -> None:
    doc = build(examples="none", evidence="inline")
    assert all("examples" not in m for m in doc["components"]["messages"].values())
    text = dump_document(doc)
    for value in sampled_values():
        if isinstance(value, str):
            assert value not in text, value
    assert doc["info"]["x-inferrer-examples"] == "none"


def test_by_default_the_document_holds_no_evidence_of_the_sample() -> None:
    inline = build(evidence="inline")
    contract = build()
    text = dump_document(contract)
    for name in ("sample-size", "first-seen", "last-seen", "fields", "partitions-seen"):
        assert f"x-inferrer-{name}" not in text
        assert f"x-inferrer-{name}" in dump_document(inline)
    # How kinds are told apart is part of the contract and stays.
    settled = contract["components"]["messages"]["PaymentSettled"]
    assert settled["x-inferrer-discriminator"] == {"field": "type", "value": "PaymentSettled"}
    assert "evidence file" in contract["info"]["description"]


def test_evidence_split_out_and_inlined_again_is_the_inline_document() -> None:
    inline = build(evidence="inline")
    contract, evidence = split_evidence(inline, document_name="asyncapi.yaml")
    assert evidence["inferrerEvidence"] == EVIDENCE_VERSION
    assert evidence["document"] == "asyncapi.yaml"
    assert evidence["nodes"]["/channels/bank.payments"]["sample-size"] == 150
    fields = evidence["nodes"]["/components/messages/PaymentSettled"]["fields"]
    assert fields["/payerEmail"]["presence"] == 0.8
    assert inline_evidence(contract, evidence) == inline
    assert json.loads(dump_evidence(evidence)) == evidence


def test_the_evidence_file_follows_its_documented_schema(tmp_path: Path) -> None:
    _, evidence = split_evidence(build(evidence="inline"), document_name="asyncapi.yaml")
    path = tmp_path / "asyncapi.evidence.json"
    path.write_text(dump_evidence(evidence), encoding="utf-8")
    schema = json.loads((REPO / "docs" / "evidence.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.Draft7Validator(schema).validate(load_evidence(path))
    assert evidence_path(tmp_path / "asyncapi.yaml") == path


def test_the_default_example_is_made_from_the_schema_and_fits_it() -> None:
    doc = build()
    for message_id, message in doc["components"]["messages"].items():
        schema = doc["components"]["schemas"][message_id]
        for example in message.get("examples", []):
            assert jsonschema.Draft7Validator(schema).is_valid(example["payload"])
    settled = doc["components"]["messages"]["PaymentSettled"]["examples"]
    assert len(settled) == 1
    assert settled[0]["payload"]["type"] == "PaymentSettled"


def test_tombstones_are_admitted_by_the_payload() -> None:
    import jsonschema

    doc = build(evidence="inline")
    schemas = doc["components"]["schemas"]
    (customer_id,) = doc["channels"]["bank.customers"]["messages"]
    customer = jsonschema.Draft202012Validator(schemas[customer_id])
    # A compacted topic's tombstone (a null value) is a valid payload, counted as evidence.
    assert customer.is_valid(None)
    assert {"type": "null"} in schemas[customer_id]["anyOf"]
    assert doc["channels"]["bank.customers"]["x-inferrer-tombstones"] == 2
    for example in CUSTOMER_EXAMPLES:
        assert customer.is_valid(example)
    # A topic without tombstones keeps its payload non-null.
    for message_id in doc["channels"]["bank.payments"]["messages"]:
        assert not jsonschema.Draft202012Validator(schemas[message_id]).is_valid(None)
