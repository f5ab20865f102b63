"""Observations merge in any order, round-trip through JSON, and give the same bytes
under any sample order and any PYTHONHASHSEED."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inferrer.errors import ObservationError
from inferrer.inference import (
    TopicObservation,
    load_observations,
    merge,
    merge_all,
    observe,
    save_observations,
)
from inferrer.inference.stats import FieldNode
from inferrer.records import Record
from tests.properties import examples
from tests.strategies_json import events

TOPIC = "bank.payments"


def to_records(values: list[Any]) -> list[Record]:
    return [
        Record(
            TOPIC, i % 2, i, 1_000 * (i % 7), key=str(i % 3).encode(), value=json.dumps(v).encode()
        )
        for i, v in enumerate(values)
    ]


def observe_one(recs: list[Record]) -> TopicObservation:
    return observe(recs).get(TOPIC) or TopicObservation(TOPIC)


def canonical(obs: TopicObservation) -> str:
    return json.dumps(dataclasses.asdict(obs.summarize()), sort_keys=True, default=repr)


@settings(max_examples=examples(60), deadline=None)
@given(
    st.lists(events, min_size=1, max_size=24),
    st.randoms(use_true_random=False),
    st.integers(min_value=1, max_value=4),
)
def test_result_is_independent_of_sample_and_merge_order(
    values: list[dict[str, Any]], rnd: Any, parts: int
) -> None:
    recs = to_records(values)
    whole = canonical(observe_one(recs))
    shuffled = list(recs)
    rnd.shuffle(shuffled)
    assert canonical(observe_one(shuffled)) == whole
    chunks = [shuffled[i::parts] for i in range(parts)]
    observations = [observe_one(c) for c in chunks]
    left = observations[0]
    for o in observations[1:]:
        left = merge(left, o)
    right = observations[-1]
    for o in reversed(observations[:-1]):
        right = merge(o, right)
    assert canonical(left) == whole
    assert canonical(right) == whole


@settings(max_examples=examples(40), deadline=None)
@given(st.lists(events, max_size=10), st.lists(events, max_size=10), st.lists(events, max_size=10))
def test_merge_is_associative_and_commutative(a: list[Any], b: list[Any], c: list[Any]) -> None:
    oa, ob, oc = (observe_one(to_records(x)) for x in (a, b, c))
    assert canonical(merge(oa, ob)) == canonical(merge(ob, oa))
    assert canonical(merge(merge(oa, ob), oc)) == canonical(merge(oa, merge(ob, oc)))
    assert json.dumps(merge(merge(oa, ob), oc).to_dict(), sort_keys=True) == json.dumps(
        merge(oa, merge(ob, oc)).to_dict(), sort_keys=True
    )


def test_merge_does_not_mutate_its_inputs() -> None:
    a = observe_one(to_records([{"a": 1}]))
    b = observe_one(to_records([{"b": "x"}]))
    before = json.dumps(a.to_dict(), sort_keys=True)
    merge(a, b)
    assert json.dumps(a.to_dict(), sort_keys=True) == before


def test_many_discriminator_values_collapse_the_same_in_any_merge_order() -> None:
    values = [
        {"type": f"K{chr(65 + i % 26)}{chr(65 + i // 26)}", f"f{i % 3}": i} for i in range(80)
    ]
    recs = to_records(values)
    whole = canonical(observe_one(recs))
    a, b = observe_one(recs[:40]), observe_one(recs[40:])
    assert canonical(merge(a, b)) == whole == canonical(merge(b, a))


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    values = [{"id": f"5c9425fb-72f9-4f2c-9204-3b364db695e{i % 10}", "n": i} for i in range(3000)]
    observations = observe(to_records(values))
    path = tmp_path / "obs.json"
    # With the values kept the summaries (sampled field examples included) round-trip;
    # without, the document does (tests/unit/inference/test_saved_values.py).
    save_observations(observations, path, keep_values=True)
    loaded = load_observations(path)
    assert list(loaded) == [TOPIC]
    assert canonical(loaded[TOPIC]) == canonical(observations[TOPIC])
    assert [p.name for p in tmp_path.iterdir()] == ["obs.json"]
    merged = merge_all([observations, loaded])
    assert merged[TOPIC].summarize().messages == 6000


def test_load_errors_are_domain_errors(tmp_path: Path) -> None:
    with pytest.raises(
        ObservationError, match=r"cannot read observations file .*missing\.json: no such file$"
    ):
        load_observations(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(ObservationError) as e:
        load_observations(bad)
    assert str(e.value) == f"{bad} is not an observations file: invalid JSON at line 1, column 2"
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"version": 2, "topics": [{"topic": "t", "version": 2}]}')
    with pytest.raises(ObservationError) as e:
        load_observations(wrong)
    assert str(e.value) == "observation of topic 't' is invalid: no 'kinds' field"
    old = tmp_path / "old.json"
    old.write_text('{"version": 2, "topics": [{"topic": "t", "version": 1}]}')
    with pytest.raises(ObservationError) as e:
        load_observations(old)
    assert str(e.value) == "observation of topic 't' has format version 1; expected 2"
    v1 = tmp_path / "v1.json"
    v1.write_text('{"version": 1, "topics": []}')
    with pytest.raises(ObservationError) as e:
        load_observations(v1)
    assert str(e.value) == f"{v1} is an observations file of version 1; expected 2"


_SCRIPT = """
import dataclasses, json, random, sys
from inferrer.inference import observe, summarize_all
from inferrer.inference.stats import FieldNode
from inferrer.records import Record
rnd = random.Random(int(sys.argv[1]))
statuses = ["OPEN", "CLOSED", "FROZEN", "PENDING"]
values = []
for i in range(400):
    v = {"type": ["Opened", "Closed"][i % 2], "status": statuses[i % 4],
         "id": "5c9425fb-72f9-4f2c-9204-3b364db695%02d" % (i % 100),
         "tags": sorted({statuses[i % 3], statuses[i % 2]}), "by": {"EUR": i, "USD": i / 2}}
    if i % 2:
        v["reason"] = "x" * (i % 5)
    values.append(v)
