"""The engine: every message validates, the fast path equals the genson reference,
discriminators split only when they should, bad input is counted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inferrer import _core
from inferrer.inference import ShapeObservation, observe, summarize_all
from inferrer.inference.strategies import infer_reference_schema
from inferrer.model import TopicSummary
from inferrer.records import Record
from tests.properties import examples
from tests.strategies_json import events, json_values


def records(values: list[Any], topic: str = "bank.events") -> list[Record]:
    return [
        Record(topic, i % 3, i, 1_700_000_000_000 + 1000 * i, value=json.dumps(v).encode())
        for i, v in enumerate(values)
    ]


def infer(values: list[Any], topic: str = "bank.events") -> TopicSummary:
    (summary,) = summarize_all(observe(records(values, topic)))
    return summary


@settings(max_examples=examples(150), deadline=None)
@given(st.lists(json_values, min_size=1, max_size=30))
def test_the_core_equals_the_genson_reference(values: list[Any]) -> None:
    shape = _core.Shape()
    shape.fold_json([json.dumps(v).encode() for v in values])
    assert ShapeObservation(shape.to_dict()).schema() == infer_reference_schema(values)


@settings(max_examples=examples(150), deadline=None)
@given(st.lists(events, min_size=1, max_size=30))
def test_every_message_validates_against_its_kind_schema(values: list[dict[str, Any]]) -> None:
    summary = infer(values)
    by_kind = {}
    validators = {}
    for k in summary.kinds:
        jsonschema.Draft7Validator.check_schema(dict(k.payload_schema))
        by_kind[k.discriminator_value] = k.payload_schema
        # One validator per kind (jsonschema.validate would check the schema again for
        # every message).
        validators[k.discriminator_value] = jsonschema.Draft7Validator(dict(k.payload_schema))
    for v in values:
        kind_value = v.get("type") if isinstance(v.get("type"), str) else None
        validators[kind_value if by_kind.get(kind_value) else None].validate(v)
    assert sum(k.count for k in summary.kinds) == len(values)


def test_formats_enum_maps_validate_with_format_checking() -> None:
    values = [
        {
            "id": f"5c9425fb-72f9-4f2c-9204-3b364db695e{i % 10}",
            "at": f"2024-01-{1 + i % 28:02d}T10:00:00Z",
            "status": ["OPEN", "CLOSED"][i % 2],
            "byDay": {f"2024-02-{1 + i % 9:02d}": i},
        }
        for i in range(30)
    ]
    (kind,) = infer(values).kinds
    checker = jsonschema.Draft7Validator.FORMAT_CHECKER
    for v in values:
        jsonschema.validate(v, dict(kind.payload_schema), format_checker=checker)


def test_schema_matches_slow_reference_for_a_realistic_topic() -> None:
    values = [
        {
            "accountId": f"acc-{i % 13}",
            "amount": i * 1.5 if i % 4 else i,
            "currency": ["EUR", "USD", "GBP"][i % 3],
            "at": f"2024-01-{1 + i % 28:02d}T10:00:{i % 60:02d}Z",
            "lines": [{"sku": f"s{j}", "qty": j} for j in range(i % 3)],
            **({"note": None} if i % 5 == 0 else {}),
        }
        for i in range(200)
    ]
    (kind,) = infer(values).kinds
    assert kind.payload_schema == infer_reference_schema(values)
    assert kind.payload_schema["properties"]["currency"] == {
        "type": "string",
        "enum": ["EUR", "GBP", "USD"],
    }
    assert kind.payload_schema["required"] == ["accountId", "amount", "at", "currency", "lines"]


def test_field_statistics() -> None:
    values = [
        {"amount": i, "name": "x" * (i % 4 + 1), "opt": None if i % 2 else 1} for i in range(10)
    ]
    values.append({"amount": 2.5, "name": "yy"})
    (kind,) = infer(values).kinds
    fields = {f.path: f for f in kind.fields}
    assert set(fields) == {"/amount", "/name", "/opt"}
    amount = fields["/amount"]
    assert amount.types == {"integer": 10, "number": 1}
    assert (amount.minimum, amount.maximum, amount.present, amount.presence_ratio) == (
        0.0,
        9.0,
        11,
        1.0,
    )
    assert (amount.distinct, amount.distinct_approximate) == (11, False)
    name = fields["/name"]
    assert (name.min_length, name.max_length, name.distinct) == (1, 4, 5)
    opt = fields["/opt"]
    assert (opt.present, opt.null_ratio, opt.types) == (10, 0.5, {"integer": 5, "null": 5})
    assert len(amount.examples) == 3


def test_distinct_count_becomes_approximate_beyond_the_bound() -> None:
    values = [{"n": i} for i in range(20_000)]
    (kind,) = infer(values).kinds
    (f,) = kind.fields
    assert f.distinct_approximate
    assert 15_000 < f.distinct < 25_000


def test_array_item_presence_counts_messages() -> None:
    (kind,) = infer([{"xs": [{"a": 1}, {"a": 2}]}, {"xs": []}]).kinds
    fields = {f.path: f for f in kind.fields}
    assert fields["/xs/*/a"].present == 1
    assert fields["/xs/*"].types == {"object": 2}


# --- discriminators -------------------------------------------------------------------


def test_event_kinds_with_different_shapes_split_into_kinds() -> None:
    values = [
        {"type": "AccountOpened", "accountId": "a", "owner": "x"},
        {"type": "AccountClosed", "accountId": "a", "reason": "moved"},
        {"type": "AccountOpened", "accountId": "b", "owner": "y"},
    ]
    summary = infer(values, "bank.accounts")
    assert [
        (k.name, k.count, k.discriminator_field, k.discriminator_value) for k in summary.kinds
    ] == [
        ("AccountClosed", 1, "type", "AccountClosed"),
        ("AccountOpened", 2, "type", "AccountOpened"),
    ]
    closed = summary.kinds[0].payload_schema
    assert closed["required"] == ["accountId", "reason", "type"]


def test_an_ordinary_type_field_does_not_split_a_topic() -> None:
    values = [
        {"type": t, "accountId": f"a{i}", "balance": i}
        for i, t in enumerate(["SAVINGS", "CHECKING", "LOAN"] * 7)
    ]
    summary = infer(values, "bank.accounts.balance-updated")
    (kind,) = summary.kinds
    assert (kind.name, kind.count, kind.discriminator_field) == ("BalanceUpdated", 21, None)
    assert kind.payload_schema["properties"]["type"]["enum"] == ["CHECKING", "LOAN", "SAVINGS"]


def test_too_many_discriminator_values_are_not_kinds() -> None:
    values = [{"type": f"T{i:04d}", f"f{i}": 1} for i in range(250)]
    (kind,) = infer(values, "x.misc").kinds
    assert (kind.name, kind.count) == ("Misc", 250)


def test_sixty_real_kinds_are_kept() -> None:
    values = [{"type": f"Thing{i % 60}", f"f{i % 60}": 1} for i in range(180)]
    kinds = infer(values, "x.things").kinds
    assert len(kinds) == 60


def test_cloudevents_types_are_kinds() -> None:
    recs = [
        Record(
            "bank.payments",
            0,
            i,
            i,
            value=json.dumps({"amount": i}).encode(),
            headers=(("ce_specversion", b"1.0"), ("ce_type", t.encode()), ("ce_id", b"1")),
        )
        for i, t in enumerate(["com.bank.payment.settled", "com.bank.payment.failed"] * 2)
    ]
    (summary,) = summarize_all(observe(recs))
    assert [k.name for k in summary.kinds] == ["ComBankPaymentFailed", "ComBankPaymentSettled"]
    assert summary.envelope == "cloudevents-binary"
    assert summary.kinds[0].headers_schema == {
        "type": "object",
        "properties": {
            "ce_id": {"type": "string"},
            "ce_specversion": {"type": "string"},
            "ce_type": {"type": "string"},
        },
        "required": ["ce_id", "ce_specversion", "ce_type"],
    }


def test_debezium_ops_are_kinds() -> None:
    row = {"id": 1, "name": "x"}
    values = [
        {"before": None, "after": row, "op": "c", "source": {}},
        {"before": row, "after": row, "op": "u", "source": {}},
        {"before": row, "after": None, "op": "d", "source": {}},
    ]
    summary = infer(values, "db.public.customers")
    assert [(k.name, k.discriminator_value) for k in summary.kinds] == [
        ("Create", "c"),
        ("Delete", "d"),
        ("Update", "u"),
    ]
    assert summary.envelope == "debezium"
    row = {
        "anyOf": [
            {
                "type": "object",
                "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
                "required": ["id", "name"],
            },
            {"type": "null"},
        ]
    }
    for kind in summary.kinds:
        assert kind.row_schema == row
        assert kind.payload_schema["properties"]["before"] == row
        assert kind.payload_schema["properties"]["after"] == row
        for v in values:
            if v["op"] == kind.discriminator_value:
                jsonschema.validate(v, dict(kind.payload_schema))


def test_kafka_connect_optional_means_nullable_and_required_comes_from_presence() -> None:
    schema = {
        "type": "struct",
        "fields": [
            {"field": "id", "type": "int64", "optional": False},
            {"field": "email", "type": "string", "optional": True},
        ],
        "optional": False,
    }
    values = [{"schema": schema, "payload": {"id": i, "email": f"u{i}@x.org"}} for i in range(6)]
    summary = infer(values, "crm.users")
    (kind,) = summary.kinds
    assert summary.envelope == "kafka-connect"
    # The JsonConverter writes every field: optional only admits null.
    assert kind.payload_schema == {
        "type": "object",
        "properties": {
            "email": {"type": ["null", "string"], "format": "email"},
            "id": {"type": "integer"},
        },
        "required": ["email", "id"],
    }


# --- topic-level facts and bad input ---------------------------------------------------


def test_bad_inputs_are_counted_never_a_crash() -> None:
    bad = [
        b'{"a": "\xff"}',
        b'{"a": 1',
        b"[" * 10_000 + b"]" * 10_000,
        b'{"x": NaN}',
        b'{"x": Infinity}',
    ]
    good = [
        json.dumps({"blob": "x" * 5_000_000}).encode(),
        b'{"big": 123456789012345678901234567890}',
        b'{"a": 1, "a": 2}',
    ]
    recs = [Record("t.bad", 0, i, None, value=v) for i, v in enumerate(bad + good)]
    recs.append(Record("t.bad", 1, 99, None, value=None))
    (summary,) = summarize_all(observe(recs))
    assert summary.undecodable == {
        "invalid-json": 1,
        "invalid-utf8": 1,
        "nan-or-infinity": 2,
        "too-deep": 1,
    }
    # Decoded, but counted: a duplicate key (the last wins), an integer beyond 64 bits.
    assert summary.anomalies == {"duplicate-keys": 1, "integer-beyond-64-bits": 1}
    assert (summary.messages, summary.tombstones) == (9, 1)
    (kind,) = summary.kinds
    assert kind.count == 3
    assert kind.payload_schema["properties"]["a"] == {"type": "integer"}
    assert kind.payload_schema["properties"]["big"] == {"type": "integer"}
    assert summary.partitions_seen == (0, 1)


def test_topic_facts() -> None:
    recs = [
        Record("t.k", 0, i, 1_000 + 500 * i, key=json.dumps({"id": i}).encode(), value=b'{"a": 1}')
        for i in range(5)
    ]
    recs.append(Record("t.k", 0, 9, None, value=b"\x00\x00\x00\x00\x05\x02x"))
    (summary,) = summarize_all(observe(recs))
    assert summary.key_encoding == "json"
    assert summary.key_schema == {
        "type": "object",
        "properties": {"id": {"type": "integer"}},
        "required": ["id"],
    }
    assert summary.schema_ids == (5,)
    assert (summary.first_timestamp, summary.last_timestamp) == (1000, 3000)
    assert summary.rate_per_second == 2.5
    assert summary.encoding == "json"
    assert summary.content_type == "application/json"
    (kind,) = summary.kinds
    assert (kind.first_timestamp, kind.last_timestamp, kind.example_partition) == (1000, 3000, 0)
    assert kind.examples == ({"a": 1},)


def test_a_framed_message_counts_in_its_kind_without_a_value() -> None:
    # (The core against the reference on such traffic: tests/unit/engine/test_engine_oracle.py.)
    recs = records([{"a": i, "s": ["OPEN", "CLOSED"][i % 2]} for i in range(30)])
    recs.append(Record("bank.events", 0, 99, 5, value=b"\x00\x00\x00\x00\x01\x02"))
    via_records = summarize_all(observe(recs))
    (kind,) = via_records[0].kinds
    assert kind.count == 31  # the Avro-framed message counts in the kind, without a value
    assert kind.payload_schema["properties"]["s"]["enum"] == ["CLOSED", "OPEN"]


def test_binary_topic_has_one_kind_with_an_open_schema() -> None:
    recs = [Record("media.thumbs", 0, i, i, value=bytes([0x89, 0x50, i])) for i in range(4)]
    (summary,) = summarize_all(observe(recs))
    assert summary.encoding == "binary"
    assert [(k.name, k.count, k.payload_schema, k.examples) for k in summary.kinds] == [
        ("Thumbs", 4, {}, ())
    ]


# --- keys --------------------------------------------------------------------------------


def _keyed(keys: list[bytes]) -> TopicSummary:
    records = [
        Record("t.keys", 0, i, 1000 * i, key=k, value=b'{"a": 1}') for i, k in enumerate(keys)
    ]
    (summary,) = summarize_all(observe(records))
    return summary


def test_numeric_text_keys_stay_strings_with_a_digits_pattern() -> None:
    summary = _keyed([str(4_000_000 + i % 7).encode() for i in range(30)])
    assert (summary.key_encoding, summary.key_schema) == (
        "text",
        {"type": "string", "pattern": "^[0-9]+$"},
    )


def test_digits_pattern_needs_distinct_evidence_and_only_digits() -> None:
    assert _keyed([b"1", b"2"] * 10).key_schema == {"type": "string"}
    assert _keyed([b"1", b"2", b"3", b"4", b"5x"] * 4).key_schema == {"type": "string"}


@pytest.mark.parametrize(("width", "encoding"), [(4, "int32"), (8, "int64")])
def test_integer_and_long_serializer_keys_are_integers(width: int, encoding: str) -> None:
    summary = _keyed([(i - 3).to_bytes(width, "big", signed=True) for i in range(20)])
    assert (summary.key_encoding, summary.key_schema) == (encoding, {"type": "integer"})


def test_connect_wrapped_keys_are_unwrapped() -> None:
    keys = [
        json.dumps({"schema": {"type": "string", "optional": False}, "payload": f"BR{i:03}"})
        for i in range(10)
    ]
    summary = _keyed([k.encode() for k in keys])
    assert summary.key_schema == {"type": "string"}


def test_a_nullable_object_has_a_bare_null_branch() -> None:
    address = {"type": "struct", "optional": True, "fields": [{"field": "city", "type": "string"}]}
    schema = {"type": "struct", "fields": [{"field": "address", **address}]}
    values = [
        {"schema": schema, "payload": {"address": {"city": "X"} if i % 2 else None}}
        for i in range(6)
    ]
    (kind,) = infer(values, "crm.addresses").kinds
    assert kind.payload_schema["properties"]["address"] == {
        "anyOf": [
            {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
            {"type": "null"},
        ]
    }


def test_finalize_strips_object_keywords_from_a_null_branch() -> None:
    from inferrer.inference.canonical import finalize

    schema = {
        "anyOf": [
            {"type": "null", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
            {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
        ]
    }
    assert finalize(schema)["anyOf"][1] == {"type": "null"}


def test_digits_pattern_with_some_null_keys() -> None:
    keys: list[bytes | None] = [str(100 + i).encode() for i in range(6)] + [None]
    records = [
        Record("t.keys", 0, i, 1000 * i, key=k, value=b'{"a": 1}') for i, k in enumerate(keys)
    ]
    (summary,) = summarize_all(observe(records))
    # Records without a key say nothing about the keys there are.
    assert summary.key_schema == {"type": "string", "pattern": "^[0-9]+$"}


def test_connect_keys_bring_their_declared_schema() -> None:
    schema = {"type": "int64", "optional": False, "name": "org.apache.kafka.connect.data.Timestamp"}
    keys = [json.dumps({"schema": schema, "payload": 1_700_000_000_000 + i}) for i in range(5)]
    summary = _keyed([k.encode() for k in keys])
    assert summary.key_schema == {"type": "integer", "x-logical-type": "timestamp-millis"}


def test_numeric_and_boolean_headers_stay_text_with_a_pattern() -> None:
    recs = [
        Record(
            "t.headers",
            0,
            i,
            i,
            key=b"k",
            value=json.dumps({"a": i}).encode(),
            headers=(
                ("retry", str(i).encode()),
                ("amount", f"-{i}.5".encode()),
                ("replay", b"true"),
                ("trace", b"abc%d" % i),
                ("few", str(i % 3).encode()),
            ),
        )
        for i in range(30)
    ]
    (obs,) = observe(recs).values()
    (kind,) = obs.summarize().kinds
    headers = kind.headers_schema or obs.summarize().headers_schema
    assert headers is not None
    props = headers["properties"]
    assert props["retry"] == {"type": "string", "pattern": "^[0-9]+$"}
    assert props["amount"] == {"type": "string", "pattern": "^-?[0-9]+([.][0-9]+)?$"}
    # One value: a boolean pattern (it admits the other value too), never an enum.
    assert props["replay"] == {"type": "string", "pattern": "^(true|false)$"}
    assert props["trace"] == {"type": "string"}
    # Three distinct digits: too little evidence for a pattern (five distinct values).
    assert props["few"] == {"type": "string"}


def test_exceeding_the_kind_limit_is_said_not_silent(tmp_path: Path) -> None:
    from inferrer.capture import write_capture
    from inferrer.inference import rules
    from tests.kafka_util import run_cli

    n = rules.MAX_KINDS + 10
    recs = [
        Record("t.many", 0, i, i, value=json.dumps({"type": f"E{i}", f"f{i}": 1}).encode())
        for i in range(n)
    ]
    capture, out = tmp_path / "c.jsonl", tmp_path / "out.yaml"
    write_capture(recs, capture)
    proc = run_cli(["infer", "--from-file", str(capture), "-q", "-o", str(out)])
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == (
        f"Warning: topic t.many: its discriminator field took more than {rules.MAX_KINDS} "
        "values, so its messages are described as one kind, not one per value\n"
    )
    # Below the limit: one kind per value, and nothing to say.
    write_capture(recs[: rules.MAX_KINDS], capture)
    proc = run_cli(["infer", "--from-file", str(capture), "-q", "-o", str(out)])
    assert (proc.returncode, proc.stderr) == (0, "")
    assert out.read_text().count("x-inferrer-discriminator:") == rules.MAX_KINDS


def test_a_type_field_splits_kinds_when_a_top_level_record_differs() -> None:
    created = [
        {"type": "user.created", "id": i, "data": {"userId": i, "email": f"u{i}@x.org"}}
        for i in range(30)
    ]
    deleted = [
        {"type": "user.deleted", "id": i, "data": {"userId": i, "by": "ADMIN"}} for i in range(30)
    ]
    split = infer(created + deleted, "identity.users")
    assert sorted(k.discriminator_value or "" for k in split.kinds) == [
        "user.created",
        "user.deleted",
    ]
    # Look-alike: the same values over records of one shape are one kind (a plain field).
    alike = [{"type": t, "id": i, "data": {"userId": i}} for i in range(30) for t in ("a", "b")]
    assert len(infer(alike, "identity.users").kinds) == 1
