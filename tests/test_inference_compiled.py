"""The compiled column pass (inferrer/_columns.c) gives exactly what the Python reference gives.

The reference is :func:`inferrer.inference.stats.process_column_reference`; the compiled
pass is what the engine uses when the extension is built, which ``make setup`` does.
"""

from __future__ import annotations

import functools
import json
import operator
import random
import string
import subprocess
import sys
import zlib
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from inferrer import _columns
from inferrer.decoding import MAX_DEPTH
from inferrer.inference import rules, stats
from inferrer.inference.stats import DISTINCT_BOUND, FieldNode, process_column_reference
from tests.strategies_json import json_values

compiled = stats.COMPILED


def test_the_engine_uses_the_compiled_pass() -> None:
    assert compiled is not None
    assert stats.process_column is compiled


def test_the_pure_python_switch_selects_the_reference() -> None:
    code = "from inferrer.inference import stats; print(stats.COMPILED is None)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={"INFERRER_PURE_PYTHON": "1", "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "True"


def both(batches: list[list[Any]], ids: list[list[int] | None] | None = None) -> None:
    """Feed the same batches to a node through each pass; states and fragments agree."""
    assert compiled is not None
    fast, slow = FieldNode("f"), FieldNode("f")
    for i, col in enumerate(batches):
        batch_ids = None if ids is None else ids[i]
        got = compiled(list(col), fast, None if batch_ids is None else list(batch_ids))
        want = process_column_reference(list(col), slow, batch_ids)
        assert got == want, (i, col)
    assert fast.to_dict() == slow.to_dict()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(json_values, min_size=1, max_size=12), min_size=1, max_size=4))
def test_random_columns_give_the_same_state_and_fragments(batches: list[list[Any]]) -> None:
    both(batches)


@settings(max_examples=100, deadline=None)
@given(st.lists(json_values, min_size=1, max_size=20), st.randoms(use_true_random=False))
def test_columns_with_owner_ids_count_presence_alike(col: list[Any], rnd: random.Random) -> None:
    ids = sorted(rnd.randrange(5) for _ in col)
    both([col], [ids])
    both([col], [[rnd.randrange(5) for _ in col]])  # any order, still counted right


def test_columns_past_the_distinct_bound_use_the_sketch_alike() -> None:
    rnd = random.Random(3)
    ints = [[rnd.randrange(10**9) for _ in range(700)] for _ in range(4)]
    floats = [[rnd.random() * 10 ** rnd.randrange(-5, 30) for _ in range(700)] for _ in range(4)]
    strs = [[f"{rnd.getrandbits(128):032x}" for _ in range(700)] for _ in range(4)]
    mixed = [
        [rnd.choice([rnd.randrange(-(2**70), 2**70), rnd.random(), "x" * rnd.randrange(9)])]
        for _ in range(DISTINCT_BOUND * 3)
    ]
    for batches in (ints, floats, strs, mixed):
        both(batches)


def test_integers_beyond_64_bits_compare_as_python_does() -> None:
    both([[2**64, -(2**70), 5, 2**63 - 1], [-(2**63), 2**100]])


def test_unusual_strings_agree() -> None:
    both([["", "é", "\ud800", "٢٠٢٤-01-01", "\U0001f600", "2024-01-01\n", "a\x00b"]])


def test_maps_and_records_split_alike() -> None:
    both(
        [
            [
                {"USD": 1, "EUR": 2},
                {"a": 1},
                {},
                {"2024-01-01": {"x": 1}},
                {"Name": "x"},
                {"5c9425fb-72f9-4f2c-9204-3b364db695e5": [1]},
            ],
            [{"GBP": 3.5}, {"a": None, "b": [1, "x"]}],
        ]
    )


def test_not_json_values_are_refused_alike() -> None:
    assert compiled is not None
    for bad in ([1, object()], [{"a": (1, 2)}]):
        for fn in (compiled, process_column_reference):
            try:
                fn(bad, FieldNode(), None)
            except TypeError as e:
                assert str(e).startswith("not a JSON value: ")
            else:
                raise AssertionError("accepted a value that is not JSON")


