"""``infer --from-file`` on Schema Registry framed traffic against the same records as JSON.

    python benchmarks/bench_registry.py [--messages 100000] [--repeats 5]

One topic of payment events (a record with a uuid, a timestamp-millis, a decimal, an
enum, a nullable string, an array of records and a map), written twice: Confluent-framed
Avro with the capture's schema sidecar (``NAME.schemas.json``, as ``record
--schema-registry`` writes it), and the same datums as plain JSON, as the decoder
writes them. Both captures are inferred by whole ``infer-asyncapi`` processes, rounds
interleaved; the table gives median wall and CPU seconds, peak RSS, and the ratio of the
framed run to the JSON run (the issue's target: within 2x).
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
from bench_engine import console_script, measure  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    exe = console_script()
    with tempfile.TemporaryDirectory(prefix="bench-registry-") as tmp:
        folder = Path(tmp)
        framed, plain = write_inputs(folder, args.messages)
        runs: dict[str, list[Any]] = {"framed Avro": [], "plain JSON": []}
        for round_ in range(args.repeats):
            order = list(runs.items()) if round_ % 2 == 0 else list(runs.items())[::-1]
            for label, out in order:
                capture = framed if label == "framed Avro" else plain
                cmd = [exe, "infer", "--from-file", str(capture), "--no-summary", "-o", "/dev/null"]
                out.append(measure(cmd, folder))
        print(f"\n{args.messages} messages, one topic, {args.repeats} interleaved rounds\n")
        print("| input | wall s | CPU s | peak RSS MB |")
        print("|---|---|---|---|")
        medians = {}
        for label, out in runs.items():
            wall = statistics.median(r.wall for r in out)
            cpu = statistics.median(r.cpu for r in out)
            rss = statistics.median(r.rss_mb for r in out)
            medians[label] = (wall, cpu)
            print(f"| {label} | {wall:.2f} | {cpu:.2f} | {rss:.0f} |")
        wall_ratio = medians["framed Avro"][0] / medians["plain JSON"][0]
        cpu_ratio = medians["framed Avro"][1] / medians["plain JSON"][1]
        print(f"\nframed / JSON: wall {wall_ratio:.2f}x, CPU {cpu_ratio:.2f}x (target: within 2x)")


if __name__ == "__main__":
    main()
