"""Message names a person would choose: the documented rules of inferrer.asyncapi.names."""

from __future__ import annotations

import pytest

from inferrer.asyncapi.build import DocumentOptions, build_document
from inferrer.asyncapi.names import kind_name, pascal, singular, topic_name, value_name
from inferrer.model import KindSummary, TopicSummary


@pytest.mark.parametrize(
    ("topic", "name"),
    [
        ("bank.customers.address-changed", "AddressChanged"),
        ("bank.cards.transactions", "CardTransaction"),
        ("bank.audit.log", "AuditLog"),
        ("bank.loans.applications", "LoanApplication"),
        ("shop.categories.updates", "CategoryUpdate"),
        ("prod.orders.v2", "Order"),
        ("payments", "Payment"),
        ("billing.invoices", "Invoice"),
        ("iot.sensor_readings", "SensorReading"),
        ("crm.addresses.sync", "AddressSync"),
    ],
)
def test_a_topics_only_kind_is_named_from_its_meaningful_segments(topic: str, name: str) -> None:
    assert topic_name(topic) == name


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("PaymentSettled", "PaymentSettled"),
        ("ORDER_PLACED", "OrderPlaced"),
        ("order-placed", "OrderPlaced"),
        ("payment.settled", "PaymentSettled"),
        ("com.meridianbank.notification.marketing.sent", "MarketingSent"),
        ("io.acme.billing.v1.invoice.issued", "InvoiceIssued"),
        ("2fa_enabled", "K2FaEnabled"),
    ],
)
def test_a_kind_is_named_from_its_value(value: str, name: str) -> None:
    assert value_name(value) == name


def test_debezium_kinds_are_the_tables_row_and_what_happened() -> None:
    assert kind_name("cdc.shop.suppliers", "op", "c", "Create", only=False) == "SupplierCreated"
    assert (
        kind_name("cdc.shop.suppliers", "op", "Update", "Update", only=False) == "SupplierUpdated"
    )
    assert kind_name("cdc.shop.categories", "op", "r", "Read", only=False) == "CategorySnapshot"
    assert kind_name("cdc.shop.addresses", "op", "d", "Delete", only=False) == "AddressDeleted"


def test_plural_endings() -> None:
    assert [singular(w) for w in ("Cards", "Categories", "Addresses", "Status", "Bus")] == [
        "Card",
        "Category",
        "Address",
        "Status",
        "Bus",
    ]
    assert pascal("userId") == "UserId" and pascal("HTTPServer") == "HttpServer"


def _kind(name: str, value: str | None, field: str | None = "type") -> KindSummary:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    return KindSummary(
        name=name,
        count=10,
        payload_schema=schema,
        discriminator_field=field if value else None,
        discriminator_value=value,
    )


def _topic(topic: str, *kinds: KindSummary) -> TopicSummary:
    return TopicSummary(topic=topic, messages=10 * len(kinds), kinds=kinds)


def test_names_are_unique_across_the_document_and_qualified_by_what_tells_topics_apart() -> None:
    summaries = [
        _topic("orders.eu.events", _kind("OrderPlaced", "OrderPlaced")),
        _topic("orders.us.events", _kind("OrderPlaced", "OrderPlaced")),
        _topic("cdc.shop.suppliers", _kind("Create", "Create", "op")),
        _topic("cdc.shop.customers", _kind("Create", "Create", "op")),
        _topic("bank.cards.transactions", _kind("Transactions", None)),
        _topic("bank.loans.transactions", _kind("Transactions", None)),
    ]
    doc = build_document(summaries, {}, DocumentOptions())
    messages = doc["components"]["messages"]
    assert sorted(messages) == [
        "CardTransaction",
        "CustomerCreated",
        "EuOrderPlaced",
        "LoanTransaction",
        "SupplierCreated",
        "UsOrderPlaced",
    ]
    assert messages["EuOrderPlaced"]["name"] == "EuOrderPlaced"
    assert messages["EuOrderPlaced"]["title"] == "Eu Order Placed"
    # Same input in another order: the same names.
    again = build_document(list(reversed(summaries)), {}, DocumentOptions())
    assert again == doc
