"""The Rust shape (``inferrer._core.Shape``) against the Python reference.

The reference is :class:`~inferrer.inference.stats.FieldNode` fed by
``process_column_reference`` a batch at a time, and genson's ``StructureBuilder`` fed
every value. The Rust core folds one message at a time; both must end in the same
statistics and the same structure, whatever the order and the batch or merge splits.
Everything is compared as canonical JSON text, so that ``1`` vs ``1.0`` and ``-0.0`` vs
``0.0`` differences are caught (``==`` on dicts would hide them).
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import math
import os
import random
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inferrer import _core, engine
from inferrer.inference import rules
from inferrer.inference.canonical import canonical_json, sort_structure
from inferrer.inference.stats import DISTINCT_BOUND, FieldNode, process_column_reference
from inferrer.inference.strategies import StructureBuilder, apply_maps
from tests.properties import QUICK, examples
from tests.strategies_json import KEYS, STRINGS

SETTINGS = settings(
    max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# --- values ------------------------------------------------------------------------------

FORMAT_STRINGS = [
    "2024-02-29",
    "2023-02-29",  # not a leap year
    "0000-01-01",  # no year 0
    "2024-13-01",
    "2024-04-31",
    "２０２４-01-01",  # Unicode digits: not a date
    "2024-01-01T10:00:00Z",
    "2024-01-01t10:00:00.5+02:00",
    "2024-01-01T10:00:00",
    "2024-02-30T10:00:00Z",
    "10:00:00Z",
    "23:59:60-05:00",
    "25:00:00Z",
    "a@b.co",
    "first.last+tag@example.com",
    "a@b",
    "10.0.0.1",
    "255.255.255.255",
    "01.2.3.4",
    "256.1.1.1",
    "::1",
    "fe80::1",
    "1:2:3:4:5:6:7::",
    "::ffff:1.2.3.4",
    "1::2::3",
    "1:2:3:4:5:6::1.2.3.4",
    "https://x.org/a?b=c",
    "http://a b",
    "http://a/\u00e9",
    "http://a\x01",
    "urn:isbn:0451450523",
    "5c9425fb-72f9-4f2c-9204-3b364db695e5",
    "5C9425FB-72F9-4F2C-9204-3B364DB695E5",
    "5c9425fb-72f9-4f2c-9204-3b364db695e",
    "USD",
]

BOUNDARY_INTS = [0, 1, -1, 2**63 - 1, -(2**63), -(2**63) - 1, 2**64 - 1, 2**64, 10**30, -(10**30)]
BOUNDARY_FLOATS = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    1e16,
    9999999999999998.0,
    1e15,
    1e-5,
    0.0001,
    1.5e300,
    5e-324,
    2.0**64,
    -(2.0**63),
    1e30,
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.sampled_from(BOUNDARY_INTS),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(BOUNDARY_FLOATS),
    st.sampled_from(STRINGS + FORMAT_STRINGS),
    st.text(max_size=6),
)

map_keys = st.one_of(
    st.uuids().map(str),
    st.integers(min_value=-(10**19) + 1, max_value=10**19 - 1).map(str),
    st.sampled_from(["USD", "EUR", "GBP", "2024-01-01", "2024-02-29", "2023-02-29"]),
    st.dates().map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat() + "Z"),
)
record_keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=3))


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(record_keys, children, max_size=5),
        st.dictionaries(map_keys, children, min_size=1, max_size=3),
        # Keys of one class, all of them: always a map.
        st.lists(st.uuids().map(str), min_size=1, max_size=3).flatmap(
            lambda ks: st.fixed_dictionaries({k: children for k in ks})
        ),
    )


json_values = st.recursive(scalars, _containers, max_leaves=14)
streams = st.lists(json_values, max_size=25)


def splits(values: list[Any], rnd: random.Random) -> list[list[Any]]:
    """``values`` cut into random consecutive batches (maybe empty ones)."""
    out: list[list[Any]] = []
    i = 0
    while i < len(values):
        n = rnd.randint(0, 6)
        out.append(values[i : i + n])
        i += n
    return out


# --- folds ---------------------------------------------------------------------------------


def reference(values: list[Any], rnd: random.Random) -> tuple[dict[str, Any], Any]:
    """(stats, structure) by the Python reference, fed in random batches."""
    node = FieldNode()
    for batch in splits(values, rnd):
        if batch:
            process_column_reference(batch, node, None)
    builder = StructureBuilder(schema_uri=None)
    for v in values:
        builder.add_object(v)
    schema = builder.to_schema()
    schema.pop("$schema", None)
    return node.to_dict(), sort_structure(apply_maps(schema, node) if values else schema)


def rust(values: list[Any], rnd: random.Random) -> Any:
    shape = _core.Shape()
    for batch in splits(values, rnd):
        shape.fold_json([json.dumps(v).encode() for v in batch])
    return shape


def rust_parts(values: list[Any], rnd: random.Random, parts: int) -> list[Any]:
    cuts = sorted(rnd.randint(0, len(values)) for _ in range(parts - 1))
    bounds = [0, *cuts, len(values)]
    return [rust(values[a:b], rnd) for a, b in itertools.pairwise(bounds)]


def copy(shape: Any) -> Any:
    return _core.Shape.from_dict(shape.to_dict())


def text(x: Any) -> str:
    return canonical_json(x)


# --- differential tests ------------------------------------------------------------------


@SETTINGS
@given(streams, st.randoms(use_true_random=False))
def test_rust_fold_equals_the_reference(values: list[Any], rnd: random.Random) -> None:
    stats, structure = reference(values, rnd)
    shape = rust(values, rnd)
    assert shape.count == len(values)
    assert text(shape.stats()) == text(stats)
    assert text(shape.structure()) == text(structure)
    d = shape.to_dict()
    assert set(d) == {"count", "structure", "stats", "hints"}
    assert text(d["structure"]) == text(structure)


@SETTINGS
@given(streams, st.randoms(use_true_random=False))
def test_order_does_not_matter(values: list[Any], rnd: random.Random) -> None:
    shuffled = list(values)
    rnd.shuffle(shuffled)
    assert text(rust(values, rnd).to_dict()) == text(rust(shuffled, rnd).to_dict())
    assert text(reference(values, rnd)) == text(reference(shuffled, rnd))


@SETTINGS
@given(streams, st.randoms(use_true_random=False))
def test_merge_is_associative_and_commutative(values: list[Any], rnd: random.Random) -> None:
    a, b, c = rust_parts(values, rnd, 3)
    whole = text(rust(values, rnd).to_dict())

    left = copy(a)
    left.merge(b)
    left.merge(c)
    bc = copy(b)
    bc.merge(c)
    right = copy(a)
    right.merge(bc)
    backwards = copy(c)
    backwards.merge(b)
    backwards.merge(a)
    assert text(left.to_dict()) == whole
    assert text(right.to_dict()) == whole
    assert text(backwards.to_dict()) == whole


@SETTINGS
@given(streams, st.randoms(use_true_random=False))
def test_reference_merge_matches_rust_merge(values: list[Any], rnd: random.Random) -> None:
    """FieldNode.merge of the parts is the Rust merge of the same parts."""
    parts = rust_parts(values, rnd, 3)
    merged = FieldNode()
    for p in parts:
        merged.merge(FieldNode.from_dict(p.stats()))
    shape = _core.Shape()
    for p in parts:
        shape.merge(p)
    assert text(shape.stats()) == text(merged.to_dict())


@SETTINGS
@given(streams, st.randoms(use_true_random=False))
def test_dict_round_trip(values: list[Any], rnd: random.Random) -> None:
    shape = rust(values, rnd)
    d = shape.to_dict()
    assert text(_core.Shape.from_dict(d).to_dict()) == text(d)
    # The Python reference reads and writes the same dict.
    assert text(FieldNode.from_dict(d["stats"]).to_dict()) == text(d["stats"])
    # A shape read back keeps folding like the original.
    more = [{"id": 1}, [1.5]]
    again = _core.Shape.from_dict(d)
    again.fold_json([json.dumps(v).encode() for v in more])
    shape.fold_json([json.dumps(v).encode() for v in more])
    assert text(again.to_dict()) == text(shape.to_dict())


def _distinct_pool(rnd: random.Random, n: int) -> list[Any]:
    """``n`` distinct values of mixed types (strings, ints, big ints, floats)."""
    out: list[Any] = []
    for i in range(n):
        kind = rnd.randrange(8)
        if kind in (0, 5, 6, 7):
            out.append(f"v{i}-{rnd.randrange(10**6)}")
        elif kind == 1:
            out.append(i * 7919 - 3_000_000)
        elif kind == 2:
            out.append(2**70 + i)
        elif kind == 3:
            out.append(i / 7 + 0.5)
        else:
            out.append(str(rnd.randrange(10**12)))
    return out


@settings(max_examples=examples(8), deadline=None)
@given(st.integers(min_value=DISTINCT_BOUND - 5, max_value=2 * DISTINCT_BOUND), st.integers())
def test_beyond_the_distinct_bound_the_sketch_agrees(n: int, seed: int) -> None:
    _check_many_distinct(n, seed)


@pytest.mark.parametrize(("n", "seed"), [(2600, 1), (3000, 2)])
def test_the_sketch_is_reached_and_agrees(n: int, seed: int) -> None:
    assert _check_many_distinct(n, seed)


def _check_many_distinct(n: int, seed: int) -> bool:
    """Whether the root ended in the sketch; asserts Rust and the reference agree."""
    # A seeded generator, not st.randoms(): these inputs are large by design.
    rnd = random.Random(seed)
    pool = _distinct_pool(rnd, n)
    values: list[Any] = [rnd.choice(pool) for _ in range(n)] + pool
    values += [{"x": v} for v in pool[:1200:3]] + [[v, v] for v in pool[:50]]
    rnd.shuffle(values)
    stats, structure = reference(values, rnd)
    shape = rust(values, rnd)
    assert text(shape.stats()) == text(stats)
    assert text(shape.structure()) == text(structure)
    parts = rust_parts(values, rnd, 4)
    merged = _core.Shape()
    for p in reversed(parts):
        merged.merge(p)
    assert text(merged.to_dict()) == text(shape.to_dict())
    per_type = max(len({v for v in pool if type(v) is t}) for t in (str, int, float))
    sketched = "sketch" in shape.stats()
    assert sketched == (per_type > DISTINCT_BOUND)
    return sketched


def test_ties_are_broken_by_value_not_by_order() -> None:
    rnd = random.Random(0)
    for values in ([1, 1.0], [1.0, 1], [0, -0.0, 0.0], [-0.0, 0], [2**64, 2.0**64]):
        for _ in range(5):
            rnd.shuffle(values)
            stats, _ = reference(values, rnd)
            assert text(rust(values, rnd).stats()) == text(stats)
            lo, hi = stats["num"]
            assert type(lo) is int and type(hi) is int, values
            # One value per batch: the tie is met across batches too.
            node = FieldNode()
            for v in values:
                process_column_reference([v], node, None)
            assert text(node.to_dict()) == text(stats)


_SCRIPT = """
import json, random, sys
from inferrer import _core
from inferrer.inference.stats import FieldNode, process_column_reference
rnd = random.Random(5)
pool = [f"s{i}" for i in range(1500)] + [i * 3 for i in range(700)] + [i / 3 for i in range(300)]
rnd.shuffle(pool)
node = FieldNode()
for i in range(0, len(pool), 97):
    process_column_reference(pool[i:i + 97], node, None)
