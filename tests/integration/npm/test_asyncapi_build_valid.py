"""The AsyncAPI document writer: valid for the official tooling, deterministic, safe."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from inferrer.asyncapi.build import DocumentOptions, build_document
from inferrer.asyncapi.io import dump_document
from tests.unit.asyncapi.test_asyncapi_build import build

Check = Callable[[dict[str, Any]], None]


@pytest.mark.npm
@pytest.mark.parametrize("version", ["3.0.0", "3.1.0", "2.6.0"])
@pytest.mark.parametrize("examples", ["redacted", "raw", "none"])
def test_every_version_and_examples_mode_is_valid(
    asyncapi_check: Check, version: str, examples: str
) -> None:
    doc = build(asyncapi_version=version, examples=examples, bootstrap="localhost:9092")
    assert doc["asyncapi"] == version
    asyncapi_check(doc)


@pytest.mark.npm
def test_empty_sample_is_a_valid_document(asyncapi_check: Check) -> None:
    doc = build_document([], {}, DocumentOptions())
    assert doc["channels"] == {} and doc["operations"] == {}
    asyncapi_check(doc)


@pytest.mark.npm
def test_servers_secure_protocol_and_no_credentials(asyncapi_check: Check) -> None:
    bootstrap = (
        "SASL_SSL://alice:s3cret-Pa55@broker-1.bank.internal:9093,broker-2.bank.internal:9093"
    )
    doc = build(bootstrap=bootstrap, secure=True)
    assert doc["servers"] == {
        "broker-1": {
            "host": "broker-1.bank.internal:9093",
            "protocol": "kafka-secure",
            "description": "A bootstrap server the sample was read from.",
            "bindings": {"kafka": {"bindingVersion": "0.5.0"}},
        },
        "broker-2": {
            "host": "broker-2.bank.internal:9093",
            "protocol": "kafka-secure",
            "description": "A bootstrap server the sample was read from.",
            "bindings": {"kafka": {"bindingVersion": "0.5.0"}},
        },
    }
    for fmt in ("yaml", "json"):
        text = dump_document(doc, fmt)  # type: ignore[arg-type]
        assert "s3cret" not in text and "alice" not in text and "SASL_SSL" not in text
    asyncapi_check(doc)
    v2 = build(bootstrap="localhost:9092", asyncapi_version="2.6.0")
    assert v2["servers"]["local"]["url"] == "localhost:9092"
    assert v2["servers"]["local"]["protocol"] == "kafka"


# --- determinism ----------------------------------------------------------------------


# --- examples -------------------------------------------------------------------------


@pytest.mark.npm
def test_odd_kind_names_give_valid_unique_ids(asyncapi_check: Check) -> None:
    def kind(name: str) -> Any:
        from inferrer.model import KindSummary

        return KindSummary(name=name, count=1, payload_schema={"type": "object", "properties": {}})

    from inferrer.model import TopicSummary

    summary = TopicSummary(
        topic="orders",
        messages=3,
        kinds=(kind("order placed/v1"), kind("order_placed_v1"), kind("")),
    )
    doc = build_document([summary], {}, DocumentOptions())
    assert sorted(doc["components"]["messages"]) == [
        "Message",
        "OrderPlacedV1",
        "OrderPlacedV1_2",
    ]
    assert [m["name"] for m in doc["components"]["messages"].values()] == [
        "Message",
        "OrderPlacedV1",
        "OrderPlacedV1_2",
    ]
    asyncapi_check(doc)