# --- formats -----------------------------------------------------------------------------

TRICKY = [
    "2024-02-29",
    "2023-02-29",
    "0000-01-01",
    "0001-01-01",
    "2024-13-01",
    "2024-12-31",
    "2024-04-31",
    "2024-01-01T00:00:00Z",
    "2024-01-01t23:59:60.123+23:59",
    "2024-01-01T24:00:00Z",
    "2024-01-01T10:00:00",
    "2024-01-01 10:00:00Z",
    "2024-01-01T10:00:00.Z",
    "2024-01-01T10:00:00+2:00",
    "2024-01-01T10:00:00+02:60",
    "10:00:00Z",
    "10:00:00.5-01:30",
    "10:00Z",
    "5C9425FB-72F9-4F2C-9204-3B364DB695E5",
    "5c9425fb72f94f2c92043b364db695e5",
    "1.2.3.4",
    "255.255.255.255",
    "256.1.1.1",
    "01.2.3.4",
    "999.1.1.1",
    "1.2.3",
    "1.2.3.4.5",
    "0.0.0.0",
    "::1",
    "fe80::1%eth0",
    "2001:db8::8a2e:370:7334",
    "1:2",
    "a@b.co",
    "a@",
    "x@y",
    "https://example.org/a?b#c",
    "urn:isbn:0451450523",
    "ftp:/x",
    "mailto:a@b.co",
    "1234",
    "deadbeefdeadbeefdeadbeefdeadbeef",
    "٢٠٢٤-٠١-٠١",
    "2024-01-01\n",
]


def test_format_masks_agree_on_tricky_strings() -> None:
    for value in TRICKY:
        assert _columns.format_mask([value], rules.ALL_FORMATS_MASK) == rules.match_formats_all(
            [value]
        ), value


FORMAT_ALPHABET = string.digits + "-:.TtZz+@/abcdefABCDEF xé"


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(FORMAT_ALPHABET, max_size=40),
            st.sampled_from(TRICKY),
            st.builds(
                "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format,
                *(st.integers(0, n) for n in (2999, 13, 32, 25, 61, 61)),
            ),
            st.builds(".".join, st.lists(st.integers(0, 300).map(str), min_size=3, max_size=5)),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_format_masks_agree_on_generated_strings(values: list[str]) -> None:
    assert _columns.format_mask(values, rules.ALL_FORMATS_MASK) == rules.match_formats_all(values)


# --- hashes and raw JSON facts -------------------------------------------------------------


@given(st.binary(max_size=300), st.integers(0, 2**32 - 1))
def test_crc32_is_zlibs(data: bytes, seed: int) -> None:
    assert _columns.crc32(data, seed) == zlib.crc32(data, seed)


def facts(*texts: bytes, names: tuple[str, ...] = ()) -> list[int]:
    """The flags of each text alone, checking that a batch gives their union."""
    values = [orjson.loads(t) for t in texts]
    each = [
        _columns.json_facts([t], [v], MAX_DEPTH, names) for t, v in zip(texts, values, strict=True)
    ]
    assert _columns.json_facts(list(texts), values, MAX_DEPTH, names) == functools.reduce(
        operator.or_, each, 0
    )
    return each


def test_json_facts() -> None:
    deep = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    at_limit = b"[" * (MAX_DEPTH - 1) + b"]" * (MAX_DEPTH - 1)
    assert facts(b'{"a": "x:y", "b": {"c": "[{"}}', b'{"a": ' + at_limit + b"}") == [0, 0]
    assert facts(b'{"a": ' + deep + b"}") == [1]
    assert facts(b'{"a": 1, "a": 2}', b'{"l": [{"x": {"k": 1, "\\u006b": 2}}]}') == [2, 2]
    assert facts(b'{"a": "\\\\", "b": "\\\\\\"x"}') == [0]
    assert facts(b'{"a": "\\":", "b": 1}') == [0]
    assert facts(b'{"n": 18446744073709551615}', b'{"n": -9223372036854775808}') == [0, 0]
    assert facts(b'{"n": 18446744073709551616}', b'{"n": -9223372036854775809}') == [4, 4]
    assert facts(b'{"n": [123456789012345678901]}', b'{"n": 12345678901234567890.5}') == [4, 0]
    assert facts(b'{"n": 1234567890123456789012e3}', b'{"s": "12345678901234567890"}') == [0, 0]
    assert facts(b'{"a": 1, "a": 123456789012345678901}') == [6]
    assert facts(b"[1]", b' {"a": 1}', b'"x"') == [8, 8, 8]
    named = facts(b'{"type": 1, "op": 2}', b'{"x": {"type": 1}}', names=("op", "type"))
    assert named == [0b11 << _columns.FACT_NAMES_SHIFT, 0]


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_json_facts_of_generated_json_without_duplicates_are_clean(value: Any) -> None:
    text = json.dumps({"v": value}).encode()
    assert facts(text) == [0]


