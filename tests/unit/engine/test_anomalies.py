"""Decoded, but suspicious: duplicate object keys and integers beyond 64 bits.

Such payloads are decoded (they feed the schema) and counted per topic as anomalies.
These tests are about the engine's decoder (:func:`inferrer.engine.decode_record`, the
compiled core), checked against the reference decoder (:mod:`inferrer.decoding`) too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from inferrer.asyncapi.build import DocumentOptions, build_document
from inferrer.capture import write_capture
from inferrer.cli.summary import print_summary
from inferrer.decoding import ANOMALIES
from inferrer.engine import decode_record
from inferrer.errors import ObservationError
from inferrer.frames import topics_frame
from inferrer.inference import (
    TopicObservation,
    merge,
    observe,
    summarize_all,
)
from inferrer.model import DecodedMessage
from inferrer.records import Record
from tests.cli_inprocess import run_cli
from tests.properties import examples
from tests.reference.observation import observe_reference

DUP = "duplicate-keys"
BIG = "integer-beyond-64-bits"
HEADER = (("trace", b"1"),)


def decoded(value: bytes, headers: tuple[tuple[str, bytes | None], ...] = ()) -> DecodedMessage:
    return decode_record(Record("t", 0, 0, None, value=value, headers=headers))


# Both decoder paths: a plain object without headers is decoded inline; a header
# (or any framing) sends it through the general decoder.
both_paths = pytest.mark.parametrize("headers", [(), HEADER], ids=["inline", "general"])


def test_the_vocabulary() -> None:
    assert ANOMALIES == (DUP, BIG)


@both_paths
def test_duplicate_keys_alone(headers: Any) -> None:
    d = decoded(b'{"a": 1, "b": "x", "a": 2}', headers)
    assert (d.ok, d.reason, d.value) == (True, DUP, {"a": 2, "b": "x"})


@both_paths
def test_integer_beyond_64_bits_alone(headers: Any) -> None:
    d = decoded(b'{"a": 18446744073709551616, "b": "x"}', headers)
    assert (d.ok, d.reason, d.value) == (True, BIG, {"a": 2**64, "b": "x"})
    assert type(d.value["a"]) is int


@both_paths
def test_both_anomalies_in_one_message(headers: Any) -> None:
    d = decoded(b'{"n": -9223372036854775809, "n": -9223372036854775809}', headers)
    assert (d.ok, d.reason, d.value) == (True, f"{DUP},{BIG}", {"n": -(2**63) - 1})


@both_paths
@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (b'{"a": [{"x": 1}, {"y": {"z": 1, "z": 2}}]}', {"a": [{"x": 1}, {"y": {"z": 2}}]}),
        (b'{"a": [[{"k": true, "k": false}]]}', {"a": [[{"k": False}]]}),
        (b'{"a": {"b": 1}, "a": {"b": 1}}', {"a": {"b": 1}}),
        (b'{"e": {}, "e": {}}', {"e": {}}),
    ],
)
def test_nested_duplicates(headers: Any, raw: bytes, value: Any) -> None:
    d = decoded(raw, headers)
    assert (d.ok, d.reason, d.value) == (True, DUP, value)


def test_duplicates_in_a_top_level_array_and_in_framed_json() -> None:
    d = decoded(b'[{"a": 1}, {"b": 1, "b": 2}]')
    assert (d.ok, d.reason, d.value) == (True, DUP, [{"a": 1}, {"b": 2}])
    framed = decoded(b'\x00\x00\x00\x00\x07{"a": 1, "a": 2}')
    assert (framed.ok, framed.reason, framed.value) == (True, DUP, {"a": 2})
    assert (framed.framing, framed.schema_id) == ("confluent", 7)


@both_paths
@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": 1, "\\u0061": 2}',
        b'{"\\u00e9": 1, "\xc3\xa9": 2}',
        # An escaped colon hides from a count of the raw bytes' colons.
        b'{"a": 1, "a": 1, "b": "\\u003a"}',
        b'{"a": "\\u003A\\u003a", "a": 1}',
    ],
)
def test_escaped_duplicate_names(headers: Any, raw: bytes) -> None:
    d = decoded(raw, headers)
    assert (d.ok, d.reason) == (True, DUP)
    assert d.value == json.loads(raw)


@both_paths
@pytest.mark.parametrize(
    "raw",
    [
        b'{"at": "2024-05-01T12:00:00Z", "url": "http://h:8080/x", "t": {"s": "1:2:3"}}',
        b'{"a:b": 1, "a": "b:", "c": [{"d": ":"}, {"d": "::"}]}',
        b'{"a": "\\u003a", "b": ":"}',
        b'{"list": [1, 2], "o": {}, "p": {"q": {}}}',
    ],
)
def test_colons_in_strings_are_no_duplicates(headers: Any, raw: bytes) -> None:
    d = decoded(raw, headers)
    assert (d.ok, d.reason, d.value) == (True, None, json.loads(raw))


@both_paths
@pytest.mark.parametrize("n", [2**63 - 1, 2**64 - 1, -(2**63), 10**18, -(10**18)])
def test_integers_within_64_bits_are_not_flagged(headers: Any, n: int) -> None:
    d = decoded(b'{"n": %d, "m": [%d]}' % (n, n), headers)
    assert (d.ok, d.reason, d.value) == (True, None, {"n": n, "m": [n]})
    assert type(d.value["n"]) is int


@both_paths
@pytest.mark.parametrize("n", [2**64, -(2**63) - 1, 10**30, -(10**400)])
def test_integers_beyond_64_bits_are_exact(headers: Any, n: int) -> None:
    d = decoded(b'{"n": [%d]}' % n, headers)
    assert (d.ok, d.reason, d.value) == (True, BIG, {"n": [n]})
    assert type(d.value["n"][0]) is int


@both_paths
@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (b'{"id": "123456789012345678901234567890"}', {"id": "123456789012345678901234567890"}),
        (b'{"id": "-9223372036854775809"}', {"id": "-9223372036854775809"}),
        (b'{"x": 0.123456789012345678901234}', {"x": 0.123456789012345678901234}),
        (b'{"x": 123456789012345678901234.5}', {"x": 123456789012345678901234.5}),
        (b'{"x": 18446744073709551616e0}', {"x": 18446744073709551616e0}),
    ],
)
def test_long_digit_runs_that_are_no_integers_are_not_flagged(
    headers: Any, raw: bytes, value: Any
) -> None:
    d = decoded(raw, headers)
    assert (d.ok, d.reason, d.value) == (True, None, value)
    assert [type(v) for v in d.value.values()] == [type(v) for v in value.values()]


def test_scalar_payloads() -> None:
    assert (decoded(b"18446744073709551616").reason, decoded(b"18446744073709551616").value) == (
        BIG,
        2**64,
    )
    assert decoded(b"18446744073709551615").reason is None


def test_keys_and_headers_are_not_checked() -> None:
    d = decode_record(
        Record(
            "t",
            0,
            0,
            None,
            key=b'{"k": 1, "k": 2}',
            value=b'{"a": 1}',
            headers=(("h", b'{"x": 1, "x": 2}'),),
        )
    )
    assert (d.ok, d.reason, d.key, d.headers) == (True, None, {"k": 2}, {"h": {"x": 2}})


def test_undecodable_messages_keep_their_reason() -> None:
    d = decoded(b'{"a": 1, "a": NaN}')
    assert (d.ok, d.reason) == (False, "nan-or-infinity")
    too_long = decoded(b'{"n": 1' + b"0" * 5000 + b"}")
    assert (too_long.ok, too_long.reason) == (False, "invalid-json")


# -- counting ------------------------------------------------------------------------


def anomalous_records(topic: str = "t.odd") -> list[Record]:
    values: list[bytes | None] = [
        b'{"id": 1, "n": 5}',
        b'{"id": 2, "n": 18446744073709551616}',
        b'{"id": 3, "n": -9223372036854775809, "id": 3}',
        b'{"id": 4, "n": 7, "id": 4}',
        b'{"id": 5, "n": 2}',
        b'{"id": 6, "n": 1, "at": "2024-05-01T12:00:00Z"}',
        None,  # a tombstone: counted apart
        b'{"id": 1, "id": NaN}',  # undecodable: its reason, not an anomaly
    ]
    return [Record(topic, i % 2, i, 1_000 + i, value=v) for i, v in enumerate(values)]


def test_counts_through_observe_and_summarize() -> None:
    (summary,) = summarize_all(observe(anomalous_records()))
    assert summary.anomalies == {DUP: 2, BIG: 2}
    assert summary.undecodable == {"nan-or-infinity": 1}
    assert (summary.messages, summary.tombstones) == (8, 1)
    (kind,) = summary.kinds
    assert kind.count == 6
    assert kind.payload_schema["properties"]["n"] == {"type": "integer"}
    (n,) = [f for f in kind.fields if f.path == "/n"]
    assert n.types == {"integer": 6}
    assert (n.minimum, n.maximum) == (float(-(2**63) - 1), float(2**64))


def test_the_same_counts_one_message_at_a_time() -> None:
    interleaved = [
        r
        for pair in zip(anomalous_records("t.a"), anomalous_records("t.b"), strict=True)
        for r in pair
    ]
    a, b = summarize_all(observe(interleaved))
    assert a.anomalies == b.anomalies == {DUP: 2, BIG: 2}
    (via_reference,) = observe_reference(anomalous_records()).values()
    assert via_reference.to_dict()["anomalies"] == {DUP: 2, BIG: 2}


def test_round_trip_and_merge() -> None:
    (obs,) = observe(anomalous_records()).values()
    data = obs.to_dict()
    assert data["anomalies"] == {DUP: 2, BIG: 2}
    assert list(data["anomalies"]) == sorted(data["anomalies"])
    again = TopicObservation.from_dict(json.loads(json.dumps(data)))
    assert again.summarize() == obs.summarize()
    (other,) = observe(anomalous_records()[3:]).values()
    merged = merge(obs, other)
    assert merged.summarize().anomalies == {DUP: 3, BIG: 2}
    assert merged.to_dict()["anomalies"] == {DUP: 3, BIG: 2}
    assert merge(other, obs).to_dict() == merged.to_dict()


def test_an_observation_of_another_format_version_is_refused() -> None:
    (obs,) = observe(anomalous_records()).values()
    data = obs.to_dict()
    data["version"] = 1
    with pytest.raises(ObservationError, match="format version 1; expected 2"):
        TopicObservation.from_dict(data)
    del data["version"]
    data["version"] = 2
    del data["anomalies"]
    with pytest.raises(ObservationError, match="invalid"):
        TopicObservation.from_dict(data)


# -- reporting -----------------------------------------------------------------------


def test_document_evidence_only_when_there_are_anomalies() -> None:
    clean = Record("t.plain", 0, 0, None, value=b'{"id": 1}')
    doc = build_document(
        summarize_all(observe([*anomalous_records(), clean])),
        {},
        DocumentOptions(evidence="inline"),
    )
    assert doc["channels"]["t.odd"]["x-inferrer-anomalies"] == {DUP: 2, BIG: 2}
    assert "x-inferrer-anomalies" not in doc["channels"]["t.plain"]


def test_topics_frame_columns() -> None:
    clean = Record("t.plain", 0, 0, None, value=b'{"id": 1}')
    frame = topics_frame(summarize_all(observe([*anomalous_records(), clean])))
    rows = frame.set_index("topic")[["duplicate_keys", "integer_beyond_64_bits"]]
    assert rows.to_dict("index") == {
        "t.odd": {"duplicate_keys": 2, "integer_beyond_64_bits": 2},
        "t.plain": {"duplicate_keys": 0, "integer_beyond_64_bits": 0},
    }
    assert str(frame["duplicate_keys"].dtype) == "int64"


def test_summary_table_has_an_anomalies_column(capsys: pytest.CaptureFixture[str]) -> None:
    clean = Record("t.plain", 0, 0, None, value=b'{"id": 1}')
    print_summary(summarize_all(observe([*anomalous_records(), clean])), {})
    lines = capsys.readouterr().err.splitlines()
    (header,) = [line for line in lines if "┃ topic" in line]
    assert header.split("┃")[-2].strip() == "anomalies"
    (odd,) = [line for line in lines if "t.odd" in line]
    (plain,) = [line for line in lines if "t.plain" in line]
    assert odd.split("│")[-2].strip() == f"{DUP}: 2, {BIG}: 2"
    assert plain.split("│")[-2].strip() == "0"


def test_infer_from_a_capture_reports_anomalies(tmp_path: Path) -> None:
    capture = tmp_path / "odd.jsonl"
    write_capture(anomalous_records(), capture)
    out = tmp_path / "asyncapi.yaml"
    result = run_cli("--from-file", str(capture), "-o", str(out), "--evidence", "inline")
    assert result.returncode == 0, result.stderr
    (row,) = [line for line in result.stderr.splitlines() if "t.odd" in line]
    assert row.split("│")[-2].strip() == f"{DUP}: 2, {BIG}: 2"
    doc = yaml.safe_load(out.read_text())
    assert doc["channels"]["t.odd"]["x-inferrer-anomalies"] == {DUP: 2, BIG: 2}


# -- against a reference: the standard library, told to report both anomalies ---------

NAMES = ["a", "\\u0061", "b", ":", "a:", ":a", '\\"', '\\":', "\\u003a", "\\\\", " :"]
NUMBERS = [
    "0",
    "-1",
    "2.5",
    "1e3",
    str(2**63 - 1),
    str(2**64 - 1),
    str(2**64),
    str(-(2**63)),
    str(-(2**63) - 1),
    str(10**25),
    "0.1234567890123456789012",
    "12345678901234567890.5",
    "-12345678901234567890e2",
    str(1_700_000_000_000_000_000),
]
STRINGS = [
    '"x"',
    '"2024-05-01T12:00:00Z"',
    '":x"',
    '"a\\":"',
    '"\\u003a"',
    '"123456789012345678901"',
]
SPACE = st.sampled_from(["", " ", "\n", "\t "])


@st.composite
def json_texts(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(st.integers(0, 4 if depth < 3 else 1))
    if kind == 0:
        return draw(st.sampled_from(NUMBERS))
    if kind == 1:
        return draw(st.sampled_from([*STRINGS, "true", "null"]))
    if kind == 2:
        items = draw(st.lists(json_texts(depth + 1), max_size=3))
        return "[" + ",".join(draw(SPACE) + i + draw(SPACE) for i in items) + "]"
    names = draw(st.lists(st.sampled_from(NAMES), max_size=4))
    members = [
        f'{draw(SPACE)}"{name}"{draw(SPACE)}:{draw(SPACE)}{draw(json_texts(depth + 1))}'
        for name in names
    ]
    return "{" + ",".join(members) + "}"


def reference(text: str) -> tuple[Any, str | None]:
    found: set[str] = set()

    def exact_int(s: str) -> int:
        n = int(s)
        if not -(2**63) <= n <= 2**64 - 1:
            found.add(BIG)
        return n

    def exact_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        if len({k for k, _ in pairs}) != len(pairs):
            found.add(DUP)
        return dict(pairs)

    value = json.loads(text, parse_int=exact_int, object_pairs_hook=exact_object)
    return value, ",".join(sorted(found)) or None


@settings(max_examples=examples(400), deadline=None)
@given(json_texts(), st.booleans())
def test_anomalies_are_found_exactly(text: str, with_header: bool) -> None:
    d = decoded(text.encode(), HEADER if with_header else ())
    assert d.ok
    assert (d.value, d.reason) == reference(text)
