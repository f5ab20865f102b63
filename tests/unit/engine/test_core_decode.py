"""The compiled decoder and capture reader (``inferrer._core``) against the Python
references: ``decoding.decode_parts`` and ``capture.decode_line`` are the oracles, and
every field must agree exactly (types, float bits, dict member order)."""

from __future__ import annotations

import json
import math
import random
import struct
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inferrer import _core, capture, decoding
from inferrer.records import Record
from tests.properties import examples
from tests.strategies_json import json_values

SETTINGS = settings(
    max_examples=examples(300), deadline=None, suppress_health_check=list(HealthCheck)
)


def canon(x: Any) -> Any:
    """A comparable form that tells types, float bits and dict order apart."""
    if isinstance(x, dict):
        return ("dict", [(k, canon(v)) for k, v in x.items()])
    if isinstance(x, list | tuple):
        return (type(x).__name__, [canon(v) for v in x])
    if isinstance(x, float):
        return ("float", struct.pack("<d", x) if not math.isnan(x) else "nan")
    return (type(x).__name__, x)


def check_record(
    value: bytes | None,
    key: bytes | None = None,
    headers: tuple[tuple[str, bytes | None], ...] = (),
    timestamp: int | None = 1,
) -> None:
    record = Record("t", 3, 7, timestamp, key, value, headers)
    expected = decoding.decode_parts(record)
    got = _core.decode_record(3, 7, timestamp, key, value, list(headers))
    assert len(got) == len(decoding.PARTS_FIELDS)
    for name, e, g in zip(decoding.PARTS_FIELDS, expected, got, strict=True):
        assert canon(g) == canon(e), (name, value, key, headers, e, g)


# ---------------------------------------------------------------- generated text


def render(v: Any, rnd: random.Random) -> str:
    """JSON text of ``v`` with random whitespace; a dict may repeat a member name."""
    ws = rnd.choice(["", "", " ", "\n  ", "\t"])
    if isinstance(v, dict):
        items = [f"{json.dumps(k)}{ws}:{ws}{render(x, rnd)}" for k, x in v.items()]
        if items and rnd.random() < 0.1:
            items.append(items[0])  # a duplicate name
        return "{" + ws + ("," + ws).join(items) + ws + "}"
    if isinstance(v, list):
        return "[" + ws + ("," + ws).join(render(x, rnd) for x in v) + ws + "]"
    return json.dumps(v, ensure_ascii=rnd.random() < 0.5)


big_ints = st.sampled_from(
    [2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**40, -(10**30), 10**400]
)
scalars = st.one_of(
    big_ints,
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.integers(),
)
values = st.recursive(
    st.one_of(json_values, scalars),
    lambda c: st.one_of(
        st.lists(c, max_size=3), st.dictionaries(st.text(max_size=4), c, max_size=3)
    ),
    max_leaves=10,
)

CONNECT_TYPES = [
    "int8",
    "int32",
    "int64",
    "float",
    "double",
    "boolean",
    "string",
    "bytes",
    "map",
    "x",
]


@st.composite
def connect_schemas(draw: st.DrawFn, depth: int = 0) -> Any:
    kind = draw(st.sampled_from([*CONNECT_TYPES, "struct", "array", 5]))
    schema: dict[str, Any] = {"type": kind}
    if draw(st.booleans()):
        schema["optional"] = draw(st.sampled_from([True, False, 0, 1, None, "", "y", [], 0.0]))
    if kind == "struct" and depth < 3:
        names = st.sampled_from(["a", "b", "c", 3])
        schema["fields"] = draw(
            st.one_of(
                st.lists(
                    st.builds(
                        lambda n, s: {**s, "field": n},
                        names,
                        connect_schemas(depth + 1),  # type: ignore[call-arg]
                    ),
                    max_size=4,
                ),
                st.sampled_from([None, 0, 7, "ab", {"x": 1}, [1, "a"], True]),
            )
        )
    if kind == "array" and depth < 3:
        schema["items"] = draw(st.one_of(connect_schemas(depth + 1), st.just(3)))  # type: ignore[call-arg]
    return schema


