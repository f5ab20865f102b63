"""Hypothesis strategies for event-like JSON payloads (shared by the inference tests)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

STRINGS = [
    "OPEN",
    "CLOSED",
    "EUR",
    "USD",
    "2024-01-01T10:00:00Z",
    "2024-03-05",
    "5c9425fb-72f9-4f2c-9204-3b364db695e5",
    "a@b.co",
    "10.0.0.1",
    "https://x.org/a",
    "2024-01-01 10:00:00",
    "free text here",
    "acc-001",
    "",
]
KEYS = ["id", "type", "status", "amount", "at", "items", "meta", "note", "accountId"]
MAP_KEYS = ["USD", "EUR", "1", "22", "2024-01-01", "5c9425fb-72f9-4f2c-9204-3b364db695e5"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(STRINGS),
    st.text(max_size=6),
)


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(KEYS), children, max_size=5),
        st.dictionaries(st.sampled_from(MAP_KEYS), children, min_size=1, max_size=3),
    )


json_values = st.recursive(scalars, _containers, max_leaves=12)
events = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=6)
