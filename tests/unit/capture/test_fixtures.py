"""The bank fixtures: deterministic, loadable, and carrying what the issue asks for."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from inferrer.capture import CaptureStats, iter_capture, read_capture_topics
from inferrer.records import Record

ROOT = Path(__file__).resolve().parents[3]
BANK = ROOT / "fixtures" / "bank"
TOPICS = {
    "bank.accounts.balance-updated",
    "bank.customers.address-changed",
    "bank.payments",
    "bank.cards.transactions",
    "bank.fraud.suspicious-activity",
    "bank.offers.personalized",
    "bank.connect.branches",
    "bank.notifications.push",
    "bank.customers.profile",
    "bank.loans.applications",
    "bank.audit.log",
    "bank.fx.rates",
}


def _load(version: str, topic: str) -> list[Record]:
    stats = CaptureStats()
    records = list(iter_capture(BANK / version / f"{topic}.jsonl", stats=stats))
    assert stats.bad == 0
    return records


def _json_values(records: list[Record]) -> list[dict[str, object]]:
    return [json.loads(r.value) for r in records if r.value is not None]


def test_generator_rewrites_the_committed_files_byte_for_byte(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "fixtures" / "generate.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    committed = sorted(p.relative_to(BANK) for p in BANK.rglob("*") if p.is_file())
    generated = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert generated == committed
    # A capture and its topics sidecar per topic and version, and the Avro topic's
    # schema sidecars.
    assert len(committed) == 2 * 2 * len(TOPICS) + 2
    for rel in committed:
        assert (tmp_path / rel).read_bytes() == (BANK / rel).read_bytes(), rel


def test_fixtures_stay_small() -> None:
    assert sum(p.stat().st_size for p in BANK.rglob("*") if p.is_file()) < 5_000_000


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_every_topic_loads_and_fits_its_sidecar(version: str) -> None:
    files = {p.name.removesuffix(".jsonl") for p in (BANK / version).glob("*.jsonl")}
    assert files == TOPICS
    for topic in sorted(TOPICS):
        records = _load(version, topic)
        assert {r.topic for r in records} == {topic}
        assert len(records) >= (50 if version == "v1" else 25), topic
        meta = read_capture_topics(BANK / version / f"{topic}.jsonl")
        assert list(meta) == [topic]
        assert max(r.partition for r in records) + 1 == meta[topic].partitions
        # Per partition, offsets grow by one and timestamps never go back.
        by_partition: dict[int, list[Record]] = {}
        for r in records:
            by_partition.setdefault(r.partition, []).append(r)
        for rs in by_partition.values():
            assert [r.offset for r in rs] == list(range(rs[0].offset, rs[0].offset + len(rs)))
            stamps = [r.timestamp or 0 for r in rs]
            assert stamps == sorted(stamps)


def test_payments_carry_four_kinds_in_v1_and_a_new_kind_and_string_amounts_in_v2() -> None:
    v1 = _json_values(_load("v1", "bank.payments"))
    v2 = _json_values(_load("v2", "bank.payments"))
    kinds = {"PaymentInitiated", "PaymentAuthorized", "PaymentSettled", "PaymentFailed"}
    assert set(Counter(str(v["eventType"]) for v in v1)) == kinds
    assert set(Counter(str(v["eventType"]) for v in v2)) == kinds | {"PaymentRefunded"}
    assert {type(v["amount"]) for v in v1 if "amount" in v} == {float}
    assert {type(v["amount"]) for v in v2 if "amount" in v} == {str}
    # Optional fields: present on some events of a kind, absent on others.
    initiated = [v for v in v1 if v["eventType"] == "PaymentInitiated"]
    assert 0 < sum("reference" in v for v in initiated) < len(initiated)


def test_v2_drift_on_cards_accounts_and_offers() -> None:
    cards1 = _json_values(_load("v1", "bank.cards.transactions"))
    cards2 = _json_values(_load("v2", "bank.cards.transactions"))
    assert not any("logoUrl" in v["merchant"] for v in cards1)
    assert all(str(v["merchant"]["logoUrl"]).startswith("https://") for v in cards2)
    assert all("iban" in v for v in _json_values(_load("v1", "bank.accounts.balance-updated")))
    assert not any("iban" in v for v in _json_values(_load("v2", "bank.accounts.balance-updated")))
    channels1 = {v["channel"] for v in _json_values(_load("v1", "bank.offers.personalized"))}
    channels2 = {v["channel"] for v in _json_values(_load("v2", "bank.offers.personalized"))}
    assert channels2 - channels1 == {"WATCH"}


def test_balances_are_maps_keyed_by_currency() -> None:
    values = _json_values(_load("v1", "bank.accounts.balance-updated"))
    keys = {k for v in values for k in v["balances"]}
    assert keys == {"GBP", "EUR", "USD"}
    assert any(len(v["balances"]) > 1 for v in values)


def test_compacted_profile_topic_has_tombstones_and_keys_everywhere() -> None:
    records = _load("v1", "bank.customers.profile")
    meta = read_capture_topics(BANK / "v1" / "bank.customers.profile.jsonl")
    assert meta["bank.customers.profile"].configs["cleanup.policy"] == "compact"
    assert any(r.value is None for r in records)
    assert all(r.key for r in records)


def test_wire_format_topic_has_magic_byte_and_schema_id() -> None:
    for r in _load("v1", "bank.loans.applications"):
        assert r.value is not None
        assert r.value[0] == 0
        assert int.from_bytes(r.value[1:5], "big") == 100_017
        assert json.loads(r.value[5:])["applicationId"]
    line = (BANK / "v1" / "bank.loans.applications.jsonl").read_text().splitlines()[0]
    assert "payload_b64" in json.loads(line)


def test_connect_cloudevents_plain_text_and_json_keys() -> None:
    branch = _load("v1", "bank.connect.branches")[0]
    envelope = json.loads(branch.value or b"")
    assert set(envelope) == {"schema", "payload"}
    optional = {f["field"]: f["optional"] for f in envelope["schema"]["fields"]}
    assert optional["address_line2"] is True and optional["branch_id"] is False
    assert json.loads(branch.key or b"")["payload"] == envelope["payload"]["branch_id"]

    push = _load("v1", "bank.notifications.push")[0]
    names = [name for name, _ in push.headers]
    assert {"ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time"} <= set(names)
    assert dict(push.headers)["ce_specversion"] == b"1.0"

    audit = _load("v1", "bank.audit.log")
    assert all(r.key is None for r in audit)
    with pytest.raises(json.JSONDecodeError):
        json.loads(audit[0].value or b"")

    card = _load("v1", "bank.cards.transactions")[0]
    assert set(json.loads(card.key or b"")) == {"cardId", "accountId"}


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_replayed_fixtures_survive_time_retention(version: str) -> None:
    # The fixtures' timestamps are fixed in 2026; a topic with default retention
    # (7 days) would have them deleted by the broker soon after a replay.
    for path in sorted((BANK / version).glob("*.jsonl")):
        for meta in read_capture_topics(path).values():
            configs = meta.configs
            if configs.get("cleanup.policy") == "compact":
                continue
            retention = int(configs["retention.ms"])
            assert retention == -1 or retention >= 7 * 365 * 86_400_000, meta.name
