"""Sampler speed on the local broker.

1. Many topics: create N topics x 3 partitions with traffic, then time sampling
   1,000 messages from each (all topics in one run). Baseline in the same process:
   sampling one of those topics alone, so the ratio shows how far reading is
   concurrent (100 topics should cost far less than 100 x one).
2. Raw consume rate: one topic holding M small messages, read end to end by
   ``sample_topics`` (records built), against a bare confluent_kafka consume loop
   (no records) in the same process.

Usage::

    python benchmarks/bench_sampler.py                       # 100 topics, 1M messages
    python benchmarks/bench_sampler.py --messages 200000 --runs 3
    python benchmarks/bench_sampler.py --bootstrap 127.0.0.1:9092

Prints medians.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
from inferrer.kafka.config import build_client_config
from inferrer.kafka.sampler import SampleConfig, StartPosition, sample_topics
from tools import devkafka


def create(bootstrap: str, names: list[str], partitions: int) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(n, partitions, 1) for n in names]).values():
        future.result(60)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        md = admin.list_topics(timeout=10)
        if all(
            n in md.topics and all(p.leader >= 0 for p in md.topics[n].partitions.values())
            for n in names
        ):
            return
        time.sleep(0.2)
    raise SystemExit("topics did not get leaders in time")


def fill(bootstrap: str, names: list[str], per_topic: int) -> None:
    producer = Producer(
        {"bootstrap.servers": bootstrap, "linger.ms": 20, "batch.num.messages": 10000}
    )
    for name in names:
        for i in range(per_topic):
            value = b'{"id":%d,"kind":"PaymentSettled","amount":%d.25,"currency":"EUR"}' % (i, i)
            while True:
                try:
                    producer.produce(name, value=value, key=b"acct-%d" % (i % 97))
                    break
                except BufferError:
                    producer.poll(0.05)
            if i % 20000 == 0:
                producer.poll(0)
    if producer.flush(300) != 0:
        raise SystemExit("producer did not flush")


def time_sample(config: SampleConfig, expect: int) -> float:
    began = time.perf_counter()
    result = sample_topics(config)
    elapsed = time.perf_counter() - began
    got = sum(len(r) for r in result.records.values())
    if got != expect:
        raise SystemExit(f"sampled {got} messages, expected {expect}")
    return elapsed


def time_raw_consume(bootstrap: str, topic: str, expect: int) -> float:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "bench-unused",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "fetch.wait.max.ms": 100,  # as the sampler sets it
        }
    )
    began = time.perf_counter()
    consumer.assign([TopicPartition(topic, 0, 0)])
    got = 0
    done = False
    while not done:
        for msg in consumer.consume(10000, 1.0):
            err = msg.error()
            if err is None:
                got += 1
            elif err.code() == KafkaError._PARTITION_EOF:
                done = True
    elapsed = time.perf_counter() - began
    consumer.close()
    if got != expect:
        raise SystemExit(f"raw loop read {got} messages, expected {expect}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", help="use this broker instead of starting one")
    parser.add_argument("--topics", type=int, default=100, help="topics for part 1 (100)")
    parser.add_argument("--per-topic", type=int, default=1500, help="messages per topic (1500)")
    parser.add_argument("--messages", type=int, default=1_000_000, help="part 2 size (1M)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure (5)")
    args = parser.parse_args()

    broker = None
    bootstrap = args.bootstrap
    if bootstrap is None:
        broker = devkafka.start()
        bootstrap = broker.bootstrap
    try:
        client = build_client_config(bootstrap, environ={})
        run = uuid.uuid4().hex[:6]
        prefix = f"bench.{run}.many"
        names = [f"{prefix}.{i:03d}" for i in range(args.topics)]
        t0 = time.perf_counter()
        create(bootstrap, names, 3)
        fill(bootstrap, names, args.per_topic)
        print(
            f"setup: {args.topics} topics x 3 partitions x {args.per_topic} messages "
            f"in {time.perf_counter() - t0:.1f}s",
            file=sys.stderr,
        )
        many = SampleConfig(client=client, topics=(prefix + ".*",), max_messages=1000)
        one = SampleConfig(client=client, topics=(names[0],), max_messages=1000)
        time_sample(many, 1000 * args.topics)  # warm-up
        many_s = statistics.median(time_sample(many, 1000 * args.topics) for _ in range(args.runs))
        one_s = statistics.median(time_sample(one, 1000) for _ in range(args.runs))
        print(f"sample 1,000 from each of {args.topics} topics: median {many_s:.2f}s")
        print(f"baseline, 1 topic alone:                   median {one_s:.3f}s")
        print(
            f"ratio {args.topics} topics / 1 topic: {many_s / one_s:.1f}x "
            f"(sequential would be {args.topics}x)"
        )

        big = f"bench.{run}.big"
        t0 = time.perf_counter()
        create(bootstrap, [big], 1)
        fill(bootstrap, [big], args.messages)
        print(
            f"setup: {args.messages} messages in {time.perf_counter() - t0:.1f}s", file=sys.stderr
        )
        whole = SampleConfig(
            client=client,
            topics=(big,),
            max_messages=args.messages,
            start=StartPosition("earliest"),
            timeout=600,
        )
        runs = max(1, min(args.runs, 3))
        sampler_s = statistics.median(time_sample(whole, args.messages) for _ in range(runs))
        raw_s = statistics.median(
            time_raw_consume(bootstrap, big, args.messages) for _ in range(runs)
        )
        print(
            f"read {args.messages:,} messages with sample_topics: median {sampler_s:.2f}s "
            f"= {args.messages / sampler_s:,.0f} msg/s"
        )
        print(
            f"baseline, bare consume loop:               median {raw_s:.2f}s "
            f"= {args.messages / raw_s:,.0f} msg/s"
        )
        print(f"ratio sampler / bare loop time: {sampler_s / raw_s:.2f}x")
    finally:
        if broker is not None:
            broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
