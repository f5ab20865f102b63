"""Fuzz target: framed message bodies through the writer-schema decoders.

Every input is a message body framed with one of a few writer schemas (Avro with
unions, arrays, maps, enums, fixed and logical types; Protobuf with nested and
repeated messages and a map; JSON Schema). Decoding must never raise (a body its
schema cannot read is counted as a failure), and whatever is decoded must come out
as framed JSON that a JSON parser reads back.

Avro bodies also go to the core's decoder (``_core.avro_json``, what the engine's
framing runs), which must give the same JSON bytes, or the same failure reason, as the
reference (fastavro here); and through an engine with the core's framing, the same
per-topic counts as the reference's. Every body also goes through an engine that asks
for its schema id as registry runs and live samples do (``Engine.set_framing`` with a
lookup, Protobuf bodies handed back to Python), which must count it and fold it as the
reference's decoded body folds.

Run (bounded; ``make test`` runs it for a few seconds)::

    python tests/fuzz/fuzz_framed.py -max_total_time=10 tests/fuzz/corpus_framed
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from typing import Any

import atheris

with atheris.instrument_imports():
    import orjson

    from inferrer import _core
    from inferrer.engine import Engine
    from inferrer.records import Record
    from inferrer.registry.client import RegisteredSchema
    from inferrer.registry.framed import FramedDecoder
    from inferrer.registry.sidecar import SidecarSchemas

AVRO = {
    "type": "record",
    "name": "Event",
    "namespace": "fuzz",
    "fields": [
        {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "day", "type": ["null", {"type": "int", "logicalType": "date"}]},
        {
            "name": "amount",
            "type": {"type": "bytes", "logicalType": "decimal", "precision": 20, "scale": 4},
        },
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "attrs", "type": {"type": "map", "values": ["null", "double", "boolean"]}},
        {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}},
        {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 4}},
        {"name": "ratio", "type": "float"},
    ],
}
PROTO = """syntax = "proto3";
package fuzz;
message Outer {
  string name = 1;
  sint64 n = 2;
  repeated Inner items = 3;
  map<string, int32> counts = 4;
  bytes blob = 5;
  double score = 6;
  enum Level { LOW = 0; HIGH = 1; }
  Level level = 7;
  message Inner { fixed32 code = 1; bool on = 2; }
}
"""

SCHEMAS = SidecarSchemas()
SCHEMAS.by_id.update(
    {
        1: RegisteredSchema("AVRO", json.dumps(AVRO)),
        2: RegisteredSchema("PROTOBUF", PROTO),
        3: RegisteredSchema("JSON", '{"type": "object"}'),
    }
)
DECODER = FramedDecoder(SCHEMAS)
for schema_id in (1, 2, 3):
    assert DECODER.prepare(schema_id) is not None
AVRO_TEXTS = [json.dumps(AVRO)]
LOOKUP = FramedDecoder(SCHEMAS)
for schema_id in (1, 2, 3):
    assert LOOKUP.prepare(schema_id) is not None
IN_CORE = SidecarSchemas()
IN_CORE.by_id.update({1: SCHEMAS.by_id[1], 3: SCHEMAS.by_id[3]})


def check_core(message: bytes) -> None:
    """The core's Avro decoder against the reference, body by body and as counted."""
    body = message[5:]
    got_json, got_reason = _core.avro_json(AVRO_TEXTS, body)
    reference = FramedDecoder(IN_CORE)
    expected = reference.body("fuzz", "value", message)
    if expected is not None:
        assert got_json is not None and expected[5:] == got_json, (expected, got_json)
    else:
        failures = reference.use[("fuzz", "value")].failures
        said = [f"schema id 1: {got_reason}"]
        assert got_reason is not None and list(failures) == said, (message, got_json, failures)
    in_core = FramedDecoder(IN_CORE)
    schemas = in_core.core_schemas()
    assert schemas is not None
    engine = Engine()
    engine.set_framing(schemas)
    engine.fold([Record("fuzz", 0, 0, None, message, message)])
    in_core.absorb(engine.framed_use() or {})
    for part in ("key", "value"):
        want, have = reference.use[("fuzz", "value")], in_core.use[("fuzz", part)]
        assert (want.ids, want.decoded, want.failures) == (have.ids, have.decoded, have.failures)


def check_lookup(message: bytes, out: bytes | None, counted: tuple[Any, ...]) -> None:
    """The engine's lookup route against the reference's body, as counted and folded."""
    engine = Engine()
    engine.set_framing([], LOOKUP)
    engine.fold([Record("fuzz", 0, 0, None, None, message)])
    seen = engine.framed_use() or {}
    [(_topic, _part, ids, decoded, failures)] = seen["uses"]
    assert [ids, decoded, failures] == [list(c.items()) for c in counted], (message, seen)
    reference = Engine()
    reference.set_record_types(DECODER.names)
    reference.fold([Record("fuzz", 0, 0, None, None, message if out is None else out)])
    assert engine.take("fuzz").to_dict() == reference.take("fuzz").to_dict(), message


def check(data: bytes) -> None:
    if not data:
        return
    schema_id = 1 + data[0] % 3
    message = b"\x00" + schema_id.to_bytes(4, "big") + data[1:]
    use = DECODER.use.get(("fuzz", "value"))
    before = [Counter(c) for c in (use.ids, use.decoded, use.failures)] if use else []
    out = DECODER.body("fuzz", "value", message)
    if out is not None:
        assert out[:5] == message[:5]
        orjson.loads(out[5:])
    use = DECODER.use[("fuzz", "value")]
    after = (use.ids, use.decoded, use.failures)
    check_lookup(
        message, out, tuple(a - b for a, b in zip(after, before, strict=True)) if before else after
    )
    if schema_id == 1:
        check_core(message)


def main() -> None:
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