recs = [Record("t.x", i % 3, i, i, value=json.dumps(v).encode()) for i, v in enumerate(values)]
rnd.shuffle(recs)
print(json.dumps([dataclasses.asdict(s) for s in summarize_all(observe(recs))], sort_keys=True))
"""


def test_output_is_byte_identical_across_hash_seeds_and_sample_order() -> None:
    outputs = set()
    for seed, order in (("0", "1"), ("123", "2"), ("random", "3")):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run(
            [sys.executable, "-c", _SCRIPT, order],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            cwd=Path(__file__).resolve().parents[3],
        )
        outputs.add(proc.stdout)
    assert len(outputs) == 1
    (out,) = outputs
    assert '"name": "Closed"' in out and '"name": "Opened"' in out


def test_high_cardinality_statistics_are_order_independent() -> None:
    values = [{"id": f"id-{i}", "n": i * 7 % 5003, "x": i / 3} for i in range(5000)]
    recs = to_records(values)
    whole = canonical(observe_one(recs))
    assert canonical(observe_one(list(reversed(recs)))) == whole
    assert canonical(merge(observe_one(recs[::2]), observe_one(recs[1::2]))) == whole
    assert '"distinct_approximate": true' in whole


def _without_str_counts(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_str_counts(v) for k, v in value.items() if k != "str_counts"}
    if isinstance(value, list):
        return [_without_str_counts(v) for v in value]
    return value


def test_observations_saved_before_string_counts_still_load() -> None:
    # Each string then counts as seen once: no enum is claimed from such old data, and
    # the core and the reference read the dict alike.
    values = [{"status": s} for s in ["OPEN", "CLOSED"] * 20]
    records = [Record("t.old", 0, i, i, value=json.dumps(v).encode()) for i, v in enumerate(values)]
    (obs,) = observe(records).values()
    old = _without_str_counts(obs.to_dict())
    loaded = TopicObservation.from_dict(old)
    (kind,) = loaded.summarize().kinds
    assert kind.payload_schema["properties"]["status"] == {"type": "string"}
    stats = loaded.to_dict()["kinds"][0]["observation"]["payload"]["stats"]
    assert stats["children"]["status"]["str_counts"] == [1, 1]
    assert FieldNode.from_dict(stats["children"]["status"]).strs == {"CLOSED": 1, "OPEN": 1}
