"""The bank fixtures and their golden document, for tests that run them through Kafka.

Tests share one broker, so they replay the fixtures under a fresh topic prefix;
:func:`prefixed` gives the golden document those topic names.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from inferrer.kafka.replay import replay_capture

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "fixtures" / "bank"
V1 = sorted((BANK / "v1").glob("*.jsonl"))
V2 = sorted((BANK / "v2").glob("*.jsonl"))
GOLDEN = ROOT / "fixtures" / "golden" / "bank-v1.asyncapi.yaml"
V1_RECORDS = 2723

# A topic name starts at "bank." not preceded by a name character, so that
# "com.meridianbank.notification..." (a CloudEvents type) is left alone.
_TOPIC_START = re.compile(r"(?<![\w.-])bank\.")


def fresh_prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}."


def prefixed(text: str, prefix: str) -> str:
    """The golden document text, as it reads for topics replayed under ``prefix``."""
    return _TOPIC_START.sub(prefix + "bank.", text)


def without_servers(text: str) -> str:
    """Drop the top-level ``servers:`` block (the sampled broker's address, which a
    document inferred from capture files cannot have) and ``info.description`` (which
    says where the traffic came from)."""
    out: list[str] = []
    skipping = False
    for line in text.splitlines(keepends=True):
        if line.startswith("  description: ") and "Inferred by inferrer from " in line:
            continue
        if line.startswith("servers:"):
            skipping = True
            continue
        if skipping and line.startswith((" ", "-")):
            continue
        skipping = False
        out.append(line)
    return "".join(out)


def replay_bank(bootstrap: str, files: list[Path], prefix: str) -> None:
    report = replay_capture(files, {"bootstrap.servers": bootstrap}, topic_prefix=prefix)
    assert report.failed == 0, report
