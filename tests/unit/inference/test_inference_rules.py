"""Formats, enums and maps: what becomes one, and what never does."""

from __future__ import annotations

import json
from typing import Any

import pytest

from inferrer.inference import observe, summarize_all
from inferrer.inference.rules import FORMAT_HINTS, FORMATS, MIN_FORMAT_DISTINCT, match_formats
from inferrer.model import TopicSummary
from inferrer.records import Record


def infer(values: list[Any], topic: str = "bank.accounts.balance-updated") -> TopicSummary:
    records = [
        Record(topic, 0, i, 1000 * i, value=json.dumps(v).encode()) for i, v in enumerate(values)
    ]
    (summary,) = summarize_all(observe(records))
    return summary


def prop(values: list[Any], name: str = "f") -> dict[str, Any]:
    summary = infer([{name: v} for v in values])
    (kind,) = summary.kinds
    return dict(kind.payload_schema["properties"][name])


GOOD = {
    "date-time": [
        "2024-01-01T10:00:00Z",
        "2024-02-29T23:59:59.123+02:00",
        "2024-12-31t00:00:00z",
        "2023-06-15T08:30:00-05:00",
        "1999-12-31T23:59:60Z",
    ],
    "date": ["2024-01-01", "2024-02-29", "1999-12-31", "2000-02-29", "2023-07-04"],
    "time": ["10:00:00Z", "23:59:59.5+01:00", "00:00:00-05:00", "12:30:00z", "08:15:00+00:00"],
    "uuid": [
        "5c9425fb-72f9-4f2c-9204-3b364db695e5",
        "5C9425FB-72F9-4F2C-9204-3B364DB695E5",
        "00000000-0000-0000-0000-000000000000",
        "123e4567-e89b-12d3-a456-426614174000",
        "f47ac10b-58cc-4372-a567-0e02b2c3d479",
    ],
    "email": [
        "a@b.co",
        "first.last+tag@example.com",
        "x_y@sub.domain.org",
        "o'brien@example.ie",
        "n1@x-y.io",
    ],
    "ipv4": ["10.0.0.1", "255.255.255.255", "0.0.0.0", "192.168.1.20", "8.8.4.4"],
    "ipv6": ["::1", "2001:db8::ff00:42:8329", "fe80::1", "::ffff:10.0.0.1", "1:2:3:4:5:6:7:8"],
    "uri": [
        "https://example.com/a?b=c",
        "http://localhost:8080",
        "urn:isbn:0451450523",
        "ftp://files.example.org/pub/a%20b.txt",
        "https://user@example.com:8443/p;x=1#frag",
    ],
    "uri-reference": [
        "/orders/42",
        "/v1/accounts/abc?expand=owner",
        "./images/logo.png",
        "../shared/a%20b",
        "/search#results",
    ],
    "uri-template": [
        "https://api.example.com/items/{id}{/part}",
        "/users/{userId}/orders{?page,size}",
        "https://{host}/v{version}/ping",
        "/files{/path*}",
        "/q{?term:3}",
    ],
}


@pytest.mark.parametrize("fmt", sorted(GOOD))
def test_each_format_is_detected(fmt: str) -> None:
    assert len(set(GOOD[fmt])) == MIN_FORMAT_DISTINCT
    assert prop(GOOD[fmt] * 3) == {"type": "string", "format": fmt}


@pytest.mark.parametrize("fmt", sorted(GOOD))
def test_no_format_below_the_minimum_of_distinct_values(fmt: str) -> None:
    # One value repeated is one piece of evidence, however often it repeats.
    values = GOOD[fmt][: MIN_FORMAT_DISTINCT - 1] * 50
    assert prop(values) == {"type": "string"}


def test_the_string_branch_of_a_union_keeps_its_format() -> None:
    values = [*GOOD["date-time"], 1700000000, 1700000001, None]
    assert prop(values) == {"type": ["integer", "null", "string"], "format": "date-time"}


def test_a_union_never_gets_an_enum() -> None:
    assert prop(["OPEN", "SHUT", 1] * 20, "status") == {"type": ["integer", "string"]}


