"""Redacted examples keep structure, JSON types, formats and enum values, and nothing else."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from inferrer.redact import (
    detect_format,
    is_data_key,
    redact_example,
    redact_path,
    sample_for_pattern,
)


def test_formats_are_kept_from_the_schema_or_the_value() -> None:
    schema = {
        "type": "object",
        "properties": {
            "email": {"type": "string", "format": "email"},
            "at": {"type": "string", "format": "date-time"},
            "day": {"type": "string", "format": "date"},
            "id": {"type": "string", "format": "uuid"},
            "site": {"type": "string", "format": "uri"},
            "ip": {"type": "string", "format": "ipv4"},
        },
    }
    value = {
        "email": "jane.doe@private-mail.net",
        "at": "2023-11-05T09:30:00+01:00",
        "day": "1987-03-14",
        "id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
        "site": "https://jane.example.org/profile",
        "ip": "10.1.2.3",
    }
    expected = {
        "email": "user@example.com",
        "at": "2024-01-01T00:00:00Z",
        "day": "2024-01-01",
        "id": "00000000-0000-4000-8000-000000000000",
        "site": "https://example.com/",
        "ip": "192.0.2.1",
    }
    assert redact_example(value, schema) == expected
    # Without a schema the formats are recognised from the values themselves.
    assert redact_example(value) == expected
    assert uuid.UUID(expected["id"]).version == 4
    assert datetime.fromisoformat(expected["at"]).year == 2024


def test_json_types_booleans_nulls_and_enums() -> None:
    schema = {
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": ["open", "closed"]},
            "kind": {"const": "refund"},
            "level": {"type": "integer", "enum": [1, 2, 3]},
        },
    }
    value = {
        "status": "closed",
        "kind": "refund",
        "level": 2,
        "count": 17,
        "ratio": 0.37,
        "flag": False,
        "gone": None,
        "name": "Jane",
    }
    assert redact_example(value, schema) == {
        "status": "closed",
        "kind": "refund",
        "level": 2,
        "count": 0,
        "ratio": 0.0,
        "flag": False,
        "gone": None,
        "name": "string",
    }
    redacted = redact_example(value, schema)
    assert type(redacted["count"]) is int and type(redacted["ratio"]) is float


def test_a_value_outside_the_enum_is_redacted() -> None:
    assert redact_example("secret", {"type": "string", "enum": ["a", "b"]}) == "string"
    assert redact_example(True, {"enum": [1]}) is True  # a boolean is kept, not as 1


def test_constraints_are_respected() -> None:
    assert redact_example(500, {"type": "integer", "minimum": 10}) == 10
    assert redact_example(-5.5, {"type": "number", "maximum": -1}) == -1.0
    assert redact_example("abcdefghijkl", {"type": "string", "minLength": 10}) == "stringxxxx"
    assert redact_example("abcdef", {"type": "string", "maxLength": 3}) == "str"
    assert redact_example("AB-1234", {"type": "string", "pattern": "^[A-Z]{2}-\\d{4}$"}) == (
        "AA-0000"
    )


def test_maps_have_their_keys_redacted_records_do_not() -> None:
    schema = {"type": "object", "additionalProperties": {"type": "integer"}}
    assert redact_example({"jane@x.org": 5, "bob@y.org": 7}, schema) == {"key1": 0, "key2": 0}
    assert redact_example({"jane": 5}, {"type": "object", "properties": {"jane": {}}}) == {
        "jane": 0
    }


def test_undeclared_keys_that_are_data_are_replaced_and_field_names_kept() -> None:
    value = {
        "4111111111111111": 1,
        "jane@example.org": 2,
        "Jane Doe": 3,
        "2024-05-01": 4,
        "acct-12345678": 5,
        "": 6,
        "amount": 7,
        "customer_id": 8,
        "@type": 9,
    }
    assert list(redact_example(value)) == [
        "key1",
        "key2",
        "key3",
        "key4",
        "key5",
        "key6",
        "amount",
        "customer_id",
        "@type",
    ]
    declared = {"type": "object", "properties": {"4111111111111111": {"type": "integer"}}}
    assert redact_example({"4111111111111111": 1}, declared) == {"4111111111111111": 0}
    assert redact_path("/balances/4111111111111111/amount") == "/balances/{}/amount"
    assert redact_path("/by_email/jane@x.org") == "/by_email/{}"


def test_anyof_branch_is_chosen_by_type() -> None:
    schema = {"anyOf": [{"type": "null"}, {"type": "string", "format": "email"}]}
    assert redact_example("x.y@z.com", schema) == "user@example.com"
    assert redact_example(None, schema) is None
    schema = {"type": "array", "items": {"anyOf": [{"type": "integer"}, {"type": "string"}]}}
    assert redact_example([4, "q"], schema) == [0, "string"]


def test_pattern_samples() -> None:
    assert sample_for_pattern("^c-[0-9]{6}$") == "c-000000"
    assert sample_for_pattern("^(EU|US)-\\w+$") == "EU-a"
    assert sample_for_pattern("a(?=b)") is None  # lookahead: not handled
    assert sample_for_pattern("([") is None  # not a regular expression
    assert detect_format("not a format") is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


def shape(value: Any, rename: bool = False) -> Any:
    """The structure of ``value``; with ``rename``, keys that are data renamed by position
    as an undeclared data key is redacted."""
    if isinstance(value, dict):
        return {
            (f"key{i}" if rename and is_data_key(k) else k): shape(v, rename)
            for i, (k, v) in enumerate(value.items(), start=1)
        }
    if isinstance(value, list):
        return [shape(v, rename) for v in value]
    return type(value).__name__


@given(json_values)
def test_structure_and_types_are_kept_and_redaction_is_deterministic(value: Any) -> None:
    redacted = redact_example(value)
    assert shape(redacted) == shape(value, rename=True)
    assert redact_example(value) == redacted
    # Redacting twice changes nothing more: placeholders are fixed points.
    assert redact_example(redacted) == redacted
