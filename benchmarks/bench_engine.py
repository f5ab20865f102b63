"""Whole-process benchmarks: ``infer-asyncapi`` against its peers, each run a fresh child.

    python benchmarks/bench_engine.py file [--messages 100000] [--repeats 5]
    python benchmarks/bench_engine.py diff [--messages 100000] [--repeats 5]
    python benchmarks/bench_engine.py live [--messages 1000000] [--flat-sizes 100000,2000000]
    python benchmarks/bench_engine.py wide [--sizes 100,500,2000] [--per-topic 100]
    python benchmarks/bench_engine.py maps [--flat-sizes 100000,2000000]
    python benchmarks/bench_engine.py shapes [--flat-sizes 100000,2000000]
    python benchmarks/bench_engine.py all  [...]                 # the six in turn

Every command timed is a whole process (the venv's ``infer-asyncapi`` console script, or a
peer from ``engine_peers.py``), started through a tiny launcher that forks it and reaps it
with ``os.wait4``: CPU time = user + sys of the child (all its threads), peak RSS =
``ru_maxrss`` of the child, wall time = fork to reap. (The launcher is there because on
Linux a child's ``ru_maxrss`` starts at its parent's footprint at fork time, and this
script holds a Kafka client and the corpora: forking from a ~5 MB launcher keeps that
floor below any Python child's own size.) Peers run side by side in the same run,
interleaved (the order rotates each round), ``--repeats`` rounds after ``--warmup``
untimed ones; the tables give medians and ratios, then every raw run. ``--json FILE``
also writes all of it as JSON.

* ``file``: deterministic captures (kcat -C -J JSON Lines, one topic) of the ``same`` and
  ``varied`` corpora (``corpus.py``); ``infer-asyncapi infer --from-file`` against
  polars-genson and ``json.loads`` + ``genson.SchemaBuilder`` over the same file.
* ``diff``: ``infer-asyncapi diff --spec OUT.yaml --from-file CAPTURE`` against
  ``infer-asyncapi infer --from-file CAPTURE`` (the spec is the one infer wrote).
* ``live``: a local broker (``tools.devkafka``, or ``--bootstrap``), one topic of
  ``--messages`` small JSON messages; ``infer-asyncapi --from earliest --max-messages N``
  against a bare confluent-kafka consume loop; then peak RSS of infer at each of
  ``--flat-sizes`` on that topic and on one whose objects are keyed by ever-new IDs.
* ``maps``: captures of ``--flat-sizes`` messages whose objects are keyed by ever-new ids
  of no known key shape (``s-0a3f9c``, ``WH-0000042``: maps only by key statistics);
  peak RSS and wall of ``infer-asyncapi infer --from-file`` at each size (flat: the paths
  collapse into one value node past 1000 distinct keys).
* ``shapes``: captures of ``--flat-sizes`` envelope messages whose key sets are ever new
  (top level and record, no known discriminator); peak RSS and wall of
  ``infer-asyncapi infer --from-file`` at each size (flat: past 256 shapes the shape
  groups are those of the top-level key sets, past 256 of those one group).
* ``wide``: 100, 500, 2000 topics x 3 partitions x 100 messages (created incrementally),
  ``infer-asyncapi --topics 'wide.RUN.*' --max-messages 100`` (per topic) per size.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # tools/

from corpus import iter_payloads  # noqa: E402

PEERS = HERE / "engine_peers.py"

_LAUNCHER = """\
import os, sys, time
out = sys.argv[1]
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execv(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - t0
with open(out, "w") as fh:
    fh.write("%r %r %r %r %r" % (os.waitstatus_to_exitcode(status), wall, ru.ru_utime,
                                 ru.ru_stime, ru.ru_maxrss))
"""
"""Forks the command from a ~5 MB Python (``-I -S``), reaps it with ``wait4`` and writes
exit code, wall seconds, user and sys seconds and ``ru_maxrss`` (KiB) to a file."""


# ---------------------------------------------------------------- running children


@dataclass
class Run:
    """One timed child process."""

    case: str
    label: str
    round: int
    wall: float
    cpu: float
    user: float
    sys: float
    rss_mb: float
    rc: int
    note: str = ""


@dataclass
class Results:
    runs: list[Run] = field(default_factory=list)
    tables: list[dict[str, object]] = field(default_factory=list)
    meta: dict[str, object] = field(default_factory=dict)


class ChildFailed(RuntimeError):
    pass


def console_script() -> str:
    """The venv's ``infer-asyncapi`` (beside this interpreter), else the one on PATH."""
    here = Path(sys.executable).parent / "infer-asyncapi"
    if here.exists():
        return str(here)
    found = shutil.which("infer-asyncapi")
    if found is None:
        raise SystemExit("infer-asyncapi is not installed (pip install -e .)")
    return found


def measure(cmd: Sequence[str], workdir: Path, ok_codes: tuple[int, ...] = (0,)) -> Run:
    """Run ``cmd`` as a child of the launcher; return its figures (case/label left blank)."""
    exe = cmd[0] if os.path.isabs(cmd[0]) else shutil.which(cmd[0]) or cmd[0]
    result = workdir / "rusage.txt"
    stdout, stderr = workdir / "child.out", workdir / "child.err"
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        subprocess.run(
            [sys.executable, "-I", "-S", "-c", _LAUNCHER, str(result), exe, *cmd[1:]],
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            check=True,
        )
    rc_s, wall_s, user_s, sys_s, rss_s = result.read_text().split()
    rc = int(rc_s)
    if rc not in ok_codes:
        tail = stderr.read_text(errors="replace").strip().splitlines()[-5:]
        raise ChildFailed(f"exit {rc}: {' '.join(cmd)}\n  " + "\n  ".join(tail))
    user, system = float(user_s), float(sys_s)
    return Run("", "", 0, float(wall_s), user + system, user, system, int(rss_s) / 1024, rc)


def child_stdout(workdir: Path) -> str:
    return (workdir / "child.out").read_text(errors="replace")


Check = Callable[[Path], str]
"""Looks at the child's output after a run; returns a note, raises ChildFailed when wrong."""


@dataclass
class Contender:
    label: str
    cmd: list[str]
    check: Check | None = None
    ok_codes: tuple[int, ...] = (0,)


def interleave(
    results: Results,
    case: str,
    contenders: Sequence[Contender],
    repeats: int,
    warmup: int,
    workdir: Path,
) -> dict[str, list[Run]]:
    """Warm-up rounds (untimed), then ``repeats`` rounds, each running every contender once;
    the order rotates from round to round so that neither always goes first."""
    runs: dict[str, list[Run]] = {c.label: [] for c in contenders}
    for rnd in range(-warmup, repeats):
        shift = rnd % len(contenders)
        for c in [*contenders[shift:], *contenders[:shift]]:
            run = measure(c.cmd, workdir, c.ok_codes)
            run.case, run.label, run.round = case, c.label, rnd
            if c.check is not None:
                run.note = c.check(workdir)
            what = "warm-up" if rnd < 0 else f"run {rnd + 1}/{repeats}"
            print(
                f"  [{case}] {what} {c.label}: wall {run.wall:.2f}s cpu {run.cpu:.2f}s"
                f" rss {run.rss_mb:.1f}MB {run.note}",
                file=sys.stderr,
                flush=True,
            )
            if rnd >= 0:
                runs[c.label].append(run)
                results.runs.append(run)
    return runs


def med(runs: Sequence[Run], attr: str) -> float:
    return statistics.median(getattr(r, attr) for r in runs)


def runs_text(runs: Sequence[Run], attr: str, fmt: str = "{:.2f}") -> str:
    return " ".join(fmt.format(getattr(r, attr)) for r in runs)


def verdict(value: float, target: float, higher_is_better: bool) -> str:
    ok = value >= target if higher_is_better else value <= target
    return "met" if ok else "missed"


# ---------------------------------------------------------------- Markdown output


def table(results: Results, title: str, header: list[str], rows: list[list[str]]) -> None:
    results.tables.append({"title": title, "header": header, "rows": rows})
    print(f"\n### {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    sys.stdout.flush()


def figures_table(results: Results, title: str, groups: dict[str, dict[str, list[Run]]]) -> None:
    """Medians of wall, CPU and peak RSS per contender, plus the raw runs."""
    rows = []
    for group, by_label in groups.items():
        for label, runs in by_label.items():
            rows.append(
                [
                    group,
                    label,
                    f"{med(runs, 'wall'):.2f}",
                    f"{med(runs, 'cpu'):.2f}",
                    f"{med(runs, 'rss_mb'):.1f}",
                    f"wall {runs_text(runs, 'wall')}; cpu {runs_text(runs, 'cpu')};"
                    f" rss {runs_text(runs, 'rss_mb', '{:.0f}')}",
                ]
            )
    header = ["input", "process", "wall s (median)", "cpu s (median)", "peak RSS MB", "runs"]
    table(results, title, header, rows)


# ---------------------------------------------------------------- captures


def write_captures(workdir: Path, kinds: Sequence[str], n: int) -> dict[str, Path]:
    """One capture (kcat -C -J JSON Lines, topic ``bench.KIND``, 3 partitions) per corpus,
    deterministic: same seed, fixed timestamps and keys."""
    from inferrer.capture import write_capture
    from inferrer.records import Record

    paths = {}
    for kind in kinds:
        path = workdir / f"capture-{kind}-{n}.jsonl"
        if not path.exists():
            topic = f"bench.{kind}"
            records = (
                Record(topic, i % 3, i // 3, 1_700_000_000_000 + i, f"k{i % 100}".encode(), value)
                for i, value in enumerate(iter_payloads(kind, n))
            )
            began = time.perf_counter()
            write_capture(records, path)
            print(
                f"  wrote {path.name} ({path.stat().st_size / 1e6:.1f} MB)"
                f" in {time.perf_counter() - began:.1f}s",
                file=sys.stderr,
            )
        paths[kind] = path
    return paths


def doc_messages(path: Path) -> int:
    """Messages the written document says it saw: ``sample-size`` of ``/info`` in the
    evidence file beside it (``NAME.evidence.json``)."""
    evidence = path.with_name(path.stem + ".evidence.json")
    try:
        return int(json.loads(evidence.read_bytes())["nodes"]["/info"]["sample-size"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ChildFailed(f"{evidence}: no sample-size of /info ({exc})") from exc


def expect_doc(path: Path, n: int) -> Check:
    def check(_: Path) -> str:
        got = doc_messages(path)
        if got != n:
            raise ChildFailed(f"{path.name}: {got} messages in the document, expected {n}")
        return f"({got:,} msgs)"

    return check


def expect_count(n: int) -> Check:
    def check(workdir: Path) -> str:
        got = int(child_stdout(workdir).split()[-1])
        if got != n:
            raise ChildFailed(f"the peer read {got} messages, expected {n}")
        return f"({got:,} msgs)"

    return check


# ---------------------------------------------------------------- case: file


def infer_contender(cli: str, capture: Path, out: Path, n: int) -> Contender:
    """``infer-asyncapi infer --from-file CAPTURE``, checked to have read ``n`` messages."""
    return Contender(
        "infer-asyncapi infer",
        [cli, "infer", "--from-file", str(capture), "--no-summary", "-o", str(out)],
        expect_doc(out, n),
    )


def case_file(args: argparse.Namespace, results: Results, workdir: Path) -> None:
    n = args.messages
    cli = console_script()
    captures = write_captures(workdir, ("same", "varied"), n)
    groups: dict[str, dict[str, list[Run]]] = {}
    for kind, capture in captures.items():
        out = workdir / f"file-{kind}.yaml"
        contenders = [
            infer_contender(cli, capture, out, n),
            Contender(
                "polars-genson",
                [
                    sys.executable,
                    str(PEERS),
                    "polars-genson",
                    str(capture),
                    str(workdir / "p.json"),
                ],
                expect_count(n),
            ),
            Contender(
                "json.loads + genson",
                [sys.executable, str(PEERS), "genson", str(capture), str(workdir / "g.json")],
                expect_count(n),
            ),
        ]
        print(f"file: {kind}, {n:,} messages", file=sys.stderr)
        groups[kind] = interleave(
            results, f"file/{kind}", contenders, args.repeats, args.warmup, workdir
        )
    figures_table(results, f"file: {n:,}-message capture, one topic", groups)
    targets = {
        ("same", "polars-genson"): 3.0,
        ("varied", "polars-genson"): 2.0,
        ("same", "json.loads + genson"): 10.0,
        ("varied", "json.loads + genson"): 5.0,
    }
    rows = []
    for kind, by_label in groups.items():
        ours = by_label["infer-asyncapi infer"]
        for peer in ("polars-genson", "json.loads + genson"):
            theirs = by_label[peer]
            target = targets[(kind, peer)]
            cells = [kind, f"infer vs {peer}"]
            for attr in ("wall", "cpu"):
                ratio = med(theirs, attr) / med(ours, attr)
                cells.append(f"{ratio:.2f}x ({verdict(ratio, target, True)})")
            rss = med(ours, "rss_mb") / med(theirs, "rss_mb")
            cells += [f">= {target:g}x faster", f"{rss:.2f}x"]
            rows.append(cells)
    header = [
        "input",
        "ratio",
        "speed-up, wall",
        "speed-up, cpu",
        "target",
        "peak RSS infer / peer",
    ]
    table(
        results,
        "file: how many times faster infer-asyncapi is (peer median / infer median)",
        header,
        rows,
    )


# ---------------------------------------------------------------- case: diff


def case_diff(args: argparse.Namespace, results: Results, workdir: Path) -> None:
    n = args.messages
    cli = console_script()
    captures = write_captures(workdir, ("same", "varied"), n)
    groups: dict[str, dict[str, list[Run]]] = {}
    for kind, capture in captures.items():
        spec = workdir / f"diff-spec-{kind}.yaml"
        out = workdir / f"diff-infer-{kind}.yaml"
        # The spec diff compares with: what infer writes from this very capture.
        measure(infer_contender(cli, capture, spec, n).cmd, workdir)
        report = workdir / f"diff-report-{kind}.txt"
        contenders = [
            infer_contender(cli, capture, out, n),
            Contender(
                "infer-asyncapi diff",
                [cli, "diff", "--spec", str(spec), "--from-file", str(capture), "-o", str(report)],
                None,
                (0, 1),  # 1 = drift found at --fail-on; still a complete run
            ),
        ]
        print(f"diff: {kind}, {n:,} messages", file=sys.stderr)
        groups[kind] = interleave(
            results, f"diff/{kind}", contenders, args.repeats, args.warmup, workdir
        )
        first = report.read_text(errors="replace").strip().splitlines()
        results.meta[f"diff report {kind}"] = first[-1] if first else ""
    figures_table(
        results, f"diff: {n:,}-message capture against the spec infer wrote from it", groups
    )
    rows = []
    for kind, by_label in groups.items():
        d, i = by_label["infer-asyncapi diff"], by_label["infer-asyncapi infer"]
        cells = [kind]
        for attr in ("wall", "cpu"):
            ratio = med(d, attr) / med(i, attr)
            cells.append(f"{ratio:.2f}x ({verdict(ratio, 1.5, False)})")
        cells += ["<= 1.5x", f"{med(d, 'rss_mb') / med(i, 'rss_mb'):.2f}x"]
        cells.append(str(results.meta.get(f"diff report {kind}", "")))
        rows.append(cells)
    header = [
        "input",
        "diff / infer, wall",
        "diff / infer, cpu",
        "target",
        "peak RSS diff / infer",
        "report",
    ]
    table(results, "diff: cost of diff relative to infer on the same capture", header, rows)


# ---------------------------------------------------------------- broker helpers


class BrokerHandle:
    """``--bootstrap`` as given, or a local broker started (and stopped) here."""

    def __init__(self, bootstrap: str | None) -> None:
        self.bootstrap = bootstrap
        self.broker = None

    def __enter__(self) -> str:
        if self.bootstrap is None:
            from tools import devkafka

            print("starting a local broker (tools.devkafka) ...", file=sys.stderr)
            self.broker = devkafka.start()
            self.bootstrap = self.broker.bootstrap
            print(f"  broker at {self.bootstrap}", file=sys.stderr)
        return self.bootstrap

    def __exit__(self, *exc: object) -> None:
        if self.broker is not None:
            self.broker.stop()
            print("  broker stopped", file=sys.stderr)


def create_topics(bootstrap: str, names: Sequence[str], partitions: int, batch: int = 100) -> None:
    """Create topics in batches and wait until every partition has a leader."""
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})
    for start in range(0, len(names), batch):
        chunk = names[start : start + batch]
        futures = admin.create_topics([NewTopic(n, partitions, 1) for n in chunk])
        for future in futures.values():
            future.result(120)
    deadline = time.monotonic() + 300
    pending = set(names)
    while pending and time.monotonic() < deadline:
        md = admin.list_topics(timeout=30)
        pending = {
            n
            for n in pending
            if n not in md.topics
            or len(md.topics[n].partitions) != partitions
            or any(p.leader < 0 for p in md.topics[n].partitions.values())
        }
        if pending:
            time.sleep(0.5)
    if pending:
        raise SystemExit(f"{len(pending)} topics did not get leaders in time")


def produce(bootstrap: str, items: Iterator[tuple[str, int, bytes]]) -> int:
    """Produce (topic, partition, value) quickly: batching, linger, lz4-free plain bytes."""
    from confluent_kafka import Producer

    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "linger.ms": 50,
            "batch.num.messages": 10000,
            "batch.size": 1_000_000,
            "queue.buffering.max.messages": 500_000,
            "queue.buffering.max.kbytes": 262_144,
            "log_level": 0,
        }
    )
    failed = 0

    def on_delivery(err: object, _msg: object) -> None:
        nonlocal failed
        if err is not None:
            failed += 1

    count = 0
    for topic, partition, value in items:
        while True:
            try:
                producer.produce(topic, value, partition=partition, on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.05)
        count += 1
        if count % 10000 == 0:
            producer.poll(0)
    if producer.flush(600) != 0 or failed:
        raise SystemExit(f"producing failed: {failed} undelivered")
    return count


# ---------------------------------------------------------------- case: live


def case_live(args: argparse.Namespace, results: Results, workdir: Path) -> None:
    n = args.messages
    sizes = [int(x) for x in args.flat_sizes.split(",") if x]
    cli = console_script()
    run = uuid.uuid4().hex[:6]
    small, ids = f"live.{run}.small", f"live.{run}.new-ids"
    fill = max([n, *sizes])
    with BrokerHandle(args.bootstrap) as bootstrap:
        create_topics(bootstrap, [small, ids], args.partitions)
        parts = args.partitions
        began = time.perf_counter()
        produce(
            bootstrap, ((small, i % parts, v) for i, v in enumerate(iter_payloads("small", fill)))
        )
        if sizes:
            produce(
                bootstrap,
                ((ids, i % parts, v) for i, v in enumerate(iter_payloads("new-ids", max(sizes)))),
            )
        print(
            f"  produced {fill:,} + {max(sizes, default=0):,} messages"
            f" in {time.perf_counter() - began:.1f}s",
            file=sys.stderr,
        )

        def infer_cmd(topic: str, count: int, out: Path) -> list[str]:
            return [
                cli,
                "--topics",
                topic,
                "-b",
                bootstrap,
                "--from",
                "earliest",
                "--max-messages",
                str(count),
                "--timeout",
                args.cli_timeout,
                "--no-summary",
                "-o",
                str(out),
            ]

        out = workdir / "live.yaml"
        # The spec the live diff compares with: what infer writes from this very topic.
        spec = workdir / "live-spec.yaml"
        measure(infer_cmd(small, n, spec), workdir)
        diff_cmd = [cli, "diff", "--spec", str(spec), *infer_cmd(small, n, workdir / "d.txt")[1:]]
        diff_cmd.remove("--no-summary")
        contenders = [
            Contender("infer-asyncapi (live)", infer_cmd(small, n, out), expect_doc(out, n)),
            Contender(
                "bare confluent-kafka loop",
                [sys.executable, str(PEERS), "consume", bootstrap, small, str(n)],
                expect_count(n),
            ),
            # 1 = drift found at --fail-on; still a complete run
            Contender("infer-asyncapi diff (live)", diff_cmd, None, (0, 1)),
        ]
        print(f"live: {n:,} messages, {parts} partitions", file=sys.stderr)
        live = interleave(results, "live", contenders, args.repeats, args.warmup, workdir)
        flat: dict[str, dict[str, list[Run]]] = {}
        if sizes:
            flat_contenders = []
            for topic, what in ((small, "small"), (ids, "new-ids")):
                for size in sizes:
                    o = workdir / f"flat-{what}-{size}.yaml"
                    flat_contenders.append(
                        Contender(
                            f"{what} @ {size:,}", infer_cmd(topic, size, o), expect_doc(o, size)
                        )
                    )
            print(f"live: flatness at {sizes}", file=sys.stderr)
            flat_runs = interleave(results, "flat", flat_contenders, args.flat_repeats, 0, workdir)
            for label, runs in flat_runs.items():
                what, _, size = label.partition(" @ ")
                flat.setdefault(f"{what} topic", {})[f"infer @ {size} msgs"] = runs
    figures_table(
        results, f"live: {n:,} small JSON messages, one topic x {parts} partitions", {"live": live}
    )
    ours, bare = live["infer-asyncapi (live)"], live["bare confluent-kafka loop"]
    rate_ratio = med(bare, "wall") / med(ours, "wall")
    rss_ratio = med(ours, "rss_mb") / med(bare, "rss_mb")
    rows = [
        [
            f"{n / med(ours, 'wall'):,.0f} msg/s",
            f"{n / med(bare, 'wall'):,.0f} msg/s",
            f"{rate_ratio:.2f}x ({verdict(rate_ratio, 0.7, True)}; target >= 0.7x)",
            f"{rss_ratio:.2f}x ({verdict(rss_ratio, 1.3, False)}; target <= 1.3x)",
            f"{med(ours, 'cpu') / med(bare, 'cpu'):.2f}x",
        ]
    ]
    header = [
        "infer rate (wall)",
        "bare loop rate (wall)",
        "rate infer / bare",
        "peak RSS infer / bare",
        "cpu infer / bare",
    ]
    table(results, "live: infer-asyncapi against a bare consume loop", header, rows)
    differ = live["infer-asyncapi diff (live)"]
    ratio_wall = med(differ, "wall") / med(ours, "wall")
    ratio_cpu = med(differ, "cpu") / med(ours, "cpu")
    rows = [
        [
            f"{ratio_wall:.2f}x ({verdict(ratio_wall, 1.5, False)})",
            f"{ratio_cpu:.2f}x ({verdict(ratio_cpu, 1.5, False)})",
            "<= 1.5x",
            f"{med(differ, 'rss_mb') / med(ours, 'rss_mb'):.2f}x",
        ]
    ]
    header = ["diff / infer, wall", "diff / infer, cpu", "target", "peak RSS diff / infer"]
    table(results, "live: diff against the spec infer wrote, relative to infer", header, rows)
    if flat:
        figures_table(results, "live: peak RSS of infer-asyncapi by messages read (flatness)", flat)
        rows = []
        for topic, by_label in flat.items():
            labels = list(by_label)
            low, high = by_label[labels[0]], by_label[labels[-1]]
            rows.append(
                [
                    topic,
                    f"{med(low, 'rss_mb'):.1f} MB",
                    f"{med(high, 'rss_mb'):.1f} MB",
                    f"{med(high, 'rss_mb') / med(low, 'rss_mb'):.2f}x"
                    f" for {sizes[-1] / sizes[0]:g}x the messages",
                ]
            )
        header = ["topic", f"peak RSS @ {sizes[0]:,}", f"peak RSS @ {sizes[-1]:,}", "growth"]
        table(results, "live: flatness", header, rows)


# ---------------------------------------------------------------- case: maps


def case_maps(args: argparse.Namespace, results: Results, workdir: Path) -> None:
    _flatness(args, results, workdir, "maps", "new-sensor-ids", "objects keyed by ever-new ids")


def case_shapes(args: argparse.Namespace, results: Results, workdir: Path) -> None:
    _flatness(args, results, workdir, "shapes", "new-shapes", "ever-new key sets")


def _flatness(
    args: argparse.Namespace, results: Results, workdir: Path, case: str, corpus: str, what: str
) -> None:
    """Peak RSS of ``infer --from-file`` on captures of ``corpus`` at each flat size."""
    sizes = [int(x) for x in args.flat_sizes.split(",") if x] or [100_000, 2_000_000]
    cli = console_script()
    contenders = []
    for size in sizes:
        capture = write_captures(workdir, (corpus,), size)[corpus]
        out = workdir / f"{case}-{size}.yaml"
        contender = infer_contender(cli, capture, out, size)
        contenders.append(Contender(f"infer @ {size:,}", contender.cmd, contender.check))
    print(f"{case}: flatness at {sizes}", file=sys.stderr)
    runs = interleave(results, case, contenders, args.flat_repeats, 0, workdir)
    figures_table(results, f"{case}: infer --from-file on {what}", {case: runs})
    low, high = runs[contenders[0].label], runs[contenders[-1].label]
    growth = med(high, "rss_mb") / med(low, "rss_mb")
    rows = [
        [
            f"{med(low, 'rss_mb'):.1f} MB",
            f"{med(high, 'rss_mb'):.1f} MB",
            f"{growth:.2f}x for {sizes[-1] / sizes[0]:g}x the messages"
            f" ({verdict(growth, 1.2, False)}; target <= 1.2x)",
        ]
    ]
    header = [f"peak RSS @ {sizes[0]:,}", f"peak RSS @ {sizes[-1]:,}", "growth"]
    table(results, f"{case}: flatness", header, rows)


# ---------------------------------------------------------------- case: wide


def case_wide(args: argparse.Namespace, results: Results, workdir: Path) -> None:
    sizes = sorted(int(x) for x in args.sizes.split(","))
    per = args.per_topic
    cli = console_script()
    run = uuid.uuid4().hex[:6]
    prefix = f"wide.{run}"
    by_size: dict[str, dict[str, list[Run]]] = {}
    with BrokerHandle(args.bootstrap) as bootstrap:
        made = 0
        for size in sizes:
            names = [f"{prefix}.{i:05d}" for i in range(made, size)]
            began = time.perf_counter()
            create_topics(bootstrap, names, 3)
            produce(
                bootstrap,
                ((t, i % 3, v) for t in names for i, v in enumerate(iter_payloads("small", per))),
            )
            made = size
            print(
                f"wide: {size} topics ready (+{len(names)} in {time.perf_counter() - began:.1f}s)",
                file=sys.stderr,
            )
            out = workdir / f"wide-{size}.yaml"
            # --max-messages is per topic (spread across its partitions): per-topic count
            # reads every message of every topic.
            cmd = [
                cli,
                "--topics",
                f"{prefix}.*",
                "-b",
                bootstrap,
                "--from",
                "earliest",
                "--max-messages",
                str(per),
                "--timeout",
                args.cli_timeout,
                "--no-summary",
                "-o",
                str(out),
            ]
            runs = interleave(
                results,
                f"wide/{size}",
                [Contender(f"{size} topics", cmd, expect_doc(out, size * per))],
                args.repeats,
                args.warmup,
                workdir,
            )
            by_size[f"{size} topics"] = runs[f"{size} topics"]
    groups = {k: {"infer-asyncapi (live)": v} for k, v in by_size.items()}
    figures_table(results, f"wide: N topics x 3 partitions x {per} messages", groups)
    base_n = sizes[0]
    base = by_size[f"{base_n} topics"]
    rows = []
    prev: tuple[int, float, float] | None = None
    for size in sizes:
        runs = by_size[f"{size} topics"]
        wall, rss = med(runs, "wall"), med(runs, "rss_mb")
        scale = size / base_n
        if prev is None:
            marginal = ["", ""]
        else:
            added = size - prev[0]
            marginal = [
                f"{(wall - prev[1]) / added * 1000:.1f} ms",
                f"{(rss - prev[2]) / added * 1024:.0f} KB",
            ]
        prev = (size, wall, rss)
        cells = [
            str(size),
            f"{wall:.2f} s",
            f"{rss:.1f} MB",
            *marginal,
            f"{(wall / med(base, 'wall')) / scale:.2f}",
            f"{(rss / med(base, 'rss_mb')) / scale:.2f}",
        ]
        if size == 2000:
            cells.append(
                f"wall {verdict(wall, 60, False)} (< 60 s),"
                f" RSS {verdict(rss, 500, False)} (< 500 MB)"
            )
        else:
            cells.append("")
        rows.append(cells)
    header = [
        "topics",
        "wall (median)",
        "peak RSS",
        "wall per added topic",
        "RSS per added topic",
        f"wall growth / linear (vs {base_n})",
        f"RSS growth / linear (vs {base_n})",
        "target",
    ]
    title = (
        "wide: scaling with the number of topics (no worse than linear: growth / linear"
        " <= 1 and the cost per added topic not rising with size)"
    )
    table(results, title, header, rows)


# ---------------------------------------------------------------- main


CASES = {
    "file": case_file,
    "diff": case_diff,
    "live": case_live,
    "wide": case_wide,
    "maps": case_maps,
    "shapes": case_shapes,
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("case", choices=[*CASES, "all"])
    p.add_argument("--repeats", type=int, default=5, help="timed rounds per figure (5)")
    p.add_argument("--warmup", type=int, default=1, help="untimed rounds first (1)")
    p.add_argument(
        "--messages",
        type=int,
        help="file/diff: messages per capture (100000); live: messages read (1000000)",
    )
    p.add_argument(
        "--flat-sizes",
        default="100000,2000000",
        help="live/maps/shapes: messages read for the peak-RSS flatness figures ('' skips them)",
    )
    p.add_argument(
        "--flat-repeats",
        type=int,
        default=3,
        help="live/maps/shapes: rounds of the flatness runs (3)",
    )
    p.add_argument("--partitions", type=int, default=3, help="live: partitions of the topics (3)")
    p.add_argument("--sizes", default="100,500,2000", help="wide: topic counts (100,500,2000)")
    p.add_argument("--per-topic", type=int, default=100, help="wide: messages per topic (100)")
    p.add_argument("--bootstrap", help="live/wide: use this broker instead of starting one")
    p.add_argument("--cli-timeout", default="10m", help="live/wide: infer-asyncapi --timeout (10m)")
    p.add_argument("--workdir", help="keep captures and outputs here (default: a temp folder)")
    p.add_argument("--json", help="also write every figure and raw run to this JSON file")
    return p


def compile_package() -> None:
    """Byte-compile the package and the venv's installed packages, as ``pip install``
    does: on a machine with ``PYTHONDONTWRITEBYTECODE`` set (these are), an editable
    checkout, and packages installed by uv (which does not compile unless asked), would
    otherwise be compiled from source in every timed process, which a user's install
    never does. For both sides: the peers' Python (polars is a large package) too. The
    ``__pycache__`` folders it writes are ignored by git; the first call takes seconds,
    later ones find them written."""
    import compileall
    import sysconfig

    import inferrer

    compileall.compile_dir(Path(inferrer.__file__).parent, quiet=1)
    compileall.compile_dir(sysconfig.get_paths()["purelib"], quiet=1, workers=0)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    compile_package()
    cases = list(CASES) if args.case == "all" else [args.case]
    results = Results()
    results.meta = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "load average": os.getloadavg(),
        "infer-asyncapi": console_script(),
    }
    print(f"## bench_engine {' '.join(sys.argv[1:])}\n")
    print(f"{results.meta['date']}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    tmp = None
    if args.workdir:
        workdir = Path(args.workdir)
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="bench-engine-")
        workdir = Path(tmp.name)
    try:
        for case in cases:
            case_args = argparse.Namespace(**vars(args))
            if case_args.messages is None:
                case_args.messages = 1_000_000 if case == "live" else 100_000
            CASES[case](case_args, results, workdir)
    finally:
        if tmp is not None:
            tmp.cleanup()
    if args.json:
        body = {
            "meta": results.meta,
            "tables": results.tables,
            "runs": [asdict(r) for r in results.runs],
        }
        Path(args.json).write_text(json.dumps(body, indent=2, default=str) + "\n")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ChildFailed as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
