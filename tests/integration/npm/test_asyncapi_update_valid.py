"""--update: a fresh inference merged into a committed spec keeps everything a human wrote."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from inferrer.asyncapi.build import DocumentOptions, build_document
from inferrer.asyncapi.io import dump_document
from inferrer.asyncapi.read import load_document
from inferrer.asyncapi.update import update_document
from inferrer.model import TopicSummary
from tests.asyncapi_fixtures import all_metadata, all_summaries, payments_summary
from tests.unit.asyncapi.test_asyncapi_update import (
    assert_update_keeps_everything,
    summary_lists,
)

Check = Callable[[dict[str, Any]], None]


def with_new_settled_field(summary: TopicSummary) -> TopicSummary:
    """bank.payments as sampled later: PaymentSettled gained a `channel` field."""
    kinds = []
    for kind in summary.kinds:
        if kind.name == "PaymentSettled":
            schema = copy.deepcopy(dict(kind.payload_schema))
            schema["properties"]["channel"] = {"type": "string", "enum": ["app", "web"]}
            schema["required"] = sorted([*schema["required"], "channel"])
            kind = dataclasses.replace(kind, payload_schema=schema, count=200)
        kinds.append(kind)
    return dataclasses.replace(summary, kinds=tuple(kinds), messages=230)


def hand_edited_spec(tmp_path: Path) -> dict[str, Any]:
    """Last month's inference of two topics, committed and then edited by a person."""
    first = build_document(
        all_summaries()[:2],
        all_metadata(),
        DocumentOptions(evidence="inline", bootstrap="localhost:9092"),
    )
    path = tmp_path / "asyncapi.yaml"
    path.write_text(dump_document(first))
    spec = load_document(path)

    spec["info"]["title"] = "Bank events"
    spec["info"]["version"] = "2.3.0"
    spec["info"]["description"] = "Events of the core banking platform. Owned by team Ledger."
    spec["info"]["tags"] = [{"name": "banking"}]
    spec["info"]["x-owner"] = "team-ledger"
    spec["servers"] = {
        "production": {"host": "kafka.bank.internal:9093", "protocol": "kafka-secure"}
    }

    payments = spec["channels"]["bank.payments"]
    payments["description"] = "Every payment state change, keyed by payment id."
    payments["x-pii"] = True
    payments["bindings"]["kafka"]["partitions"] = 12  # the planned size, not today's

    # Rename the PaymentSettled message: component id, channel key and references.
    messages = spec["components"]["messages"]
    settled = messages.pop("PaymentSettled")
    settled["title"] = "Payment settled (v1)"
    settled["description"] = "Emitted once the money has left the payer's account."
    settled["tags"] = [{"name": "settlement"}]
    settled["payload"] = {"$ref": "#/components/schemas/SettledPayload"}
    messages["PaymentSettledV1"] = settled
    schemas = spec["components"]["schemas"]
    schemas["SettledPayload"] = schemas.pop("PaymentSettled")
    del payments["messages"]["PaymentSettled"]
    payments["messages"]["settled"] = {"$ref": "#/components/messages/PaymentSettledV1"}
    for operation in spec["operations"].values():
        for ref in operation["messages"]:
            if ref["$ref"] == "#/channels/bank.payments/messages/PaymentSettled":
                ref["$ref"] = "#/channels/bank.payments/messages/settled"

    # Tighten and document the schema; add a field that traffic never carries.
    settled_schema = schemas["SettledPayload"]["properties"]
    settled_schema["currency"]["enum"] = ["EUR", "GBP"]
    settled_schema["payerEmail"]["maxLength"] = 254
    settled_schema["amount"]["description"] = "Amount in the currency's major unit."
    settled_schema["amount"]["exclusiveMinimum"] = 0
    settled_schema["memo"] = {"type": "string", "description": "Free text, planned."}

    # A channel written by hand, for a topic inferrer was not asked to sample.
    spec["channels"]["paymentsDeadLetters"] = {
        "address": "bank.payments.dlq",
        "description": "Payments that could not be processed.",
        "messages": {"dead": {"$ref": "#/components/messages/DeadLetter"}},
    }
    messages["DeadLetter"] = {
        "name": "DeadLetter",
        "payload": {"type": "object", "properties": {"error": {"type": "string"}}},
    }
    spec["operations"]["replayDeadLetters"] = {
        "action": "receive",
        "channel": {"$ref": "#/channels/paymentsDeadLetters"},
        "messages": [{"$ref": "#/channels/paymentsDeadLetters/messages/dead"}],
    }
    return spec


