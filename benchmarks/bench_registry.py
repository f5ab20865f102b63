"""``infer`` on Schema Registry framed traffic against the same records as JSON.

    python benchmarks/bench_registry.py [file] [--messages 100000] [--repeats 5]
    python benchmarks/bench_registry.py live [--messages 100000] [--repeats 5] [--before EXE]

One topic of payment events (a record with a uuid, a timestamp-millis, a decimal, an
enum, a nullable string, an array of records and a map), written twice: Confluent-framed
Avro with the capture's schema sidecar (``NAME.schemas.json``, as ``record
--schema-registry`` writes it), and the same datums as plain JSON, as the decoder
writes them. Both captures are inferred by whole ``infer-asyncapi`` processes, rounds
interleaved; the table gives median wall and CPU seconds, peak RSS, and the ratio of the
framed run to the JSON run (the issue's target: within 2x).

``live``: a local broker (``tools.devkafka``) and a local registry (``tools.devregistry``)
are started (and stopped); the schema is registered, the framed records and the JSON
records are produced to two topics of 3 partitions, and whole ``infer -b ...
--schema-registry ...`` processes sample the framed topic against ``infer -b ...`` on the
JSON topic. ``--before EXE`` adds another ``infer-asyncapi`` (e.g. an older checkout's)
on the framed topic.
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import io
import json
import random
import statistics
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import fastavro  # noqa: E402
from bench_engine import compile_package, console_script, measure  # noqa: E402

from inferrer.capture import write_capture  # noqa: E402
from inferrer.records import Record  # noqa: E402
from inferrer.registry.client import RegisteredSchema  # noqa: E402
from inferrer.registry.schemas import to_json_bytes  # noqa: E402
from inferrer.registry.sidecar import write_sidecar  # noqa: E402

SCHEMA = {
    "type": "record",
    "name": "Payment",
    "namespace": "com.bank",
    "fields": [
        {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {
            "name": "amount",
            "type": {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2},
        },
        {"name": "currency", "type": {"type": "enum", "name": "Ccy", "symbols": ["EUR", "USD"]}},
        {"name": "memo", "type": ["null", "string"], "default": None},
        {
            "name": "lines",
            "type": {
                "type": "array",
                "items": {
                    "type": "record",
                    "name": "Line",
                    "fields": [{"name": "sku", "type": "string"}, {"name": "qty", "type": "int"}],
                },
            },
        },
        {"name": "labels", "type": {"type": "map", "values": "string"}},
    ],
}


def datums(n: int) -> list[dict[str, Any]]:
    rng = random.Random(7)
    t0 = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    return [
        {
            "id": str(uuid.UUID(int=rng.getrandbits(128))),
            "at": t0 + dt.timedelta(milliseconds=i * 37),
            "amount": decimal.Decimal(rng.randint(1, 10**7)) / 100,
            "currency": rng.choice(["EUR", "USD"]),
            "memo": None if i % 3 else f"memo {i % 17}",
            "lines": [{"sku": f"SKU-{rng.randint(1, 500)}", "qty": rng.randint(1, 9)}]
            * rng.randint(1, 3),
            "labels": {"channel": rng.choice(["web", "app"]), "region": "eu"},
        }
        for i in range(n)
    ]


def write_inputs(folder: Path, n: int) -> tuple[Path, Path]:
    parsed = fastavro.parse_schema(SCHEMA)
    framed_records, json_records = [], []
    for i, datum in enumerate(datums(n)):
        body = io.BytesIO()
        fastavro.schemaless_writer(body, parsed, datum)
        key = f"acc-{i % 1000}".encode()
        ts = 1_772_409_600_000 + i
        framed_records.append(
            Record("bank.payments", i % 3, i // 3, ts, key, b"\0\0\0\0\1" + body.getvalue())
        )
        json_records.append(Record("bank.payments", i % 3, i // 3, ts, key, to_json_bytes(datum)))
    framed_path, json_path = folder / "framed.jsonl", folder / "json.jsonl"
    write_capture(framed_records, framed_path)
    write_sidecar(framed_path, {1: RegisteredSchema("AVRO", json.dumps(SCHEMA))}, [], {})
    write_capture(json_records, json_path)
    return framed_path, json_path


def report(runs: dict[str, list[Any]], title: str) -> None:
    """The table of medians, and each run's ratio to the plain JSON one."""
    print(f"\n{title}\n")
    print("| input | wall s | CPU s | peak RSS MB |")
    print("|---|---|---|---|")
    medians = {}
    for label, out in runs.items():
        wall = statistics.median(r.wall for r in out)
        cpu = statistics.median(r.cpu for r in out)
        rss = statistics.median(r.rss_mb for r in out)
        medians[label] = (wall, cpu)
        print(f"| {label} | {wall:.2f} | {cpu:.2f} | {rss:.0f} |")
    json_wall, json_cpu = medians.pop("plain JSON")
    for label, (wall, cpu) in medians.items():
        print(
            f"\n{label} / JSON: wall {wall / json_wall:.2f}x, CPU {cpu / json_cpu:.2f}x"
            " (target: within 2x)"
        )


