"""The engine's batch fast paths give exactly what their per-value references give."""

from __future__ import annotations

import bisect
import json
import random
from typing import Any

import pytest

from inferrer import decoding
from inferrer.decoding import decode_parts, decode_parts_many
from inferrer.inference import rules, stats
from inferrer.inference.stats import (
    DISTINCT_BOUND,
    EXAMPLES,
    SKETCH_SIZE,
    FieldNode,
    process_column,
    stable_hash,
)
from inferrer.records import Record


def batch(
    values: list[bytes | None], overrides: dict[int, dict[str, Any]] | None = None
) -> list[Record]:
    out = []
    for i, v in enumerate(values):
        fields: dict[str, Any] = {"key": f"k{i % 5}".encode(), "value": v}
        fields.update((overrides or {}).get(i, {}))
        out.append(Record("t", i % 3, 100 + i, 1_700_000_000_000 + i, **fields))
    return out


def events(n: int, **extra: Any) -> list[bytes | None]:
    return [
        json.dumps({"id": i, "type": "Paid" if i % 2 else "Failed", "v": [i]} | extra).encode()
        for i in range(n)
    ]


def test_a_common_batch_takes_the_column_path_and_matches_the_reference() -> None:
    records = batch(events(40))
    columns = decoding.decode_columns(records)
    assert columns is not None
    assert columns.parts() == [decode_parts(r) for r in records]


ODD_BATCHES: dict[str, list[Record]] = {
    "tombstone": batch([*events(3), None]),
    "header": batch(events(3), {1: {"headers": (("ce_type", b"x"),)}}),
    "invalid json": batch([*events(3), b"{nope"]),
    "bom": batch([*events(3), b'\xef\xbb\xbf{"a": 1}']),
    "not an object": batch([*events(3), b"[1, 2]"]),
    "scalar": batch([*events(3), b"42"]),
    "empty": batch([*events(3), b""]),
    "connect envelope": batch([*events(3), b'{"schema": {"type": "string"}, "payload": "x"}']),
    "debezium": batch([*events(3), b'{"op": "c", "before": null, "after": {"a": 1}}']),
    "cloudevent": batch([*events(3), b'{"specversion": "1.0", "type": "t", "source": "s"}']),
    "too deep": batch([*events(3), b'{"a": ' + b"[" * 70 + b"]" * 70 + b"}"]),
    "two discriminators": batch([*events(3), b'{"kind": "K", "id": 1}']),
    "discriminator ranked first but invalid": batch([*events(3), b'{"@type": 5, "type": "Paid"}']),
    "empty kind": batch(events(3, type="")),
    "long kind": batch(events(3, type="x" * 101)),
    "longest kind": batch(events(3, type="x" * 100)),
    "kind not a string": batch(events(3, type=7)),
    "kind null": batch([*events(3), b'{"type": null, "id": 9}']),
    "kind missing": batch([*events(3), b'{"id": 9}']),
    "no kind at all": batch([b'{"id": 1}', b'{"id": 2, "x": {"type": "nested"}}']),
    "null and fresh keys": batch(
        events(4), {0: {"key": None}, 1: {"key": b'{"a": 1}'}, 2: {"key": b"\xff\xfe"}}
    ),
    "nan": batch([*events(3), b'{"a": NaN}']),
    "duplicate keys": batch([*events(3), b'{"id": 1, "id": 2}']),
    "integer beyond 64 bits": batch([*events(3), b'{"id": 18446744073709551616}']),
    "colons in strings": batch(events(3, at="2024-01-01T10:00:00Z")),
}


@pytest.mark.parametrize("name", sorted(ODD_BATCHES))
def test_every_batch_decodes_as_the_per_record_decoder_does(name: str) -> None:
    records = ODD_BATCHES[name]
    assert decode_parts_many(records) == [decode_parts(r) for r in records]


def test_the_column_path_declines_batches_it_does_not_cover() -> None:
    declined = {n for n, records in ODD_BATCHES.items() if decoding.decode_columns(records) is None}
    covered = {"longest kind", "kind null", "kind missing", "no kind at all", "null and fresh keys"}
    assert declined == set(ODD_BATCHES) - covered - {"colons in strings"}


