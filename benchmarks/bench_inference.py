"""Inference speed and memory, against plain genson and the broker's raw consume rate.

    .venv/bin/python benchmarks/bench_inference.py [--messages 50000] [--repeats 5]
        [--memory-sizes 100000,2000000] [--no-kafka] [--altered]

On one generated corpus per traffic type (``same``: a few shapes, ``varied``: random
field subsets and types), in one process, it times, interleaved and repeated:

(a) ``json.loads`` + ``genson.SchemaBuilder.add_object`` per message (the baseline),
(b) this engine: ``observe`` (decoding, schema, field statistics) + ``summarize_all``,
    both timed in CPU time of this process (``time.process_time``): the machine is shared,
    and wall time mostly measured the neighbours,
(c) raw consume from a local broker (``tools.devkafka``): produce the ``same``
    corpus, then consume it with ``assign()`` and count messages.

It prints medians and the ratio (b)/(a). Peak memory (``VmHWM``) of the engine is
measured in fresh subprocesses that stream the corpus (no list kept) at each size.
The engine is the compiled core (``crates/inferrer-core``); ``--altered`` times (a) and
(b) on the ``same`` corpus altered in every message (a non-ASCII string value, a
PascalCase property name, a non-ASCII property name). Whole-process figures against
polars-genson are in ``bench_engine.py``.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import genson

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tools/

from corpus import iter_records

from inferrer.inference import observe, summarize_all
from inferrer.records import Record


def run_baseline(records: list[Record]) -> float:
    start = time.process_time()
    builder = genson.SchemaBuilder()
    for r in records:
        assert r.value is not None
        builder.add_object(json.loads(r.value))
    builder.to_schema()
    return time.process_time() - start


def run_engine(records: list[Record]) -> float:
    start = time.process_time()
    summarize_all(observe(records))
    return time.process_time() - start


ALTERED: dict[str, tuple[bytes, bytes]] = {
    "non-ASCII value": (b'"NO"', '"NØ"'.encode()),
    "PascalCase name": (b'"eventId"', b'"EventId"'),
    "non-ASCII name": (b'"eventId"', '"évent"'.encode()),
}
"""The same corpus altered in every message: (bytes, replacement)."""


def altered(kind: str, n: int) -> list[Record]:
    old, new = ALTERED[kind]
    return [
        Record(
            r.topic, r.partition, r.offset, r.timestamp, r.key, (r.value or b"").replace(old, new)
        )
        for r in iter_records("same", n)
    ]


def bench_corpus(kind: str, n: int, repeats: int) -> tuple[float, float]:
    records = altered(kind, n) if kind in ALTERED else list(iter_records(kind, n))
    base: list[float] = []
    engine: list[float] = []
    for _ in range(repeats):  # interleaved, so load on the machine hits both alike
        base.append(n / run_baseline(records))
        engine.append(n / run_engine(records))
    b, e = statistics.median(base), statistics.median(engine)
    print(
        f"{kind:>6}: (a) json.loads+genson {b:>10,.0f} msg/s   (b) engine {e:>10,.0f} msg/s"
        f"   (b)/(a) = {e / b:.2f}x   [runs a: {', '.join(f'{x:,.0f}' for x in base)};"
        f" b: {', '.join(f'{x:,.0f}' for x in engine)}]"
    )
    return b, e


def bench_kafka(n: int, repeats: int) -> float:
    from confluent_kafka import Consumer, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic

    from tools import devkafka

    broker = devkafka.start()
    try:
        topic = f"bench.{uuid.uuid4().hex[:8]}"
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])[
            topic
        ].result(30)
        producer = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 20})
        for r in iter_records("same", n, topic=topic):
            while True:
                try:
                    producer.produce(topic, r.value, r.key, partition=r.partition)
                    break
                except BufferError:
                    producer.poll(0.1)
        producer.flush(60)
        del producer, admin  # close the clients before the broker goes away
        rates = []
        for _ in range(repeats):
            consumer = Consumer(
                {
                    "bootstrap.servers": broker.bootstrap,
                    "group.id": "unused-never-committed",
                    "enable.auto.commit": False,
                    "enable.partition.eof": False,
                }
            )
            consumer.assign([TopicPartition(topic, p, 0) for p in range(3)])
            seen = 0
            start = time.perf_counter()  # wall time: consuming is I/O and client threads
            while seen < n:
                for m in consumer.consume(1000, timeout=5):
                    if m.error() is None:
                        seen += 1
            rates.append(n / (time.perf_counter() - start))
            consumer.close()
        rate = statistics.median(rates)
        runs = ", ".join(f"{x:,.0f}" for x in rates)
        print(f"  raw consume (c): {rate:>10,.0f} msg/s   [runs: {runs}]")
        return rate
    finally:
        broker.stop()


def _peak_mb() -> float:
    # VmHWM, not ru_maxrss: on Linux ru_maxrss survives exec, so a child would report
    # its parent's peak.
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_child(kind: str, n: int) -> None:
    summarize_all(observe(iter_records(kind, 100)))  # warm up imports and caches
    before = _peak_mb()
    start = time.process_time()
    summaries = summarize_all(observe(iter_records(kind, n)))
    elapsed = time.process_time() - start
    out = {"before_mb": before, "peak_mb": _peak_mb(), "seconds": elapsed}
    print(json.dumps(out | {"messages": summaries[0].messages}))


def bench_memory(sizes: list[int]) -> None:
    for kind in ("same", "varied"):
        cells = []
        for n in sizes:
            out = subprocess.run(
                [sys.executable, __file__, "--memory-child", kind, str(n)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            data = json.loads(out)
            assert data["messages"] == n
            cells.append(
                f"{n:>9,} msgs: {data['peak_mb']:6.1f} MB"
                f" (+{data['peak_mb'] - data['before_mb']:.1f} over the warm process)"
            )
        print(f"  peak RSS {kind:>6}: " + "   ".join(cells))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--memory-sizes", default="100000,2000000")
    parser.add_argument("--no-kafka", action="store_true", help="skip the broker (c) run")
    parser.add_argument(
        "--altered",
        action="store_true",
        help="also time the same corpus with a non-ASCII value, PascalCase or non-ASCII name",
    )
    parser.add_argument("--memory-child", nargs=2, metavar=("KIND", "N"), help=argparse.SUPPRESS)
    parser.add_argument("--corpus-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child[0], int(args.memory_child[1]))
        return 0
    print(f"corpus: {args.messages:,} messages per traffic type, {args.repeats} runs, medians")
    for kind in ("same", "varied"):
        bench_corpus(kind, args.messages, args.repeats)
    if args.altered:
        print("the same corpus, altered in every message:")
        for kind in ALTERED:
            bench_corpus(kind, args.messages, args.repeats)
    if args.corpus_only:
        return 0
    if not args.no_kafka:
        bench_kafka(args.messages, 3)
    bench_memory([int(x) for x in args.memory_sizes.split(",")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
