"""The peers that ``bench_engine.py`` times against ``infer-asyncapi``, one per child process.

    python benchmarks/engine_peers.py polars-genson CAPTURE OUT.json
    python benchmarks/engine_peers.py genson CAPTURE OUT.json
    python benchmarks/engine_peers.py consume BOOTSTRAP TOPIC N

``polars-genson``: read the capture (kcat -C -J JSON Lines) with polars, take the
``payload`` column (JSON text) and infer one JSON schema per topic with polars-genson's
``df.genson.infer_json_schema("payload")``. ``genson``: parse each capture line with
``json.loads``, ``json.loads`` its payload and ``genson.SchemaBuilder.add_object`` it, one
builder per topic. Both write ``{topic: schema}`` to OUT.json and print the number of
payloads read. ``consume``: a bare confluent-kafka loop, all partitions of TOPIC assigned at
``OFFSET_BEGINNING``, ``consume(10000)``, ``value()`` touched on each message, until N
messages; prints N. Each mode imports only what it needs, so the peak RSS of the child is
that of the work.
"""

from __future__ import annotations

import json
import sys


def polars_genson(capture: str, out: str) -> int:
    import polars as pl
    import polars_genson  # noqa: F401  (registers the df.genson namespace)

    # Only the two columns the inference needs; the other capture fields are ignored.
    df = pl.read_ndjson(capture, schema={"topic": pl.String, "payload": pl.String})
    df = df.filter(pl.col("payload").is_not_null())
    schemas = {}
    for (topic,), part in df.group_by("topic", maintain_order=True):
        schemas[topic] = part.genson.infer_json_schema("payload")
    with open(out, "w") as fh:
        json.dump(schemas, fh)
    return df.height


def plain_genson(capture: str, out: str) -> int:
    import genson

    builders: dict[str, genson.SchemaBuilder] = {}
    n = 0
    with open(capture, "rb") as fh:
        for line in fh:
            if not line.strip():
                continue
            obj = json.loads(line)
            payload = obj.get("payload")
            if payload is None:
                continue
            builder = builders.get(obj["topic"])
            if builder is None:
                builder = builders[obj["topic"]] = genson.SchemaBuilder()
            builder.add_object(json.loads(payload))
            n += 1
    with open(out, "w") as fh:
        json.dump({t: b.to_schema() for t, b in builders.items()}, fh)
    return n


def consume(bootstrap: str, topic: str, n: int) -> int:
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "bench-engine-unused",  # assign() only: never joins, never commits
            "enable.auto.commit": False,
            "enable.partition.eof": False,
            "log_level": 0,
        }
    )
    partitions = consumer.list_topics(topic, timeout=30).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in sorted(partitions)])
    seen = 0
    size = 0
    while seen < n:
        for msg in consumer.consume(10000, timeout=5):
            if msg.error() is None:
                value = msg.value()
                size += len(value) if value is not None else 0
                seen += 1
    consumer.close()
    return seen


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "polars-genson":
        print(polars_genson(argv[1], argv[2]))
    elif len(argv) == 3 and argv[0] == "genson":
        print(plain_genson(argv[1], argv[2]))
    elif len(argv) == 4 and argv[0] == "consume":
        print(consume(argv[1], argv[2], int(argv[3])))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
