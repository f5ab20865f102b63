"""Topic families: one templated channel for topics that differ in one segment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from inferrer.asyncapi.build import DocumentOptions, build_document
from inferrer.drift.spec import normalize_spec
from tests.unit.asyncapi.test_topic_families import topic


@pytest.mark.npm
@pytest.mark.parametrize("version", ["3.0.0", "2.6.0"])
def test_a_family_is_one_templated_channel_and_drift_reads_it_back(
    asyncapi_check: Callable[[dict[str, Any]], None], version: str
) -> None:
    summaries = [
        topic(f"orders.{r}.created", count=n) for r, n in (("eu", 5), ("us", 7), ("jp", 9))
    ]
    doc = build_document(
        summaries, {}, DocumentOptions(asyncapi_version=version, evidence="inline")
    )
    asyncapi_check(doc)
    if version == "3.0.0":
        (channel_id,) = doc["channels"]
        channel = doc["channels"][channel_id]
        assert channel["address"] == "orders.{region}.created"
        assert channel["parameters"]["region"]["enum"] == ["eu", "jp", "us"]
        assert "topic" not in channel["bindings"]["kafka"]
        assert channel["x-inferrer-sample-size"] == 21
        assert channel["x-inferrer-topics"] == [
            "orders.eu.created",
            "orders.jp.created",
            "orders.us.created",
        ]
        assert list(doc["components"]["messages"]) == ["OrderCreated"]
    else:
        assert doc["channels"]["orders.{region}.created"]["parameters"]["region"]["schema"][
            "enum"
        ] == ["eu", "jp", "us"]
    view = normalize_spec(doc)
    assert sorted(view.channels) == ["orders.eu.created", "orders.jp.created", "orders.us.created"]