@st.composite
def envelopes(draw: st.DrawFn) -> Any:
    payload = draw(values)
    which = draw(st.sampled_from(["connect", "debezium", "ce", "plain"]))
    if which == "connect":
        out: Any = {"schema": draw(connect_schemas()), "payload": payload}
        if draw(st.booleans()):
            out["payload"] = {
                "op": draw(st.sampled_from(["c", "u", "x"])),
                "before": None,
                "after": payload,
            }
        return out
    if which == "debezium":
        return {
            "op": draw(st.sampled_from(["c", "u", "d", "r", "t", "m", "z", 1, ["c"], {}])),
            "before": None,
            "after": payload,
            "source": {"db": "x"},
        }
    if which == "ce":
        out = {"specversion": "1.0", "source": "s", "id": "1", "data": payload}
        out["type"] = draw(st.sampled_from(["a.b", "", "x" * 101, 3]))
        return out
    return {
        draw(st.sampled_from(decoding.DISCRIMINATOR_FIELDS)): draw(
            st.sampled_from(["A", "", "é" * 100, "é" * 101, 1, None])
        ),
        "n": payload,
    }


def mutate(data: bytes, rnd: random.Random) -> bytes:
    """One random damage (or decoration) of some bytes."""
    b = bytearray(data)
    op = rnd.randrange(12)
    i = rnd.randrange(len(b) + 1)
    if op == 0 and b:
        del b[i % len(b)]
    elif op == 1 and b:
        b[i % len(b)] ^= 1 << rnd.randrange(8)
    elif op == 2:
        b[i:i] = bytes([rnd.randrange(256)])
    elif op == 3:
        b = b[:i]
    elif op == 4:
        b = bytearray(b"\xef\xbb\xbf") + b
    elif op == 5:
        b[i:i] = rnd.choice([b"NaN", b"-Infinity", b"Infinity", b"1e400", b"-0", b"1E5"])
    elif op == 6:
        b[i:i] = rnd.choice([b'"\\ud800"', b'"\\udc00\\ud800"', b'"\\ud83d\\ude00"', b"\\u0000"])
    elif op == 7:
        n = rnd.choice([63, 64, 65, 66, 127, 129, 300])
        b = bytearray(b"[" * n + bytes(b) + b"]" * rnd.choice([0, n]))
    elif op == 8:
        b = bytearray(b"\x00" + rnd.randbytes(4)) + b
    elif op == 9:
        b[i:i] = rnd.choice(
            [b" ", b"\n", b"\x1c", b"\x01", b"\xff", b"\xc3", b'"', b"\\", b"{", b"]"]
        )
    elif op == 10 and b:
        j = rnd.randrange(len(b))
        b[i:i] = b[min(i, j) : max(i, j)]
    else:
        b = bytearray(rnd.randbytes(rnd.randrange(12)))
    return bytes(b)


header_values = st.one_of(
    st.none(),
    st.binary(max_size=8),
    st.sampled_from(
        [
            b"application/cloudevents+json",
            b"application/json",
            b"",
            b" [1, 2] ",
            b'{"a":1,"a":2}',
            b"\x1c{}\x1f",
            b"[1e400]",
            b"{bad",
            b"\xff",
            b"t.x",
            b"1.0",
            b"[18446744073709551616]",
        ]
    ),
)
header_names = st.sampled_from(
    ["content-type", "content_type", "ce_type", "ce_specversion", "x", "x"]
)
headers = st.lists(st.tuples(header_names, header_values), max_size=5).map(tuple)