shape = _core.Shape()
shape.fold_json([json.dumps(v).encode() for v in pool])
print(json.dumps([node.to_dict(), shape.stats()], sort_keys=True))
"""


def test_independent_of_pythonhashseed() -> None:
    outs = []
    for seed in ("0", "1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        done = subprocess.run(
            [sys.executable, "-c", _SCRIPT], env=env, capture_output=True, text=True, check=True
        )
        outs.append(done.stdout)
    assert outs[0] == outs[1] == outs[2]
    reference_stats, rust_stats = json.loads(outs[0])
    assert reference_stats == rust_stats
    assert "sketch" in rust_stats


# --- the shared grammar ------------------------------------------------------------------

format_like = st.one_of(
    st.sampled_from(FORMAT_STRINGS),
    st.from_regex(r"[A-Za-z]{0,18}[-_:.]?[0-9A-Fa-f]{0,34}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9.-]{1,20}(/[a-z.]{0,5})?", fullmatch=True),
    st.text(alphabet="0123456789-:TZ.+ ", max_size=26),
    st.text(alphabet="0123456789abcdefABCDEF:.", max_size=30),
    st.text(alphabet="ab.@-_+1", max_size=12),
    st.from_regex(r"[a-z]{1,5}://[^/?#]{0,5}[ -~\u00a0\u00e9\x01]{0,5}", fullmatch=True),
    st.text(max_size=8),
)


@SETTINGS
@given(st.lists(format_like, min_size=1, max_size=6))
def test_format_bits_and_map_keys_agree(strings: list[str]) -> None:
    shape = _core.Shape()
    shape.fold_json([json.dumps(s).encode() for s in strings])
    assert shape.stats()["mask"] == rules.match_formats_all(strings)
    for s in strings:
        families = rules.families_of(rules.key_families(s))
        assert _core.key_families(s) == (families, rules.key_prefix(s)), s
        # One value, as the redactor asks: the same bits as the reference's patterns,
        # under any mask.
        every = rules.match_formats(s)
        assert engine.match_formats(s, rules.ALL_FORMATS_MASK) == every, s
        assert engine.match_formats(s, 0b1010_1010_1010_1010) == every & 0b1010_1010_1010_1010


def _ipv6(s: str) -> bool:
    try:
        ipaddress.IPv6Address(s)
    except ValueError:
        return False
    return "%" not in s


_HEXTET = st.one_of(st.just(""), st.text(alphabet="0123456789abcdefABCDEF", min_size=1, max_size=5))
ipv6_like = st.one_of(
    st.lists(st.one_of(_HEXTET, st.just("1.2.3.4"), st.just("01.2.3.4")), max_size=10).map(
        ":".join
    ),
    st.text(alphabet="0123456789abcdef:.", max_size=40),
)


@SETTINGS
@given(ipv6_like)
def test_the_ipv6_grammar_is_pythons_ipaddress(s: str) -> None:
    bit = 1 << rules.FORMATS.index("ipv6")
    assert bool(rules.match_formats(s) & bit) == _ipv6(s)


def test_invalid_json_is_refused_whole() -> None:
    shape = _core.Shape()
    with pytest.raises(ValueError):
        shape.fold_json([b"1", b"{"])
    assert shape.count == 0
    with pytest.raises(ValueError):
        shape.add_hint_json(b"[")


def test_hints_are_a_sorted_set_of_canonical_json() -> None:
    shape = _core.Shape()
    shape.add_hint_json(b'{"type": "object", "b": 1.0, "a": "\\u00e9"}')
    shape.add_hint_json(b'{"a":"\xc3\xa9","type":"object","b":1.0}')
    shape.add_hint_json(b'{"type": "array"}')
    hint = {"type": "object", "b": 1.0, "a": "é"}
    assert shape.to_dict()["hints"] == sorted([canonical_json(hint), '{"type":"array"}'])
    assert shape.count == 0 and not shape.is_empty()
    assert shape.structure() == {}


@SETTINGS
@given(json_values)
def test_canonical_json_and_float_repr_are_pythons(value: Any) -> None:
    """A hint is stored as canonical JSON: Rust's text must be json.dumps's, byte for
    byte (key order by code point, escapes, float repr)."""
    shape = _core.Shape()
    shape.add_hint_json(json.dumps(value).encode())
    shape.add_hint_json(json.dumps(value, ensure_ascii=False).encode())
    assert shape.to_dict()["hints"] == [canonical_json(value)]


@SETTINGS
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=20))
def test_float_hashes_are_pythons(floats: list[float]) -> None:
    """Past the bound the sketch holds crc32(repr(x)): Rust's repr must be Python's."""
    values: list[Any] = []
    for f in floats:  # runs of neighbouring floats: many distinct, all digits used
        for _ in range(60):
            values.append(f)
            f = math.nextafter(f, 0.0)
    stats, _ = reference(values, random.Random(0))
    shape = rust(values, random.Random(1))
    assert text(shape.stats()) == text(stats)
    if len(set(values)) > DISTINCT_BOUND:
        assert shape.stats()["sketch"] == stats["sketch"]


# --- maps by key statistics: collapse at the bound, whatever the order -------------------


def _id_keyed(rnd: random.Random, n: int) -> list[Any]:
    """Messages with a map of ever-new ids (past the collapse bound in all), some
    nested in arrays with keys repeated inside one message, some with a common key."""
    out: list[Any] = []
    for i in range(n):
        keys = [f"s-{rnd.getrandbits(24):06x}" for _ in range(rnd.randint(0, 4))]
        readings = {k: {"t": rnd.random(), "ok": rnd.random() < 0.5} for k in keys}
        if rnd.random() < 0.1:
            readings["s-000000"] = {"t": 1}
        batch = [{"r": {k: rnd.randint(0, 3) for k in keys[:2]}} for _ in range(2)]
        out.append({"n": i, "readings": readings, "batch": batch})
    return out


@pytest.mark.parametrize("seed", range(2 if QUICK else 5))
def test_collapsed_maps_are_order_and_split_independent(seed: int) -> None:
    rnd = random.Random(seed)
    n = rnd.randint(700, 900)
    values = _id_keyed(rnd, n)
    stats, structure = reference(values, rnd)
    whole = rust(values, rnd)
    assert text(whole.stats()) == text(stats)
    assert text(whole.structure()) == text(structure)
    shuffled = values[:]
    rnd.shuffle(shuffled)
    parts = rust_parts(shuffled, rnd, 3)
    merged = parts[0]
    for p in parts[1:]:
        merged.merge(p)
    assert text(merged.to_dict()) == text(whole.to_dict())
    readings = whole.stats()["children"]["readings"]
    assert readings["maps"] > 0 and "children" not in readings
    assert structure["properties"]["readings"]["x-map-keys"] == ["header", "id"]
    # The reference merged the other way round too.
    node = FieldNode()
    for batch in splits(shuffled, rnd):
        other = FieldNode()
        if batch:
            process_column_reference(batch, other, None)
        node.merge(other)
    assert text(node.to_dict()) == text(stats)