def fresh_inference() -> dict[str, Any]:
    summaries = [with_new_settled_field(payments_summary()), *all_summaries()[1:]]
    return build_document(
        summaries, all_metadata(), DocumentOptions(evidence="inline", bootstrap="localhost:9092")
    )


@pytest.mark.npm
def test_update_keeps_human_edits_adds_new_parts_and_reports_unobserved(
    tmp_path: Path, asyncapi_check: Check
) -> None:
    spec = hand_edited_spec(tmp_path)
    asyncapi_check(spec)
    before = copy.deepcopy(spec)
    result = update_document(spec, fresh_inference())
    doc = result.document
    assert spec == before  # the input is not modified

    assert doc["info"]["title"] == "Bank events"
    assert doc["info"]["version"] == "2.3.0"
    assert doc["info"]["description"] == before["info"]["description"]
    assert doc["info"]["tags"] == [{"name": "banking"}]
    assert doc["info"]["x-owner"] == "team-ledger"
    assert doc["info"]["x-inferrer-sample-size"] == 286  # evidence is refreshed
    assert doc["servers"] == before["servers"]

    payments = doc["channels"]["bank.payments"]
    assert payments["description"] == "Every payment state change, keyed by payment id."
    assert payments["x-pii"] is True
    assert payments["bindings"]["kafka"]["partitions"] == 12
    assert payments["x-inferrer-sample-size"] == 230
    # The renamed message is matched, not duplicated.
    assert payments["messages"] == {
        "PaymentFailed": {"$ref": "#/components/messages/PaymentFailed"},
        "settled": {"$ref": "#/components/messages/PaymentSettledV1"},
    }
    messages = doc["components"]["messages"]
    assert "PaymentSettled" not in messages
    settled = messages["PaymentSettledV1"]
    assert settled["title"] == "Payment settled (v1)"
    assert settled["description"] == "Emitted once the money has left the payer's account."
    assert settled["tags"] == [{"name": "settlement"}]
    assert settled["payload"] == {"$ref": "#/components/schemas/SettledPayload"}
    assert settled["x-inferrer-sample-size"] == 200
    assert "PaymentSettled" not in doc["components"]["schemas"]

    schema = doc["components"]["schemas"]["SettledPayload"]
    assert schema["properties"]["currency"]["enum"] == ["EUR", "GBP"]
    assert schema["properties"]["payerEmail"]["maxLength"] == 254
    assert schema["properties"]["amount"] == {
        "type": "number",
        "description": "Amount in the currency's major unit.",
        "exclusiveMinimum": 0,
    }
    assert schema["properties"]["memo"] == {"type": "string", "description": "Free text, planned."}
    # The new field is added, as optional: older messages did not carry it.
    assert schema["properties"]["channel"] == {"type": "string", "enum": ["app", "web"]}
    assert "channel" not in schema["required"]

    # Hand-added channel, message and operation are untouched.
    for key in ("paymentsDeadLetters",):
        assert doc["channels"][key] == before["channels"][key]
    assert messages["DeadLetter"] == before["components"]["messages"]["DeadLetter"]
    assert doc["operations"]["replayDeadLetters"] == before["operations"]["replayDeadLetters"]

    # New topics arrive with their messages and operations.
    assert doc["channels"]["ledger.entries"]["address"] == "ledger.entries"
    assert doc["operations"]["ledger.entries.send"]["messages"] == [
        {"$ref": "#/channels/ledger.entries/messages/Entry"}
    ]
    assert doc["operations"]["bank.payments.send"]["messages"] == [
        {"$ref": "#/channels/bank.payments/messages/PaymentFailed"},
        {"$ref": "#/channels/bank.payments/messages/settled"},
    ]

    assert result.unobserved == ["/components/schemas/SettledPayload/properties/memo"]
    assert result.added == [
        "/channels/audit_log-v2",
        "/channels/audit_log-v2/messages/Created",
        "/channels/ledger.entries",
        "/channels/ledger.entries/messages/Entry",
        "/components/messages/Created",
        "/components/messages/Entry",
        "/components/schemas/Created",
        "/components/schemas/Entry",
        "/components/schemas/SettledPayload/properties/channel",
        "/operations/audit_log-v2.send",
        "/operations/ledger.entries.send",
    ]
    asyncapi_check(doc)

    again = update_document(doc, fresh_inference())
    assert again.document == doc
    assert again.added == []
    assert again.unobserved == result.unobserved


