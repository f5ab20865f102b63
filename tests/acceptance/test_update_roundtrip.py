"""``--update`` over a hand-edited, commented YAML file: comments and layout are kept.

With the same traffic the update is a no-op on the file (zero lines change; only the
evidence file beside it is rewritten). With new traffic the new parts are added and every
comment a person wrote stays where it was.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from inferrer.asyncapi.read import load_document
from inferrer.asyncapi.roundtrip import render_update
from tests.bank_helpers import BANK

V1 = BANK / "v1"
V2 = BANK / "v2"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "inferrer", *args], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc


def hand_edited(tmp_path: Path) -> Path:
    spec = tmp_path / "asyncapi.yaml"
    cli("infer", "--from-file", str(V1), "-o", str(spec), "-q")
    text = spec.read_text(encoding="utf-8")
    text = "# Owned by the ledger team. Reviewed 2026-11-30.\n" + text
    text = text.replace(
        "  bank.payments:\n",
        "  # Payments: the contract the settlement service relies on.\n  bank.payments:\n",
    )
    text = text.replace("  title: Inferred Kafka events\n", "  title: Bank events  # renamed\n")
    spec.write_text(text, encoding="utf-8")
    return spec


def test_update_with_the_same_traffic_changes_no_line(tmp_path: Path) -> None:
    spec = hand_edited(tmp_path)
    before = spec.read_text(encoding="utf-8")
    cli("infer", "--from-file", str(V1), "--update", str(spec), "-q")
    assert spec.read_text(encoding="utf-8") == before
    assert (tmp_path / "asyncapi.evidence.json").is_file()


def test_update_with_new_traffic_keeps_every_comment(tmp_path: Path) -> None:
    spec = hand_edited(tmp_path)
    cli("infer", "--from-file", str(V2), "--update", str(spec), "-q")
    text = spec.read_text(encoding="utf-8")
    assert text.startswith("# Owned by the ledger team. Reviewed 2026-11-30.\n")
    assert (
        "  # Payments: the contract the settlement service relies on.\n  bank.payments:\n" in text
    )
    assert "  title: Bank events  # renamed\n" in text
    doc = load_document(spec)
    assert "PaymentRefunded" in doc["components"]["messages"]  # v2's new kind is added
    assert doc["info"]["title"] == "Bank events"


def test_render_update_writes_exactly_the_merged_document(tmp_path: Path) -> None:
    original = "# top\nasyncapi: 3.0.0\ninfo:\n  title: T  # the title\n  version: 1.0.0\n"
    merged = {
        "asyncapi": "3.0.0",
        "info": {"title": "T", "version": "1.0.0", "description": "new"},
        "channels": {"a": {"address": "a", "messages": {}}},
    }
    text = render_update(original, merged, "yaml")
    assert text.startswith("# top\n") and "  title: T  # the title\n" in text
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_document(path) == merged
    assert render_update(original, load_document_text(original, tmp_path), "yaml") == original
    json_text = render_update('{"asyncapi": "3.0.0", "info": {}}', merged, "json")
    assert json_text.startswith("{\n")


def load_document_text(text: str, tmp_path: Path) -> dict[str, object]:
    path = tmp_path / "y.yaml"
    path.write_text(text, encoding="utf-8")
    return load_document(path)


@pytest.mark.npm
def test_the_updated_commented_file_is_valid_asyncapi(tmp_path: Path) -> None:
    spec = hand_edited(tmp_path)
    cli("infer", "--from-file", str(V2), "--update", str(spec), "-q")
    proc = subprocess.run(
        [sys.executable, "-m", "inferrer", "validate", str(spec)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
