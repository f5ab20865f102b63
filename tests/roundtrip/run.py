"""Hand-written AsyncAPI documents → generated traffic → inferred documents, scored.

``python -m tests.roundtrip.run`` prints, per spec: line counts (the hand-written spec as
written, and as inferrer's own writer prints it, the fair comparison), whether message
names match, whether each schema the spec shares by ``$ref`` is shared in the inferred
document too (and under which name), and the accuracy of ``required`` at every object.

Traffic is generated from the spec's schemas: every required property always, every
optional one in about half of the messages, enum values and formats as declared, free
strings all distinct (so they are no enums), a ``const`` as the kind's discriminator.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inferrer.asyncapi.io import dump_document
from inferrer.asyncapi.read import load_document
from inferrer.capture import write_capture
from inferrer.records import Record

HERE = Path(__file__).resolve().parent
SPECS = tuple(sorted(HERE.glob("*.yaml")))
MESSAGES_PER_KIND = 400


def resolve(doc: dict[str, Any], node: Any, depth: int = 0) -> Any:
    """``node`` with every local ``$ref`` inlined."""
    if depth > 50:
        return node
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            target: Any = doc
            for token in ref[2:].split("/"):
                target = target[token]
            return resolve(doc, target, depth + 1)
        return {k: resolve(doc, v, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(doc, v, depth + 1) for v in node]
    return node


def _string(schema: dict[str, Any], rng: random.Random, name: str) -> str:
    fmt = schema.get("format")
    if fmt == "uuid":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    if fmt == "date-time":
        day = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        return f"{day}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z"
    if fmt == "date":
        return f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if fmt == "email":
        return f"user{rng.randrange(10**6)}@example{rng.randrange(50)}.com"
    if fmt == "uri":
        return f"https://site{rng.randrange(100)}.example.org/p/{rng.randrange(10**5)}"
    return f"{name} {rng.choice(('north', 'blue', 'quick', 'calm'))} {rng.randrange(10**6)}"


def instance(schema: Any, rng: random.Random, name: str = "value") -> Any:
    """One value drawn from ``schema`` (refs already inlined)."""
    if not isinstance(schema, dict):
        return None
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return rng.choice(schema["enum"])
    declared = schema.get("type")
    types = declared if isinstance(declared, list) else [declared]
    if "null" in types and rng.random() < 0.3:
        return None
    kind = next((t for t in types if t != "null"), "object")
    if kind == "object":
        required = set(schema.get("required", []))
        return {
            key: instance(sub, rng, key)
            for key, sub in schema.get("properties", {}).items()
            if key in required or rng.random() < 0.5
        }
    if kind == "array":
        return [instance(schema.get("items", {}), rng, name) for _ in range(rng.randint(1, 3))]
    if kind == "string":
        return _string(schema, rng, name)
    if kind == "integer":
        return rng.randrange(10**6)
    if kind == "number":
        return round(rng.uniform(-1000, 1000), 3) + 0.001
    if kind == "boolean":
        return rng.random() < 0.5
    return None


def iter_traffic(doc: dict[str, Any], seed: int = 7) -> Iterator[Record]:
    """Records for every message of every channel, interleaved, in a fixed order."""
    rng = random.Random(seed)
    offsets: dict[str, int] = {}
    plan: list[tuple[str, Any]] = []
    for channel in doc["channels"].values():
        for message in channel.get("messages", {}).values():
            payload = resolve(doc, message)["payload"]
            plan.extend((channel["address"], payload) for _ in range(MESSAGES_PER_KIND))
    rng.shuffle(plan)
    for topic, payload in plan:
        offset = offsets.get(topic, 0)
        offsets[topic] = offset + 1
        value = instance(payload, rng)
        yield Record(
            topic,
            offset % 3,
            offset,
            1_772_409_600_000 + 1000 * offset,
            key=None,  # the specs declare no key
            value=json.dumps(value).encode(),
        )


def _shared_schemas(doc: dict[str, Any]) -> dict[str, int]:
    """Component schemas referenced from two or more places (not message payloads)."""
    text = json.dumps(doc.get("components", {}).get("schemas", {}))
    return {
        name: text.count(f'"#/components/schemas/{name}"')
        for name in doc.get("components", {}).get("schemas", {})
        if text.count(f'"#/components/schemas/{name}"') >= 2
    }


def _objects(schema: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(schema, dict):
        for branch in schema.get("anyOf", []):
            yield from _objects(branch, path)
        if "properties" in schema:
            yield path, schema
            for key, sub in schema["properties"].items():
                yield from _objects(sub, f"{path}/{key}")
        if isinstance(schema.get("items"), dict):
            yield from _objects(schema["items"], f"{path}/*")


@dataclass(frozen=True)
class Score:
    spec: str
    hand_lines: int
    hand_lines_normalised: int
    inferred_lines: int
    names_match: bool
    missing_names: tuple[str, ...]
    shared: dict[str, str | None]
    """Each schema the spec shares → the inferred schema shared at the same places."""
    required_accuracy: float

    @property
    def ratio(self) -> float:
        return self.inferred_lines / self.hand_lines_normalised


def score(spec: Path, workdir: Path) -> Score:
    hand = load_document(spec)
    capture = workdir / f"{spec.stem}.jsonl"
    write_capture(iter_traffic(hand), capture)
    out = workdir / f"{spec.stem}.inferred.yaml"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "inferrer",
            "infer",
            "--from-file",
            str(capture),
            "-o",
            str(out),
            "-q",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    inferred = load_document(out)
    hand_messages = set(hand["components"]["messages"])
    inferred_messages = set(inferred["components"]["messages"])
    shared: dict[str, str | None] = {}
    for name in _shared_schemas(hand):
        target = resolve(hand, hand["components"]["schemas"][name])
        match = None
        for other in _shared_schemas(inferred):
            candidate = resolve(inferred, inferred["components"]["schemas"][other])
            if set(candidate.get("properties", {})) == set(target.get("properties", {})):
                match = other
        shared[name] = match
    good = total = 0
    for message in hand_messages & inferred_messages:
        want = dict(_objects(resolve(hand, hand["components"]["messages"][message]["payload"])))
        got = dict(
            _objects(resolve(inferred, inferred["components"]["messages"][message]["payload"]))
        )
        for path, schema in want.items():
            total += 1
            good += path in got and set(got[path].get("required", [])) == set(
                schema.get("required", [])
            )
    return Score(
        spec=spec.name,
        hand_lines=len(spec.read_text(encoding="utf-8").splitlines()),
        hand_lines_normalised=len(dump_document(hand).splitlines()),
        inferred_lines=len(out.read_text(encoding="utf-8").splitlines()),
        names_match=hand_messages == inferred_messages,
        missing_names=tuple(sorted(hand_messages - inferred_messages)),
        shared=shared,
        required_accuracy=good / total if total else 1.0,
    )


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        print(
            "spec | hand lines (as written / our writer) | inferred | ratio | names | shared",
            end="",
        )
        print(" | required")
        for spec in SPECS:
            s = score(spec, Path(tmp))
            shared = ", ".join(f"{k}→{v}" for k, v in sorted(s.shared.items()))
            names = "match" if s.names_match else "missing " + ", ".join(s.missing_names)
            print(
                f"{s.spec} | {s.hand_lines} / {s.hand_lines_normalised} | {s.inferred_lines} | "
                f"{s.ratio:.2f} | {names} | "
                f"{shared} | {s.required_accuracy:.3f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