@pytest.mark.npm
def test_a_topic_that_lost_a_kind_and_a_field_is_reported_not_deleted(
    asyncapi_check: Check,
) -> None:
    old = build_document(all_summaries(), all_metadata(), DocumentOptions(evidence="inline"))
    payments = payments_summary()
    settled = payments.kinds[0]
    schema = copy.deepcopy(dict(settled.payload_schema))
    del schema["properties"]["urgent"]
    del schema["properties"]["settlement"]["properties"]["iban"]
    settled = dataclasses.replace(settled, payload_schema=schema)
    only_settled = dataclasses.replace(payments, kinds=(settled,))
    fresh = build_document([only_settled], all_metadata(), DocumentOptions(evidence="inline"))
    result = update_document(old, fresh)
    assert result.unobserved == [
        "/channels/bank.payments/messages/PaymentFailed",
        "/components/schemas/PaymentSettled/properties/settlement/properties/iban",
        "/components/schemas/PaymentSettled/properties/urgent",
    ]
    assert (
        result.document["components"]["messages"]["PaymentFailed"]
        == (old["components"]["messages"]["PaymentFailed"])
    )
    assert "urgent" in result.document["components"]["schemas"]["PaymentSettled"]["properties"]
    asyncapi_check(result.document)


@pytest.mark.npm
def test_update_of_a_2_6_document(asyncapi_check: Check) -> None:
    options = DocumentOptions(asyncapi_version="2.6.0", evidence="inline")
    old = build_document(all_summaries()[:1], all_metadata(), options)
    old["channels"]["bank.payments"]["description"] = "Payments, by hand."
    messages = old["components"]["messages"]
    messages["Settled"] = messages.pop("PaymentSettled")
    old["channels"]["bank.payments"]["publish"]["message"]["oneOf"][1] = {
        "$ref": "#/components/messages/Settled"
    }
    fresh = build_document(all_summaries(), all_metadata(), options)
    result = update_document(old, fresh)
    doc = result.document
    assert doc["channels"]["bank.payments"]["description"] == "Payments, by hand."
    assert "PaymentSettled" not in doc["components"]["messages"]
    assert doc["channels"]["bank.customers"] == fresh["channels"]["bank.customers"]
    assert result.unobserved == []
    asyncapi_check(doc)
    assert update_document(doc, fresh).document == doc


# --- properties -----------------------------------------------------------------------


@pytest.mark.npm
@settings(
    # Each example is a document for the parser (about a second of node's time): the
    # properties without the parser draw many more in tests/unit/asyncapi.
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(summary_lists, summary_lists)
def test_update_is_idempotent_keeps_everything_and_stays_valid(
    asyncapi_check: Check, old: list[TopicSummary], new: list[TopicSummary]
) -> None:
    first = assert_update_keeps_everything(old, new)
    asyncapi_check(first)


@pytest.mark.npm
def test_update_spec_file_uses_the_files_version_and_format(
    tmp_path: Path, asyncapi_check: Check
) -> None:
    from inferrer.asyncapi.io import format_for_path
    from inferrer.asyncapi.update import update_spec_file
    from inferrer.atomic import write_atomic

    path = tmp_path / "asyncapi.json"
    old = build_document(
        all_summaries()[:1], all_metadata(), DocumentOptions(asyncapi_version="3.1.0")
    )
    old["info"]["description"] = "Curated."
    write_atomic(path, dump_document(old, format_for_path(path)))
    result = update_spec_file(
        path, all_summaries(), all_metadata(), DocumentOptions(evidence="inline")
    )
    assert result.document["asyncapi"] == "3.1.0"
    assert result.document["info"]["description"] == "Curated."
    assert "ledger.entries" in result.document["channels"]
    asyncapi_check(result.document)
    assert format_for_path(path) == "json" and format_for_path(tmp_path / "a.yml") == "yaml"
