"""`make demo` end to end: its own broker, the v1 document, the v2 drift report."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bank_helpers import GOLDEN, ROOT, without_servers


@pytest.mark.kafka
def test_demo_infers_the_golden_document_and_reports_the_drift(tmp_path: Path) -> None:
    out = tmp_path / "demo-out"
    proc = subprocess.run(
        [sys.executable, "-m", "inferrer.demo", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    steps = re.findall(r"^\[(\d)/6\] ", proc.stdout, flags=re.MULTILINE)
    assert steps == ["1", "2", "3", "4", "5", "6"]
    assert "$ infer-asyncapi --topics 'bank.*' -b 127.0.0.1:" in proc.stdout
    assert "--from 2026-03-16T07:00:00Z --format markdown" in proc.stdout
    assert re.search(r"^Demo finished in \d+\.\ds\.$", proc.stdout, flags=re.MULTILINE)

    # Unprefixed topics on a broker of its own: the golden document, but for the server.
    spec = (out / "asyncapi.yaml").read_text()
    assert "servers:" in spec
    assert without_servers(spec) == GOLDEN.read_text()

    report = (out / "drift.md").read_text()
    for line in (
        "bank.payments PaymentInitiated payload /amount: type ['number'] documented, "
        "['string'] seen (70 of 70 values)",
        "topic bank.payments: event kind PaymentRefunded is not documented (9 messages)",
        "bank.cards.transactions Transactions payload /merchant/logoUrl: undocumented "
        "property in 160 of 160 messages",
        "bank.accounts.balance-updated BalanceUpdated payload /iban: required but missing "
        "in 160 of 160 messages",
        "bank.offers.personalized Personalized payload /channel: 12 values outside the "
        "documented enum",
    ):
        assert line in report
    # Only the v2 traffic is compared: every v1 message would validate.
    assert "9 breaking, 2 non-breaking, 0 info (compatibility BACKWARD)" in report
