"""``make demo``: the first five minutes with inferrer, on a local broker.

Starts the local Kafka launcher and the local Schema Registry (in this process; both
stopped on the way out, Ctrl-C included), registers the Avro topic's writer schema,
replays the bank fixtures of 2 March 2026 (``fixtures/bank/v1``), infers
their AsyncAPI document, replays the drifted traffic of two weeks later
(``fixtures/bank/v2``) onto the same topics and reports the drift, then stops the
broker. Every step runs the real command line, printed as a user would type it, so
the demo doubles as a tour of the commands. Results go to ``demo-out/``.

Both versions share the topics, as a real cluster's history does; the drift step
samples from the first v2 timestamp onwards (``--from``), so it compares the spec
with the new traffic only.

Run it with ``python -m tools.demo [--out DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from inferrer.capture import iter_capture
from inferrer.errors import EXIT_CANNOT_RUN, EXIT_DRIFT, EXIT_OK, InferrerError
from tools import devkafka, devregistry
from tools.devkafka import die_with_parent

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bank"
STEPS = 6


class DemoFailed(Exception):
    """A step of the demo did not do what it should; the message says which."""


def first_timestamp(paths: Sequence[Path]) -> datetime:
    """The earliest record timestamp in some capture files."""
    stamps = [r.timestamp for p in paths for r in iter_capture(p) if r.timestamp is not None]
    if not stamps:
        raise DemoFailed(f"no timestamped record in {paths[0].parent}")
    return datetime.fromtimestamp(min(stamps) / 1000, tz=UTC)


def _step(number: int, title: str) -> float:
    print(f"\n[{number}/{STEPS}] {title}", flush=True)
    return time.monotonic()


def _done(began: float) -> None:
    print(f"      done in {time.monotonic() - began:.1f}s", flush=True)


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def run_cli(
    args: Sequence[str], *, expect: Sequence[int] = (EXIT_OK,), shown: str | None = None
) -> int:
    """Run ``infer-asyncapi ARGS`` (this interpreter's copy), echoing the command line
    (or ``shown``, when a shorter equivalent reads better)."""
    print("      $ infer-asyncapi " + (shown or shlex.join(args)), flush=True)
    # A step's process dies with the demo: an interrupted demo leaves nothing running.
    proc = subprocess.run(
        [sys.executable, "-m", "inferrer", *args], check=False, preexec_fn=die_with_parent
    )
    if proc.returncode not in expect:
        raise DemoFailed(
            f"infer-asyncapi {args[0]} exited with {proc.returncode} "
            f"(expected {' or '.join(map(str, expect))})"
        )
    return proc.returncode


def register_schemas(url: str, folder: Path, topic_prefix: str = "") -> None:
    """Register the writer schemas of a fixture folder's Avro topics in the (fresh) demo
    registry, so that the ids its captures carry are the ids the registry gives
    (``topic_prefix`` for topics replayed under a prefix)."""
    for sidecar in sorted(folder.glob("*.schemas.json")):
        held = json.loads(sidecar.read_text(encoding="utf-8"))
        for schema_id, where in sorted(held["located"].items(), key=lambda kv: int(kv[0])):
            body = {"schema": held["schemas"][schema_id]["schema"]}
            subject = topic_prefix + where["subject"]
            request = urllib.request.Request(
                f"{url}/subjects/{subject}/versions",
                data=json.dumps(body).encode(),
                headers={"Content-Type": "application/vnd.schemaregistry.v1+json"},
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                given = json.loads(response.read())["id"]
            if given != int(schema_id):
                raise DemoFailed(
                    f"the registry gave {subject} schema id {given}, "
                    f"the fixtures carry {schema_id}: start from a fresh registry"
                )
            print(f"      registered {subject} (schema id {given})", flush=True)


def run_demo(out: Path) -> None:
    """All six steps; raises :class:`DemoFailed` or an :class:`InferrerError` on failure."""
    v1 = sorted((FIXTURES / "v1").glob("*.jsonl"))
    v2 = sorted((FIXTURES / "v2").glob("*.jsonl"))
    if not v1 or not v2:
        raise DemoFailed(f"the bank fixtures are missing under {FIXTURES} (run from a checkout)")
    out.mkdir(parents=True, exist_ok=True)
    spec = out / "asyncapi.yaml"
    report_md = out / "drift.md"

    began = _step(1, "Start a local Apache Kafka broker and a Schema Registry (loopback)")
    broker = devkafka.start()
    registry: devregistry.Registry | None = None
    try:
        print(f"      broker up at {broker.bootstrap}", flush=True)
        registry = devregistry.start()
        print(f"      registry up at {registry.url}", flush=True)
        _done(began)
        bootstrap = broker.bootstrap

        began = _step(2, "Replay the bank traffic of 2 March 2026 (fixtures/bank/v1)")
        register_schemas(registry.url, FIXTURES / "v1")
        run_cli(
            ["replay", *map(_display, v1), "-b", bootstrap],
            shown=f"replay {_display(FIXTURES / 'v1')}/*.jsonl -b {bootstrap}",
        )
        _done(began)

        began = _step(3, "Infer the AsyncAPI document from live traffic (read-only)")
        registry_flag = ["--schema-registry", registry.url]
        run_cli(["--topics", "bank.*", "-b", bootstrap, *registry_flag, "-o", _display(spec)])
        run_cli(["validate", _display(spec)])
        _done(began)

        began = _step(4, "Replay the traffic of two weeks later, with drift (fixtures/bank/v2)")
        register_schemas(registry.url, FIXTURES / "v2")
        run_cli(
            ["replay", *map(_display, v2), "-b", bootstrap],
            shown=f"replay {_display(FIXTURES / 'v2')}/*.jsonl -b {bootstrap}",
        )
        _done(began)

        since = first_timestamp(v2).strftime("%Y-%m-%dT%H:%M:%SZ")
        began = _step(5, f"Report drift of the traffic since {since} against the spec")
        diff = ["diff", "--spec", _display(spec), "--topics", "bank.*", "-b", bootstrap]
        diff += [*registry_flag, "--from", since]
        run_cli([*diff, "--format", "markdown", "-o", _display(report_md)], expect=(EXIT_DRIFT,))
        run_cli([*diff, "--format", "text"], expect=(EXIT_DRIFT,))
        print(
            "      exit code 1: breaking drift, as a nightly job with --fail-on breaking "
            "would see it",
            flush=True,
        )
        _done(began)
    finally:
        # From here the process only cleans up and exits: a second Ctrl-C (users press
        # it again when the first seems slow) must not cut the broker's shutdown short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        began = _step(6, "Stop the broker and the registry")
        if registry is not None:
            registry.stop()
        broker.stop()
        _done(began)
    print(f"\nWrote {_display(spec)} and {_display(report_md)}.")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.demo", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("demo-out"), help="output folder")
    args = parser.parse_args(argv)
    # Ctrl-C must stop the broker even when whoever started us ignored or blocked
    # SIGINT (a shell's background job, a test runner): Python only installs its
    # handler over the default disposition, and a blocked mask is inherited.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    began = time.monotonic()
    try:
        run_demo(args.out)
    except KeyboardInterrupt:
        print("\nInterrupted; the broker is stopped.", file=sys.stderr)
        return 130
    except (DemoFailed, InferrerError) as e:
        print(f"Error: {e}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    print(f"Demo finished in {time.monotonic() - began:.1f}s.")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
