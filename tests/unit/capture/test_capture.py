"""Capture files: round trip, kcat compatibility, bad lines, the sidecar."""

from __future__ import annotations

import base64
import dataclasses
import json
from pathlib import Path

import pytest

from inferrer.capture import (
    CaptureStats,
    capture_topics,
    check_capture,
    encode_record,
    iter_capture,
    iter_captures,
    read_capture,
    read_capture_topics,
    sidecar_path,
    write_capture,
)
from inferrer.errors import CaptureError
from inferrer.model import TopicMetadata
from inferrer.records import Record

AWKWARD = [
    Record("t.a", 0, 0, 1_700_000_000_000, b"k1", b'{"a":1}', (("trace-id", b"abc"),)),
    Record("t.a", 1, 7, 1_700_000_000_001, None, None, ()),  # tombstone, null key
    Record("t.a", 1, 8, 1_700_000_000_002, b"", b"", (("empty", b""), ("none", None))),
    Record("t.b", 2, 3, None, b"\xff\xfe\x00key", b"\x00\x00\x01\x86\xb1{}", ()),
    Record(
        "t.b",
        0,
        9,
        5,
        "clé".encode(),
        "naïve ✓ text\n\ttab".encode(),
        (("bin", b"\x80\x81"), ("text", b"ok"), ("bin", b"\xc3\x28"), ("dup", b"1"), ("dup", None)),
    ),
    Record("t.b", 0, 10, 6, b"\x00", b"\x7f", (("ctl", b"\x00\x01"),)),
]


