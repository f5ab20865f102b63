"""Reading committed specs: 3.0, 3.1 and 2.6 normalize alike; errors name file and place."""

from __future__ import annotations

from pathlib import Path

import pytest

from inferrer.drift.spec import normalize_spec, read_spec
from inferrer.errors import SpecError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "drift"


def test_reads_v3_channels_messages_bindings_and_groups() -> None:
    view = read_spec(FIXTURES / "payments-3.0.yaml")
    assert view.version == "3.0.0"
    assert list(view.channels) == ["bank.accounts", "bank.payments"]
    payments = view.channels["bank.payments"]
    assert payments.id == "payments"
    assert payments.pointer == "/channels/payments"
    assert payments.partitions == 3
    assert payments.replicas == 1
    assert dict(payments.topic_configuration) == {
        "cleanup.policy": ["delete"],
        "retention.ms": 604800000,
    }
    assert payments.bindings_pointer == "/channels/payments/bindings/kafka"
    assert dict(payments.group_ids) == {"ledger": "/operations/readPayments"}
    settled = payments.messages["PaymentSettled"]
    assert settled.pointer == "/components/messages/PaymentSettled"
    assert settled.payload_pointer == "/components/schemas/PaymentSettled"
    assert settled.discriminator == "type"
    assert settled.discriminator_value == "PaymentSettled"
    assert settled.key_schema == {"type": "string"}
    assert settled.key_pointer == "/components/messages/PaymentSettled/bindings/kafka/key"
    assert settled.payload is not None
    assert settled.payload["required"] == ["type", "paymentId", "amount", "currency"]


def test_v26_v30_and_v31_normalize_to_the_same_comparable_view() -> None:
    views = [read_spec(FIXTURES / f"payments-{v}.yaml") for v in ("2.6", "3.0", "3.1")]
    assert views[0].to_comparable() == views[1].to_comparable() == views[2].to_comparable()
    v26 = views[0].channels["bank.payments"]
    assert dict(v26.group_ids) == {"ledger": "/channels/bank.payments/subscribe"}
    assert views[0].channels["bank.accounts"].messages["AccountOpened"].pointer == (
        "/channels/bank.accounts/publish/message"
    )


def test_nested_refs_are_inlined_and_cycles_accept_anything() -> None:
    doc = {
        "asyncapi": "3.0.0",
        "channels": {
            "c": {
                "address": "t",
                "messages": {"m": {"payload": {"$ref": "#/components/schemas/Node"}}},
            }
        },
        "components": {
            "schemas": {
                "Node": {
                    "type": "object",
                    "properties": {
                        "next": {"$ref": "#/components/schemas/Node"},
                        "name": {"$ref": "#/components/schemas/Name"},
                    },
                },
                "Name": {"type": "string"},
            }
        },
    }
    payload = normalize_spec(doc).channels["t"].messages["m"].payload
    assert payload == {
        "type": "object",
        "properties": {"next": {}, "name": {"type": "string"}},
    }


def test_multi_format_schema_is_unwrapped_avro_read_and_protobuf_skipped() -> None:
    doc = {
        "asyncapi": "3.0.0",
        "channels": {
            "c": {
                "address": "t",
                "messages": {
                    "json": {
                        "payload": {
                            "schemaFormat": "application/schema+json;version=draft-07",
                            "schema": {"type": "string"},
                        }
                    },
                    "avro": {
                        "payload": {
                            "schemaFormat": "application/vnd.apache.avro;version=1.9.0",
                            "schema": {
                                "type": "record",
                                "name": "X",
                                "fields": [{"name": "n", "type": ["null", "long"]}],
                            },
                        }
                    },
                    "proto": {
                        "payload": {
                            "schemaFormat": "application/vnd.google.protobuf;version=3",
                            "schema": 'syntax = "proto3"; message X { int64 n = 1; }',
                        }
                    },
                },
            }
        },
    }
    messages = normalize_spec(doc).channels["t"].messages
    assert messages["json"].payload == {"type": "string"}
    assert messages["json"].payload_pointer == "/channels/c/messages/json/payload/schema"
    # Avro as the JSON Schema of its decoded values (what drift checks traffic with).
    assert messages["avro"].payload == {
        "type": "object",
        "properties": {"n": {"type": ["integer", "null"]}},
        "required": ["n"],
    }
    assert messages["proto"].payload is None


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as e:
        read_spec(tmp_path / "nope.yaml")
    assert str(e.value) == f"cannot read spec {tmp_path / 'nope.yaml'}: no such file"


def test_yaml_error_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("asyncapi: 3.0.0\nchannels:\n  a: [unclosed\n", encoding="utf-8")
    with pytest.raises(SpecError) as e:
        read_spec(path)
    assert str(e.value).startswith(f"{path}:4:1: invalid YAML: ")


def test_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n", encoding="utf-8")
    with pytest.raises(SpecError) as e:
        read_spec(path)
    assert str(e.value) == (f"{path}: not an AsyncAPI document (the top level is not a mapping)")


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"channels": {}}, "spec s.yaml at /asyncapi: missing AsyncAPI version"),
        (
            {"asyncapi": "2.0.0"},
            "spec s.yaml at /asyncapi: AsyncAPI version 2.0.0 is not supported "
            "(use 3.0, 3.1 or 2.6)",
        ),
        (
            {
                "asyncapi": "3.0.0",
                "channels": {"c": {"messages": {"m": {"$ref": "#/components/messages/x"}}}},
            },
            "spec s.yaml at /channels/c/messages/m: $ref '#/components/messages/x' "
            "does not resolve",
        ),
        (
            {
                "asyncapi": "3.0.0",
                "channels": {"c": {"messages": {"m": {"payload": {"$ref": "other.yaml#/X"}}}}},
            },
            "spec s.yaml at /channels/c/messages/m/payload: external $ref 'other.yaml#/X' "
            "is not supported",
        ),
        (
            {"asyncapi": "3.0.0", "channels": ["a"]},
            "spec s.yaml at /channels: not a mapping",
        ),
    ],
)
def test_unreadable_spec_errors_name_the_location(doc: dict[str, object], message: str) -> None:
    with pytest.raises(SpecError) as e:
        normalize_spec(doc, "s.yaml")
    assert str(e.value) == message


def test_v26_messages_without_names_get_short_ids() -> None:
    doc = {
        "asyncapi": "2.6.0",
        "channels": {
            "one": {"publish": {"message": {"payload": {"type": "string"}}}},
            "two": {
                "subscribe": {
                    "message": {"oneOf": [{"payload": {"type": "string"}}, {"messageId": "B"}]}
                }
            },
        },
    }
    view = normalize_spec(doc)
    assert list(view.channels["one"].messages) == ["message"]
    assert list(view.channels["two"].messages) == ["B", "message-0"]
