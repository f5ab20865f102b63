"""Registry-backed traffic for tests: Confluent-framed Avro (two versions of one record
live at once, an Avro key), Protobuf, JSON Schema, and a topic carrying two record types,
with the writer schemas a capture's sidecar holds."""

from __future__ import annotations

import io
import json
from typing import Any

import fastavro
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from inferrer.records import Record
from inferrer.registry.client import RegisteredSchema
from inferrer.registry.document import Located
from inferrer.registry.schemas import _compile_proto

T0 = 1_772_445_600_000
PAYMENT_V1 = {
    "type": "record",
    "name": "Payment",
    "namespace": "com.bank",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "amount", "type": "long"},
        {
            "name": "currency",
            "type": {"type": "enum", "name": "Currency", "symbols": ["EUR", "USD"]},
        },
    ],
}
PAYMENT_V2 = {
    **PAYMENT_V1,
    "fields": [
        *PAYMENT_V1["fields"],
        {"name": "memo", "type": ["null", "string"], "default": None},
    ],  # type: ignore[list-item]
}
REFUND = {
    "type": "record",
    "name": "Refund",
    "namespace": "com.bank",
    "fields": [{"name": "paymentId", "type": "string"}, {"name": "reason", "type": "string"}],
}
ACCOUNT_KEY = {
    "type": "record",
    "name": "AccountKey",
    "namespace": "com.bank",
    "fields": [{"name": "iban", "type": "string"}],
}
SHIPMENT_JSON = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Shipment",
    "type": "object",
    "properties": {"id": {"type": "string"}, "weight": {"type": "number"}},
    "required": ["id"],
}
ORDER_PROTO = 'syntax = "proto3";\npackage shop;\nmessage Order { string id = 1; int64 qty = 2; }\n'
SCHEMAS = {
    1: RegisteredSchema("AVRO", json.dumps(PAYMENT_V1)),
    2: RegisteredSchema("AVRO", json.dumps(PAYMENT_V2)),
    3: RegisteredSchema("AVRO", json.dumps(REFUND)),
    4: RegisteredSchema("AVRO", json.dumps(ACCOUNT_KEY)),
    5: RegisteredSchema("PROTOBUF", ORDER_PROTO),
    6: RegisteredSchema("JSON", json.dumps(SHIPMENT_JSON)),
}
LOCATED = {
    2: Located("bank.payments-value", 2, "TopicNameStrategy"),
    3: Located("bank.ledger-com.bank.Refund", 1, "TopicRecordNameStrategy"),
    4: Located("bank.payments-key", 1, "TopicNameStrategy"),
    5: Located("shop.orders-value", 1, "TopicNameStrategy"),
    6: Located("logistics.shipments-value", 1, "TopicNameStrategy"),
}


def framed(schema_id: int, body: bytes) -> bytes:
    return b"\x00" + schema_id.to_bytes(4, "big") + body


def avro(schema: dict[str, Any], datum: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(schema), datum)
    return out.getvalue()


def order_class() -> Any:
    fds = descriptor_pb2.FileDescriptorSet.FromString(_compile_proto({"o.proto": ORDER_PROTO}))
    pool = descriptor_pool.DescriptorPool()
    for f in fds.file:
        pool.Add(f)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("shop.Order"))


def traffic() -> list[Record]:
    records: list[Record] = []
    order = order_class()
    for i in range(120):
        ts = T0 + i * 1000
        pay: dict[str, Any] = {"id": f"p-{i}", "amount": 100 + i, "currency": ["EUR", "USD"][i % 2]}
        value = (
            framed(1, avro(PAYMENT_V1, pay))
            if i < 60
            else framed(2, avro(PAYMENT_V2, {**pay, "memo": None if i % 3 else "rent"}))
        )
        key = framed(4, avro(ACCOUNT_KEY, {"iban": f"DE{i % 7:020d}"}))
        records.append(Record("bank.payments", i % 2, i // 2, ts, key, value))
        ledger = (
            framed(2, avro(PAYMENT_V2, {**pay, "memo": None}))
            if i % 4
            else framed(3, avro(REFUND, {"paymentId": f"p-{i}", "reason": "duplicate"}))
        )
        records.append(Record("bank.ledger", 0, i, ts, None, ledger))
        body = order(id=f"o-{i}", qty=i % 5 + 1).SerializeToString()
        records.append(Record("shop.orders", 0, i, ts, b"o", framed(5, b"\x00" + body)))
        shipment = json.dumps({"id": f"s-{i}", "weight": i / 4}).encode()
        records.append(Record("logistics.shipments", 0, i, ts, None, framed(6, shipment)))
    return records