LOOKALIKES = {
    "uri": [
        "https://api.example.com/items/{id}",  # braces: a template, illegal in a URI
        "https://example.com/a b",  # space
        "http://a/\u00e9",  # non-ASCII: an IRI, not a URI
        "https://example.com/%zz",  # bad percent-encoding
        "https://",  # no authority
        "mailto:someone",  # not scheme://
        "C:\\temp\\x",
        "example.com/path",
    ],
    "uri-reference": [
        "/",  # nothing after the slash
        "//cdn.example.com/x",  # network-path reference: too easily a comment
        "a/b/c",  # relative words: ordinary text
        "and/or",
        "/ usr / bin",
        "/path with spaces",
        "/items/{id}",  # a template
        "24/7",
        "2024/01/01",
        "./",
    ],
    "uri-template": [
        "{id}",  # no URI around it
        "/x/{id",  # unbalanced
        "/x/{}",  # empty expression
        "/x/{a b}",
        "/x/{{id}}",
        "/x/{=id}",  # reserved operator
        "https://x.org/}id{",
        '{"a": 1}',
        "/x/{id:0}",  # max-length starts at 1
    ],
}


@pytest.mark.parametrize(
    ("fmt", "value"), [(f, v) for f, vs in sorted(LOOKALIKES.items()) for v in vs]
)
def test_look_alikes_do_not_get_the_new_formats(fmt: str, value: str) -> None:
    assert not match_formats(value) & (1 << FORMATS.index(fmt)), value
    assert prop([value, *GOOD[fmt]] * 3).get("format") != fmt


TRICKY = [
    "2024-01-01 10:00:00",
    "2024-01-01T10:00:00",  # no offset: not RFC 3339
    "2024-13-01",
    "2024-02-30",
    "10:00:00",  # no offset: not an RFC 3339 full-time
    "25:00:00Z",
    "d41d8cd98f00b204e9800998ecf8427e",  # md5
    "da39a3ee5e6b4b0d3255bfef95601890afd80709",  # sha1
    "5c9425fb72f94f2c92043b364db695e5",  # uuid without dashes
    "1234",
    "999.1.1.1",
    "01.2.3.4",
    "1.2.3",
    "a@",
    "@b.com",
    "a@b",
    "not an email@example.com",
    "key:value",
    "mailto",
    "www.example.com",
    "12:34",
    "",
]


@pytest.mark.parametrize("value", TRICKY)
def test_tricky_strings_have_no_format(value: str) -> None:
    found = [FORMATS[i] for i in range(len(FORMATS)) if match_formats(value) >> i & 1]
    assert not set(found) - set(FORMAT_HINTS), found
    assert "format" not in prop([value] * 20)
    # Beside real values of every format, the tricky string removes the format.
    for good in GOOD.values():
        assert "format" not in prop([value, *good])


@pytest.mark.parametrize(
    "value",
    [
        "\uff12\uff10\uff12\uff14-01-01",  # full-width digits: the grammar is ASCII
        "\u0661\u0662:00:00Z",
        "0000-01-01",  # no year 0
        "1:2:3:4:5:6::1.2.3.4",  # nine groups
        "fe80::1%eth0",  # zone ids are not addresses
        "http://a\x01b",  # control characters end a URI
    ],
)
def test_the_shared_grammar_refuses(value: str) -> None:
    assert match_formats(value) == 0


def test_one_mismatch_removes_the_format() -> None:
    values = ["2024-01-01T10:00:00Z"] * 20 + ["2024-01-01 10:00:00"]
    assert prop(values) == {"type": "string"}


def test_nulls_do_not_prevent_a_format() -> None:
    values = [None, *GOOD["uuid"]]
    assert prop(values) == {"type": ["null", "string"], "format": "uuid"}


def test_low_cardinality_strings_become_a_sorted_enum() -> None:
    values = ["OPEN", "CLOSED", "FROZEN"] * 7
    assert prop(values, "status") == {"type": "string", "enum": ["CLOSED", "FROZEN", "OPEN"]}


def test_nullable_enum_lists_null_first() -> None:
    values = ["EUR", "USD", None] * 10
    assert prop(values, "currency") == {"type": ["null", "string"], "enum": [None, "EUR", "USD"]}


