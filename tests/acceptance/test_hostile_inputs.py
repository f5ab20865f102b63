"""Hostile inputs and faults end with a count, a clamp or a one-line error and the
documented exit code, never a traceback (issue 17's probe, kept as regression tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import KafkaCluster
from tests.kafka_util import create_topics, produce, run_cli

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures/golden/bank-v1.asyncapi.yaml"


def _line(offset: int, payload: object, ts: object = 1700000000000, topic: str = "t") -> str:
    return json.dumps(
        {
            "topic": topic,
            "partition": 0,
            "offset": offset,
            "ts": ts,
            "key": None,
            "payload": payload,
        }
    )


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def _no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr
    assert all(not line.startswith("Error:") or "\n" not in line for line in stderr.splitlines())


@pytest.mark.parametrize(
    ("ts", "seen"),
    [
        (-99999999999999, "0001-01-01T00:00:00.000Z"),
        (253402300800000, "9999-12-31T23:59:59.999Z"),
        (2**63 - 1, "9999-12-31T23:59:59.999Z"),
        (-(2**63), "0001-01-01T00:00:00.000Z"),
    ],
)
def test_timestamps_beyond_the_calendar_are_clamped(tmp_path: Path, ts: int, seen: str) -> None:
    capture = _write(tmp_path / "c.jsonl", [_line(0, '{"a": 1}', ts), _line(1, '{"a": 2}')])
    proc = run_cli(["infer", "--from-file", str(capture), "--evidence", "inline"])
    _no_traceback(proc.stderr)
    assert proc.returncode == 0, proc.stderr
    assert f"x-inferrer-first-seen: '{min(seen, '2023-11-14T22:13:20.000Z')}'" in proc.stdout
    assert f"x-inferrer-last-seen: '{max(seen, '2023-11-14T22:13:20.000Z')}'" in proc.stdout
    proc = run_cli(["diff", "--spec", str(GOLDEN), "--from-file", str(capture)])
    _no_traceback(proc.stderr)
    assert proc.returncode == 0, proc.stderr


def test_frames_clamp_timestamps_too(tmp_path: Path) -> None:
    from inferrer import load_observations_from, topics_frame

    capture = _write(tmp_path / "c.jsonl", [_line(0, "{}", 2**63 - 1), _line(1, "{}", -(2**63))])
    frame = topics_frame(load_observations_from(capture))
    assert str(frame["first_timestamp"][0]) == "0001-01-01 00:00:00+00:00"
    assert str(frame["last_timestamp"][0]) == "9999-12-31 23:59:59.999000+00:00"


def _nested(depth: int, leaf: str = "1") -> str:
    return '{"a":' * depth + leaf + "}" * depth


@pytest.mark.parametrize("suffix", ["json", "yaml"])
def test_a_spec_nested_5000_levels_is_a_spec_error(tmp_path: Path, suffix: str) -> None:
    spec = tmp_path / f"spec.{suffix}"
    head = '{"asyncapi": "3.0.0", "info": {"title": "x", "version": "1"}, "channels": {"c": '
    spec.write_text(head + _nested(5000) + "}}\n", encoding="utf-8")
    capture = _write(tmp_path / "c.jsonl", [_line(0, '{"a": 1}')])
    expected = f"Error: {spec}: nested deeper than 200 levels\n"

    proc = run_cli(["diff", "--spec", str(spec), "--from-file", str(capture)])
    assert (proc.returncode, proc.stderr) == (3, expected)
    proc = run_cli(["diff", "--spec", str(GOLDEN), str(spec)])
    assert (proc.returncode, proc.stderr) == (3, expected)
    before = spec.read_bytes()
    proc = run_cli(["infer", "--from-file", str(capture), "--update", str(spec)])
    assert (proc.returncode, proc.stderr) == (3, expected)
    assert spec.read_bytes() == before


def test_a_block_yaml_spec_nested_deeply_is_a_spec_error(tmp_path: Path) -> None:
    lines = ["asyncapi: 3.0.0", "info: {title: x, version: '1'}", "channels:"]
    lines += ["  " * i + "a:" for i in range(1, 5001)] + ["  " * 5001 + "b: 1"]
    spec = tmp_path / "spec.yaml"
    spec.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = run_cli(["diff", "--spec", str(spec), str(GOLDEN)])
    assert (proc.returncode, proc.stderr) == (3, f"Error: {spec}: nested deeper than 200 levels\n")


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        (
            "--from",
            "99999999999999d",
            "invalid --from '99999999999999d': before 1970-01-01; use --from earliest",
        ),
        (
            "--from",
            "0001-01-01T00:00:00Z",
            "invalid --from '0001-01-01T00:00:00Z': before 1970-01-01; use --from earliest",
        ),
        ("--from", "9" * 400 + "d", f"invalid duration '{'9' * 400}d': too long"),
        ("--timeout", "99999999999999999d", "invalid --timeout '99999999999999999d': at most 24d"),
        ("--follow", "25d", "invalid --follow '25d': at most 24d"),
    ],
)
def test_huge_durations_are_usage_errors(flag: str, value: str, message: str) -> None:
    for command in ("infer", "record"):
        proc = run_cli([command, "-b", "127.0.0.1:1", "--topics", "t", flag, value, "-o", "x"])
        assert (proc.returncode, proc.stderr) == (2, f"Error: {message}\n")


@pytest.mark.parametrize("address", ["user:secret@127.0.0.1:1", "SASL_SSL://user:secret@h:1,h2:2"])
def test_credentials_in_the_bootstrap_address_are_never_echoed(address: str) -> None:
    masked = address.replace("user:secret", "******")
    expected = (
        f"Error: the bootstrap address {masked} holds credentials: give only host:port, "
        "and the user and password in --command-config (sasl.jaas.config)\n"
    )
    for args, env in (
        (["infer", "-b", address, "--timeout", "1s"], {}),
        (["topics", "--timeout", "1s"], {"KAFKA_BOOTSTRAP_SERVERS": address}),
        (["record", "-b", "h:1", "-X", f"bootstrap.servers={address}", "-o", "x.jsonl"], {}),
    ):
        proc = run_cli(args, env=env)
        assert (proc.returncode, proc.stderr) == (2, expected)
        assert "secret" not in proc.stdout + proc.stderr


# ---------------------------------------------------------------- deep and wide values


def _deep_payload_lines() -> list[bytes]:
    deep = _nested(300)
    head = '{"topic": "t", "partition": 0, "offset": %d, "ts": 1'
    return [
        (head % 0 + f', "payload": {deep}}}').encode(),
        (head % 1 + f', "key": {deep}, "payload": "{{}}"}}').encode(),
        (head % 2 + f', "payload": {deep}, "payload": {{"a": 1}}}}').encode(),  # last wins
        (head % 3 + f', "payload": {{"a": 1}}, "payload": {deep}}}').encode(),
        (head % 4 + f', "payload": {deep}, "payload_b64": "e30="}}').encode(),  # stays bad
        (head % 5 + f', "headers": [{deep}], "payload": "x"}}').encode(),  # stays bad
        (head % 6 + f', "payload": {deep}').encode(),  # unclosed: stays bad
        (head % 7 + f', "payload": [{deep}, 1]}} trailing').encode(),
        ('{"topic": "t", "partition": 0, "offset": 8, "payload": {"a": ' + deep + "}}").encode(),
    ]


def test_deep_json_payloads_in_capture_lines_read_alike_in_core_and_reference() -> None:
    from tests.unit.engine.test_core_decode import check_lines

    check_lines(_deep_payload_lines())


def test_a_capture_payload_nested_300_levels_is_counted_too_deep(tmp_path: Path) -> None:
    capture = tmp_path / "c.jsonl"
    deep = _nested(300)
    capture.write_text(
        _line(0, '{"a": 1}')
        + "\n"
        + f'{{"topic": "t", "partition": 0, "offset": 1, "ts": 1, "payload": {deep}}}\n'
        + f'{{"topic": "t", "partition": 0, "offset": 2, "ts": 1, "key": {deep}, '
        + '"payload": null}\n'
    )
    proc = run_cli(
        [
            "infer",
            "--from-file",
            str(capture),
            "-o",
            str(tmp_path / "a.yaml"),
            "--evidence",
            "inline",
        ]
    )
    assert proc.returncode == 0, proc.stderr
    _no_traceback(proc.stderr)
    assert "x-inferrer-undecodable:\n      too-deep: 1\n" in (tmp_path / "a.yaml").read_text()
    spec = tmp_path / "a.yaml"
    proc = run_cli(["diff", "--spec", str(spec), "--from-file", str(capture)])
    assert proc.returncode == 0, proc.stderr
    _no_traceback(proc.stderr)


def test_a_message_with_100k_fields_is_too_wide_and_fast(tmp_path: Path) -> None:
    import time

    wide = json.dumps({f"f{i}": i for i in range(100_000)})
    assert len(wide) > 1_600_000
    capture = _write(tmp_path / "c.jsonl", [_line(0, wide), _line(1, '{"a": 1}')])
    began = time.monotonic()
    proc = run_cli(
        [
            "infer",
            "--from-file",
            str(capture),
            "-o",
            str(tmp_path / "a.yaml"),
            "--evidence",
            "inline",
        ]
    )
    assert time.monotonic() - began < 10
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "a.yaml").read_text()
    assert "x-inferrer-undecodable:\n      too-wide: 1\n" in text
    assert "f99999" not in text


def test_too_wide_is_decided_alike_in_core_and_reference() -> None:
    from inferrer.decoding import MAX_OBJECT_MEMBERS
    from tests.unit.engine.test_core_decode import check_record

    def members(n: int) -> str:
        return "{" + ",".join(f'"f{i}":{i}' for i in range(n)) + "}"

    at_limit, over = members(MAX_OBJECT_MEMBERS), members(MAX_OBJECT_MEMBERS + 1)
    for value in (
        at_limit,
        over,
        f'{{"nested": {over}}}',
        f"[{over}]",
        f'{{"schema": {{"type": "struct", "fields": []}}, "payload": {over}}}',
        # Duplicates count once: the object has MAX members, not more.
        at_limit[:-1] + ',"f0":1}',
        # Colons in strings are not members.
        '{"a": "' + ":" * (MAX_OBJECT_MEMBERS + 5) + '"}',
    ):
        check_record(value.encode())
        check_record(b'{"a": 1}', key=value.encode())
        check_record(b'{"a": 1}', headers=(("h", value.encode()),))


def test_connect_envelopes_with_odd_fields_decode_quietly(tmp_path: Path) -> None:
    from tests.unit.engine.test_core_decode import check_record

    envelopes = [
        {"schema": {"type": "struct", "fields": {"a": 1}}, "payload": {"a": 1}},
        {"schema": {"type": "struct", "fields": "a"}, "payload": {"a": 1}},
        {"schema": {"type": "struct", "fields": [{"field": "a"}]}, "payload": {"a": 1}},
        {"schema": {"type": "struct", "fields": [{"field": "a", "type": 7}]}, "payload": {"a": 1}},
        {"schema": {"type": "struct", "fields": [{"type": "int32"}]}, "payload": {"a": 1}},
    ]
    for envelope in envelopes:
        check_record(json.dumps(envelope).encode())
    capture = _write(
        tmp_path / "c.jsonl",
        [_line(i, json.dumps(e), topic=f"t{i}") for i, e in enumerate(envelopes)],
    )
    out = tmp_path / "a.yaml"
    proc = run_cli(
        [
            "infer",
            "--from-file",
            str(capture),
            "-o",
            str(out),
            "--no-summary",
            "--evidence",
            "inline",
        ]
    )
    assert (proc.returncode, proc.stderr) == (0, f"wrote {out}\n")
    assert "undecodable" not in out.read_text()


# ---------------------------------------------------------------- live


@pytest.mark.kafka
def test_a_live_record_stamped_in_the_year_10000_is_clamped(
    kafka: KafkaCluster, topic_name: str, tmp_path: Path
) -> None:
    create_topics(
        kafka.bootstrap,
        [topic_name],
        config={
            "message.timestamp.type": "CreateTime",
            "message.timestamp.after.max.ms": str(2**63 - 1),
            "message.timestamp.before.max.ms": str(2**63 - 1),
        },
    )
    produce(
        kafka.bootstrap,
        topic_name,
        [b'{"a": 1}', b'{"a": 2}'],
        timestamps=[1700000000000, 253402300800000],
    )
    source = ["-b", kafka.bootstrap, "--topics", topic_name, "--from", "earliest"]
    spec, capture = tmp_path / "a.yaml", tmp_path / "c.jsonl"
    proc = run_cli(["infer", *source, "-o", str(spec), "--evidence", "inline"])
    assert proc.returncode == 0, proc.stderr
    _no_traceback(proc.stderr)
    assert "x-inferrer-last-seen: '9999-12-31T23:59:59.999Z'" in spec.read_text()
    proc = run_cli(["record", *source, "-o", str(capture)])
    assert proc.returncode == 0, proc.stderr
    assert '"ts":253402300800000' in capture.read_text()
    proc = run_cli(["diff", "--spec", str(spec), *source])
    assert proc.returncode == 0, proc.stderr
    proc = run_cli(["infer", "--from-file", str(capture), "--no-summary", "--evidence", "inline"])
    assert proc.returncode == 0, proc.stderr
    assert "x-inferrer-last-seen: '9999-12-31T23:59:59.999Z'" in proc.stdout


@pytest.mark.kafka
def test_record_stopped_by_sigterm_exits_143_and_leaves_nothing(
    kafka: KafkaCluster, topic_name: str, tmp_path: Path
) -> None:
    import signal
    import subprocess
    import sys
    import time

    create_topics(kafka.bootstrap, [topic_name])
    produce(kafka.bootstrap, topic_name, [b'{"a": 1}'] * 100)
    capture = tmp_path / "c.jsonl"
    args = ["record", "-b", kafka.bootstrap, "--topics", topic_name, "--follow", "30s"]
    with subprocess.Popen(
        [sys.executable, "-m", "inferrer", *args, "-o", str(capture)],
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        time.sleep(4)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    assert (proc.returncode, stderr) == (143, "Error: terminated\n")
    assert list(tmp_path.iterdir()) == []
