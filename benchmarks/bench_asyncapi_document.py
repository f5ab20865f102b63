"""Time to build and write the AsyncAPI document for a large estate.

Prints medians of: build_document, dump_document as YAML and as JSON, and the ratio of
each to the JSON dump (the baseline, run in the same process).

    .venv/bin/python benchmarks/bench_asyncapi_document.py
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from inferrer.asyncapi.build import DocumentOptions, build_document
from inferrer.asyncapi.io import dump_document
from inferrer.model import KindSummary, TopicMetadata, TopicSummary

TOPICS = 200
KINDS = 5


def estate() -> tuple[list[TopicSummary], dict[str, TopicMetadata]]:
    summaries = []
    metadata = {}
    for t in range(TOPICS):
        topic = f"estate.topic-{t:03d}"
        kinds = []
        for k in range(KINDS):
            properties = {f"field{i}": {"type": "string", "format": "email"} for i in range(12)}
            example = {f"field{i}": f"person{i}@corp.example" for i in range(12)}
            kinds.append(
                KindSummary(
                    name=f"Event{k}",
                    count=100,
                    payload_schema={"type": "object", "properties": properties},
                    discriminator_field="type",
                    discriminator_value=f"Event{k}",
                    examples=(example, example),
                )
            )
        summaries.append(TopicSummary(topic=topic, messages=500, kinds=tuple(kinds)))
        metadata[topic] = TopicMetadata(topic, 6, 3, consumer_groups=("g1", "g2"))
    return summaries, metadata


def median_seconds(fn: Callable[[], Any], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    summaries, metadata = estate()
    doc = build_document(summaries, metadata, DocumentOptions())
    baseline = median_seconds(lambda: dump_document(doc, "json"))
    results = {
        "dump_document json (baseline)": baseline,
        "build_document": median_seconds(
            lambda: build_document(summaries, metadata, DocumentOptions())
        ),
        "dump_document yaml": median_seconds(lambda: dump_document(doc, "yaml")),
    }
    print(f"{TOPICS} topics x {KINDS} kinds, 12 fields, 2 examples each")
    for name, seconds in results.items():
        print(f"{name:32s} median {seconds * 1000:8.1f} ms  ratio {seconds / baseline:6.2f}")


if __name__ == "__main__":
    main()
