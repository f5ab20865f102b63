"""Decoded, but suspicious: duplicate object keys and integers beyond 64 bits.

Such payloads are decoded (they feed the schema) and counted per topic as anomalies.
These tests are about the engine's decoder (:func:`inferrer.engine.decode_record`, the
compiled core), checked against the reference decoder (:mod:`inferrer.decoding`) too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from inferrer.asyncapi.build import DocumentOptions, build_document
from inferrer.inference import (
    observe,
    summarize_all,
)
from tests.unit.engine.test_anomalies import BIG, DUP, anomalous_records

# -- counting ------------------------------------------------------------------------


# -- reporting -----------------------------------------------------------------------


@pytest.mark.npm
def test_a_document_with_anomalies_is_valid(
    asyncapi_check: Callable[[dict[str, Any]], None],
) -> None:
    summaries = summarize_all(observe(anomalous_records()))
    doc = build_document(summaries, {}, DocumentOptions(examples="raw", evidence="inline"))
    assert doc["channels"]["t.odd"]["x-inferrer-anomalies"] == {DUP: 2, BIG: 2}
    asyncapi_check(doc)


# -- against a reference: the standard library, told to report both anomalies ---------
