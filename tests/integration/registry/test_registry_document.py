"""Registry-backed topics in the document, offline: a capture and its schema sidecar.

The capture holds Confluent-framed Avro (two versions of one record live at once, and
an Avro key), Protobuf, JSON Schema, and a topic carrying two record types; the sidecar
holds their writer schemas, as ``record --schema-registry`` writes it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastavro
import pytest

from inferrer import pipeline
from inferrer.asyncapi.build import DocumentOptions
from inferrer.asyncapi.io import dump_document
from inferrer.capture import write_capture
from inferrer.pipeline import Source
from inferrer.registry.sidecar import write_sidecar
from tests import asyncapi_fixtures
from tests.registry_traffic import (
    LOCATED,
    ORDER_PROTO,
    PAYMENT_V2,
    REFUND,
    SCHEMAS,
    SHIPMENT_JSON,
    traffic,
)

asyncapi_parser = asyncapi_fixtures.asyncapi_parser
asyncapi_check = asyncapi_fixtures.asyncapi_check

pytestmark = pytest.mark.npm


@pytest.fixture
def capture(tmp_path: Path) -> Path:
    path = tmp_path / "registry.jsonl"
    write_capture(traffic(), path)
    write_sidecar(path, SCHEMAS, [], LOCATED)
    return path


def infer(path: Path, **options: Any) -> tuple[dict[str, Any], tuple[str, ...]]:
    got = pipeline.infer(
        Source(capture_files=(path,)), DocumentOptions(evidence="inline", **options)
    )
    return got.document, got.warnings


def messages_of(doc: dict[str, Any], channel: str) -> dict[str, dict[str, Any]]:
    refs = doc["channels"][channel]["messages"]
    return {name: doc["components"]["messages"][name] for name in refs}


def test_registry_topics_carry_the_registry_schemas(
    capture: Path, asyncapi_check: Callable[[dict[str, Any]], None]
) -> None:
    doc, warnings = infer(capture)
    assert warnings == ()
    asyncapi_check(doc)

    [payment] = messages_of(doc, "bank.payments").values()
    # Two versions live at once: one message, the newest writer schema, both ids seen.
    assert payment["payload"]["schemaFormat"] == "application/vnd.apache.avro;version=1.9.0"
    assert payment["payload"]["schema"] == PAYMENT_V2
    assert payment["contentType"] == "application/vnd.confluent.avro"
    binding = payment["bindings"]["kafka"]
    assert binding["schemaIdLocation"] == "payload"
    assert binding["schemaIdPayloadEncoding"] == "confluent"
    assert binding["schemaLookupStrategy"] == "TopicNameStrategy"
    # The Avro key was decoded too: its observed shape is the key schema.
    assert binding["key"]["properties"]["iban"]["type"] == "string"
    registry = payment["x-inferrer-registry"]
    assert payment["x-inferrer-sample-size"] == 120
    assert registry == {
        "record": "com.bank.Payment",
        "schemaId": 2,
        "schemaIds": [1, 2],
        "schemaType": "AVRO",
        "strategy": "TopicNameStrategy",
        "subject": "bank.payments-value",
        "version": 2,
    }
    # What the registry does not say, the sample does: which enum symbols occur.
    observed = payment["x-inferrer-observed-schema"]
    assert observed["properties"]["currency"]["enum"] == ["EUR", "USD"]
    assert "examples" not in payment  # JSON examples cannot be checked against Avro
    fastavro.parse_schema(payment["payload"]["schema"])

    [order] = messages_of(doc, "shop.orders").values()
    assert order["payload"] == {
        "schemaFormat": "application/vnd.google.protobuf;version=3",
        "schema": ORDER_PROTO,
    }
    assert order["x-inferrer-observed-schema"]["properties"]["qty"]["type"] == "integer"

    [shipment] = messages_of(doc, "logistics.shipments").values()
    assert shipment["payload"]["schemaFormat"] == "application/schema+json;version=draft-07"
    assert shipment["payload"]["schema"] == SHIPMENT_JSON


def test_several_record_types_on_one_topic_are_one_message_each(capture: Path) -> None:
    doc, _ = infer(capture)
    ledger = messages_of(doc, "bank.ledger")
    by_record = {m["x-inferrer-registry"]["record"]: m for m in ledger.values()}
    assert sorted(by_record) == ["com.bank.Payment", "com.bank.Refund"]
    refund = by_record["com.bank.Refund"]
    assert refund["payload"]["schema"] == REFUND
    assert refund["bindings"]["kafka"]["schemaLookupStrategy"] == "TopicRecordNameStrategy"
    assert refund["x-inferrer-sample-size"] == 30
    payment = by_record["com.bank.Payment"]
    assert payment["x-inferrer-sample-size"] == 90
    # Each record type's message carries what its own messages showed.
    assert sorted(refund["x-inferrer-observed-schema"]["properties"]) == ["paymentId", "reason"]
    assert refund["x-inferrer-fields"]["/reason"]["distinct"] == 1
    assert sorted(payment["x-inferrer-observed-schema"]["properties"]) == [
        "amount",
        "currency",
        "id",
        "memo",
    ]
    currency = payment["x-inferrer-observed-schema"]["properties"]["currency"]
    assert currency["enum"] == ["EUR", "USD"]
    assert (refund["x-inferrer-first-seen"], payment["x-inferrer-first-seen"]) == (
        "2026-03-02T10:00:00.000Z",
        "2026-03-02T10:00:01.000Z",
    )
    assert "/paymentId" not in payment["x-inferrer-fields"]
    assert payment["x-inferrer-fields"]["/memo"]["nulls"] == 1.0
    assert payment["x-inferrer-fields"]["/amount"]["types"] == {"integer": 90}


def test_each_record_type_has_its_own_observed_facts_in_the_evidence_file(capture: Path) -> None:
    got = pipeline.infer(Source(capture_files=(capture,)), DocumentOptions(evidence="file"))
    assert got.evidence is not None
    refund = got.evidence["nodes"]["/components/messages/Refund"]
    # Payment is also bank.payments' message: this one is named for its channel.
    payment = got.evidence["nodes"]["/components/messages/LedgerPayment"]
    assert (refund["sample-size"], payment["sample-size"]) == (30, 90)
    assert sorted(refund["observed-schema"]["properties"]) == ["paymentId", "reason"]
    assert "memo" in payment["observed-schema"]["properties"]
    assert sorted(refund["fields"]) == ["/paymentId", "/reason"]
    assert refund["share-of-topic"] == 0.25


def test_version_2_6_names_the_format_on_the_message(
    capture: Path, asyncapi_check: Callable[[dict[str, Any]], None]
) -> None:
    doc, _ = infer(capture, asyncapi_version="2.6.0")
    asyncapi_check(doc)
    ref = doc["channels"]["bank.payments"]["publish"]["message"]["$ref"]
    payment = doc["components"]["messages"][ref.rsplit("/", 1)[-1]]
    assert payment["schemaFormat"] == "application/vnd.apache.avro;version=1.9.0"
    assert payment["payload"] == PAYMENT_V2


def test_the_document_is_deterministic(capture: Path) -> None:
    first, _ = infer(capture)
    second, _ = infer(capture)
    assert dump_document(first, "yaml") == dump_document(second, "yaml")


def test_without_schemas_framed_topics_are_named_in_one_warning(
    capture: Path, tmp_path: Path
) -> None:
    bare = tmp_path / "bare" / "registry.jsonl"
    bare.parent.mkdir()
    shutil.copy(capture, bare)  # no schema sidecar beside it
    doc, warnings = infer(bare)
    [warning] = [w for w in warnings if "Schema Registry" in w]
    assert warning.endswith("on: bank.ledger, bank.payments, shop.orders")
    [payment] = messages_of(doc, "bank.payments").values()
    assert payment["contentType"] == "application/vnd.confluent.avro"
    assert "x-inferrer-registry" not in payment