@st.composite
def payload_bytes(draw: st.DrawFn) -> bytes:
    rnd = random.Random(draw(st.integers(0, 2**32)))
    kind = draw(st.sampled_from(["value", "envelope", "framed", "random", "text"]))
    if kind == "random":
        data = draw(st.binary(max_size=40))
    elif kind == "text":
        data = draw(st.text(max_size=20)).encode("utf-8", "surrogatepass")
    else:
        v = draw(envelopes()) if kind == "envelope" else draw(values)
        data = render(v, rnd).encode("utf-8", "surrogatepass")
        if kind == "framed":
            data = b"\x00" + draw(st.binary(min_size=4, max_size=4)) + data
    for _ in range(draw(st.integers(0, 2))):
        data = mutate(data, rnd)
    return data


@SETTINGS
@given(payload_bytes(), st.one_of(st.none(), payload_bytes()), headers)
def test_records_agree(
    value: bytes, key: bytes | None, hs: tuple[tuple[str, bytes | None], ...]
) -> None:
    check_record(value, key, hs)


@SETTINGS
@given(st.one_of(st.none(), payload_bytes()), headers)
def test_tombstones_and_keys_agree(
    key: bytes | None, hs: tuple[tuple[str, bytes | None], ...]
) -> None:
    check_record(None, key, hs, timestamp=None)
    check_record(b"", key, hs)


SEEDS: list[bytes] = [
    b'{"type":"OrderPlaced","id":1,"amount":9.5,"items":[{"sku":"a"}]}',
    b'{"schema":{"type":"struct","fields":[{"field":"id","type":"int64"},{"field":"n","type":"string","optional":true}]},"payload":{"id":18446744073709551616,"n":"x"}}',
    b'{"op":"u","before":{"id":1},"after":{"id":1,"v":2},"source":{}}',
    b'{"specversion":"1.0","type":"com.x.created","source":"/s","id":"9","data":{"a":[1,2,3]}}',
    b'\x00\x00\x00\x00\x2a{"eventType":"E","a":1}',
    b"\x00\x00\x00\x00\x2a\x00\x08\x96\x01",
    b'\xef\xbb\xbf  {"a":{"a":1,"a":2}}\r\n',
    b"[" * 64 + b"]" * 64,
    b'"\\ud83d\\ude00 text"',
    b"plain text \xc3\xa9",
    b"-12.5e-3",
    b'{"kind":"' + "é".encode() * 100 + b'"}',
]


def test_fuzz_mutations_agree() -> None:
    rnd = random.Random(20261201)
    hs_pool: list[tuple[tuple[str, bytes | None], ...]] = [
        (),
        (("ce_type", b"a.b"), ("ce_specversion", b"1.0")),
        (("content-type", b"application/cloudevents+json"),),
        (("content-type", b""), ("content_type", b"text/x")),
    ]
    for _ in range(3000):
        data = rnd.choice(SEEDS)
        for _ in range(rnd.randrange(1, 4)):
            data = mutate(data, rnd)
        key = mutate(rnd.choice(SEEDS), rnd) if rnd.random() < 0.3 else None
        check_record(data, key, rnd.choice(hs_pool))


