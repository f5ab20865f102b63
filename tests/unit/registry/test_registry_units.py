"""The Schema Registry pieces that need no server: settings, framing, decoders, sidecar.

Writer schemas come from a :class:`SidecarSchemas` (the offline schema source the
product itself uses for captures); messages are encoded with fastavro and the protobuf
runtime, as producers' serializers would.
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import json
import uuid
from pathlib import Path
from typing import Any

import fastavro
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from inferrer.errors import CaptureError, ConfigError
from inferrer.kafka.config import redact_known, translate_properties
from inferrer.records import Record
from inferrer.registry.client import Reference, RegisteredSchema, SubjectVersion
from inferrer.registry.document import Located
from inferrer.registry.framed import MAX_SCHEMAS, FramedDecoder
from inferrer.registry.schemas import (
    UndecodableBody,
    _compile_proto,
    framed_id,
    message_indexes,
)
from inferrer.registry.settings import registry_settings
from inferrer.registry.sidecar import SidecarSchemas, read_sidecars, schemas_path, write_sidecar

PAYMENT = {
    "type": "record",
    "name": "Payment",
    "namespace": "com.bank",
    "fields": [
        {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {
            "name": "amount",
            "type": {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2},
        },
        {"name": "note", "type": ["null", "string"], "default": None},
        {"name": "raw", "type": "bytes"},
    ],
}
ORDER_PROTO = """syntax = "proto3";
package shop;
message Order {
  string id = 1;
  int64 quantity = 2;
  message Line { string sku = 1; int32 count = 2; }
  repeated Line lines = 3;
}
message Refund { string order_id = 1; }
"""


def framed(schema_id: int, body: bytes) -> bytes:
    return b"\x00" + schema_id.to_bytes(4, "big") + body


def avro_body(schema: Any, datum: Any) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(schema), datum)
    return out.getvalue()


def source(schemas: dict[int, RegisteredSchema]) -> SidecarSchemas:
    found = SidecarSchemas()
    found.by_id.update(schemas)
    return found


def payment(i: int) -> dict[str, Any]:
    return {
        "id": str(uuid.UUID(int=i + 1)),
        "at": dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC) + dt.timedelta(seconds=i),
        "day": dt.date(2026, 3, 2),
        "amount": decimal.Decimal(1234 + i) / 100,
        "note": None if i % 2 else "first",
        "raw": bytes([1, 2, i % 256]),
    }


def proto_classes() -> dict[str, Any]:
    fds = descriptor_pb2.FileDescriptorSet.FromString(_compile_proto({"schema.proto": ORDER_PROTO}))
    pool = descriptor_pool.DescriptorPool()
    for f in fds.file:
        pool.Add(f)
    return {
        name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"shop.{name}"))
        for name in ("Order", "Order.Line", "Refund")
    }


# ------------------------------------------------------------------ settings


def test_settings_sources_later_ones_win(tmp_path: Path) -> None:
    props = tmp_path / "client.properties"
    props.write_text(
        "schema.registry.url=http://props:8081\n"
        "basic.auth.credentials.source=USER_INFO\n"
        "basic.auth.user.info=alice:props-secret\n"
    )
    got = registry_settings(None, props, environ={})
    assert got is not None and got.urls == ("http://props:8081",)
    assert got.user_info == "alice:props-secret"
    env = {"SCHEMA_REGISTRY_URL": "http://env:8081/"}
    from_env = registry_settings(None, props, environ=env)
    assert from_env is not None and from_env.urls == ("http://env:8081",)
    flag = registry_settings("https://flag:8443", props, environ=env)
    assert flag is not None and flag.urls == ("https://flag:8443",)
    assert registry_settings(None, None, environ={}) is None


def test_credentials_in_the_url_are_taken_out_and_never_shown() -> None:
    got = registry_settings("http://bob:s3cr3t-pw@reg.example:8081,http://reg2:8081", environ={})
    assert got is not None
    assert got.urls == ("http://reg.example:8081", "http://reg2:8081")
    assert got.user_info == "bob:s3cr3t-pw"
    assert "s3cr3t" not in repr(got) and "s3cr3t" not in got.shown
    assert "s3cr3t-pw" not in redact_known("failed with bob:s3cr3t-pw at reg.example")


def test_url_credentials_source_prefers_the_url(tmp_path: Path) -> None:
    props = tmp_path / "p.properties"
    props.write_text("basic.auth.credentials.source=URL\nbasic.auth.user.info=x:from-props\n")
    got = registry_settings("http://u:from-url@h:1", props, environ={})
    assert got is not None and got.user_info == "u:from-url"


@pytest.mark.parametrize(
    ("url", "props", "message"),
    [
        ("ftp://h:1", "", "http:// or https://"),
        ("h:8081", "", "http:// or https://"),
        ("http://h:1", "basic.auth.credentials.source=SASL_INHERIT\n", "not supported"),
        ("http://h:1", "basic.auth.user.info=nocolon\n", "user:password"),
        ("http://h:1", "schema.registry.ssl.truststore.location=/x.jks\n", "type JKS"),
    ],
)
def test_bad_settings_are_usage_errors(tmp_path: Path, url: str, props: str, message: str) -> None:
    path = tmp_path / "p.properties"
    path.write_text(props)
    with pytest.raises(ConfigError, match=message):
        registry_settings(url, path, environ={})


def test_pem_truststore_and_keys_are_read(tmp_path: Path) -> None:
    path = tmp_path / "p.properties"
    path.write_text(
        "schema.registry.ssl.truststore.location=/ca.pem\n"
        "schema.registry.ssl.truststore.type=PEM\n"
        "schema.registry.ssl.certificate.location=/me.pem\n"
        "schema.registry.ssl.key.location=/me.key\n"
    )
    got = registry_settings("https://h:1", path, environ={})
    assert got is not None
    assert (got.ca_location, got.certificate_location, got.key_location) == (
        "/ca.pem",
        "/me.pem",
        "/me.key",
    )


def test_registry_keys_are_not_kafka_keys() -> None:
    settings, warnings = translate_properties(
        {
            "security.protocol": "SSL",
            "schema.registry.url": "http://h:1",
            "basic.auth.user.info": "a:b",
            "schema.registry.ssl.ca.location": "/ca.pem",
        }
    )
    assert settings == {"security.protocol": "SSL"}
    assert warnings == []


# ------------------------------------------------------------------ framing


def test_framed_id() -> None:
    assert framed_id(framed(258, b"x")) == 258
    assert framed_id(b"\x00\x00\x00\x01") is None  # too short
    assert framed_id(b'{"a":1}') is None
    assert framed_id(None) is None


@pytest.mark.parametrize(
    ("body", "path", "start"),
    [
        (b"\x00rest", (0,), 1),
        (b"\x02\x04rest", (2,), 2),
        (b"\x04\x00\x02rest", (0, 1), 3),
        (b"\x02\xac\x02rest", (150,), 3),
    ],
)
def test_message_indexes(body: bytes, path: tuple[int, ...], start: int) -> None:
    assert message_indexes(body) == (path, start)


@pytest.mark.parametrize(
    "body", [b"", b"\x02", b"\x01\x00", b"\x02\x01", b"\xff" * 11, b"\x82\x01"]
)
def test_broken_message_indexes(body: bytes) -> None:
    with pytest.raises(UndecodableBody):
        message_indexes(body)


# ------------------------------------------------------------------ Avro


def test_avro_values_become_json_with_formats_kept() -> None:
    decoder = FramedDecoder(source({7: RegisteredSchema("AVRO", json.dumps(PAYMENT))}))
    out = decoder.body("bank.payments", "value", framed(7, avro_body(PAYMENT, payment(0))))
    assert out is not None and out[:5] == framed(7, b"")
    assert json.loads(out[5:]) == {
        "id": "00000000-0000-0000-0000-000000000001",
        "at": "2026-03-02T10:00:00Z",
        "day": "2026-03-02",
        "amount": "12.34",
        "note": "first",
        "raw": "AQIA",
    }
    assert decoder.names == {7: "com.bank.Payment"}
    use = decoder.topic_use("bank.payments")["value"]
    assert use.ids == {7: 1} and use.decoded == {7: 1} and not use.failures


def test_broken_avro_is_counted_not_raised() -> None:
    decoder = FramedDecoder(source({7: RegisteredSchema("AVRO", json.dumps(PAYMENT))}))
    good = avro_body(PAYMENT, payment(1))
    assert decoder.body("t", "value", framed(7, good + b"\x00\x01")) is None  # trailing bytes
    assert decoder.body("t", "value", framed(7, good[:5])) is None  # cut short
    use = decoder.topic_use("t")["value"]
    assert use.ids == {7: 2} and not use.decoded
    assert sum(use.failures.values()) == 2
    assert decoder.undecoded_topics() == ["t"]


def test_avro_references_are_resolved() -> None:
    money = {
        "type": "record",
        "name": "Money",
        "namespace": "com.bank",
        "fields": [{"name": "units", "type": "long"}, {"name": "currency", "type": "string"}],
    }
    transfer = {
        "type": "record",
        "name": "Transfer",
        "namespace": "com.bank",
        "fields": [{"name": "amount", "type": "com.bank.Money"}],
    }
    schemas = source(
        {
            3: RegisteredSchema(
                "AVRO", json.dumps(transfer), (Reference("com.bank.Money", "money", 1),)
            )
        }
    )
    schemas.versions[("money", 1)] = SubjectVersion(
        "money", 1, 2, RegisteredSchema("AVRO", json.dumps(money))
    )
    full = {**transfer, "fields": [{"name": "amount", "type": money}]}
    body = avro_body(full, {"amount": {"units": 5, "currency": "EUR"}})
    out = FramedDecoder(schemas).body("t", "value", framed(3, body))
    assert out is not None and json.loads(out[5:]) == {"amount": {"units": 5, "currency": "EUR"}}


def test_unknown_ids_are_looked_up_once_and_counted() -> None:
    schemas = source({})
    decoder = FramedDecoder(schemas)
    for _ in range(3):
        assert decoder.body("t", "value", framed(99, b"\x02")) is None
    use = decoder.topic_use("t")["value"]
    assert use.ids == {99: 3}
    [(reason, count)] = use.failures.items()
    assert "99" in reason and count == 3


def test_schema_lookups_are_bounded() -> None:
    decoder = FramedDecoder(source({}))
    for i in range(MAX_SCHEMAS + 10):
        decoder.body("t", "value", framed(i, b"\x00"))
    reasons = decoder.topic_use("t")["value"].failures
    assert reasons[f"more than {MAX_SCHEMAS} distinct schema ids"] == 10


def test_without_a_source_nothing_is_decoded_but_all_is_counted() -> None:
    decoder = FramedDecoder(None)
    assert decoder.body("t", "key", framed(1, b"\x02a")) is None
    assert decoder.topic_use("t")["key"].ids == {1: 1}


# ------------------------------------------------------------------ Protobuf and JSON


def test_protobuf_messages_are_picked_by_their_indexes() -> None:
    classes = proto_classes()
    decoder = FramedDecoder(source({5: RegisteredSchema("PROTOBUF", ORDER_PROTO)}))
    order = classes["Order"](id="o-1", quantity=3)
    order.lines.add(sku="A", count=2)
    out = decoder.body("shop.orders", "value", framed(5, b"\x00" + order.SerializeToString()))
    assert out is not None
    assert json.loads(out[5:]) == {"id": "o-1", "quantity": 3, "lines": [{"sku": "A", "count": 2}]}
    line = classes["Order.Line"](sku="B")  # path [0, 0]: Order's first nested type
    out = decoder.body(
        "shop.orders", "value", framed(5, b"\x04\x00\x00" + line.SerializeToString())
    )
    assert out is not None and json.loads(out[5:]) == {"sku": "B", "count": 0}
    refund = classes["Refund"](order_id="o-1")  # path [1]
    out = decoder.body("shop.orders", "value", framed(5, b"\x02\x02" + refund.SerializeToString()))
    assert out is not None and json.loads(out[5:]) == {"order_id": "o-1"}
    assert decoder.names == {5: "shop.Order"}
    # An index past the schema's messages, and bytes that are no message of it.
    assert decoder.body("shop.orders", "value", framed(5, b"\x02\x0a\x08\x01")) is None
    assert decoder.body("shop.orders", "value", framed(5, b"\x00\xff\xff\xff")) is None
    assert sum(decoder.topic_use("shop.orders")["value"].failures.values()) == 2


def test_a_proto_that_does_not_compile_is_a_reason_not_a_crash() -> None:
    decoder = FramedDecoder(source({6: RegisteredSchema("PROTOBUF", "message {")}))
    assert decoder.body("t", "value", framed(6, b"\x00")) is None
    [reason] = decoder.topic_use("t")["value"].failures
    assert "cannot be compiled" in reason


def test_json_schema_framing_passes_through() -> None:
    schema = RegisteredSchema("JSON", json.dumps({"title": "Shipment", "type": "object"}))
    decoder = FramedDecoder(source({4: schema}))
    assert decoder.body("t", "value", framed(4, b'{"a":1}')) is None  # folded as is
    assert decoder.topic_use("t")["value"].decoded == {4: 1}
    assert decoder.names == {4: "Shipment"}


def test_records_are_replaced_only_when_decoded() -> None:
    decoder = FramedDecoder(source({7: RegisteredSchema("AVRO", json.dumps(PAYMENT))}))
    plain = Record("t", 0, 0, None, b"k", b'{"a":1}')
    avro = Record("t", 0, 1, None, framed(7, avro_body(PAYMENT, payment(2))), b"x")
    out = list(decoder.records([plain, avro]))
    assert out[0] is plain
    assert out[1].value == b"x" and out[1].key is not None and out[1].key[5:6] == b"{"


# ------------------------------------------------------------------ sidecar


def test_sidecar_round_trip(tmp_path: Path) -> None:
    capture = tmp_path / "cap.jsonl"
    ref = SubjectVersion("money", 1, 2, RegisteredSchema("AVRO", '"long"'))
    schema = RegisteredSchema("AVRO", json.dumps(PAYMENT), (Reference("M", "money", 1),))
    written = write_sidecar(
        capture, {7: schema}, [ref], {7: Located("bank-value", 3, "TopicNameStrategy"), 8: None}
    )
    assert written == schemas_path(capture) == tmp_path / "cap.schemas.json"
    back = read_sidecars([capture], None)
    assert back.schema(7) == schema
    assert back.version("money", 1) == ref
    assert back.located == {7: Located("bank-value", 3, "TopicNameStrategy")}
    first = written.read_bytes() if written else b""
    again = write_sidecar(capture, {7: schema}, [ref], back.located)
    assert again is not None and again.read_bytes() == first  # deterministic
    assert write_sidecar(tmp_path / "none.jsonl", {}, [], {}) is None
    assert not read_sidecars([tmp_path / "none.jsonl"], None)


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        '{"format": "other"}',
        '{"format": "inferrer-capture-schemas", "version": 9}',
        '{"format": "inferrer-capture-schemas", "version": 1,'
        ' "schemas": {"1": {"schemaType": "XML"}}}',
    ],
)
def test_a_bad_sidecar_is_a_capture_error(tmp_path: Path, body: str) -> None:
    (tmp_path / "cap.schemas.json").write_text(body)
    with pytest.raises(CaptureError):
        read_sidecars([tmp_path / "cap.jsonl"], None)


def test_a_malformed_sidecar_entry_is_a_capture_error(tmp_path: Path) -> None:
    body = {"format": "inferrer-capture-schemas", "version": 1, "located": {"x": {}}}
    (tmp_path / "cap.schemas.json").write_text(json.dumps(body))
    with pytest.raises(CaptureError, match="malformed"):
        read_sidecars([tmp_path / "cap.jsonl"], None)


# ------------------------------------------------------------------ Avro as JSON Schema

RICH = {
    "type": "record",
    "name": "Rich",
    "namespace": "com.x",
    "fields": [
        {"name": "payment", "type": PAYMENT},
        {"name": "again", "type": ["null", "com.bank.Payment"]},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "scores", "type": {"type": "map", "values": ["null", "double"]}},
        {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}},
        {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 2}},
        {"name": "n", "type": ["int", "string"]},
        {"name": "next", "type": ["null", "Rich"]},
    ],
}


def test_avro_as_json_schema_accepts_what_the_decoder_writes() -> None:
    import jsonschema

    from inferrer.registry.avro_json import avro_to_json_schema

    schema = avro_to_json_schema(RICH)
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    decoder = FramedDecoder(source({9: RegisteredSchema("AVRO", json.dumps(RICH))}))
    for i in range(20):
        datum = {
            "payment": payment(i),
            "again": None if i % 2 else payment(i + 1),
            "tags": [f"t{j}" for j in range(i % 3)],
            "scores": {"a": 1.5, "b": None} if i % 2 else {},
            "kind": "AB"[i % 2],
            "hash": bytes([i, i]),
            "n": i if i % 2 else str(i),
            "next": None,
        }
        out = decoder.body("t", "value", framed(9, avro_body(RICH, datum)))
        assert out is not None
        assert list(validator.iter_errors(json.loads(out[5:]))) == []
    props = schema["properties"]
    assert props["payment"]["properties"]["at"] == {"type": "string", "format": "date-time"}
    assert props["again"]["anyOf"][0] == {"type": "null"}
    assert props["kind"] == {"type": "string", "enum": ["A", "B"]}
    assert props["n"] == {"type": ["integer", "string"]}
    assert props["next"] == {"anyOf": [{"type": "null"}, {}]}  # a cycle: anything
    # And what it is not: a record missing a field, a symbol outside the enum.
    bad = json.loads(out[5:])
    del bad["tags"]
    assert not validator.is_valid(bad)
    assert not validator.is_valid({**json.loads(out[5:]), "kind": "C"})


RICH_PROTO = """syntax = "proto3";
package rich.v1;
message Envelope {
  string id = 1;
  map<string, int64> counts = 2;
  oneof body {
    string text = 3;
    Inner inner = 4;
  }
  optional double score = 5;
  repeated Level levels = 6;
  message Inner { bytes blob = 1; }
  enum Level { LOW = 0; HIGH = 1; }
}
enum Top { A = 0; B = 1; }
"""


def _described(text: str) -> Any:
    fds = descriptor_pb2.FileDescriptorSet.FromString(_compile_proto({"x.proto": text}))
    proto = fds.file[-1]
    proto.name = "x.proto"
    for m in proto.message_type:
        for f in m.field:
            f.ClearField("json_name")
    return proto


def test_a_serialized_descriptor_is_decoded_and_written_back_as_source() -> None:
    import base64

    from inferrer.registry.schemas import proto_text, serialized_descriptor

    proto = _described(RICH_PROTO)
    held = base64.b64encode(proto.SerializeToString()).decode()  # as serializers register it
    assert serialized_descriptor(held) == _described(RICH_PROTO)
    assert serialized_descriptor(RICH_PROTO) is None
    assert serialized_descriptor("aGVsbG8=") is None  # base64, but no descriptor
    # The source written back compiles to the same descriptor.
    assert _described(proto_text(held)) == proto
    assert "map<string, int64> counts = 2;" in proto_text(held)
    assert "oneof body {" in proto_text(held) and "optional double score = 5;" in proto_text(held)
    # And messages decode with the descriptor itself (no protoc involved).
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    envelope = message_factory.GetMessageClass(pool.FindMessageTypeByName("rich.v1.Envelope"))
    msg = envelope(id="e1", text="hi")
    msg.counts["a"] = 2
    decoder = FramedDecoder(source({11: RegisteredSchema("PROTOBUF", held)}))
    out = decoder.body("t", "value", framed(11, b"\x00" + msg.SerializeToString()))
    assert out is not None
    got = json.loads(out[5:])
    assert (got["id"], got["text"], got["counts"]) == ("e1", "hi", {"a": 2})
