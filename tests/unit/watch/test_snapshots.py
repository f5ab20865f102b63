"""Watch snapshots on plain data: the format, the merge over members, the folder store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inferrer.asyncapi import DocumentOptions, build_document
from inferrer.errors import CaptureError, ObservationError, UsageError
from inferrer.inference import TopicObservation, observe, summarize_all
from inferrer.model import TopicMetadata
from inferrer.records import Record
from inferrer.snapshots import (
    DirectoryStore,
    Snapshot,
    decode_snapshot,
    encode_snapshot,
    merge_snapshots,
    snapshot_key,
)

TOPIC = "bank.payments"
DAY_MS = 86_400_000
NOW = 1_772_438_400_000


def records(n: int, partitions: int = 6) -> list[Record]:
    out = []
    for i in range(n):
        value = {"kind": "paid" if i % 4 else "refunded", "id": i, "amount": i * 0.5}
        if i % 5 == 0:
            value["note"] = "x" * (i % 3)
        out.append(
            Record(
                TOPIC, i % partitions, i // partitions, NOW + i, None, json.dumps(value).encode()
            )
        )
    return out


def snap(member: str, recs: list[Record], time_ms: int = NOW, **kw: object) -> Snapshot:
    obs = observe(recs).get(TOPIC) or TopicObservation(TOPIC)
    positions: dict[int, int] = {}
    for r in recs:
        positions[r.partition] = max(positions.get(r.partition, 0), r.offset + 1)
    fields: dict[str, object] = {
        "group": "g",
        "member": member,
        "topic": TOPIC,
        "time_ms": time_ms,
        "observation": obs,
        "positions": positions,
        "assigned": tuple(sorted(positions)),
    }
    fields.update(kw)
    return Snapshot(**fields)  # type: ignore[arg-type]


def document(observations: dict[str, TopicObservation]) -> dict[str, object]:
    return build_document(summarize_all(observations), {}, DocumentOptions())


def test_a_snapshot_reads_back_as_written_and_the_same_snapshot_gives_the_same_bytes() -> None:
    md = TopicMetadata(TOPIC, 6, 3, {"cleanup.policy": "delete"}, ("cleanup.policy",), ("svc",))
    s = snap("m1", records(50), metadata=md, bootstrap="broker:9092", secure=True, final=True)
    raw = encode_snapshot(s)
    back = decode_snapshot(raw)
    assert encode_snapshot(back) == raw == encode_snapshot(snap("m1", records(50), **_same(s)))
    assert (back.group, back.member, back.topic, back.time_ms) == ("g", "m1", TOPIC, NOW)
    assert back.positions == {p: 9 for p in range(2)} | {p: 8 for p in range(2, 6)}
    assert back.final and back.secure and back.bootstrap == "broker:9092"
    assert back.metadata is not None and back.metadata.configs == {"cleanup.policy": "delete"}
    assert back.metadata.consumer_groups == ("svc",)
    assert back.observation.messages == 50
    header = decode_snapshot(raw, observations=False)  # what a new owner reads
    assert header.positions == back.positions and header.observation.messages == 0
    data = json.loads(raw)
    # The body is the saved-observations document, as save_observations writes it.
    assert data["observations"]["topics"][0]["topic"] == TOPIC
    assert (
        s.key
        == snapshot_key("g", "m1", TOPIC)
        == b'{"group": "g", "member": "m1", "topic": "bank.payments"}'
    )


def _same(s: Snapshot) -> dict[str, object]:
    return {
        "metadata": s.metadata,
        "bootstrap": s.bootstrap,
        "secure": s.secure,
        "final": s.final,
    }


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"{", "x is not a watch snapshot: invalid JSON at line 1, column 2"),
        (b'{"format": "other"}', "x is not a watch snapshot"),
        (
            b'{"format": "inferrer-watch-snapshot", "version": 99}',
            "x is a watch snapshot of version 99; expected 1",
        ),
        (b'{"format": "inferrer-watch-snapshot", "version": 1}', "x is not a valid watch snapshot"),
    ],
)
def test_what_is_not_a_snapshot_is_refused_in_one_line(raw: bytes, error: str) -> None:
    with pytest.raises(ObservationError) as e:
        decode_snapshot(raw, "x")
    assert str(e.value).startswith(error)


def test_merging_members_split_by_partition_gives_the_document_of_all_the_messages() -> None:
    recs = records(600)
    members = {"a": [0, 1], "b": [2, 3, 4], "c": [5]}
    snaps = [snap(m, [r for r in recs if r.partition in ps]) for m, ps in members.items()]
    merged = merge_snapshots(reversed(snaps), now_ms=NOW)
    assert merged.members == ("a", "b", "c")
    assert merged.observations[TOPIC].messages == 600
    assert document(dict(merged.observations)) == document(observe(recs))
    assert merged.positions == {(TOPIC, p): 100 for p in range(6)}


def test_the_newest_snapshot_of_a_member_wins_and_the_offsets_are_the_highest() -> None:
    recs = records(120)
    older = snap("a", recs[:60], NOW - 5000)
    newer = snap("a", recs, NOW - 1000)
    merged = merge_snapshots([newer, older], now_ms=NOW)
    assert merged.observations[TOPIC].messages == 120
    assert merged.positions[(TOPIC, 0)] == 20


def test_members_silent_longer_than_the_retention_are_left_out() -> None:
    recs = records(60)
    gone = snap("gone", recs[:30], NOW - 8 * DAY_MS, final=True)
    left = snap("left", recs[30:40], NOW - 2 * DAY_MS, final=True)
    live = snap("live", recs[40:], NOW)
    merged = merge_snapshots([gone, left, live], now_ms=NOW)
    assert merged.members == ("left", "live")
    assert merged.expired == ("gone",)
    assert merged.observations[TOPIC].messages == 30
    merged = merge_snapshots([gone, left, live], now_ms=NOW, retention_seconds=86400)
    assert merged.members == ("live",)


def test_snapshots_of_several_groups_need_one_named() -> None:
    recs = records(10)
    snaps = [snap("a", recs), snap("a", recs, group="other")]
    with pytest.raises(UsageError, match=r"several consumer groups \(g, other\)"):
        merge_snapshots(snaps, now_ms=NOW)
    assert merge_snapshots(snaps, now_ms=NOW, group="other").groups == ("other",)


def test_the_folder_store_names_files_safely_and_reads_a_group_folder(tmp_path: Path) -> None:
    store = DirectoryStore(tmp_path)
    recs = records(30)
    odd = snap("../a/b", recs, group="..")
    plain = snap("m", recs)
    store.write([odd, plain])
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.json"))
    assert files == ["%2E./%2E.%2Fa%2Fb/bank.payments.json", "g/m/bank.payments.json"]
    assert {s.member for s in store.read()} == {"../a/b", "m"}
    assert [s.member for s in DirectoryStore(tmp_path / "g").read()] == ["m"]
    assert [s.member for s in store.read("..")] == ["../a/b"]
    with pytest.raises(CaptureError, match="no snapshot folder"):
        DirectoryStore(tmp_path / "missing").read()


def test_the_analyst_api_loads_a_snapshot_folder_merged(tmp_path: Path) -> None:
    from inferrer import load_observations_from, load_snapshots, topics_frame

    recs = records(300)
    md = TopicMetadata(TOPIC, 6, 1)
    DirectoryStore(tmp_path).write(
        [
            snap("a", [r for r in recs if r.partition < 3], time_ms=_now_ms(), metadata=md),
            snap("b", [r for r in recs if r.partition >= 3], time_ms=_now_ms(), metadata=md),
        ]
    )
    observed = load_observations_from(tmp_path)
    assert observed.source == f"watch snapshots {tmp_path}"
    assert observed.metadata[TOPIC].partitions == 6
    frame = topics_frame(observed)
    assert frame.loc[0, "messages"] == 300 and frame.loc[0, "partitions"] == 6
    single = topics_frame(load_observations_from_records(recs))
    assert frame.drop(columns=["partitions", "replication_factor"]).equals(
        single.drop(columns=["partitions", "replication_factor"])
    )
    assert topics_frame(load_snapshots(tmp_path / "g")).equals(frame)


def _now_ms() -> int:
    import time

    return int(time.time() * 1000)


def load_observations_from_records(recs: list[Record]) -> object:
    from inferrer.frames import _observed

    return _observed(observe(recs), metadata={}, source="records")


def test_snapshots_hold_no_sampled_value_unless_asked() -> None:
    secret = "Alice Liddell lives at 7 Cheshire Lane"
    recs = [
        Record(TOPIC, 0, i, NOW + i, None, json.dumps({"id": i, "note": f"{secret} {i}"}).encode())
        for i in range(30)
    ]
    digested = encode_snapshot(snap("m1", recs)).decode()
    kept = encode_snapshot(snap("m1", recs, keep_values=True)).decode()
    assert secret not in digested and '"values": "digests"' in digested
    assert secret in kept and '"values": "verbatim"' in kept
    # Both read back to the same document as the live observation.
    live = document({TOPIC: snap("m1", recs).observation})
    for raw in (digested, kept):
        back = decode_snapshot(raw.encode(), "test")
        assert document({TOPIC: back.observation}) == live