def test_round_trip_keeps_every_byte_and_tombstones_apart_from_empty(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    assert write_capture(AWKWARD, path) == len(AWKWARD)
    records, stats = read_capture(path)
    assert records == AWKWARD
    assert stats == CaptureStats(records=len(AWKWARD), bad=0, bad_lines=[])
    assert records[1].value is None and records[2].value == b""
    assert records[1].key is None and records[2].key == b""


def test_lines_follow_kcat_shape_and_use_base64_only_for_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    write_capture(AWKWARD, path)
    lines = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    assert lines[0] == {
        "topic": "t.a",
        "partition": 0,
        "offset": 0,
        "tstype": "create",
        "ts": 1_700_000_000_000,
        "broker": -1,
        "headers": ["trace-id", "abc"],
        "key": "k1",
        "payload": '{"a":1}',
    }
    assert list(lines[0]) == [
        "topic",
        "partition",
        "offset",
        "tstype",
        "ts",
        "broker",
        "headers",
        "key",
        "payload",
    ]
    assert lines[1] == {
        "topic": "t.a",
        "partition": 1,
        "offset": 7,
        "tstype": "create",
        "ts": 1_700_000_000_001,
        "broker": -1,
        "key": None,
        "payload": None,
    }
    assert lines[3] == {
        "topic": "t.b",
        "partition": 2,
        "offset": 3,
        "broker": -1,
        "key_b64": base64.b64encode(b"\xff\xfe\x00key").decode(),
        "payload_b64": base64.b64encode(b"\x00\x00\x01\x86\xb1{}").decode(),
    }
    assert lines[4]["headers"] == [
        "bin",
        "gIE=",
        "text",
        "ok",
        "bin",
        "wyg=",
        "dup",
        "1",
        "dup",
        None,
    ]
    assert lines[4]["headers_b64"] == [0, 2]
    assert lines[4]["payload"] == "naïve ✓ text\n\ttab"


def test_write_is_deterministic(tmp_path: Path) -> None:
    write_capture(AWKWARD, tmp_path / "a.jsonl")
    write_capture(iter(AWKWARD), tmp_path / "b.jsonl")
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_reads_lines_shaped_like_real_kcat_output(tmp_path: Path) -> None:
    # What `kcat -C -J` prints: yajl strings, headers as a flat list, raw bytes
    # unescaped when they are not UTF-8, no ts when the broker gave none.
    path = tmp_path / "kcat.jsonl"
    lines = [
        b'{"topic":"orders","partition":2,"offset":1041,"tstype":"create","ts":1714567890123,'
        b'"broker":1,"headers":["traceparent","00-abc-def-01","retry",null],'
        b'"key":"order-17","payload":"{\\"id\\":17,\\"total\\":12.5}"}',
        b'{"topic":"orders","partition":0,"offset":5,"tstype":"logappend","ts":1714567890999,'
        b'"broker":1,"key":null,"payload":null}',
        b'{"topic":"orders","partition":0,"offset":6,"broker":-1,"key":"raw\xff\xfekey",'
        b'"payload":"\\u0000\\u0000\\u0000\\u0000\\u0001{\\"a\\":1}"}',
        b'{"topic":"orders","partition":1,"offset":9,"tstype":"create","ts":1,"broker":1,'
        b'"headers":{"h":["x","y"]},"key":"k","payload":"p\\/q"}',
        # kcat -s avro writes the decoded value as JSON, with the schema ids beside it.
        b'{"topic":"orders","partition":0,"offset":7,"tstype":"create","ts":2,"broker":1,'
        b'"key":{"id":5},"key_schema_id":3,"payload":{"a":[1,2]},"value_schema_id":4}',
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    records, stats = read_capture(path)
    assert stats.bad == 0
    assert records == [
        Record(
            "orders",
            2,
            1041,
            1714567890123,
            b"order-17",
            b'{"id":17,"total":12.5}',
            (("traceparent", b"00-abc-def-01"), ("retry", None)),
        ),
        Record("orders", 0, 5, 1714567890999, None, None, ()),
        Record("orders", 0, 6, None, b"raw\xff\xfekey", b"\x00\x00\x00\x00\x01" + b'{"a":1}', ()),
        Record("orders", 1, 9, 1, b"k", b"p/q", (("h", b"x"), ("h", b"y"))),
        Record("orders", 0, 7, 2, b'{"id":5}', b'{"a":[1,2]}', ()),
    ]
    # Without a sidecar, a kcat capture describes no topics; replay derives them.
    assert read_capture_topics(path) == {}


def test_bad_lines_are_counted_with_line_numbers_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    good = encode_record(Record("t", 0, 1, 2, b"k", b"v"))
    path.write_bytes(
        good
        + b"{not json\n"
        + b"\n"
        + b'{"topic":"t","partition":-1,"offset":0,"key":null,"payload":null}\n'
        + b'{"partition":0,"offset":0}\n'
        + good
        + b'{"topic":"t","partition":0,"offset":1,"headers":["a"],"payload":null}\n'
        + b'{"topic":"t","partition":0,"offset":1,"payload_b64":"@@"}\n'
        + b"[1,2]\n"
        + good.rstrip(b"\n")  # last line without a newline still counts
    )
    stats = CaptureStats()
    records = list(iter_capture(path, stats=stats))
    assert len(records) == 3
    assert stats.records == 3
    assert stats.bad == 6
    assert [str(b) for b in stats.bad_lines] == [
        f"{path}:2: not JSON (Expecting property name enclosed in double quotes at column 2)",
        f"{path}:4: 'partition' must be at least 0",
        f"{path}:5: 'topic' must be a non-empty string",
        f"{path}:7: 'headers' must be a flat [name, value, ...] list of even length",
        f"{path}:8: payload_b64 is not valid base64",
        f"{path}:9: not a JSON object",
    ]


def test_a_file_that_is_not_a_capture_raises_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("# my notes\nsome text\n")
    with pytest.raises(CaptureError) as e:
        list(iter_capture(path))
    assert str(e.value) == (
        f"{path}:1: not a capture file (expected kcat -J JSON lines with topic, partition, "
        "offset): not JSON (Expecting value at column 1)"
    )


def test_many_leading_bad_lines_fail_early_without_reading_everything(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(b"\x1f\x8b binary junk\n" * 100_000)
    stats = CaptureStats()
    with pytest.raises(CaptureError, match=r"big\.bin:1: not a capture file"):
        list(iter_capture(path, stats=stats))
    assert stats.bad == 10


def test_bad_line_details_are_capped_but_all_counted(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    good = encode_record(Record("t", 0, 1, 2, b"k", b"v"))
    path.write_bytes(good + b"junk\n" * 500)
    stats = CaptureStats()
    assert len(list(iter_capture(path, stats=stats))) == 1
    assert stats.bad == 500
    assert len(stats.bad_lines) == 100
    assert stats.bad_lines[-1].line == 101


def test_empty_file_is_an_empty_capture(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    assert read_capture(path) == ([], CaptureStats())


def test_missing_file_raises_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "nope.jsonl"
    with pytest.raises(CaptureError) as e:
        list(iter_capture(path))
    assert str(e.value) == f"cannot read capture file {path}: No such file or directory"


def test_sidecar_round_trip_and_naming(tmp_path: Path) -> None:
    path = tmp_path / "bank.payments.jsonl"
    topics = [
        TopicMetadata("bank.z", 3, 1, {"cleanup.policy": "compact", "a": "b"}),
        TopicMetadata("bank.a", 1, 3, {}),
    ]
    write_capture([Record("bank.a", 0, 0)], path, topics=topics)
    assert sidecar_path(path) == tmp_path / "bank.payments.topics.json"
    assert json.loads(sidecar_path(path).read_text()) == {
        "format": "inferrer-capture-topics",
        "version": 1,
        "topics": {
            "bank.a": {"configs": {}, "partitions": 1, "replication_factor": 3},
            "bank.z": {
                "configs": {"a": "b", "cleanup.policy": "compact"},
                "partitions": 3,
                "replication_factor": 1,
            },
        },
    }
    # Sidecar configs are the explicitly set ones, so they come back marked explicit.
    explicit = {
        t.name: dataclasses.replace(t, non_default_configs=tuple(sorted(t.configs))) for t in topics
    }
    assert read_capture_topics(path) == explicit


def test_invalid_sidecar_raises_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    write_capture([], path)
    sidecar_path(path).write_text('{"format": "inferrer-capture-topics", "topics": {"t": {}}}')
    with pytest.raises(CaptureError) as e:
        read_capture_topics(path)
    side = tmp_path / "c.topics.json"
    assert str(e.value) == f"capture sidecar {side} is not valid: 'partitions'"


def test_failed_write_leaves_previous_file_and_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    write_capture(AWKWARD[:1], path)
    before = path.read_bytes()

    def broken() -> object:
        yield AWKWARD[1]
        raise RuntimeError("producer of records failed")

    with pytest.raises(RuntimeError):
        write_capture(broken(), path)  # type: ignore[arg-type]
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl"]


def test_capture_topics_prefer_the_sidecar_and_derive_the_rest(tmp_path: Path) -> None:
    with_sidecar = tmp_path / "a.jsonl"
    write_capture(
        [Record("t.a", 0, 0)], with_sidecar, topics=[TopicMetadata("t.a", 6, 3, {"x": "y"})]
    )
    plain = tmp_path / "b.jsonl"
    write_capture([Record("t.b", 4, 0), Record("t.b", 1, 0), Record("t.a", 9, 0)], plain)
    assert capture_topics([plain, with_sidecar]) == {
        "t.a": TopicMetadata("t.a", 10, -1, {}),
        "t.b": TopicMetadata("t.b", 5, -1, {}),
    }
    assert capture_topics([with_sidecar, plain]) == {
        "t.a": TopicMetadata("t.a", 6, 3, {"x": "y"}, non_default_configs=("x",)),
        "t.b": TopicMetadata("t.b", 5, -1, {}),
    }
    stats = CaptureStats()
    assert [r.topic for r in iter_captures([with_sidecar, plain], stats=stats)] == [
        "t.a",
        "t.b",
        "t.b",
        "t.a",
    ]
    assert stats.records == 4


def test_check_capture_reads_only_up_to_the_first_record(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_bytes(encode_record(Record("t", 0, 0)) + b"junk\n" * 20)
    check_capture(path)  # fine: the junk comes after a record
    (tmp_path / "d.jsonl").write_bytes(b"junk\n" * 20)
    with pytest.raises(CaptureError, match=r"d\.jsonl:1: not a capture file"):
        check_capture(tmp_path / "d.jsonl")


def test_a_read_error_part_way_is_a_capture_error_not_a_bad_line(tmp_path: Path) -> None:
    from inferrer.engine import Engine
    from inferrer.engine.fold import fold_captures

    read = Engine().fold_capture(tmp_path)  # a folder opens, and then cannot be read
    assert read.error is not None and read.error[0] == 0
    assert (read.records, read.bad) == (0, 0)
    with pytest.raises(CaptureError, match=r"cannot read capture file .* after line 0: "):
        fold_captures([tmp_path])