@pytest.mark.parametrize(
    "tokens",
    [
        ["FOO1", "FOO2", "FOO3"],
        ["V1", "V2"],
        ["ISO_8859_1", "UTF-8", "US-ASCII"],
        ["card_present", "card_not_present"],
        ["PaymentCreated", "PaymentSettled"],  # PascalCase with inner capitals: a code
        ["inProgress", "done"],
        ["v1.2", "v1.3"],
        ["tier:gold", "tier:silver"],
    ],
)
def test_code_like_tokens_with_digits_and_punctuation_are_enums(tokens: list[str]) -> None:
    assert prop(tokens * 12, "state")["enum"] == sorted(tokens)


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("status", ["OPEN", "CLOSED"] * 9),  # n < 20
        ("status", ["OPEN"] * 50),  # a constant is its type, not a one-value enum
        ("status", [f"S{c}" for c in "ABCDEFGHIJKL"] * 2),  # distinct > sqrt(n)
        ("status", ["OPEN", "CLOSED"] * 20 + ["FROZEN"] * 2),  # a value seen twice
        ("accountId", ["acc", "bcc", "ccc"] * 10),  # id-named field
        ("id", ["alpha", "beta"] * 10),
        ("ref", ["ACC-1234567", "ACC-7654321"] * 20),  # six digits in a row: ids
        ("ref", ["deadbeef1234cafe", "0123456789abcdef"] * 20),  # hex ids
        ("level", ["1", "2", "3"] * 20),  # all digits: numbers or ids
        ("appVersion", ["7.12.0", "7.12.1", "7.13.0"] * 20),  # no letter: versions
        ("note", ["this is a long free text comment, more than 32 characters"] * 12),
        ("note", ["not bad", "very good"] * 20),  # spaces: free text
        ("at", ["2024-01-01", "2024-01-02"] * 10),  # dates
        ("at", ["2024-01-01T10:00:00Z"] * 12),  # timestamps
        ("city", ["london", "paris"] * 20),  # a personal-data field name
        ("employerName", ["ACME", "GLOBEX"] * 20),
        ("homeTown", ["X1", "X2"] * 20),
        ("site", ["London", "Paris", "Leeds"] * 20),  # capitalised words: names
        ("site", ["Newcastle upon Tyne", "Leeds"] * 20),
        ("org", ["Acme-Corp", "Globex"] * 20),
    ],
)
def test_never_an_enum(name: str, values: list[str]) -> None:
    assert "enum" not in prop(values, name)


def test_the_same_traffic_sampled_twice_gives_the_same_enum() -> None:
    # Two samples of one source (every value well above the minimum count), in
    # different orders and sizes, agree.
    base = ["NEW"] * 40 + ["SHIPPED"] * 25 + ["RETURNED"] * 8
    first = prop(base, "state")
    second = prop(list(reversed(base)) * 2, "state")
    assert first["enum"] == second["enum"] == ["NEW", "RETURNED", "SHIPPED"]


def test_no_enum_when_other_types_mix_in() -> None:
    assert prop(["OPEN", 1] * 10, "status") == {"type": ["integer", "string"]}


def test_objects_keyed_by_uuids_become_maps() -> None:
    ids = [*GOOD["uuid"][:1], "11111111-2222-3333-4444-555555555555"]
    values = [{ids[0]: {"balance": 1}}, {ids[1]: {"balance": 2.5}, ids[0]: {"balance": 3}}]
    assert prop(values, "balances") == {
        "type": "object",
        "propertyNames": {"format": "uuid"},
        "additionalProperties": {
            "type": "object",
            "properties": {"balance": {"type": "number"}},
            "required": ["balance"],
        },
    }


@pytest.mark.parametrize(
    ("keys", "names"),
    [
        (["2024-01-01", "2024-01-02"], {"format": "date"}),
        (["1", "42", "1000"], {"pattern": "^-?[0-9]+$"}),
        (["USD", "EUR", "GBP"], {"pattern": "^[A-Z]{3}$"}),
    ],
)
def test_maps_by_key_class(keys: list[str], names: dict[str, str]) -> None:
    schema = prop([{k: i for i, k in enumerate(keys)}, {keys[0]: 5}], "m")
    assert schema == {
        "type": "object",
        "propertyNames": names,
        "additionalProperties": {"type": "integer"},
    }


def test_thousands_of_map_keys_stay_one_schema() -> None:
    values = [{str(i): {"qty": i}} for i in range(3000)]
    schema = prop(values, "stock")
    assert schema["additionalProperties"] == {
        "type": "object",
        "properties": {"qty": {"type": "integer"}},
        "required": ["qty"],
    }


def test_ordinary_objects_are_records() -> None:
    schema = prop([{"city": "Oslo", "zip": "0150"}] * 3, "address")
    assert schema == {
        "type": "object",
        "properties": {"city": {"type": "string"}, "zip": {"type": "string"}},
        "required": ["city", "zip"],
    }


def test_integer_vs_number_and_null_vs_missing() -> None:
    summary = infer([{"n": 1, "x": None}, {"n": 2.5}, {"n": 3, "x": "a"}])
    schema = summary.kinds[0].payload_schema
    assert schema == {
        "type": "object",
        "properties": {"n": {"type": "number"}, "x": {"type": ["null", "string"]}},
        "required": ["n"],
    }
    only_ints = infer([{"n": 1}, {"n": 2}]).kinds[0].payload_schema
    assert only_ints["properties"]["n"] == {"type": "integer"}