# --- end to end: the benchmark corpora, both engines ---------------------------------------

_SUMMARIES = """
import dataclasses, json, sys
sys.path.insert(0, "benchmarks")
from corpus import iter_records
from inferrer.inference import observe, summarize_all, stats
out = {"compiled": stats.COMPILED is not None}
for kind in ("same", "varied"):
    summaries = summarize_all(observe(iter_records(kind, 3000)))
    out[kind] = [dataclasses.asdict(s) for s in summaries]
print(json.dumps(out, sort_keys=True, default=repr))
"""


def test_both_engines_summarize_the_benchmark_corpora_identically() -> None:
    runs = {}
    for pure in ("0", "1"):
        proc = subprocess.run(
            [sys.executable, "-c", _SUMMARIES],
            env={"INFERRER_PURE_PYTHON": pure, "PATH": ""},
            capture_output=True,
            text=True,
            check=True,
        )
        runs[pure] = json.loads(proc.stdout)
    assert (runs["0"].pop("compiled"), runs["1"].pop("compiled")) == (True, False)
    assert runs["0"] == runs["1"]
    assert runs["0"]["same"][0]["messages"] == 3000


# --- the raw pass: JSON text folded without Python values ---------------------------------

PLAIN_TEXT = st.one_of(
    st.text(
        st.characters(min_codepoint=0x20, max_codepoint=0x7E, blacklist_characters='"\\'),
        max_size=8,
    ),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=8),  # escaped or UTF-8
)
PLAIN_KEYS = ["id", "type", "amount", "at", "items", "meta", "note", "account_id", "a1"]
# names that make an object a map when all of one class, or are just unusual
ODD_KEYS = ["USD", "EUR", "1", "-22", "2024-01-01", "2024-02-30", "2024-01-01T10:00:00Z"]
ODD_KEYS += ["5c9425fb-72f9-4f2c-9204-3b364db695e5", "Amount", "", "_x", "1.5", "x" * 36]
raw_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([t for t in TRICKY if t.isascii() and t.isprintable()]),
    PLAIN_TEXT,
)
raw_values = st.recursive(
    raw_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(PLAIN_KEYS), children, max_size=5),
        st.dictionaries(st.sampled_from(ODD_KEYS), children, min_size=1, max_size=3),
    ),
    max_leaves=12,
)
raw_objects = st.dictionaries(st.sampled_from(PLAIN_KEYS), raw_values, max_size=6)


def fold_both(batches: list[list[bytes]]) -> tuple[FieldNode, FieldNode]:
    """Each batch through the raw pass and through process_column; both must agree."""
    assert compiled is not None
    raw_node, parsed_node = FieldNode(), FieldNode()
    for texts in batches:
        scanned = _columns.raw_scan(list(texts), MAX_DEPTH, ())
        assert scanned is not None, texts
        batch, _union = scanned
        got = _columns.raw_fold(batch, None, raw_node)
        want = compiled([orjson.loads(t) for t in texts], parsed_node, None)
        assert got == want, texts
    assert raw_node.to_dict() == parsed_node.to_dict()
    return raw_node, parsed_node


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(raw_objects, min_size=1, max_size=10), min_size=1, max_size=4))
def test_the_raw_pass_folds_as_the_parsed_pass(batches: list[list[dict[str, Any]]]) -> None:
    fold_both([[json.dumps(o).encode() for o in batch] for batch in batches])
    fold_both([[json.dumps(o, ensure_ascii=False).encode() for o in batch] for batch in batches])