def test_examples_agree() -> None:
    for data in [
        *SEEDS,
        b"[1NaN]",
        b"[-NaN]",
        b"[tru, NaN]",
        b"[" * 200,
        b"[" * 65 + b"1",
        b'["\\ud800", tru]',
        b"1" * 400,
        b"[" + b"1" * 4301 + b"]",
        b"[1e400]",
        b'{"op":[],"before":1,"after":2}',
        b'{"schema":{"type":"struct","fields":7},"payload":{}}',
        b'{"schema":{"type":"struct","optional":true},"payload":1}',
        b'{"a":' * 64 + b"1" + b"}" * 64,
        b"\x00\x00\x00\x00\x01 \xef\xbb\xbf{}",
        b"\x01" + b"a" * 300,
        b"a" * 256 + b"\x01",
        b'{"type":"' + "\U0001f600".encode() * 100 + b'"}',
        b'{"type":"' + "\U0001f600".encode() * 101 + b'"}',
        b"\xef\xbb\xbf{bad",
        b"\xc2\xa0[1]\xe2\x80\x83",
        b"\x1f{}\x1c",
        b"\x00\x00\x00\x00",
        b"\x00\x00\x00\x00\x00",
        b"\x00\x00\x00\x00\x00\x00\x10",
        b'{"op":"c","before":null,"after":1,"specversion":"1.0","type":"t","source":1,"id":1}',
        b'{"schema":{"type":"string","optional":false},"payload":"x"}',
        b'{"schema":{"type":"array","items":{"type":"map","optional":true}},"payload":[]}',
        b'{"specversion":"1.0","type":"t","source":1,"id":1}',
        b'{"specversion":"1.0","type":5,"source":1,"id":1,"data":{"kind":"K"}}',
    ]:
        check_record(data)
        check_record(b"{}", key=data, headers=(("h", data),))


# ---------------------------------------------------------------- capture lines


def python_line(line: bytes) -> tuple[Any, str | None]:
    try:
        r = capture.decode_line(line)
    except ValueError as e:
        return None, str(e)
    return (r.topic, r.partition, r.offset, r.timestamp, r.key, r.value, r.headers), None


def check_lines(lines: list[bytes]) -> None:
    data = b"".join(line if line.endswith(b"\n") else line + b"\n" for line in lines)
    got = _core.read_capture_bytes(data)
    expected = []
    for n, line in enumerate(data.split(b"\n")[:-1], start=1):
        if line.strip():
            record, error = python_line(line + b"\n")
            expected.append((n, record, error))
    assert [canon(x) for x in got] == [canon(x) for x in expected]


records = st.builds(
    Record,
    topic=st.text(min_size=1, max_size=5),
    partition=st.integers(0, 2**31 - 1),
    offset=st.integers(-(2**63), 2**63 - 1),
    timestamp=st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)),
    key=st.one_of(st.none(), st.binary(max_size=6), st.text(max_size=6).map(str.encode)),
    value=st.one_of(st.none(), payload_bytes()),
    headers=st.lists(st.tuples(st.text(max_size=3), header_values), max_size=3).map(tuple),
)


@SETTINGS
@given(st.lists(records, min_size=1, max_size=4))
def test_encoded_records_read_back_alike(rs: list[Record]) -> None:
    check_lines([capture.encode_record(r) for r in rs])


@SETTINGS
@given(records, st.integers(0, 2**32))
def test_damaged_lines_agree(r: Record, seed: int) -> None:
    rnd = random.Random(seed)
    line = capture.encode_record(r).rstrip(b"\n")
    check_lines([mutate(line, rnd).replace(b"\n", b" ") for _ in range(3)])


def test_long_numbers_and_control_bytes_between_tokens_agree() -> None:
    # Found by test_damaged_lines_agree: the core's fast line reader (simd-json) took a
    # number of 19 digits followed by any byte, and a control byte after a number.
    head = b'{"topic":"t","partition":0,"offset":'
    lines = [
        head + number + junk + b',"payload":null}'
        for number in (b"-1000000000000000000", b"1111111111111111111", b"1.000000000000000000")
        for junk in (b"\x01", b"\x00", b"X", b"-", b".", b"")
    ]
    lines += [head + b"7" + junk + b',"payload":"v"}' for junk in (b"\x01", b"\x1f", b"\t")]
    check_lines(lines)


