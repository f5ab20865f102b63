"""Saved observations hold no sampled value by default, and still give the document the
live observations give: alone, merged, and across the distinct-count sketch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from inferrer.asyncapi.io import dump_document
from inferrer.frames import Observed, load_captures, load_saved
from inferrer.inference import merge_all, stats
from inferrer.inference.digest import digest_number, digest_string, strip_example
from inferrer.inference.observation import load_observations
from inferrer.inference.rules import is_enum_token

BANK = Path(__file__).resolve().parents[3] / "fixtures" / "bank"


def _document(observed: Observed, metadata: Any) -> str:
    from inferrer.asyncapi import build_document
    from inferrer.inference import summarize_all

    return dump_document(build_document(summarize_all(observed.observations), metadata))


def _strings(node: Any) -> set[str]:
    """Every string in the stats nodes' value sets of a saved file."""
    out: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "strs":
                out.update(value)
            else:
                out |= _strings(value)
    elif isinstance(node, list):
        for value in node:
            out |= _strings(value)
    return out


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_a_document_from_saved_observations_is_the_live_one(tmp_path: Path, version: str) -> None:
    live = load_captures(BANK / version)
    path = tmp_path / "obs.json"
    live.save(path)
    saved = load_saved(path)
    assert _document(saved, live.metadata) == _document(live, live.metadata)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["values"] == "digests"
    kept = {s for s in _strings(data) if not s.startswith("#")}
    assert kept and all(is_enum_token(s) for s in kept)
    with_values = tmp_path / "raw.json"
    live.save(with_values, keep_values=True)
    assert json.loads(with_values.read_text(encoding="utf-8"))["values"] == "verbatim"
    raw = _strings(json.loads(with_values.read_text(encoding="utf-8")))
    assert any(not is_enum_token(s) for s in raw)  # the check above can fail


def test_merged_saved_halves_give_the_document_of_the_whole(tmp_path: Path) -> None:
    files = sorted((BANK / "v1").glob("*.jsonl"))
    whole = load_captures(files)
    halves = []
    for i, part in enumerate((files[::2], files[1::2], files)):
        path = tmp_path / f"part{i}.json"
        load_captures(part).save(path)
        halves.append(load_observations(path))
    merged = merge_all(halves[:2])
    assert _document(Observed((), {}, merged), whole.metadata) == _document(whole, whole.metadata)
    # Overlapping snapshots (the same topic in two files) merge as the values would.
    twice = merge_all([halves[2], halves[2]])
    doubled = merge_all([whole.observations, whole.observations])
    assert _document(Observed((), {}, twice), whole.metadata) == _document(
        Observed((), {}, doubled), whole.metadata
    )


def _capture(path: Path, payloads: list[dict[str, Any]], topic: str = "t.many") -> Path:
    lines = [
        json.dumps(
            {
                "topic": topic,
                "partition": 0,
                "offset": i,
                "ts": 1700000000000 + i,
                "key": f"customer {i % 7}",
                "payload": json.dumps(p),
            }
        )
        for i, p in enumerate(payloads)
    ]
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def test_the_sketch_over_merged_saved_files_is_the_sketch_over_the_values(tmp_path: Path) -> None:
    # Two snapshots of 700 distinct emails each: merged they pass the exact bound (1,000)
    # and the distinct count becomes the sketch's estimate, over the digests' hashes.
    a = [{"email": f"person{i}@example.org", "n": i, "x": i / 7} for i in range(700)]
    b = [{"email": f"person{i}@example.org", "n": i, "x": i / 7} for i in range(500, 1200)]
    paths = []
    for name, payloads in (("a", a), ("b", b)):
        path = tmp_path / f"{name}.json"
        load_captures(_capture(tmp_path / f"{name}.jsonl", payloads)).save(path)
        paths.append(path)
    merged = merge_all([load_observations(p) for p in paths])
    live = merge_all(
        [
            load_captures(_capture(tmp_path / "la.jsonl", a)).observations,
            load_captures(_capture(tmp_path / "lb.jsonl", b)).observations,
        ]
    )
    assert _document(Observed((), {}, merged), {}) == _document(Observed((), {}, live), {})
    text = "\n".join(p.read_text(encoding="utf-8") for p in paths)
    assert "person1@example.org" not in text and "customer 3" not in text


