"""What the anomaly checks (duplicate keys, integers beyond 64 bits) cost the decoder.

    .venv/bin/python benchmarks/bench_anomalies.py [--repeats 7]

Times :func:`inferrer.decoding.decode_parts` per record (CPU time of this process),
with the checks and, as the baseline in the same process, with
:func:`~inferrer.decoding.check_payload` replaced by one that finds nothing; runs
interleaved. Corpora: the bank v1 fixtures, the ``same`` benchmark corpus, and two
timestamp-heavy synthetic ones (ISO 8601 strings, whose colons defeat the cheapest
duplicate prefilter; epoch nanoseconds, 19-digit integers that pass the first
big-integer prefilter). Prints medians in µs per record and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from corpus import iter_records

from inferrer import decoding
from inferrer.capture import read_capture
from inferrer.records import Record

ROOT = Path(__file__).resolve().parent.parent


def bank_records() -> list[Record]:
    out: list[Record] = []
    for path in sorted((ROOT / "fixtures" / "bank" / "v1").glob("*.jsonl")):
        out.extend(read_capture(path)[0])
    return out


def timestamp_records(n: int, nanos: bool) -> list[Record]:
    rnd = random.Random(3)
    base = 1_700_000_000_000_000_000
    out = []
    for i in range(n):
        stamps: dict[str, Any] = {}
        for name in ("createdAt", "updatedAt", "bookedAt", "valueDate", "expiresAt", "seenAt"):
            t = base + rnd.randrange(10**15)
            if nanos:
                stamps[name] = t
            else:
                s = time.gmtime(t // 10**9)
                stamps[name] = time.strftime("%Y-%m-%dT%H:%M:%S", s) + f".{i % 1000:03d}Z"
        event = {"id": i, "account": f"acc-{i % 977}", "amount": i * 0.5, **stamps}
        event["audit"] = {"by": "svc", "at": stamps["createdAt"]}
        value = json.dumps(event, separators=(",", ":")).encode()
        out.append(Record("bench.ts", 0, i, None, value=value))
    return out


def time_decoding(records: list[Record]) -> float:
    decode = decoding.decode_parts
    start = time.process_time()
    for r in records:
        decode(r)
    return time.process_time() - start


def no_check(data: bytes, value: Any) -> tuple[Any, str | None]:
    return value, None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    corpora: dict[str, list[Record]] = {
        "bank v1 fixtures": bank_records(),
        "same (benchmark corpus)": list(iter_records("same", 20_000)),
        "ISO timestamps": timestamp_records(20_000, nanos=False),
        "epoch-nanosecond ints": timestamp_records(20_000, nanos=True),
    }
    checked: Callable[[bytes, Any], tuple[Any, str | None]] = decoding.check_payload
    print(f"{'corpus':26} {'records':>8} {'baseline µs':>12} {'checked µs':>11} {'ratio':>6}")
    for name, records in corpora.items():
        base: list[float] = []
        new: list[float] = []
        for _ in range(args.repeats):
            decoding.check_payload = no_check  # type: ignore[assignment]
            base.append(time_decoding(records))
            decoding.check_payload = checked  # type: ignore[assignment]
            new.append(time_decoding(records))
        b, c = statistics.median(base), statistics.median(new)
        n = len(records)
        print(f"{name:26} {n:8} {b / n * 1e6:12.2f} {c / n * 1e6:11.2f} {c / b:6.2f}")


if __name__ == "__main__":
    main()