def test_without_the_compiled_helpers_the_column_path_declines_the_same_batches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(decoding.native, "columns", None)
    declined = {n for n, records in ODD_BATCHES.items() if decoding.decode_columns(records) is None}
    covered = {"longest kind", "kind null", "kind missing", "no kind at all", "null and fresh keys"}
    covered |= {"colons in strings"}
    assert declined == set(ODD_BATCHES) - covered
    for name in sorted(covered):
        records = ODD_BATCHES[name]
        columns = decoding.decode_columns(records)
        assert columns is not None
        assert columns.parts() == [decode_parts(r) for r in records]


def _reference_sketch(node: FieldNode, items: list[tuple[str, Any]]) -> None:
    """The per-value reference: every value through ``_sketch_add``, in order."""
    node.sketch = []
    for tag, v in items:
        node._sketch_add(tag, v, stable_hash(tag, v))


def test_starting_the_sketch_in_bulk_equals_adding_each_value() -> None:
    for seed in range(60):
        rnd = random.Random(seed)
        strs = {f"s{rnd.randrange(5000)}" for _ in range(rnd.randrange(0, 1400))}
        ints = {rnd.randrange(-(10**6), 10**6) for _ in range(rnd.randrange(0, 1400))}
        floats = {rnd.random() for _ in range(rnd.randrange(0, 300))}
        bulk, each = FieldNode(), FieldNode()
        bulk.strs, bulk.ints, bulk.floats = set(strs), set(ints), set(floats)
        bulk._start_sketch()
        each.strs = each.ints = each.floats = None
        _reference_sketch(each, [("s", v) for v in strs] + [("i", v) for v in ints])
        for v in floats:
            each._sketch_add("f", v, stable_hash("f", v))
        assert (bulk.sketch, bulk.sketch_examples) == (each.sketch, each.sketch_examples)
        assert bulk.strs is None and bulk.ints is None and bulk.floats is None


def _reference_add_distinct_many(node: FieldNode, tag: str, values: list[Any]) -> None:
    """The sketch update as it was before the fast path: sort everything, every batch."""
    sketch = node.sketch
    assert sketch is not None
    hashes = [stable_hash(tag, v) for v in values]
    smallest = sorted(set(hashes))[:SKETCH_SIZE]
    if len(sketch) >= SKETCH_SIZE and smallest[0] >= sketch[-1]:
        return
    sketch[:] = sorted(set(sketch).union(smallest))[:SKETCH_SIZE]
    ex = node.sketch_examples
    ex_limit = ex[-1][0] if len(ex) >= EXAMPLES else 1 << 33
    for h in smallest[:EXAMPLES]:
        if h > ex_limit:
            break
        node._sketch_add_example(h, tag, values[hashes.index(h)])


def test_sketch_updates_equal_the_sort_everything_reference() -> None:
    rnd = random.Random(3)
    fast, slow = FieldNode(), FieldNode()
    for node in (fast, slow):
        node.strs = node.ints = node.floats = None
        node.sketch = []
    for step in range(300):
        tag = rnd.choice("sif")
        size = rnd.choice((1, 3, 17, 40, 700))
        if tag == "s":
            values: list[Any] = [f"v{rnd.randrange(20_000)}" for _ in range(size)]
        elif tag == "i":
            values = [rnd.randrange(50_000) for _ in range(size)]
        else:
            values = [rnd.randrange(50_000) / 7 for _ in range(size)]
        stats._add_distinct_many(fast, tag, values)
        _reference_add_distinct_many(slow, tag, values)
        assert fast.sketch == slow.sketch, step
        assert fast.sketch_examples == slow.sketch_examples, step
    assert fast.sketch is not None and len(fast.sketch) == SKETCH_SIZE
    assert fast.sketch == sorted(fast.sketch)
    assert all(bisect.bisect_left(fast.sketch, h) < SKETCH_SIZE for h in fast.sketch)