def test_a_digest_keeps_the_stable_hash_and_is_never_an_enum_token() -> None:
    for value in ("", "a", "4111111111111111", "Jane Doe", "é\ud800", "x" * 5000):
        d = digest_string(value)
        assert len(d) == 27 and d.startswith("#")
        assert stats.stable_hash("s", d) == stats.stable_hash("s", value)
        assert not is_enum_token(d)
        assert digest_string(value) == d
    assert digest_string("a") != digest_string("b")
    for tag, number in (("i", 0), ("i", 4111111111111111), ("i", -(2**70)), ("f", 2.5)):
        n = digest_number(tag, number)
        assert len(str(n)) == 34 and n < 0
        assert stats.stable_hash("i", n) == stats.stable_hash(tag, number)
    assert digest_number("i", 2) != digest_number("f", 2.0)


def test_examples_are_stripped_as_the_redactor_would_strip_them() -> None:
    example = {
        "status": "OPEN",
        "owner": "Jane Doe",
        "city": "LONDON",
        "email": "jane@corp.example",
        "amount": 12.5,
        "count": 3,
        "ok": True,
        "balances": {"4111111111111111": 5, "4222222222222222": 6},
        "tags": ["vip", "Jane Doe"],
    }
    assert strip_example(example) == {
        "status": "OPEN",
        "owner": "string",
        "city": "string",
        "email": "user@example.com",
        "amount": 0.0,
        "count": 0,
        "ok": True,
        "balances": {"key1": 0, "key2": 0},
        "tags": ["vip", "string"],
    }


def test_saving_saved_observations_again_changes_nothing(tmp_path: Path) -> None:
    # A snapshot read back and written again (watch's merges) gives the same bytes.
    first = tmp_path / "first.json"
    load_captures(BANK / "v1").save(first)
    second = tmp_path / "second.json"
    load_saved(first).save(second)
    assert second.read_bytes() == first.read_bytes()


def test_map_keys_that_are_data_are_saved_as_digests_of_their_family(tmp_path: Path) -> None:
    import uuid as uuid_module

    cards = [f"4{i:03d}1111{i:04d}1111" for i in range(40)]
    users = [f"user_{100000 + 7 * i}" for i in range(40)]
    ids = [str(uuid_module.UUID(int=i * 7919 + 1, version=4)) for i in range(8)]
    payloads = [
        {
            "balances": {cards[(i + j) % 40]: j for j in range(3)},
            "scores": {users[(i * 3 + j) % 40]: 0.5 * j for j in range(2)},
            "devices": {ids[i % 8]: {"on": True}},
            "totals": {"EUR": i, "GBP": i + 1},
        }
        for i in range(90)
    ]
    live = load_captures(_capture(tmp_path / "c.jsonl", payloads))
    path = tmp_path / "obs.json"
    live.save(path)
    text = path.read_text(encoding="utf-8")
    assert [k for k in (*cards, *users, *ids) if k in text] == []
    assert '"EUR"' in text  # currency codes name no one: kept
    saved = load_saved(path)
    # The map rule decides the same on the digests (families and prefixes kept).
    assert _document(saved, live.metadata) == _document(live, live.metadata)
    doc = _document(live, live.metadata)
    assert "pattern: ^user_[0-9]+$" in doc and "format: uuid" in doc


def test_a_key_with_many_runs_of_digits_is_digested_without_failing() -> None:
    from inferrer.inference.digest import digest_key
    from inferrer.inference.rules import key_families

    key = "A1-b2-c3-d4-e5-f6-g7-h8-123456"
    saved = digest_key(key)
    assert "123456" not in saved and key_families(saved) & key_families(key)
    assert digest_key("build-123456") != digest_key("build-123457")
