"""Shared schemas: a repeated object schema is written once and referenced."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from inferrer.asyncapi.build import DocumentOptions, build_document
from tests.unit.inference.test_inference_engine import infer


@pytest.mark.npm
def test_debezium_kinds_share_one_row_schema(
    asyncapi_check: Callable[[dict[str, Any]], None],
) -> None:
    row = {"id": 1, "name": "x"}
    summary = infer(
        [
            {"before": None, "after": row, "op": "c", "source": {}},
            {"before": row, "after": row, "op": "u", "source": {}},
            {"before": row, "after": None, "op": "d", "source": {}},
        ],
        "cdc.shop.suppliers",
    )
    doc = build_document([summary], {}, DocumentOptions())
    schemas = doc["components"]["schemas"]
    assert sorted(doc["components"]["messages"]) == [
        "SupplierCreated",
        "SupplierDeleted",
        "SupplierUpdated",
    ]
    assert schemas["SupplierRow"]["properties"] == {
        "id": {"type": "integer"},
        "name": {"type": "string"},
    }
    for kind in ("SupplierCreated", "SupplierDeleted", "SupplierUpdated"):
        for side in ("before", "after"):
            assert {"$ref": "#/components/schemas/SupplierRow"} in schemas[kind]["properties"][
                side
            ]["anyOf"]
    asyncapi_check(doc)
