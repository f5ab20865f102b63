"""`make demo` end to end: its own broker, the v1 document, the v2 drift report."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bank_helpers import GOLDEN, ROOT, without_servers


@pytest.mark.kafka
@pytest.mark.npm  # the demo validates its document with the official parser
@pytest.mark.registry
def test_demo_infers_the_golden_document_and_reports_the_drift(tmp_path: Path) -> None:
    out = tmp_path / "demo-out"
    proc = subprocess.run(
        [sys.executable, "-m", "tools.demo", "--out", str(out)],
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
    assert without_servers(spec) == without_servers(GOLDEN.read_text())

    report = (out / "drift.md").read_text()
    for line in (
        "bank.payments PaymentInitiated payload /amount: type ['number'] documented, "
        "['string'] seen (70 of 70 values)",
        "topic bank.payments: event kind PaymentRefunded is not documented (9 messages)",
        "bank.cards.transactions CardTransaction payload /merchant/logoUrl: undocumented "
        "property in 160 of 160 messages",
        "bank.accounts.balance-updated BalanceUpdated payload /iban: required but missing "
        "in 160 of 160 messages",
        "bank.offers.personalized OfferPersonalized payload /channel: 12 values outside the "
        "documented enum",
    ):
        assert line in report
    # Only the v2 traffic is compared: every v1 message would validate.
    # The Avro topic (through the registry) moved to writer schema version 2.
    for line in (
        "topic bank.fx.rates: schema id 2 (com.meridianbank.markets.FxRateQuoted) is not "
        "documented (120 messages)",
        "bank.fx.rates FxRate payload /mid: undocumented property in 120 of 120 messages",
        "topic bank.fx.rates: subject bank.fx.rates-value is at version 2, the spec "
        "documents version 1",
    ):
        assert line in report
    assert "5 breaking, 4 non-breaking, 1 info (compatibility BACKWARD)" in report
    assert "validation-failure" not in report  # each cause above is reported once


@pytest.mark.kafka
@pytest.mark.registry
def test_ctrl_c_stops_the_demo_broker(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "tools.demo", "--out", str(tmp_path / "out")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = None
        for line in proc.stdout:
            found = re.search(r"broker up at 127\.0\.0\.1:(\d+)", line)
            if found:
                port = int(found.group(1))
                break
        assert port is not None
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass  # the broker answers
        # Press Ctrl-C, and again every second until the demo stops, as a user would;
        # the demo alone takes about ten seconds, so it must stop well before ending.
        stderr = ""
        for _ in range(30):
            proc.send_signal(signal.SIGINT)
            try:
                _, stderr = proc.communicate(timeout=1)
                break
            except subprocess.TimeoutExpired:
                continue
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130
    assert stderr.endswith("Interrupted; the broker is stopped.\n")
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
