"""The core's Avro decoder against the reference (fastavro + ``datum_json``).

Random writer schemas (records, nesting, unions with null, enums, arrays, maps,
fixed, bytes, logical types) and datums written by fastavro, as a producer's
serializer writes them: the core must give the same JSON bytes, and for mutated or
truncated bodies the same failure reason. Then the same through the engine: a
capture folded with the core's framing gives the same observations and the same
per-topic counts as the records decoded by the reference first.
"""

from __future__ import annotations

import io
import itertools
import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import fastavro
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from inferrer import _core
from inferrer.capture import iter_capture, write_capture
from inferrer.engine import Engine
from inferrer.engine.fold import fold_captures
from inferrer.pipeline import Source, collect
from inferrer.records import Record
from inferrer.registry.client import Reference, RegisteredSchema, SubjectVersion
from inferrer.registry.framed import FramedDecoder
from inferrer.registry.schemas import UndecodableBody, avro_decoder, datum_json
from inferrer.registry.sidecar import SidecarSchemas, read_sidecars, write_sidecar
from tests.properties import examples

I64 = (-(2**63), 2**63 - 1)
I32 = (-(2**31), 2**31 - 1)
NAMES = st.sampled_from(["a", "b", "c", "id", "at", "x_1", "Ä", 'q"uote'])
SYMBOLS = st.lists(
    st.sampled_from(["A", "B", "C", "D_2", "e"]), min_size=1, max_size=4, unique=True
)
_counter = itertools.count()


def _name() -> str:
    return f"T{next(_counter)}"


LOGICAL = [
    {"type": "long", "logicalType": "timestamp-millis"},
    {"type": "long", "logicalType": "timestamp-micros"},
    {"type": "long", "logicalType": "local-timestamp-millis"},
    {"type": "long", "logicalType": "local-timestamp-micros"},
    {"type": "long", "logicalType": "timestamp-nanos"},
    {"type": "int", "logicalType": "date"},
    {"type": "int", "logicalType": "time-millis"},
    {"type": "long", "logicalType": "time-micros"},
    {"type": "string", "logicalType": "uuid"},
    {"type": "string", "logicalType": "something-else"},
]
PRIMITIVES = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"]


@st.composite
def decimals(draw: st.DrawFn) -> dict[str, Any]:
    precision = draw(st.integers(1, 40))
    scale = draw(st.integers(0, precision))
    if draw(st.booleans()):
        return {"type": "bytes", "logicalType": "decimal", "precision": precision, "scale": scale}
    size = draw(st.integers(1, 20))
    # fastavro refuses a precision the fixed size cannot hold.
    precision = min(precision, int((8 * size - 1) * 0.30102999566398120))
    assume(precision >= 1)
    scale = min(scale, precision)
    return {
        "type": "fixed",
        "name": _name(),
        "size": size,
        "logicalType": "decimal",
        "precision": precision,
        "scale": scale,
    }


LEAVES = st.one_of(
    st.sampled_from(PRIMITIVES),
    st.sampled_from(LOGICAL),
    decimals(),
    st.builds(lambda s: {"type": "enum", "name": _name(), "symbols": s}, SYMBOLS),
    st.builds(lambda n: {"type": "fixed", "name": _name(), "size": n}, st.integers(0, 6)),
)


@st.composite
def schemas(draw: st.DrawFn, depth: int = 3) -> Any:
    """A writer schema: a leaf, or a container of schemas ``depth`` levels deep at most."""
    if depth == 0 or draw(st.integers(0, 2)) == 0:
        return draw(LEAVES)
    inner = schemas(depth - 1)
    match draw(st.sampled_from(["array", "map", "nullable", "union", "record"])):
        case "array":
            return {"type": "array", "items": draw(inner)}
        case "map":
            return {"type": "map", "values": draw(inner)}
        case "nullable":
            branch = draw(inner.filter(lambda b: b != "null" and not isinstance(b, list)))
            return ["null", branch] if draw(st.booleans()) else [branch, "null"]
        case "union":
            return ["null", "string", "long", "boolean"]
    names = draw(st.lists(NAMES, max_size=4, unique=True))
    return {
        "type": "record",
        "name": _name(),
        "fields": [{"name": n, "type": draw(inner)} for n in names],
    }


SCHEMAS = schemas()