def run_rounds(cmds: dict[str, list[str]], repeats: int, folder: Path) -> dict[str, list[Any]]:
    """Each command once per round, the order reversed every other round."""
    runs: dict[str, list[Any]] = {label: [] for label in cmds}
    for round_ in range(repeats):
        order = list(cmds) if round_ % 2 == 0 else list(cmds)[::-1]
        for label in order:
            runs[label].append(measure(cmds[label], folder))
    return runs


def case_file(args: argparse.Namespace, folder: Path) -> None:
    exe = console_script()
    framed, plain = write_inputs(folder, args.messages)
    tail = ["--no-summary", "-o", "/dev/null"]
    cmds = {
        "framed Avro": [exe, "infer", "--from-file", str(framed), *tail],
        "plain JSON": [exe, "infer", "--from-file", str(plain), *tail],
    }
    runs = run_rounds(cmds, args.repeats, folder)
    report(runs, f"{args.messages} messages, one topic, {args.repeats} interleaved rounds")


def case_live(args: argparse.Namespace, folder: Path) -> None:
    from bench_engine import BrokerHandle, create_topics, produce
    from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

    from tools import devregistry

    exe = console_script()
    n, parts = args.messages, 3
    parsed = fastavro.parse_schema(SCHEMA)
    print("starting a local registry (tools.devregistry) ...", file=sys.stderr)
    registry = devregistry.start()
    try:
        with BrokerHandle(None) as bootstrap:
            run = uuid.uuid4().hex[:6]
            framed_topic, json_topic = f"bench.{run}.framed", f"bench.{run}.json"
            with SchemaRegistryClient({"url": registry.url}) as client:
                schema_id = client.register_schema(
                    f"{framed_topic}-value", Schema(json.dumps(SCHEMA), "AVRO")
                )
            create_topics(bootstrap, [framed_topic, json_topic], parts)
            frame = b"\0" + schema_id.to_bytes(4, "big")
            framed_values, json_values = [], []
            for datum in datums(n):
                body = io.BytesIO()
                fastavro.schemaless_writer(body, parsed, datum)
                framed_values.append(frame + body.getvalue())
                json_values.append(to_json_bytes(datum))
            produce(bootstrap, ((framed_topic, i % parts, v) for i, v in enumerate(framed_values)))
            produce(bootstrap, ((json_topic, i % parts, v) for i, v in enumerate(json_values)))

            def infer(cli: str, topic: str, *more: str) -> list[str]:
                return [
                    cli,
                    "infer",
                    "-b",
                    bootstrap,
                    "--topics",
                    topic,
                    "--from",
                    "earliest",
                    "--max-messages",
                    str(n),
                    "--timeout",
                    "120",
                    "--no-summary",
                    "-o",
                    "/dev/null",
                    *more,
                ]

            with_registry = ("--schema-registry", registry.url)
            cmds = {"framed Avro": infer(exe, framed_topic, *with_registry)}
            if args.before:
                cmds["framed Avro (--before)"] = infer(args.before, framed_topic, *with_registry)
            cmds["plain JSON"] = infer(exe, json_topic)
            runs = run_rounds(cmds, args.repeats, folder)
    finally:
        registry.stop()
        print("  registry stopped", file=sys.stderr)
    title = f"live: {n} messages, one topic x {parts} partitions, {args.repeats} interleaved rounds"
    report(runs, title)


def main() -> None:
    compile_package()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("case", nargs="?", choices=["file", "live"], default="file")
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--before", help="live: another infer-asyncapi to time on the framed topic")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-registry-") as tmp:
        (case_live if args.case == "live" else case_file)(args, Path(tmp))


if __name__ == "__main__":
    main()