def test_formats_are_decided_over_every_value_even_when_checked_once_per_distinct() -> None:
    rnd = random.Random(5)
    pool = ["2024-01-02", "2024-02-30", "2024-03-04T05:06:07Z", "a@b.co", "10.0.0.1", "x"]
    for _ in range(200):
        node = FieldNode("f")
        seen: list[str] = []
        for _ in range(rnd.randrange(1, 6)):
            col = [rnd.choice(pool[: rnd.randrange(1, len(pool) + 1)]) for _ in range(5)]
            process_column(col, node, None)
            seen += col
        assert node.mask == rules.match_formats_all(seen)
        assert node.strs == set(seen)


def test_formats_of_a_sketched_column_still_check_every_value() -> None:
    node = FieldNode("id")
    ids = [f"{i:08x}-0000-4000-8000-{i:012x}" for i in range(DISTINCT_BOUND + 5)]
    process_column(ids, node, None)
    assert node.sketch is not None
    assert node.string_format() == "uuid"
    process_column(["not-a-uuid", *ids[:3]], node, None)
    assert node.string_format() is None


def test_observe_restores_the_cycle_collector_as_it_found_it() -> None:
    import gc

    from inferrer.inference import observe

    records = [*batch(events(30)), Record("u", 0, 1, None, value=b'{"a": 1}')]
    assert gc.isenabled()
    assert observe(records)["t"].summarize().messages == 30
    assert gc.isenabled()
    gc.disable()
    try:
        observe(records)
        assert not gc.isenabled()
    finally:
        gc.enable()


def _varied_events(n: int, kinds: int, seed: int) -> list[bytes | None]:
    rnd = random.Random(seed)
    out: list[bytes | None] = []
    for _ in range(n):
        event: dict[str, Any] = {"id": f"{rnd.getrandbits(64):016x}", "n": rnd.randrange(9)}
        if rnd.random() < 0.8:
            event["type"] = f"Kind{rnd.randrange(kinds)}" if rnd.random() < 0.9 else None
        if rnd.random() < 0.3:
            event[f"extra{rnd.randrange(3)}"] = [rnd.random(), {"x": "y"}]
        out.append(json.dumps(event).encode())
    return out


@pytest.mark.parametrize(("kinds", "seed"), [(1, 1), (3, 2), (7, 3), (60, 4)])
def test_column_batches_fold_in_as_their_tuples_do(kinds: int, seed: int) -> None:
    from inferrer.inference import TopicObservation

    by_columns, by_parts = TopicObservation("t"), TopicObservation("t")
    for start in range(0, 3000, 700):
        records = batch(_varied_events(700, kinds, seed + start))
        columns = decoding.decode_columns(records)
        assert columns is not None
        by_columns.add_columns(columns)
        by_parts.add_parts_many(columns.parts())
    assert by_columns.to_dict() == by_parts.to_dict()
    assert by_columns.summarize() == by_parts.summarize()
    assert by_columns.collapsed == (kinds > rules.MAX_KINDS)


def test_summarizing_a_single_kind_leaves_the_observation_as_it_was() -> None:
    from inferrer.inference import observe

    (obs,) = observe(batch(_varied_events(500, 1, 9))).values()
    before = obs.to_dict()
    first = obs.summarize()
    assert obs.to_dict() == before
    assert obs.summarize() == first
    assert [k.count for k in first.kinds] == [500]


def test_empty_headers_count_as_a_list_of_empty_objects_does() -> None:
    from inferrer.inference import ShapeObservation

    fast, slow = ShapeObservation(), ShapeObservation()
    fast.add_empty_objects(5)
    slow.add_many([{}] * 5, 0)
    fast.add_many([{"ce_id": "1"}], 0)
    slow.add_many([{"ce_id": "1"}], 0)
    fast.add_empty_objects(3)  # joins the pending batch
    slow.add_many([{}] * 3, 0)
    fast.flush()
    fast.add_empty_objects(2)
    slow.add_many([{}] * 2, 0)
    assert fast.to_dict() == slow.to_dict()
    assert fast.schema() == slow.schema()
    assert fast.fields(10) == slow.fields(10)
    assert fast.count == 11 and fast.root.present == 11 and fast.root.n_obj == 11
