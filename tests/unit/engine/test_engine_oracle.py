"""The engine's compiled core against the Python reference (the oracle), whole topics.

The same records go through (a) the core (decode + fold, ``inferrer.inference.observe``)
and (b) the reference (``inferrer.decoding`` + ``tests/reference/observation.py``:
genson structure, column-wise statistics). Their observation dicts must be equal, on
real fixtures and on generated and mutated traffic; merging is
associative and commutative; input order and hash seeds change nothing.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inferrer.capture import iter_captures
from inferrer.inference import (
    ShapeObservation,
    TopicObservation,
    merge,
    observe,
    summarize_all,
)
from inferrer.inference.canonical import sort_structure
from inferrer.records import Record
from tests.properties import examples
from tests.reference.observation import observe_reference
from tests.strategies_json import events, json_values

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "bank"


def _normalized(d: dict[str, Any], core: bool) -> dict[str, Any]:
    """An observation dict with its informative ``structure`` sorted; for the core's,
    the structure production reads (declared schemas merged in, as the reference
    merges them)."""

    def shape(s: dict[str, Any]) -> dict[str, Any]:
        out = dict(s)
        if core and (s["count"] or s["hints"]):
            out["structure"] = ShapeObservation(s).structure()
        out["structure"] = sort_structure(out.get("structure") or {})
        return out

    out = dict(d)
    out["key"] = shape(d["key"])
    out["headers"] = shape(d["headers"])
    kinds = []
    for entry in d["kinds"]:
        obs = dict(entry["observation"])
        obs["payload"] = shape(obs["payload"])
        obs["headers"] = shape(obs["headers"])
        kinds.append({**entry, "observation": obs})
    out["kinds"] = kinds
    return out


def _assert_same(records: list[Record]) -> None:
    core = observe(records)
    ref = observe_reference(records)
    assert sorted(core) == sorted(ref)
    for topic in ref:
        got = _normalized(core[topic].to_dict(), core=True)
        want = _normalized(ref[topic].to_dict(), core=False)
        # Structures are derived from statistics in the core, built by genson in the
        # reference: compared on their own first for a readable failure.
        for g, w in zip(got["kinds"], want["kinds"], strict=True):
            assert (
                g["observation"]["payload"]["structure"]
                == (w["observation"]["payload"]["structure"])
            )
        assert got == want
    # Summaries are written from the dict form (one implementation): the reference's
    # observations give the same ones.
    as_loaded = {t: TopicObservation.from_dict(o.to_dict()) for t, o in ref.items()}
    assert summarize_all(core) == summarize_all(as_loaded)


def _records(topic: str, values: list[bytes | None], **kw: Any) -> list[Record]:
    return [
        Record(topic, i % 3, i, 1_700_000_000_000 + i, kw.get("key"), v, kw.get("headers", ()))
        for i, v in enumerate(values)
    ]


def test_bank_fixtures_equal_the_reference() -> None:
    records = list(iter_captures(sorted((FIXTURES / "v1").glob("*.jsonl"))))
    records += list(iter_captures(sorted((FIXTURES / "v2").glob("*.jsonl"))))
    assert len(records) > 100
    _assert_same(records)


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(events, min_size=1, max_size=40), st.randoms(use_true_random=False))
def test_generated_events_equal_the_reference(payloads: list[Any], rnd: random.Random) -> None:
    values: list[bytes | None] = [json.dumps(p).encode() for p in payloads]
    rnd.shuffle(values)
    _assert_same(_records("gen.events", values))


_MUTATIONS = (b"{", b"}", b"[", b"]", b'"', b",", b":", b"\\", b"\x00", b"\xff", b"NaN", b"1e9")


def _mutate(data: bytes, rnd: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rnd.randint(1, 3)):
        pos = rnd.randint(0, len(out))
        op = rnd.random()
        if op < 0.4 and out:
            del out[min(pos, len(out) - 1)]
        elif op < 0.8:
            out[pos:pos] = rnd.choice(_MUTATIONS)
        elif out:
            i = min(pos, len(out) - 1)
            out[i] ^= 1 << rnd.randint(0, 7)
    return bytes(out)


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(json_values, min_size=1, max_size=30), st.randoms(use_true_random=False))
def test_mutated_traffic_equals_the_reference(values: list[Any], rnd: random.Random) -> None:
    raws: list[bytes | None] = []
    for v in values:
        raw = json.dumps(v).encode()
        raws.append(_mutate(raw, rnd) if rnd.random() < 0.5 else raw)
    raws.append(None)  # a tombstone
    headers = ((b"ce_type".decode(), b"x.y"), ("ce_specversion", b"1.0"))
    _assert_same(
        _records("gen.mutated", raws)
        + _records("gen.keyed", raws, key=b'{"id": 1}')
        + _records("gen.ce", raws, headers=headers)
    )


def test_many_kinds_collapse_as_the_reference() -> None:
    values: list[bytes | None] = [
        json.dumps({"type": f"kind-{i % 230}", f"f{i % 230}": i}).encode() for i in range(700)
    ]
    _assert_same(_records("gen.kinds", values))


def test_kinds_named_in_headers_equal_the_reference() -> None:
    records = [
        Record(
            "gen.headers",
            i % 3,
            i,
            None,
            None,
            json.dumps({f"field{i % 60}": i, "at": "x"}).encode(),
            ((("trace", b"t"), ("Event-Type", f"Thing{i % 60}Happened".encode()))),
        )
        for i in range(600)
    ]
    # A payload discriminator wins over a header; Spring's __TypeId__ over other headers.
    records += [
        Record(
            "gen.mixed",
            0,
            i,
            None,
            None,
            json.dumps({"type": "P", "a": i}).encode(),
            (("event-type", b"H"),),
        )
        for i in range(5)
    ] + [
        Record(
            "gen.mixed",
            1,
            i,
            None,
            None,
            json.dumps({"b": i}).encode(),
            (("type", b"Low"), ("__TypeId__", b"com.acme.Order$Placed")),
        )
        for i in range(5)
    ]
    _assert_same(records)
    kinds = {s.topic: [k.name for k in s.kinds] for s in summarize_all(observe(records))}
    assert kinds["gen.headers"] == sorted(f"Thing{i}Happened" for i in range(60))
    assert kinds["gen.mixed"] == ["P", "Placed"]


def test_envelopes_equal_the_reference() -> None:
    connect = {
        "schema": {
            "type": "struct",
            "fields": [{"field": "id", "type": "int64"}, {"field": "n", "type": "string"}],
            "optional": False,
        },
        "payload": {"id": 1, "n": "a"},
    }
    debezium = [
        {"op": op, "before": None if op == "c" else {"id": 1}, "after": {"id": 1, "v": op}}
        for op in "cur"
    ]
    cloud = {"specversion": "1.0", "type": "a.b", "source": "s", "id": "1", "data": {"x": 1}}
    values = [json.dumps(v).encode() for v in [connect, *debezium, cloud]] * 4
    framed = [b"\x00\x00\x00\x00\x07" + json.dumps({"a": 1}).encode(), b"\x00\x00\x00\x00\x08xy"]
    _assert_same(_records("gen.env", [*values, *framed, b"plain text", b"\x80\x81"]))


def test_merge_is_associative_and_commutative() -> None:
    values = [json.dumps({"id": i, "s": f"v{i % 5}", "m": {str(i): i}}).encode() for i in range(90)]
    parts = [observe(_records("t", values[i::3]))["t"] for i in range(3)]
    a, b, c = parts
    left = merge(merge(a, b), c).to_dict()
    right = merge(a, merge(b, c)).to_dict()
    swapped = merge(merge(c, a), b).to_dict()
    whole = observe(_records("t", values))["t"]
    assert left == right == swapped
    # The whole fold equals the merge of its parts, but for positions (partition,
    # offset) and counts of parts' own records, which the record numbering changes.
    assert summarize_all({"t": merge(merge(a, b), c)})[0].kinds[0].payload_schema == (
        summarize_all({"t": whole})[0].kinds[0].payload_schema
    )


def test_input_order_does_not_change_the_observation() -> None:
    records = list(iter_captures(sorted((FIXTURES / "v1").glob("*.jsonl"))))
    shuffled = records[:]
    random.Random(7).shuffle(shuffled)
    first, second = observe(records), observe(shuffled)
    assert {t: o.to_dict() for t, o in first.items()} == {t: o.to_dict() for t, o in second.items()}


@pytest.mark.parametrize("seed", ["1", "4242"])
def test_hash_seed_does_not_change_the_observation(seed: str, tmp_path: Path) -> None:
    code = (
        "import json, sys; from pathlib import Path; "
        "from inferrer.capture import iter_captures; from inferrer.inference import observe; "
        f"obs = observe(iter_captures(sorted(Path({str(FIXTURES / 'v1')!r}).glob('*.jsonl')))); "
        "print(json.dumps({t: o.to_dict() for t, o in sorted(obs.items())}, sort_keys=True))"
    )
    env = {**os.environ, "PYTHONHASHSEED": seed}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    env["PYTHONHASHSEED"] = "0"
    base = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out == base


def _shaped(n: int, records: int, tops: int, rnd: random.Random) -> list[Record]:
    """Envelope messages whose record (``data``) takes one of ``records`` key sets and
    whose top level one of ``tops``; some carry a map keyed by ids (no shape of its own)."""
    values = []
    for _ in range(n):
        r, t = rnd.randrange(records), rnd.randrange(tops)
        value: dict[str, Any] = {"meta": {"type": f"K{r % 3}"}, "data": {f"r{r}": r, "n": 1}}
        value[f"t{t}"] = t
        if rnd.random() < 0.3:
            value["ids"] = {f"{rnd.getrandbits(32):08x}-0000-4000-8000-000000000000": 1}
        values.append(json.dumps(value).encode())
    return _records("gen.shapes", values)


def _assert_merges_as_the_whole(
    records: list[Record], parts: int, rnd: random.Random
) -> dict[str, Any]:
    whole = observe(records)["gen.shapes"].to_dict()
    shuffled = records[:]
    rnd.shuffle(shuffled)
    observed = [observe(shuffled[i::parts])["gen.shapes"] for i in range(parts)]
    rnd.shuffle(observed)
    merged = observed[0].copy()
    for o in observed[1:]:
        merged.merge_from(o)
    assert merged.to_dict() == whole
    ref = observe_reference(records)["gen.shapes"].to_dict()
    assert _normalized(whole, core=True) == _normalized(ref, core=False)
    return whole


@pytest.mark.parametrize(
    ("records", "tops", "coarse", "collapsed"),
    [(12, 3, False, False), (400, 3, True, False), (2, 300, True, True)],
    ids=["two-level", "top-level", "one-group"],
)
def test_shape_groups_merge_in_any_order_as_the_reference(
    records: int, tops: int, coarse: bool, collapsed: bool
) -> None:
    rnd = random.Random(f"{records}:{tops}")
    whole = _assert_merges_as_the_whole(_shaped(900, records, tops, rnd), 4, rnd)
    assert (whole["shapes_coarse"], whole["shapes_collapsed"]) == (coarse, collapsed)


@settings(max_examples=examples(15), deadline=None)
@given(
    st.integers(min_value=20, max_value=600),
    st.integers(min_value=1, max_value=350),
    st.integers(min_value=1, max_value=300),
    st.integers(min_value=2, max_value=5),
    st.randoms(use_true_random=False),
)
def test_shape_grouping_is_independent_of_input_and_merge_order(
    n: int, records: int, tops: int, parts: int, rnd: random.Random
) -> None:
    _assert_merges_as_the_whole(_shaped(n, records, tops, rnd), parts, rnd)


def test_record_keys_that_are_data_group_as_the_reference() -> None:
    # An object with a key that is data (an id, a code, a date) counts as empty in the
    # shape; field names do not. Each key alone, in a record of its own message.
    keys = [
        "amount",
        "EUR",
        "eur",
        "2024-01-31",
        "2024-01-31T10:00:00Z",
        "-12",
        "42",
        "ABCD",
        "user_123456",
        "user_12345",
        "s-0a3f9c",
        "WH-0000042",
        "a b",
        "x.y:z-w",
        "$ref",
        "@type",
        "",
        "0f1e2d3c-4b5a-4978-8877-665544332211",
        "af1e2d3c-4b5a-4978-8877-665544332211",
        "é",
        "k" * 65,
    ]
    values = [json.dumps({"meta": {"n": 1}, "data": {k: 1}}).encode() for k in keys]
    records = _records("gen.keys", values * 2)
    _assert_same(records)
    groups = [e["value"] for e in observe(records)["gen.keys"].to_dict()["kinds"]]
    assert len(groups) == len(set(groups)) == 9  # eight field names apart, the data keys as one
