"""``watch`` as whole processes: one instance against a bare consume loop, two against one.

    python benchmarks/bench_watch.py [--messages 1000000] [--partitions 6] [--repeats 3]
                                     [--bootstrap HOST:PORT]

One topic of small JSON messages (the ``small`` corpus of ``bench_engine.py live``) is
read from the beginning by

* ``bare``: the bare confluent-kafka loop of ``engine_peers.py consume`` (assign, consume
  10000 at a time, touch each value), timed from start to exit;
* ``watch x1``: one ``infer-asyncapi watch --from earliest`` process (its own group,
  snapshots to a folder every 60 s and at the end), timed from start until its status
  (``--status-port``) shows every message folded; the steady rate is counted from its
  first partition assignment, so the group join is shown apart;
* ``watch x2``: two such processes in one group, started together, until their counts
  add up to every message;
* ``watch x1, snapshot every 1s``: the cost of frequent snapshots on the rate;
* ``infer``: ``infer-asyncapi --from earliest --max-messages N`` over the same topic (the
  same engine, a read-only sample), timed from start to exit, for reference.

Rounds are interleaved (the order rotates). For each watch run it prints the peak RSS
(``VmHWM``) and the last snapshot's size and time. Medians go to stdout as Markdown.
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_engine import (  # noqa: E402
    PEERS,
    BrokerHandle,
    compile_package,
    console_script,
    create_topics,
    iter_payloads,
    measure,
    produce,
)

from tools.devkafka import free_port  # noqa: E402


@dataclass
class WatchRun:
    label: str
    wall: float
    """Start of the processes until every message is folded."""
    steady: float
    """First assignment until every message is folded."""
    rss_mb: float
    snapshot_s: float
    snapshot_kb: float
    messages: int


def _status(port: int) -> dict[str, object] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
            body: dict[str, object] = json.loads(r.read())
            return body
    except OSError:
        return None


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_watch(
    cli: str, bootstrap: str, topic: str, n: int, instances: int, interval: str, workdir: Path
) -> WatchRun:
    group = f"bench-watch-{uuid.uuid4().hex[:8]}"
    snaps = Path(tempfile.mkdtemp(dir=workdir))
    ports = [free_port() for _ in range(instances)]
    began = time.perf_counter()
    procs = [
        subprocess.Popen(
            [
                cli,
                "watch",
                *("-b", bootstrap, "--topics", topic, "--group", group, "--from", "earliest"),
                *("--snapshot-dir", str(snaps), "--snapshot-interval", interval),
                *("--status-port", str(port), "--status-interval", "0", "-q"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    first_assigned: float | None = None
    statuses: list[dict[str, object] | None] = [None] * instances
    try:
        deadline = began + 600
        while True:
            statuses = [_status(p) for p in ports]
            now = time.perf_counter()
            if first_assigned is None and any(s and s["assigned"] for s in statuses):
                first_assigned = now
            done = sum(int(s["messages"]) for s in statuses if s)  # type: ignore[call-overload]
            if done >= n:
                break
            if now > deadline or any(p.poll() is not None for p in procs):
                raise SystemExit(f"watch did not read {n} messages: {statuses}")
            time.sleep(0.02)
        end = time.perf_counter()
        rss = max(_peak_rss_mb(p.pid) for p in procs)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(60)
    # The last snapshot (taken as each left) is in the files; its cost in the status
    # before leaving is that of the latest periodic or revoke-time one.
    sizes = [f.stat().st_size for f in snaps.rglob("*.json")]
    snap_s = max(float(s["last_snapshot_seconds"]) for s in statuses if s)  # type: ignore[arg-type]
    return WatchRun(
        label="",
        wall=end - began,
        steady=end - (first_assigned or began),
        rss_mb=rss,
        snapshot_s=snap_s,
        snapshot_kb=sum(sizes) / 1024,
        messages=done,
    )


def main(argv: list[str] | None = None) -> int:
    compile_package()
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--messages", type=int, default=1_000_000)
    p.add_argument("--partitions", type=int, default=6)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--bootstrap")
    args = p.parse_args(argv)
    n, parts = args.messages, args.partitions
    cli = console_script()
    topic = f"watch.{uuid.uuid4().hex[:6]}.small"
    with BrokerHandle(args.bootstrap) as bootstrap, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        create_topics(bootstrap, [topic], parts)
        produce(bootstrap, ((topic, i % parts, v) for i, v in enumerate(iter_payloads("small", n))))
        print(f"produced {n:,} messages into {parts} partitions", file=sys.stderr)
        bare: list[float] = []
        infer: list[float] = []
        watches: dict[str, list[WatchRun]] = {}
        kinds = [("watch x1", 1, "60s"), ("watch x2", 2, "60s"), ("watch x1, snapshot 1s", 1, "1s")]
        contenders = ["bare", "infer", *(k[0] for k in kinds)]
        for rnd in range(args.repeats):
            shift = rnd % len(contenders)
            for label in [*contenders[shift:], *contenders[:shift]]:
                if label == "bare":
                    run = measure(
                        [sys.executable, str(PEERS), "consume", bootstrap, topic, str(n)], workdir
                    )
                    bare.append(run.wall)
                    print(
                        f"  [{rnd + 1}] bare: {run.wall:.2f}s rss {run.rss_mb:.0f}MB",
                        file=sys.stderr,
                    )
                    continue
                if label == "infer":
                    out = workdir / "infer.yaml"
                    run = measure(
                        [
                            cli,
                            "--topics",
                            topic,
                            "-b",
                            bootstrap,
                            "--from",
                            "earliest",
                            "--max-messages",
                            str(n),
                            "--timeout",
                            "10m",
                            "-o",
                            str(out),
                            "-q",
                        ],
                        workdir,
                    )
                    infer.append(run.wall)
                    print(
                        f"  [{rnd + 1}] infer: {run.wall:.2f}s rss {run.rss_mb:.0f}MB",
                        file=sys.stderr,
                    )
                    continue
                _, instances, interval = next(k for k in kinds if k[0] == label)
                w = run_watch(cli, bootstrap, topic, n, instances, interval, workdir)
                w.label = label
                watches.setdefault(label, []).append(w)
                print(
                    f"  [{rnd + 1}] {label}: wall {w.wall:.2f}s steady {w.steady:.2f}s "
                    f"rss {w.rss_mb:.0f}MB snapshot {w.snapshot_s * 1000:.1f}ms "
                    f"{w.snapshot_kb:.1f}KB messages {w.messages}",
                    file=sys.stderr,
                )
    bare_wall = statistics.median(bare)
    print(f"\n### watch: {n:,} small JSON messages, one topic x {parts} partitions\n")
    print(
        "| process | wall s (start to last message) | rate | steady rate (from first assignment) "
        "| ratio to bare loop (wall) | peak RSS MB | last snapshot |"
    )
    print("|---|---|---|---|---|---|---|")
    print(
        f"| bare confluent-kafka loop | {bare_wall:.2f} | {n / bare_wall:,.0f} msg/s "
        "| - | 1.00x | - | - |"
    )
    infer_wall = statistics.median(infer)
    print(
        f"| infer-asyncapi --from earliest (read-only sample) | {infer_wall:.2f} "
        f"| {n / infer_wall:,.0f} msg/s | - | {bare_wall / infer_wall:.2f}x | - | - |"
    )
    for label, runs in watches.items():
        wall = statistics.median(r.wall for r in runs)
        steady = statistics.median(r.steady for r in runs)
        print(
            f"| {label} | {wall:.2f} | {n / wall:,.0f} msg/s | {n / steady:,.0f} msg/s "
            f"| {bare_wall / wall:.2f}x | {statistics.median(r.rss_mb for r in runs):.0f} "
            f"| {statistics.median(r.snapshot_s for r in runs) * 1000:.1f} ms, "
            f"{statistics.median(r.snapshot_kb for r in runs):.1f} KB |"
        )
    print("\nraw: bare " + " ".join(f"{w:.2f}" for w in bare))
    print("raw: infer " + " ".join(f"{w:.2f}" for w in infer))
    for label, runs in watches.items():
        print(f"raw: {label} wall " + " ".join(f"{r.wall:.2f}" for r in runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