@settings(max_examples=100, deadline=None)
@given(st.lists(raw_objects, min_size=2, max_size=12), st.randoms(use_true_random=False))
def test_the_raw_pass_folds_chosen_positions(objects: list[dict[str, Any]], rnd: Any) -> None:
    texts = [json.dumps(o, separators=(",", ":")).encode() for o in objects]
    positions = sorted(rnd.sample(range(len(texts)), rnd.randrange(1, len(texts) + 1)))
    scanned = _columns.raw_scan(texts, MAX_DEPTH, ())
    assert scanned is not None
    raw_node, parsed_node = FieldNode(), FieldNode()
    got = _columns.raw_fold(scanned[0], positions, raw_node)
    want = process_column_reference([orjson.loads(texts[p]) for p in positions], parsed_node, None)
    assert got == want
    assert raw_node.to_dict() == parsed_node.to_dict()


def test_float_hashes_of_the_raw_pass_are_pythons_in_the_sketch() -> None:
    rnd = random.Random(5)
    spellings = []
    for _ in range(3000):
        x = rnd.choice([rnd.random(), rnd.uniform(-5000, 5000), rnd.random() * 1e-6])
        x = rnd.choice([x, round(x, 2), round(x, 5), float(int(x)), 0.0001, 0.00001, 1e15])
        spellings.append(rnd.choice(float_literals(x)))
    spellings += ["0.0", "-0.0", "12.0", "12.50", "0.0001", "0.00010", "-0.00001", "100.0"]
    texts = [f'{{"x": {t}}}'.encode() for t in spellings]
    fold_both([texts[i : i + 700] for i in range(0, len(texts), 700)])


def test_the_raw_pass_sketches_as_the_parsed_pass() -> None:
    rnd = random.Random(11)
    batches = [
        [
            json.dumps(
                {
                    "id": f"{rnd.getrandbits(128):032x}",
                    "n": rnd.randrange(-(10**15), 10**15),
                    "x": rnd.random() * 10 ** rnd.randrange(-3, 12),
                    "at": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00Z",
                    "mixed": [rnd.randrange(5000), f"s{rnd.randrange(5000)}", rnd.random()],
                }
            ).encode()
            for i in range(600)
        ]
        for _ in range(5)
    ]
    raw_node, _ = fold_both(batches)
    assert raw_node.children["id"].sketch is not None


def test_the_raw_pass_declines_what_it_does_not_cover() -> None:
    declined = [
        b' {"a": 1}',
        b'{"a": 1} x',
        b'{"a": "\\ud800"}',
        b'{"a": "\\udc00x"}',
        b'{"a": "\\ud800\\u0041"}',
        b'{"a": "\\x41"}',
        b'{"a": "\\u00g1"}',
        b'{"a": "\xff"}',
        b'{"a": "\xed\xa0\x80"}',
        b'{"a": "\x01"}',
        b'{"\\u0061": 1}',
        '{"é": 1}'.encode(),
        b'{"a": 1, "a": 2}',
        b'{"a": [{"b": 1, "b": 1}]}',
        b'{"a": 9223372036854775808}',
        b'{"a": -9223372036854775809}',
        b'{"a": 1e400}',
        b'{"a": 01}',
        b'{"a": .5}',
        b'{"a": NaN}',
        b'{"a": tru}',
        b'{"a": [1,]}',
        b'{"a": 1,}',
        b"[1]",
        b'"x"',
        b"",
        b'{"a": ' + b"[" * MAX_DEPTH + b"]" * MAX_DEPTH + b"}",
        b'{"a": 1' + b"0" * 70 + b".5}",
    ]
    for text in declined:
        assert _columns.raw_scan([b'{"ok": 1}', text], MAX_DEPTH, ()) is None, text
    covered = [
        b'{"a": 9223372036854775807, "b": -9223372036854775808, "c": -0, "d": -0.0}',
        b'{ "a" : [ 1 , 2.5e-3 , true , false , null , "x y" , { } , [ ] ] }\n',
        b'{"a": ' + b"[" * (MAX_DEPTH - 1) + b"]" * (MAX_DEPTH - 1) + b"}",
        b'{"type": "T", "kind": {"x": 1}, "op": 1.5}',
        b'{"Amount": 1, "m": {"USD": 1, "EUR": {"x": 2}}, "d": {"2024-01-01": [1]}, "e": {}}',
        b'{"m": {"USD": "x", "1": 2}, "i": {"-12": 1}, "u": {"": 1}}',
        '{"a": "é\\n\\"\\\\\\/\\b\\f\\r\\t\\u00e9\\ud83d\\ude00\\u0000", "b": "\x7f😀"}'.encode(),
    ]
    scanned = _columns.raw_scan(covered, MAX_DEPTH, ("kind", "op", "type", "id"))
    assert scanned is not None
    batch, union = scanned
    assert union == 0b111 << _columns.FACT_NAMES_SHIFT
    assert _columns.raw_member_values(batch, "type") == [None, None, None, "T", None, None, None]
    assert _columns.raw_member_values(batch, "kind") == [None, None, None, ..., None, None, None]
    assert _columns.raw_member_values(batch, "op") == [None, None, None, 1.5, None, None, None]
    fold_both([covered])


