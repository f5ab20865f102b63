"""`infer-asyncapi infer` (the default command) end to end, offline from capture files."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import yaml

from inferrer.capture import iter_capture

ROOT = Path(__file__).resolve().parents[2]
V1 = ROOT / "fixtures" / "bank" / "v1"


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inferrer", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_default_command_is_infer_and_writes_a_document(tmp_path: Path) -> None:
    out = tmp_path / "asyncapi.yaml"
    result = run("--from-file", V1, "--topics", "bank.payments", "-o", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert f"wrote {out}" in result.stderr
    doc = yaml.safe_load(out.read_text())
    assert doc["asyncapi"] == "3.0.0"
    assert list(doc["channels"]) == ["bank.payments"]
    messages = set(doc["channels"]["bank.payments"]["messages"])
    assert messages == {"PaymentAuthorized", "PaymentFailed", "PaymentInitiated", "PaymentSettled"}


def test_stdout_json_and_byte_identical_runs(tmp_path: Path) -> None:
    first = run("infer", "--from-file", V1, "--format", "json")
    second = run("infer", "--from-file", V1, "--format", "json")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    doc = json.loads(first.stdout)
    assert len(doc["channels"]) == len(list(V1.glob("*.jsonl")))


def test_examples_none_and_raw(tmp_path: Path) -> None:
    none = run("--from-file", V1 / "bank.customers.profile.jsonl", "--examples", "none")
    assert none.returncode == 0, none.stderr
    assert "\n      examples:" not in none.stdout
    assert "Examples are omitted." in none.stdout
    raw = run("--from-file", V1 / "bank.customers.profile.jsonl", "--examples", "raw")
    redacted = run("--from-file", V1 / "bank.customers.profile.jsonl")
    # Raw examples carry sampled values; the default redacted ones must not.
    values = [
        r.value.decode()
        for r in iter_capture(V1 / "bank.customers.profile.jsonl")
        if r.value is not None
    ]
    emails = {
        v
        for payload in values
        for v in _strings(json.loads(payload))
        if "@" in v and not v.endswith("example.com")
    }
    assert emails, "the fixture should contain customer emails"
    assert any(e in raw.stdout for e in emails)
    assert not any(e in redacted.stdout for e in emails)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_update_keeps_human_edits_and_reports_unobserved(tmp_path: Path) -> None:
    spec = tmp_path / "asyncapi.yaml"
    assert run("--from-file", V1, "--topics", "bank.payments", "-o", spec).returncode == 0
    doc = yaml.safe_load(spec.read_text())
    doc["info"]["description"] = "Written by the payments team."
    doc["channels"]["bank.payments"]["description"] = "All payment lifecycle events."
    schema = doc["components"]["schemas"]["PaymentSettled"]
    schema["properties"]["legacyReference"] = {"type": "string", "description": "old"}
    spec.write_text(yaml.safe_dump(doc, sort_keys=False))
    result = run("--from-file", V1, "--topics", "bank.payments", "--update", spec)
    assert result.returncode == 0, result.stderr
    updated = yaml.safe_load(spec.read_text())
    assert updated["info"]["description"] == "Written by the payments team."
    assert updated["channels"]["bank.payments"]["description"] == "All payment lifecycle events."
    props = updated["components"]["schemas"]["PaymentSettled"]["properties"]
    assert props["legacyReference"] == {"type": "string", "description": "old"}
    assert "documented field(s) not seen in this sample" in result.stderr
    assert "legacyReference" in result.stderr


def test_usage_errors_exit_2() -> None:
    nothing = run("infer")
    assert nothing.returncode == 2
    assert nothing.stderr == (
        "Error: no Kafka to read: give -b/--bootstrap-server (or set KAFKA_BOOTSTRAP_SERVERS), "
        "or --from-file CAPTURE\n"
    )
    no_match = run("--from-file", V1, "--topics", "crm.*")
    assert (no_match.returncode, no_match.stderr) == (
        2,
        "Error: no topic in the capture file(s) matches crm.*\n",
    )
    both = run("--from-file", V1, "--update", "a.yaml", "-o", "b.yaml")
    assert (both.returncode, both.stderr) == (
        2,
        "Error: --update rewrites SPEC in place; do not combine it with -o\n",
    )


def test_unreachable_broker_exits_3_in_one_line() -> None:
    began = time.monotonic()
    result = run("-b", "127.0.0.1:1", "--topics", "bank.*", "--timeout", "3s")
    assert result.returncode == 3
    assert result.stderr.startswith("Error: ")
    assert "127.0.0.1:1" in result.stderr
    assert result.stderr.count("\n") == 1
    assert time.monotonic() - began < 30
