"""Realistic summaries, and checks of generated documents with the official AsyncAPI tooling.

Every document a test generates goes through :func:`check` (the ``asyncapi_check``
fixture): the official ``@asyncapi/parser`` must report zero errors, and the
document must validate against the official JSON Schema for its version, read
from ``node_modules/@asyncapi/specs`` (installed by ``make npm``, not copied here).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from inferrer.asyncapi.io import dump_document
from inferrer.asyncapi.validate import ParserProcess, ValidationReport, find_node_modules
from inferrer.model import FieldSummary, KindSummary, TopicMetadata, TopicSummary

# --- realistic inputs -----------------------------------------------------------------

T0 = 1_714_564_800_000  # 2024-05-01T12:00:00.000Z


def payment_schema(kind: str, extra: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "type": {"type": "string", "enum": [kind]},
        "paymentId": {"type": "string", "format": "uuid"},
        "amount": {"type": "number"},
        "currency": {"type": "string", "enum": ["EUR", "GBP", "USD"]},
        "payerEmail": {"type": "string", "format": "email"},
        "occurredAt": {"type": "string", "format": "date-time"},
        "attempts": {"type": "integer", "minimum": 1},
        "urgent": {"type": "boolean"},
    }
    properties.update(extra)
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": properties,
        "required": sorted(["amount", "currency", "occurredAt", "paymentId", "type"]),
    }


SETTLED_EXAMPLES = (
    {
        "type": "PaymentSettled",
        "paymentId": "6f1c2b0e-8d4a-4c55-9d61-2f9f0a6f7b11",
        "amount": 1234.56,
        "currency": "EUR",
        "payerEmail": "alice.martin@bank-customer.org",
        "occurredAt": "2024-05-01T12:00:03.250Z",
        "attempts": 2,
        "urgent": True,
        "settlement": {"iban": "DE89370400440532013000", "bookedOn": "2024-05-02"},
    },
    {
        "type": "PaymentSettled",
        "paymentId": "0b7d3a54-1e2f-4a9b-8c7d-6e5f4a3b2c1d",
        "amount": 77.1,
        "currency": "GBP",
        "payerEmail": "bob.smith@mail.example.net",
        "occurredAt": "2024-05-01T12:05:00Z",
        "attempts": 4,
        "urgent": False,
        "settlement": {"iban": "GB29NWBK60161331926819", "bookedOn": "2024-05-03"},
    },
)

FAILED_EXAMPLES = (
    {
        "type": "PaymentFailed",
        "paymentId": "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d",
        "amount": 980.25,
        "currency": "USD",
        "payerEmail": "carol.jones@corp-mail.com",
        "occurredAt": "2024-05-01T12:07:41.009Z",
        "attempts": 3,
        "urgent": False,
        "reason": "insufficient funds for Carol",
        "labels": {"carol-account-7731": "flagged"},
    },
)


def field(path: str, types: dict[str, int], present: int, total: int, **kw: Any) -> FieldSummary:
    return FieldSummary(
        path=path,
        types=types,
        present=present,
        presence_ratio=present / total,
        null_ratio=kw.pop("null_ratio", 0.0),
        distinct=kw.pop("distinct", present),
        distinct_approximate=kw.pop("distinct_approximate", False),
        **kw,
    )


def payments_summary() -> TopicSummary:
    settled = KindSummary(
        name="PaymentSettled",
        count=120,
        payload_schema=payment_schema(
            "PaymentSettled",
            {
                "settlement": {
                    "type": "object",
                    "properties": {
                        "iban": {"type": "string", "minLength": 15, "maxLength": 34},
                        "bookedOn": {"type": "string", "format": "date"},
                    },
                    "required": ["bookedOn", "iban"],
                }
            },
        ),
        discriminator_field="type",
        discriminator_value="PaymentSettled",
        headers_schema={
            "type": "object",
            "properties": {
                "traceparent": {"type": "string"},
                "source": {"type": "string", "enum": ["core-banking"]},
            },
        },
        fields=(
            field("/amount", {"number": 120}, 120, 120, distinct=117, minimum=0.5),
            field("/payerEmail", {"string": 96}, 96, 120, format="email"),
            field("/paymentId", {"string": 120}, 120, 120, format="uuid"),
            field(
                "/settlement/iban",
                {"string": 120},
                120,
                120,
                distinct=1000,
                **{"distinct_approximate": True},
            ),
        ),
        examples=SETTLED_EXAMPLES,
        first_timestamp=T0,
        last_timestamp=T0 + 3_600_000,
        example_partition=1,
        example_offset=4411,
    )
    failed = KindSummary(
        name="PaymentFailed",
        count=30,
        payload_schema=payment_schema(
            "PaymentFailed",
            {
                "reason": {"type": "string"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        ),
        discriminator_field="type",
        discriminator_value="PaymentFailed",
        fields=(field("/reason", {"string": 30}, 30, 30, distinct=12),),
        examples=FAILED_EXAMPLES,
        first_timestamp=T0 + 60_000,
        last_timestamp=T0 + 3_000_000,
    )
    return TopicSummary(
        topic="bank.payments",
        messages=150,
        kinds=(settled, failed),
        encoding="json",
        framing="confluent",
        schema_ids=(7, 3),
        key_schema={"type": "string", "format": "uuid"},
        key_encoding="text",
        headers_schema={"type": "object", "properties": {"traceparent": {"type": "string"}}},
        undecodable={"invalid-json": 2},
        first_timestamp=T0,
        last_timestamp=T0 + 3_600_000,
        rate_per_second=0.0417,
        partitions_seen=(2, 0, 1),
    )


CUSTOMER_EXAMPLES = (
    {
        "customerId": "c-000912",
        "email": "dora.explorer@customers.example.org",
        "name": "Dora Explorer",
        "segment": "retail",
        "updatedAt": "2024-04-30T08:15:00+02:00",
        "score": 712,
        "tags": ["vip", "newsletter"],
        "address": None,
    },
)


def customers_summary() -> TopicSummary:
    kind = KindSummary(
        name="BankCustomers",
        count=40,
        payload_schema={
            "type": "object",
            "properties": {
                "customerId": {"type": "string", "pattern": "^c-[0-9]{6}$"},
                "email": {"type": "string", "format": "email"},
                "name": {"type": "string"},
                "segment": {"type": "string", "enum": ["corporate", "retail"]},
                "updatedAt": {"type": "string", "format": "date-time"},
                "score": {"type": "integer"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "address": {"anyOf": [{"type": "null"}, {"type": "string"}]},
            },
            "required": ["customerId", "email", "updatedAt"],
        },
        fields=(
            field("/email", {"string": 40}, 40, 40, format="email"),
            field("/address", {"null": 30, "string": 6}, 36, 40, null_ratio=30 / 36),
        ),
        examples=CUSTOMER_EXAMPLES,
        first_timestamp=T0 - 86_400_000,
        last_timestamp=T0,
    )
    return TopicSummary(
        topic="bank.customers",
        messages=42,
        kinds=(kind,),
        key_schema={"type": "string"},
        key_encoding="text",
        tombstones=2,
        first_timestamp=T0 - 86_400_000,
        last_timestamp=T0,
        partitions_seen=(0,),
    )


def audit_summary() -> TopicSummary:
    # A kind name ("Created") that another topic uses too, and Kafka Connect envelopes.
    created = KindSummary(
        name="Created",
        count=5,
        payload_schema={"type": "object", "properties": {"id": {"type": "integer"}}},
        discriminator_field="/meta/op",
        discriminator_value="Created",
        examples=({"id": 991, "meta": {"op": "Created"}},),
    )
    return TopicSummary(
        topic="audit_log-v2",
        messages=5,
        kinds=(created,),
        envelope="kafka-connect",
    )


def ledger_summary() -> TopicSummary:
    created = KindSummary(
        name="Created",
        count=9,
        payload_schema={
            "type": "object",
            "properties": {"entry": {"type": "integer"}, "note": {"type": "string"}},
        },
        examples=({"entry": 17, "note": "rent for flat 4b"},),
    )
    return TopicSummary(topic="ledger.entries", messages=9, kinds=(created,))


def all_summaries() -> list[TopicSummary]:
    return [payments_summary(), customers_summary(), audit_summary(), ledger_summary()]


def all_metadata() -> dict[str, TopicMetadata]:
    return {
        "bank.payments": TopicMetadata(
            name="bank.payments",
            partitions=3,
            replication_factor=3,
            configs={
                "cleanup.policy": "delete",
                "retention.ms": "604800000",
                "retention.bytes": "-1",
                "max.message.bytes": "1048588",
                "segment.ms": "604800000",
                "min.insync.replicas": "2",
            },
            non_default_configs=("retention.ms",),
            consumer_groups=("settlement-service", "fraud-detector"),
            watermarks={0: (0, 400), 1: (10, 310), 2: (0, 290)},
        ),
        "bank.customers": TopicMetadata(
            name="bank.customers",
            partitions=1,
            replication_factor=1,
            configs={
                "cleanup.policy": "compact,delete",
                "delete.retention.ms": "86400000",
                "retention.ms": "-1",
                "confluent.value.schema.validation": "true",
            },
            non_default_configs=("cleanup.policy",),
            consumer_groups=("crm-sync",),
            watermarks={0: (0, 42)},
        ),
        "unsampled.topic": TopicMetadata(
            name="unsampled.topic", partitions=1, replication_factor=1
        ),
    }


# --- official tooling -------------------------------------------------------------------


@cache
def _schema_validator(version: str) -> jsonschema.Draft7Validator:
    path = find_node_modules() / "@asyncapi" / "specs" / "schemas" / f"{version}.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema)


def schema_errors(doc: dict[str, Any]) -> list[str]:
    """Errors of ``doc`` against the official JSON Schema of its AsyncAPI version."""
    validator = _schema_validator(str(doc["asyncapi"]))
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)
    ]


class AsyncAPIChecker:
    """Checks documents with the official parser and JSON Schema; fails the test otherwise."""

    def __init__(self, parser: ParserProcess, directory: Path) -> None:
        self._parser = parser
        self._directory = directory
        self._count = 0

    def report(self, doc: dict[str, Any], fmt: str = "yaml") -> ValidationReport:
        self._count += 1
        path = self._directory / f"doc{self._count}.{fmt}"
        path.write_text(dump_document(doc, "json" if fmt == "json" else "yaml"), encoding="utf-8")
        return self._parser.validate(path)

    def __call__(self, doc: dict[str, Any]) -> None:
        errors = schema_errors(doc)
        assert errors == [], f"JSON Schema errors: {errors}"
        report = self.report(doc)
        problems = [f"{d.path}: {d.code}: {d.message}" for d in report.errors]
        assert problems == [], f"@asyncapi/parser errors: {problems}"


@pytest.fixture(scope="session")
def asyncapi_parser() -> Iterator[ParserProcess]:
    with ParserProcess() as parser:
        yield parser


@pytest.fixture(scope="session")
def asyncapi_check(
    asyncapi_parser: ParserProcess, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[dict[str, Any]], None]:
    """Call with a document: asserts zero parser errors and zero JSON Schema errors."""
    return AsyncAPIChecker(asyncapi_parser, tmp_path_factory.mktemp("asyncapi"))