def datums(schema: Any) -> st.SearchStrategy[Any]:
    """Values fastavro writes for ``schema`` (raw ints for logical types, any text for
    uuids and raw bytes for decimals: what the writer passes through)."""
    if isinstance(schema, list):
        return st.one_of([datums(b) for b in schema])
    if isinstance(schema, str):
        schema = {"type": schema}
    kind, logical = schema["type"], schema.get("logicalType")
    if logical == "decimal":
        if kind == "fixed":
            return st.binary(min_size=schema["size"], max_size=schema["size"])
        return st.binary(max_size=18)
    if logical == "uuid":
        noise = st.text(alphabet=" \t\x0b\x1f\u2003\u0661\uff19{}+_-x0:", max_size=3)
        near = st.builds(
            lambda u, a, b, upper: a + (u.hex.upper() if upper else str(u))[len(a) :] + b,
            st.uuids(),
            noise,
            noise,
            st.booleans(),
        )
        return st.one_of(st.uuids().map(str), st.text(max_size=40), near)
    if logical in ("timestamp-millis", "local-timestamp-millis"):
        return st.one_of(st.integers(-(10**14), 10**14), st.integers(*I64))
    if logical in ("timestamp-micros", "local-timestamp-micros"):
        return st.one_of(st.integers(-(10**17), 3 * 10**17), st.integers(*I64))
    if logical == "time-micros":
        return st.one_of(st.integers(-(10**10), 10**11), st.integers(*I64))
    if logical in ("date", "time-millis"):
        return st.one_of(st.integers(-800_000, 3_000_000), st.integers(*I32))
    simple = {
        "null": st.none(),
        "boolean": st.booleans(),
        "int": st.integers(*I32),
        "long": st.integers(*I64),
        "float": st.floats(width=32),
        "double": st.floats(),
        "bytes": st.binary(max_size=12),
        "string": st.text(max_size=8),
    }
    if kind in simple:
        return simple[kind]
    if kind == "enum":
        return st.sampled_from(schema["symbols"])
    if kind == "fixed":
        return st.binary(min_size=schema["size"], max_size=schema["size"])
    if kind == "array":
        return st.lists(datums(schema["items"]), max_size=4)
    if kind == "map":
        return st.dictionaries(st.text(max_size=4), datums(schema["values"]), max_size=4)
    return st.fixed_dictionaries({f["name"]: datums(f["type"]) for f in schema["fields"]})


def reference(schema: Any, body: bytes) -> tuple[bytes | None, str | None]:
    """What the Python path makes of one body: (JSON, None) or (None, reason)."""
    source = SidecarSchemas()
    decoder = avro_decoder(source, RegisteredSchema("AVRO", json.dumps(schema)))
    assert decoder.read is not None
    try:
        return datum_json(decoder.read(body)), None
    except UndecodableBody as e:
        return None, str(e)


def written(schema: Any, datum: Any) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(schema), datum)
    return out.getvalue()


MUTATIONS = st.one_of(
    st.tuples(st.just("cut"), st.integers(0, 64)),
    st.tuples(st.just("flip"), st.integers(0, 64), st.integers(1, 255)),
    st.tuples(st.just("append"), st.binary(min_size=1, max_size=4)),
    st.tuples(st.just("insert"), st.integers(0, 64), st.binary(min_size=1, max_size=10)),
)


def mutate(body: bytes, how: tuple[Any, ...]) -> bytes:
    if how[0] == "cut":
        return body[: how[1] % (len(body) + 1)]
    if how[0] == "flip" and body:
        at = how[1] % len(body)
        return body[:at] + bytes([body[at] ^ how[2]]) + body[at + 1 :]
    if how[0] == "append":
        return body + how[1]
    if how[0] == "insert":
        at = how[1] % (len(body) + 1)
        return body[:at] + how[2] + body[at:]
    return body