def float_literals(x: float) -> list[str]:
    """JSON spellings of a float: repr, exponent, fixed with trailing zeros, and short."""
    out = [repr(x), f"{x:.17e}", f"{x:.6e}", f"{x:.3f}", f"{x:.1f}", f"{x:.12g}"]
    # literals of 64 characters or more take the parsed pass (the raw pass declines them)
    return [
        t
        for t in out
        if "inf" not in t and "nan" not in t and ("." in t or "e" in t) and len(t) < 64
    ]


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_read_by_the_raw_pass_are_orjsons(x: float) -> None:
    texts = [f'{{"x": {t}}}'.encode() for t in float_literals(x)]
    scanned = _columns.raw_scan(texts, MAX_DEPTH, ())
    assert scanned is not None
    raw_node, parsed_node = FieldNode(), FieldNode()
    _columns.raw_fold(scanned[0], None, raw_node)
    process_column_reference([orjson.loads(t) for t in texts], parsed_node, None)
    assert raw_node.to_dict() == parsed_node.to_dict()


def test_negative_zero_counts_as_zero_in_any_order_and_pass() -> None:
    texts = [b'{"x": -0.0, "l": [0.0, -0.0]}', b'{"x": 0.0, "l": [-0.0]}']
    states = []
    for order in (texts, texts[::-1]):
        scanned = _columns.raw_scan(list(order), MAX_DEPTH, ())
        assert scanned is not None
        for fold in ("raw", "compiled", "reference"):
            node = FieldNode()
            values = [orjson.loads(t) for t in order]
            if fold == "raw":
                _columns.raw_fold(scanned[0], None, node)
            elif fold == "compiled":
                assert compiled is not None
                compiled(values, node, None)
            else:
                process_column_reference(values, node, None)
            states.append(json.dumps(node.to_dict(), sort_keys=True))
    assert len(set(states)) == 1
    assert '"num": [0.0, 0.0]' in states[0]


@settings(max_examples=400, deadline=None)
@given(raw_objects, st.data())
def test_what_the_raw_pass_accepts_orjson_reads_the_same(obj: dict[str, Any], data: Any) -> None:
    """Corrupted texts: whenever the raw pass still covers one, it is valid JSON (orjson
    reads it) and both passes fold it alike."""
    text = bytearray(json.dumps(obj, ensure_ascii=data.draw(st.booleans())).encode())
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(text) - 1))
        text[at] = data.draw(st.sampled_from([*b'"\\{}[]:,-.eE0u \x7f\x80\xc3\xed', 0xFF]))
    if _columns.raw_scan([bytes(text)], MAX_DEPTH, ()) is not None:
        fold_both([[bytes(text)]])
