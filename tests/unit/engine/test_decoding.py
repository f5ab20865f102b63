"""The decoder: every encoding and envelope we promise, and bad input never crashes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inferrer import decoding as reference
from inferrer.decoding import MAX_DEPTH
from inferrer.engine import decode_record
from inferrer.records import Record
from tests.properties import examples


def rec(value: bytes | None, key: bytes | None = None, headers: tuple = ()) -> Record:
    return Record("t", 0, 7, 1_700_000_000_000, key=key, value=value, headers=headers)


def test_json_with_and_without_bom() -> None:
    for raw in (b'{"a": 1}', b'\xef\xbb\xbf{"a": 1}'):
        d = decode_record(rec(raw))
        assert (d.ok, d.encoding, d.value, d.content_type) == (
            True,
            "json",
            {"a": 1},
            "application/json",
        )
        assert d.size == len(raw)


def test_json_scalars_text_binary_tombstone() -> None:
    assert decode_record(rec(b"42")).value == 42
    assert decode_record(rec(b'"hi"')).value == "hi"
    text = decode_record(rec(b"hello world"))
    assert (text.encoding, text.value, text.content_type) == ("text", "hello world", "text/plain")
    binary = decode_record(rec(b"\x89PNG\x00\x01\xfe"))
    assert (binary.ok, binary.encoding, binary.value, binary.size) == (True, "binary", None, 7)
    tomb = decode_record(rec(None))
    assert (tomb.ok, tomb.encoding, tomb.value) == (True, "null", None)


def test_kafka_connect_envelope_is_unwrapped_optional_means_nullable() -> None:
    envelope = {
        "schema": {
            "type": "struct",
            "optional": False,
            "fields": [
                {"field": "id", "type": "int64", "optional": False},
                {"field": "note", "type": "string", "optional": True},
            ],
        },
        "payload": {"id": 5, "note": "x"},
    }
    d = decode_record(rec(json.dumps(envelope).encode()))
    assert d.envelope == "kafka-connect"
    assert d.value == {"id": 5, "note": "x"}
    assert d.value_hint == {
        "type": "object",
        "properties": {"id": {"type": "integer"}, "note": {"type": ["null", "string"]}},
    }


def test_kafka_connect_logical_types_become_notes() -> None:
    logical = "org.apache.kafka.connect.data."
    schema = {
        "type": "struct",
        "fields": [
            {"field": "at", "type": "int64", "name": logical + "Timestamp"},
            {"field": "day", "type": "int32", "name": logical + "Date", "optional": True},
            {"field": "tod", "type": "int32", "name": logical + "Time"},
            {
                "field": "amount",
                "type": "bytes",
                "name": logical + "Decimal",
                "parameters": {"scale": "2"},
            },
            {"field": "odd", "type": "string", "name": logical + "Timestamp"},  # wrong type
        ],
    }
    payload = {"at": 1, "day": None, "tod": 3, "amount": "AQ==", "odd": "x"}
    d = decode_record(rec(json.dumps({"schema": schema, "payload": payload}).encode()))
    assert d.value_hint == {
        "type": "object",
        "properties": {
            "at": {"type": "integer", "x-logical-type": "timestamp-millis"},
            "day": {"anyOf": [{"type": "integer", "x-logical-type": "date"}, {"type": "null"}]},
            "tod": {"type": "integer", "x-logical-type": "time-millis"},
            "amount": {
                "type": "string",
                "contentEncoding": "base64",
                "x-logical-type": "decimal",
                "x-decimal-scale": 2,
            },
            "odd": {"type": "string"},
        },
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"12345", ("text", "12345")),  # a String serializer's numeric id stays text
        (b"007", ("text", "007")),
        (b"true", ("text", "true")),
        (b'"12345"', ("json", "12345")),
        (b'{"id": 1}', ("json", {"id": 1})),
        (b"\x00\x00\x00\x2a", ("int32", 42)),  # IntegerSerializer
        (b"\xff\xff\xff\xfe", ("int32", -2)),
        (b"\x00\x00\x00\x00\x00\x00\x01\x00", ("int64", 256)),  # LongSerializer
        (b"ABCD", ("text", "ABCD")),  # 4 bytes of text are text
        (b"\x00\x00\x00\x2a\x00", ("avro", None)),  # 5 bytes: not an integer
        (b"\x00\x00\x00\x00\x01\x31\x32\x33", ("json", 123)),  # framed JSON wins
        (b'{"schema":{"type":"int64","optional":false},"payload":7}', ("json", 7)),
        (b'{"schema":{"type":"string","optional":false},"payload":"B7"}', ("json", "B7")),
    ],
)
def test_keys(raw: bytes, expected: tuple[str, object]) -> None:
    # The reference decoder and the engine's core read a key alike.
    assert reference.decode_key(raw) == expected
    d = decode_record(rec(b"{}", key=raw))
    assert (d.key_encoding, d.key) == expected


def test_a_payload_with_a_schema_key_is_not_an_envelope() -> None:
    raw = json.dumps({"schema": "v2", "payload": {"a": 1}}).encode()
    d = decode_record(rec(raw))
    assert d.envelope == "none"
    assert d.value == {"schema": "v2", "payload": {"a": 1}}


def test_debezium_change_event_kind_is_op() -> None:
    event = {"before": None, "after": {"id": 1}, "op": "c", "source": {"db": "x"}, "ts_ms": 1}
    d = decode_record(rec(json.dumps(event).encode()))
    assert (d.envelope, d.kind, d.kind_field) == ("debezium", "c", "op")
    assert d.value == event


def test_confluent_wire_format() -> None:
    framed_json = b"\x00\x00\x00\x01\x2c" + b'{"a": 1}'
    d = decode_record(rec(framed_json))
    assert (d.framing, d.schema_id, d.encoding, d.value) == ("confluent", 300, "json", {"a": 1})
    avro = decode_record(rec(b"\x00\x00\x00\x00\x07\x06abc\x02"))
    assert (avro.framing, avro.schema_id, avro.encoding, avro.value) == (
        "confluent",
        7,
        "avro",
        None,
    )
    assert avro.content_type == "application/vnd.confluent.avro"
    proto = decode_record(rec(b"\x00\x00\x00\x00\x09\x00\x0a\x03abc"))
    assert (proto.encoding, proto.schema_id) == ("protobuf", 9)


def test_headers_are_decoded_as_text_or_json() -> None:
    d = decode_record(
        rec(b"{}", headers=(("trace", b"abc"), ("meta", b'{"v": 2}'), ("bin", b"\xff\xfe")))
    )
    assert d.headers == {"trace": "abc", "meta": {"v": 2}, "bin": None}


def test_cloudevents_binary_mode() -> None:
    headers = (
        ("ce_specversion", b"1.0"),
        ("ce_type", b"com.bank.payment.settled"),
        ("ce_source", b"/payments"),
        ("ce_id", b"1"),
        ("content-type", b"application/json"),
    )
    d = decode_record(rec(b'{"amount": 5}', headers=headers))
    assert (d.envelope, d.kind, d.kind_field) == (
        "cloudevents-binary",
        "com.bank.payment.settled",
        "ce_type",
    )
    assert d.value == {"amount": 5}
    assert d.content_type == "application/json"


def test_cloudevents_structured_mode() -> None:
    event = {
        "specversion": "1.0",
        "type": "com.bank.account.opened",
        "source": "/accounts",
        "id": "42",
        "data": {"accountId": "a1"},
    }
    headers = (("content-type", b"application/cloudevents+json; charset=utf-8"),)
    d = decode_record(rec(json.dumps(event).encode(), headers=headers))
    assert (d.envelope, d.kind, d.value) == (
        "cloudevents-structured",
        "com.bank.account.opened",
        {"accountId": "a1"},
    )


def test_payload_discriminator_is_reported() -> None:
    d = decode_record(rec(b'{"eventType": "PaymentSettled", "type": "card"}'))
    assert (d.kind, d.kind_field) == ("PaymentSettled", "eventType")


def test_keys_are_decoded_separately() -> None:
    assert decode_record(rec(b"{}", key=b'{"id": 1}')).key == {"id": 1}
    k = decode_record(rec(b"{}", key=b"acc-1"))
    assert (k.key_encoding, k.key) == ("text", "acc-1")
    assert decode_record(rec(b"{}")).key_encoding == "null"


# --- bad input: counted with a stable reason, never a crash ---------------------------


def test_invalid_utf8() -> None:
    d = decode_record(rec(b'{"a": "\xff\xfe"}'))
    assert (d.ok, d.reason) == (False, "invalid-utf8")


def test_invalid_json() -> None:
    d = decode_record(rec(b'{"a": 1,'))
    assert (d.ok, d.reason) == (False, "invalid-json")


def test_ten_thousand_deep_nesting() -> None:
    d = decode_record(rec(b"[" * 10_000 + b"]" * 10_000))
    assert (d.ok, d.reason) == (False, "too-deep")
    obj = b'{"a":' * 10_000 + b"1" + b"}" * 10_000
    assert decode_record(rec(obj)).reason == "too-deep"


def test_nesting_just_within_the_limit_decodes() -> None:
    d = decode_record(rec(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH))
    assert d.ok
    assert decode_record(rec(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))).reason == (
        "too-deep"
    )


def test_five_megabyte_message() -> None:
    big = json.dumps({"blob": "x" * 5_000_000, "n": 1}).encode()
    d = decode_record(rec(big))
    assert d.ok and d.size == len(big) and d.value["n"] == 1


def test_nan_and_infinity_are_not_json() -> None:
    for raw in (b'{"a": NaN}', b'{"a": Infinity}', b'{"a": -Infinity}'):
        d = decode_record(rec(raw))
        assert (d.ok, d.reason) == (False, "nan-or-infinity")


def test_huge_integers_are_decoded_exactly_and_reported() -> None:
    d = decode_record(rec(b'{"a": 123456789012345678901234567890}'))
    assert (d.ok, d.reason) == (True, "integer-beyond-64-bits")
    assert d.value == {"a": 123456789012345678901234567890}
    assert type(d.value["a"]) is int


def test_lone_surrogate_escapes_are_not_text() -> None:
    d = decode_record(rec(rb'["\ud800"]'))
    assert (d.ok, d.reason) == (False, "invalid-utf8")


def test_duplicate_keys_last_wins_and_are_reported() -> None:
    d = decode_record(rec(b'{"a": 1, "a": 2}'))
    assert (d.ok, d.reason, d.value) == (True, "duplicate-keys", {"a": 2})


@settings(max_examples=examples(300), deadline=None)
@given(st.binary(max_size=64), st.one_of(st.none(), st.binary(max_size=16)))
def test_any_bytes_decode_without_raising(value: bytes, key: bytes | None) -> None:
    d = decode_record(rec(value, key=key, headers=(("h", value),)))
    assert d.ok or d.reason in {"invalid-utf8", "invalid-json", "too-deep", "nan-or-infinity"}