PROPERTY = settings(
    max_examples=examples(400),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@PROPERTY
@given(st.data())
def test_the_core_writes_the_json_the_reference_writes(data: st.DataObject) -> None:
    schema = data.draw(SCHEMAS, label="schema")
    datum = data.draw(datums(schema), label="datum")
    body = written(schema, datum)
    got = _core.avro_json([json.dumps(schema)], body)
    assert got == reference(schema, body)
    assert got[0] is not None or got[1] is not None


@PROPERTY
@given(st.data())
def test_broken_bodies_fail_as_they_fail_in_the_reference(data: st.DataObject) -> None:
    schema = data.draw(SCHEMAS, label="schema")
    datum = data.draw(datums(schema), label="datum")
    body = data.draw(st.lists(MUTATIONS, min_size=1, max_size=3), label="mutations")
    broken = written(schema, datum)
    for how in body:
        broken = mutate(broken, how)
    got = _core.avro_json([json.dumps(schema)], broken)
    # A body claiming more empty items than the core's bound (fastavro has none, and
    # would build them all) is the one case the reference is not asked about.
    assume(got[1] is None or "empty items" not in got[1])
    assert got == reference(schema, broken)


LIST = {
    "type": "record",
    "name": "Node",
    "namespace": "deep",
    "fields": [{"name": "next", "type": ["null", "Node"]}],
}


@pytest.mark.parametrize("levels", [1, 253, 254, 255, 400])
def test_deep_datums_stop_where_the_reference_stops(levels: int) -> None:
    body = b"\x02" * (levels - 1) + b"\x00"
    got = _core.avro_json([json.dumps(LIST)], body)
    assert got == reference(LIST, body)
    assert (got[0] is not None) == (levels <= 254)
    if levels > 254:
        assert got[1] == "the Avro datum nests deeper than 254 levels"


def test_a_length_of_2_to_the_62_allocates_nothing_and_fails_as_eof() -> None:
    huge = b"\xfe\xff\xff\xff\xff\xff\xff\xff\x7f"
    for schema in ("bytes", "string", {"type": "array", "items": "long"}):
        got = _core.avro_json([json.dumps(schema)], huge)
        assert got == (None, "not Avro of its writer schema (EOFError)")
        assert got == reference(schema, huge)


def test_empty_items_past_the_bound_are_counted_not_built() -> None:
    schema = {"type": "array", "items": "null"}
    assert _core.avro_json([json.dumps(schema)], b"\x0a\x00") == (
        b"[null,null,null,null,null]",
        None,
    )
    got = _core.avro_json([json.dumps(schema)], b"\xfe\xff\xff\xff\xff\xff\xff\xff\x7f")
    assert got == (None, "the Avro datum claims more than 1048576 empty items")


def test_schemas_the_core_does_not_read_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown type Nope"):
        _core.avro_json(['{"type":"record","name":"R","fields":[{"name":"x","type":"Nope"}]}'], b"")


# ------------------------------------------------------------------ through the engine

RECORDS = st.lists(
    st.tuples(st.sampled_from(["t.one", "t.two"]), st.integers(0, 3), st.binary(max_size=8)),
    min_size=1,
    max_size=30,
)


def _sidecar(schemas: dict[int, Any]) -> SidecarSchemas:
    source = SidecarSchemas()
    for schema_id, schema in schemas.items():
        kind = "JSON" if schema == "json" else "AVRO"
        text = '{"type": "object"}' if schema == "json" else json.dumps(schema)
        source.by_id[schema_id] = RegisteredSchema(kind, text)
    return source


def fold_by_reference(engine: Engine, framed: FramedDecoder, records: Iterable[Record]) -> None:
    """The reference: every body decoded in Python first, then folded, each framed
    message of the kind of the record type its schema id names."""
    decoded = list(framed.records(records))
    engine.set_record_types(framed.names)
    engine.fold(decoded)


def _framed(schema_id: int, body: bytes) -> bytes:
    return b"\x00" + schema_id.to_bytes(4, "big") + body


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_engine_folds_core_decoded_framing_as_the_reference_decoded(
    data: st.DataObject,
) -> None:
    schema = data.draw(SCHEMAS.filter(lambda s: isinstance(s, dict) and s["type"] == "record"))
    bodies = data.draw(st.lists(datums(schema), min_size=1, max_size=12)).copy()
    written_bodies = [written(schema, d) for d in bodies]
    picks = data.draw(RECORDS)
    records = []
    for i, (topic, choice, junk) in enumerate(picks):
        # Registered Avro (1), a broken body of it, JSON Schema (2), an unknown id (9)
        # with a binary and a JSON body, and a plain key.
        value = [
            _framed(1, written_bodies[i % len(written_bodies)]),
            _framed(1, written_bodies[i % len(written_bodies)][:-1] + junk),
            _framed(2, b'{"n": 1}'),
            _framed(9, junk if junk[:1] not in (b"{", b"[") else b"\x01"),
        ][choice]
        key = _framed(1, written_bodies[0]) if i % 4 == 0 else _framed(9, b'{"k": 1}')
        records.append(Record(topic, i % 2, i, 1_700_000_000_000 + i, key, value))
    schemas = {1: schema, 2: "json"}

    expected = FramedDecoder(_sidecar(schemas))
    by_reference = Engine()
    fold_by_reference(by_reference, expected, records)

    got = FramedDecoder(_sidecar(schemas))
    in_core = Engine()
    if data.draw(st.booleans(), label="looked up"):
        # The core asks for each id the first time it comes (registry runs, live).
        in_core.set_framing([], got)
    else:
        core_schemas = got.core_schemas()
        assert core_schemas is not None
        in_core.set_framing(core_schemas)
    in_core.fold(records)
    got.absorb(in_core.framed_use() or {})
    # A body claiming more empty items than the core's bound is the one case the
    # reference is not asked about (as in test_broken_bodies_fail_as_they_fail_in_the_reference).
    assume(not any("empty items" in r for u in got.use.values() for r in u.failures))

    assert in_core.topics() == by_reference.topics()
    for topic in by_reference.topics():
        assert in_core.take(topic).to_dict() == by_reference.take(topic).to_dict()
    assert {k: (dict(u.ids), dict(u.decoded), dict(u.failures)) for k, u in got.use.items()} == {
        k: (dict(u.ids), dict(u.decoded), dict(u.failures)) for k, u in expected.use.items()
    }
    assert [list(u.failures) for u in got.use.values()] == [
        list(u.failures) for u in expected.use.values()
    ]
    assert got.schemas == expected.schemas
    assert list(got.schemas) == list(expected.schemas)
    assert got.names == expected.names
    assert got.python_bodies == 0


PAYMENT = {
    "type": "record",
    "name": "Payment",
    "namespace": "com.bank",
    "fields": [
        {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
        {
            "name": "amount",
            "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2},
        },
        {"name": "memo", "type": ["null", "string"], "default": None},
    ],
}


def _capture(tmp_path: Path, schemas: dict[int, RegisteredSchema]) -> Path:
    body = written(
        PAYMENT, {"id": "00000000-0000-0000-0000-000000000001", "amount": b"\x30\x39", "memo": "hi"}
    )
    records = [
        Record("bank.payments", 0, i, 1_700_000_000_000 + i, None, value)
        for i, value in enumerate(
            [_framed(1, body), _framed(1, body[:-2]), _framed(5, b"\x02")] * 4
        )
    ]
    path = tmp_path / "cap.jsonl"
    write_capture(records, path)
    write_sidecar(path, schemas, [], {})
    return path


def test_a_capture_of_avro_stays_in_the_core_reader_with_the_reference_counts(
    tmp_path: Path,
) -> None:
    path = _capture(tmp_path, {1: RegisteredSchema("AVRO", json.dumps(PAYMENT))})
    expected = FramedDecoder(read_sidecars([path], None))
    by_reference = Engine()
    fold_by_reference(by_reference, expected, iter_capture(path))

    framed = FramedDecoder(read_sidecars([path], None))
    assert framed.core_schemas() == [(1, "AVRO", [json.dumps(PAYMENT)], "com.bank.Payment")]
    observed, _topics = fold_captures([path], framed=framed)

    assert observed["bank.payments"].to_dict() == by_reference.take("bank.payments").to_dict()
    use = framed.use[("bank.payments", "value")]
    assert dict(use.ids) == {1: 8, 5: 4}
    assert dict(use.decoded) == {1: 4}
    assert dict(use.failures) == {
        "schema id 1: not Avro of its writer schema (EOFError)": 4,
        "no schema with id 5 in the capture's schema sidecar": 4,
    }
    assert dict(use.failures) == dict(expected.use[("bank.payments", "value")].failures)
    assert framed.names == {1: "com.bank.Payment"}


def test_protobuf_bodies_are_decoded_by_the_reference_from_the_core_reader(
    tmp_path: Path,
) -> None:
    body = written(
        PAYMENT, {"id": "00000000-0000-0000-0000-000000000001", "amount": b"\x30\x39", "memo": "hi"}
    )
    # message M { string s = 1; }: message index 0 (the first message), then s = "hi";
    # a body cut short; an Avro body; an id the sidecar lacks.
    bodies = [_framed(2, b"\x00\x0a\x02hi"), _framed(2, b"\x00\x0a\x05h"), _framed(1, body)]
    records = [
        Record("bank.mixed", 0, i, 1_700_000_000_000 + i, _framed(5, b"\x02"), value)
        for i, value in enumerate(bodies * 4)
    ]
    path = tmp_path / "mixed.jsonl"
    write_capture(records, path)
    write_sidecar(
        path,
        {
            1: RegisteredSchema("AVRO", json.dumps(PAYMENT)),
            2: RegisteredSchema("PROTOBUF", 'syntax = "proto3"; message M { string s = 1; }'),
        },
        [],
        {},
    )
    expected = FramedDecoder(read_sidecars([path], None))
    by_reference = Engine()
    fold_by_reference(by_reference, expected, iter_capture(path))

    framed = FramedDecoder(read_sidecars([path], None))
    assert framed.core_schemas() is None
    observed, _topics = fold_captures([path], framed=framed)

    assert observed["bank.mixed"].to_dict() == by_reference.take("bank.mixed").to_dict()
    assert observed["bank.mixed"].messages == 12
    value = framed.use[("bank.mixed", "value")]
    assert dict(value.decoded) == {2: 4, 1: 4}
    assert list(value.failures) == list(expected.use[("bank.mixed", "value")].failures)
    assert dict(value.failures) == dict(expected.use[("bank.mixed", "value")].failures)
    assert len(value.failures) == 1
    key = framed.use[("bank.mixed", "key")]
    assert dict(key.failures) == {"no schema with id 5 in the capture's schema sidecar": 12}
    assert framed.names == expected.names == {1: "com.bank.Payment", 2: "M"}
    assert list(framed.schemas) == list(expected.schemas) == [2, 1]
    # Only the Protobuf bodies were decoded in Python; the core read the Avro ones.
    assert (framed.python_bodies, expected.python_bodies) == (8, 12)


@settings(max_examples=examples(1000), deadline=None)
@given(st.floats(), st.sampled_from(["float", "double"]))
def test_floats_are_written_as_orjson_writes_them(value: float, kind: str) -> None:
    if kind == "float" and abs(value) > 3.4e38 and value == value:
        value = 0.0  # past float32's range: fastavro refuses it
    body = written(kind, value)
    assert _core.avro_json([json.dumps(kind)], body) == reference(kind, body)


def test_referenced_schemas_reach_the_core_with_their_references() -> None:
    money = {
        "type": "record",
        "name": "Money",
        "namespace": "com.bank",
        "fields": [{"name": "units", "type": "long"}, {"name": "currency", "type": "string"}],
    }
    transfer = {
        "type": "record",
        "name": "Transfer",
        "namespace": "com.bank",
        "fields": [{"name": "amount", "type": "Money"}, {"name": "fee", "type": "Money"}],
    }
    schemas = SidecarSchemas()
    schemas.by_id[3] = RegisteredSchema(
        "AVRO", json.dumps(transfer), (Reference("com.bank.Money", "money", 1),)
    )
    schemas.versions[("money", 1)] = SubjectVersion(
        "money", 1, 2, RegisteredSchema("AVRO", json.dumps(money))
    )
    framed = FramedDecoder(schemas)
    assert framed.core_schemas() == [
        (3, "AVRO", [json.dumps(money), json.dumps(transfer)], "com.bank.Transfer")
    ]
    full = {
        **transfer,
        "fields": [{"name": "amount", "type": money}, {"name": "fee", "type": "Money"}],
    }
    body = written(
        full, {"amount": {"units": 5, "currency": "EUR"}, "fee": {"units": -1, "currency": ""}}
    )
    want = FramedDecoder(schemas).body("t", "value", _framed(3, body))
    assert want is not None
    assert _core.avro_json([json.dumps(money), json.dumps(transfer)], body) == (want[5:], None)
    assert want[5:] == b'{"amount":{"units":5,"currency":"EUR"},"fee":{"units":-1,"currency":""}}'


def test_kept_messages_are_of_their_record_types_as_the_fold_saw_them(tmp_path: Path) -> None:
    path = _capture(tmp_path, {1: RegisteredSchema("AVRO", json.dumps(PAYMENT))})
    got = collect(Source(capture_files=(path,)), keep_messages=True)
    kinds = Counter((m.schema_id, m.kind_field, m.kind) for m in got.messages)
    # Id 1 names com.bank.Payment, decoded or not; id 5 is in no sidecar: no record type.
    assert kinds == {(1, "@record", "com.bank.Payment"): 8, (5, None, None): 4}
    [summary] = got.summaries()
    [kind] = summary.kinds
    assert (kind.name, kind.count, kind.registry is not None) == ("Payment", 12, True)