def test_capture_examples_agree() -> None:
    check_lines(
        [
            b'{"topic":"t","partition":0,"offset":1,"key":"k\xff","payload":"v\xc3"}',
            b'{"topic":"t","partition":0,"offset":1,"payload":"\\udc80\\udcff"}',
            b'{"topic":"t","partition":0,"offset":1,"payload":"\\ud800"}',
            b'{"topic":"t","partition":0,"offset":1,"payload":{"b":[1,2.5,1e16,null,"\\u00e9\\n"]}}',
            b'{"topic":"t","partition":0,"offset":1,"payload":NaN}',
            b'{"topic":"t","partition":0,"offset":1,"ts":null,"headers":{"a":["x",null],"b":["y"]}}',
            b'{"topic":"t","partition":0,"offset":1,"headers":["a","eA==","b",null],"headers_b64":[0]}',
            b'{"topic":"t","partition":0,"offset":1,"headers":["a","x"],"headers_b64":[3]}',
            b'{"topic":"t","partition":0,"offset":1,"headers":["a"]}',
            b'{"topic":"t","partition":-1,"offset":1}',
            b'{"topic":"t","partition":true,"offset":1}',
            b'{"topic":"","partition":0,"offset":1}',
            b'{"topic":"t","partition":0,"offset":1,"key_b64":"!!"}',
            b'{"topic":"t","partition":0,"offset":1,"key_b64":5}',
            b'{"topic":"t","partition":0,"offset":1.0}',
            b'{"topic":"t","partition":0,"offset":18446744073709551615}',
            b"[1,2]",
            b"{nope",
            b"   ",
            b'{"topic":"t","partition":0,"offset":1,"payload":' + b"[" * 2000 + b"]" * 2000 + b"}",
            # Deep in a field the reader skips: still a line nested too deep (from 256).
            *(
                b'{"topic":"t","partition":0,"offset":1,"x":' + b"[" * n + b"]" * n + b"}"
                for n in (255, 256, 3000)
            ),
        ]
    )


CAPTURE_SEEDS: list[bytes] = [
    b'{"topic":"t","partition":0,"offset":1,"tstype":"create","ts":5,"broker":-1,'
    b'"headers":["a","x","b",null,"c","/w=="],"headers_b64":[2],"key":"k",'
    b'"payload":"v \\u00e9 \\ud83d\\ude00"}',
    b'{"topic":"t","partition":2,"offset":-1,"headers":{"a":["x",null],"b":["eA=="]},'
    b'"headers_b64":[2],"key_b64":"/w==","payload":{"a":[1,2.5,-0.0,1e300,true,null,"s\\n"],'
    b'"b":{"c":18446744073709551616}}}',
    capture.encode_record(
        Record("t\u00e9", 1, 2, 3, b"\xff\x00", b'{"a":1}', (("h", b"\xfe"), ("g", None)))
    ).rstrip(b"\n"),
    b'{"topic":"t","partition":0,"offset":1,"key":"raw \xff\xc3 bytes","payload":"\\udcff"}',
]


def test_fuzz_capture_lines_agree() -> None:
    rnd = random.Random(1201)
    for _ in range(1500):
        line = rnd.choice(CAPTURE_SEEDS)
        for _ in range(rnd.randrange(1, 4)):
            line = mutate(line, rnd)
        check_lines([line.replace(b"\n", b" ")])


def test_base64_fields_agree() -> None:
    for text in [
        "",
        "=",
        "AAAA",
        "AAA=",
        "AA==",
        "AA=",
        "AAA==",
        "AAAA===",
        "AA=A",
        "QR==",
        "A===",
        "AAAAA",
        " AAAA",
        "AA==\\n",
        "\\u00e9",
        "\\ud800",
    ]:
        check_lines(
            [
                b'{"topic":"t","partition":0,"offset":1,"key_b64":"%s","headers":["h","%s"],'
                b'"headers_b64":[0]}' % (text.encode(), text.encode())
            ]
        )


def test_the_core_and_the_reference_look_for_the_same_kind_names() -> None:
    assert tuple(_core.DISCRIMINATOR_FIELDS) == decoding.DISCRIMINATOR_FIELDS
    assert tuple(_core.HEADER_KIND_NAMES) == decoding.HEADER_KIND_NAMES
