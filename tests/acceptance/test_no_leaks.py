"""Sampled data does not leave the process: traffic full of recognisable secrets, card
numbers, emails and names goes through `infer`, `diff` in every format and saved
observations, and none of it is in any output (the capture file itself excepted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from inferrer.asyncapi.evidence import EVIDENCE_SUFFIX
from inferrer.frames import load_captures

CARDS = [f"4{i:03d}1111{i:04d}1111" for i in range(40)]
"""Card numbers: values of `pan` and keys of the `balances` map."""
EMAILS = [f"jane.doe{i}@bigcorp-secret.example" for i in range(40)]
NAMES = ["Jane Doe", "Rosalind Franklin", "Ada Lovelace", "Grace Hopper"]
CITIES = ["Llanfairpwllgwyngyll", "Ouagadougou", "Reykjavik", "Tegucigalpa"]
PASSWORDS = [f"hunter2!P@ss {i}" for i in range(40)]
SECRETS = [*CARDS, *EMAILS, *NAMES, *CITIES, *PASSWORDS, "bigcorp-secret"]


def _payload(i: int, name_keys: bool = True) -> dict[str, Any]:
    payload = {
        "type": "BalanceUpdated",
        "pan": CARDS[i % 40],
        "owner": NAMES[i % 4],
        "email": EMAILS[i % 40],
        "city": CITIES[i % 4],
        "password": PASSWORDS[i % 40],
        "status": ["OPEN", "CLOSED", "FROZEN"][i % 3],
        "amount": 1000 + i,
        "balances": {CARDS[(i + j) % 40]: 100 + j for j in range(3)},
    }
    if name_keys:
        # Keyed by names: not a map by the inference rules (keys of one class: ids,
        # numbers, dates...), so the document lists these keys as properties. The drift
        # report still names none of them.
        payload["owners"] = {NAMES[i % 4]: EMAILS[i % 40]}
    return payload


def _capture(path: Path, n: int = 60, name_keys: bool = True) -> Path:
    lines = [
        json.dumps(
            {
                "topic": "bank.balances",
                "partition": 0,
                "offset": i,
                "ts": 1700000000000 + i,
                "key": CARDS[i % 40],
                "payload": json.dumps(_payload(i, name_keys)),
            }
        )
        for i in range(n)
    ]
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


SPEC = """\
asyncapi: 3.0.0
info:
  title: Balances
  version: 1.0.0
channels:
  balances:
    address: bank.balances
    messages:
      BalanceUpdated:
        name: BalanceUpdated
        payload:
          type: object
          properties:
            type:
              type: string
            pan:
              type: integer
            owner:
              type: string
              enum: [NOBODY]
            city:
              type: string
              enum: [NOWHERE]
            email:
              type: string
              format: uuid
            status:
              type: string
              enum: [OPEN]
            balances:
              type: object
            owners:
              type: object
              additionalProperties: false
          required: [type, pan, owner, missing]
"""


def _leaks(text: str) -> list[str]:
    return sorted({s for s in SECRETS if s in text})


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inferrer", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_capture_itself_is_full_of_secrets(tmp_path: Path) -> None:
    """The leak checks below can fail: the input holds every secret."""
    text = _capture(tmp_path / "c.jsonl").read_text(encoding="utf-8")
    assert _leaks(text) == sorted(set(SECRETS))


def test_the_inferred_document_and_summary_hold_no_secret(tmp_path: Path) -> None:
    capture = _capture(tmp_path / "c.jsonl", name_keys=False)
    for fmt in ("yaml", "json"):
        out = tmp_path / f"doc.{fmt}"
        result = _cli("infer", "--from-file", capture, "-o", out, "--format", fmt, "--summary")
        assert result.returncode == 0, result.stderr
        assert _leaks(out.read_text(encoding="utf-8")) == []
        # ... nor the evidence file written beside it.
        evidence = out.with_name(f"doc{EVIDENCE_SUFFIX}")
        assert evidence.is_file() and _leaks(evidence.read_text(encoding="utf-8")) == []
        assert _leaks(result.stdout + result.stderr) == []


@pytest.mark.parametrize("fmt", ["text", "markdown", "json", "junit", "github", "sarif"])
def test_a_drift_report_holds_no_secret(tmp_path: Path, fmt: str) -> None:
    capture = _capture(tmp_path / "c.jsonl")
    spec = tmp_path / "asyncapi.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    out = tmp_path / f"report.{fmt}"
    result = _cli("diff", "--spec", spec, "--from-file", capture, "--format", fmt, "-o", out)
    assert result.returncode == 1, result.stderr
    text = out.read_text(encoding="utf-8")
    assert _leaks(text) == []
    assert _leaks(result.stdout + result.stderr) == []
    if fmt == "json":
        rules = {f["rule"] for f in json.loads(text)["findings"]}
        # The findings that carry traffic: new enum values, types, map keys, closed models.
        assert {
            "enum-value-new",
            "traffic-type-changed",
            "property-new",
            "property-new-closed-model",
            "format-violation",
            "validation-failure",
        } <= rules


def test_a_map_keyed_topic_report_names_no_key_of_the_traffic(tmp_path: Path) -> None:
    capture = _capture(tmp_path / "c.jsonl")
    spec = tmp_path / "asyncapi.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    result = _cli("diff", "--spec", spec, "--from-file", capture, "--format", "json")
    report = json.loads(result.stdout)
    keys = {k for i in range(60) for k in (*_payload(i)["balances"], *_payload(i)["owners"])}
    text = json.dumps(report)
    assert sorted(k for k in keys if k in text) == []
    found = [
        f
        for f in report["findings"]
        if f["rule"] == "property-new" and "/properties/balances/" in f["pointer"]
    ]
    # All 40 card numbers under `balances` are one finding about the map's keys.
    assert [f["pointer"] for f in found] == [
        "/channels/balances/messages/BalanceUpdated/payload/properties/balances"
        "/additionalProperties"
    ]
    assert found[0]["message"].startswith(
        "bank.balances BalanceUpdated payload /balances/{}: undocumented keys that are data"
    )


def test_saved_observations_hold_no_secret(tmp_path: Path) -> None:
    observed = load_captures(_capture(tmp_path / "c.jsonl", name_keys=False))
    path = tmp_path / "observed.json"
    observed.save(path)
    assert _leaks(path.read_text(encoding="utf-8")) == []
    kept = tmp_path / "kept.json"
    observed.save(kept, keep_values=True)
    assert _leaks(kept.read_text(encoding="utf-8"))  # --keep-values keeps them
