"""Throughput of diff_observed on conforming traffic: messages per second, median of runs.

Baseline in the same process: the same messages validated one by one with jsonschema
(the naive approach the bounded validation replaces).

    PYTHONPATH=. .venv/bin/python benchmarks/bench_drift_observed.py
"""

from __future__ import annotations

import statistics
import time
import uuid
from typing import Any

import jsonschema

from inferrer.drift.options import DiffOptions
from inferrer.drift.traffic import diff_observed
from inferrer.model import DecodedMessage, TopicSummary
from tests.drift_helpers import order_spec, payload_of

N = 20_000
RUNS = 5


def order(i: int) -> dict[str, Any]:
    value: dict[str, Any] = {
        "type": "OrderPlaced",
        "orderId": str(uuid.UUID(int=i)),
        "amount": 10.5 + i,
        "status": "NEW" if i % 2 else "PAID",
        "lines": [{"sku": f"SKU-{i}", "qty": 1 + i % 3}, {"sku": "X", "qty": 2}],
    }
    if i % 3 == 0:
        value["coupon"] = f"C{i}"
    return value


def main() -> None:
    spec = order_spec()
    messages = [
        DecodedMessage(
            "shop.orders",
            i % 3,
            i,
            None,
            True,
            value=order(i),
            key=f"c{i}",
            key_encoding="text",
            headers={"traceparent": "00-ab"},
            kind="OrderPlaced",
        )
        for i in range(N)
    ]
    summaries = [TopicSummary(topic="shop.orders", messages=N, kinds=())]
    validator = jsonschema.Draft7Validator(payload_of(spec))

    def drift() -> None:
        report = diff_observed(spec, summaries, None, messages, DiffOptions())
        assert not report.findings

    def naive() -> None:
        for m in messages:
            assert not list(validator.iter_errors(m.value))

    results = {}
    for name, fn in (("naive jsonschema per message", naive), ("diff_observed", drift)):
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        results[name] = statistics.median(times)
        print(f"{name:32s} median {results[name]:.3f}s  {N / results[name]:,.0f} msg/s")
    ratio = results["naive jsonschema per message"] / results["diff_observed"]
    print(f"ratio naive/diff_observed: {ratio:.2f}")


if __name__ == "__main__":
    main()
