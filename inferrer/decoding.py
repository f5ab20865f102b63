"""The reference decoder: one :class:`~inferrer.records.Record` → one
:class:`~inferrer.model.DecodedMessage`.

Order of recognition for a value:

1. ``None`` → tombstone (``encoding="null"``).
2. Confluent wire format (magic byte 0, 4-byte big-endian schema id): the rest is
   decoded as JSON when it parses (JSON Schema serializer); otherwise it is recorded
   as ``protobuf`` when the next bytes look like Protobuf message indexes followed by
   a field tag, else as ``avro``. Neither is decoded (registry lookup is later work).
3. A UTF-8 BOM is dropped. Bytes that start with ``{`` or ``[`` must be JSON, or the
   message is undecodable (``invalid-utf8``, ``invalid-json``, ``too-deep``,
   ``too-wide``, ``nan-or-infinity``). Other bytes that parse as a JSON scalar are JSON; otherwise
   valid UTF-8 is ``text``, anything else ``binary`` (length only).
4. JSON objects are unwrapped: Kafka Connect ``{schema, payload}`` (only when
   ``schema`` looks like a Connect schema), CloudEvents structured mode, Debezium.

Decisions: NaN/Infinity are not JSON and make a message undecodable; lone surrogate
escapes (``"\\ud800"``) are ``invalid-utf8``; payloads nested deeper than
:data:`MAX_DEPTH` are undecodable (``too-deep``), and so are those with an object of
more than :data:`MAX_OBJECT_MEMBERS` members (``too-wide``). Two things are decoded but reported
as *anomalies* of the payload (:data:`ANOMALIES`; the message stays ``ok`` and feeds
the schema, ``reason`` names them): duplicate object member names, at any depth and
compared after unescaping (accepted, the last one wins: RFC 8259 leaves it open, and
every mainstream parser does this), and integer literals outside the 64-bit range
[-2**63, 2**64-1] (decoded exactly as Python ints, so such a field is typed
``integer``; many JSON consumers lose their precision). Keys and headers are not
checked. Integers longer than Python's int-conversion limit (4300 digits) are
``invalid-json``. Nothing here raises.

This module is THE REFERENCE (the oracle) of the engine's decoder: the compiled core
(``crates/inferrer-core/src/decode.rs``, used through :mod:`inferrer.engine`) must
give the same :data:`Parts` for every record; the tests and the fuzz target compare
them. Production code does not call it per message.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from collections.abc import Mapping
from typing import Any, Final

import orjson

from inferrer.jsontext import nesting_exceeds
from inferrer.model import (
    DECODED_FIELDS,
    HEADER_KIND_PREFIX,
    DecodedMessage,
    Envelope,
    Framing,
    PayloadEncoding,
)
from inferrer.records import Record

DISCRIMINATOR_FIELDS: Final = ("@type", "eventType", "event_type", "type", "kind")
"""Payload fields that may name the event kind, in order of precedence."""
HEADER_KIND_NAMES: Final = (
    "__typeid__",
    "event-type",
    "eventtype",
    "event_type",
    "message-type",
    "messagetype",
    "x-event-type",
    "type",
)
"""Headers that may name the event kind (compared ignoring ASCII case), in order of
precedence, when the payload names none: Spring Kafka's type header, then the names
producers commonly give an event-type header."""
MAX_KIND_VALUE_LENGTH: Final = 100
DEBEZIUM_OPS: Final[Mapping[str, str]] = {
    "c": "Create",
    "u": "Update",
    "d": "Delete",
    "r": "Read",
    "t": "Truncate",
    "m": "Message",
}
"""Debezium ``op`` codes and the kind names they give."""

MAX_DEPTH: Final = 64
"""Deepest nesting of objects and arrays a payload may have."""
MAX_OBJECT_MEMBERS: Final = 10_000
"""Most members (distinct names) one object of a value may have; a wider one is
``too-wide``, so that the work and memory per message stay bounded."""

ANOMALIES: Final = ("duplicate-keys", "integer-beyond-64-bits")
"""What a decoded (``ok``) payload may be reported for, in ``reason`` (comma-joined, sorted):
``duplicate-keys``: an object of the payload, at any depth, names a member twice
(after unescaping; the last one wins); ``integer-beyond-64-bits``: an integer literal
(no fraction, no exponent) lies outside [-2**63, 2**64-1] (it is decoded exactly)."""

_BOM: Final = b"\xef\xbb\xbf"
_JSON_START: Final = frozenset(b'{["-0123456789tfn')
_CONTAINER_START: Final = frozenset(b"{[")
_WS: Final = b" \t\r\n"
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_INT_MIN: Final = -(2**63)
_INT_MAX: Final = 2**64 - 1
_DIGITS_AS_ZEROS: Final = bytes.maketrans(b"-123456789", b"0000000000")
_ZEROS_20: Final = b"0" * 20
"""An integer outside the 64-bit range has 20 digits or more, or a minus and 19."""
_LONG_INTEGERS: Final = re.compile(rb"(?<![^:,\[\s])-?\d{19,}(?![\d.eE])")
"""Where an integer literal of 19 digits or more may be: after ':', ',', '[', whitespace
or nothing; not part of a fraction or an exponent (but maybe in a string)."""
_CONTAINERS: Final = frozenset({dict, list})
_ESCAPED_COLON: Final = b"\\u003"
"""Prefix of ``\\u003a``: a colon the raw bytes do not show (also matches ``\\u0030``-``f``)."""
_DUPLICATE_KEYS, _BIG_INTEGER = ANOMALIES


class _Undecodable(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _reject_constant(name: str) -> Any:
    raise _Undecodable("nan-or-infinity")


def _depth(value: Any) -> int:
    """Nesting depth of containers, iteratively (no recursion on hostile input)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            deepest = max(deepest, d)
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            deepest = max(deepest, d)
            stack.extend((x, d + 1) for x in v)
    return deepest


def _too_deep(data: bytes, value: Any) -> bool:
    """Nested deeper than MAX_DEPTH (brackets counted first: most payloads have few)."""
    return data.count(b"{") + data.count(b"[") > MAX_DEPTH and _depth(value) > MAX_DEPTH


def _widest(value: Any) -> int:
    """Most members of one object in ``value``, iteratively."""
    widest = 0
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            widest = max(widest, len(v))
            stack.extend(x for x in v.values() if isinstance(x, dict | list))
        elif isinstance(v, list):
            stack.extend(x for x in v if isinstance(x, dict | list))
    return widest


def _too_wide(data: bytes, value: Any) -> bool:
    """An object with more than MAX_OBJECT_MEMBERS members (each member needs a colon:
    counting them first rules out most payloads)."""
    return data.count(b":") > MAX_OBJECT_MEMBERS and _widest(value) > MAX_OBJECT_MEMBERS


def parse_json(data: bytes) -> Any:
    """Parse JSON bytes (BOM already removed) or raise ``_Undecodable`` with a reason.

    Integers beyond 64 bits may come back as floats (orjson); :func:`parse_payload`
    gives them exactly. The reason for a text that does not parse follows one rule
    that any parser can implement (the compiled core does): see :func:`_parse_broken`.
    """
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        value = _parse_broken(data)
    if _too_deep(data, value):
        raise _Undecodable("too-deep")
    if _too_wide(data, value):
        raise _Undecodable("too-wide")
    return value


def _parse_broken(data: bytes) -> Any:
    """The value of a text orjson refused, or ``_Undecodable`` with the reason.

    The whole text is looked at first, in this order: bytes that are not UTF-8 are
    ``invalid-utf8``; brackets nested deeper than MAX_DEPTH (:func:`nesting_exceeds`)
    are ``too-deep``; a lone surrogate escape anywhere (:func:`_has_lone_surrogate`)
    is ``invalid-utf8``. Then the first error read left to right decides: NaN,
    Infinity or -Infinity where a value belongs is ``nan-or-infinity``; anything else
    (a float literal overflowing to infinity, an integer over Python's 4300-digit
    limit, any syntax error) is ``invalid-json``. What orjson refuses but is JSON
    (integers too long for a double) parses with the standard library. The whole-text
    checks come first because a parser's first error depends on its own limits
    (orjson's depth and number ranges, the stack of the standard library); these do not.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _Undecodable("invalid-utf8") from None
    if nesting_exceeds(data, MAX_DEPTH):
        raise _Undecodable("too-deep")
    if _has_lone_surrogate(data):
        raise _Undecodable("invalid-utf8")
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except ValueError:
        raise _Undecodable("invalid-json") from None


def _finite_float(text: str) -> float:
    f = float(text)
    if math.isinf(f):  # 1e400: Python reads infinity, which JSON cannot hold
        raise _Undecodable("invalid-json")
    return f


_STRING: Final = re.compile(rb'"(?:[^"\\]|\\.)*"?', re.DOTALL)
_ESCAPE: Final = re.compile(rb"\\(?:u([0-9a-fA-F]{4})|.)", re.DOTALL)


def _has_lone_surrogate(data: bytes) -> bool:
    """Whether a string of ``data`` holds a ``\\uXXXX`` surrogate escape that is not a
    high one directly followed by a low one (such a string has no UTF-8 form)."""
    if b"\\u" not in data:
        return False
    for string in _STRING.finditer(data):
        high_end = -1  # where a high surrogate escape ended, waiting for its low half
        for m in _ESCAPE.finditer(string.group()):
            code = int(m.group(1), 16) if m.group(1) else -1
            if high_end >= 0:
                if m.start() == high_end and 0xDC00 <= code <= 0xDFFF:
                    high_end = -1
                    continue
                return True
            if 0xD800 <= code <= 0xDBFF:
                high_end = m.end()
            elif 0xDC00 <= code <= 0xDFFF:
                return True
        if high_end >= 0:
            return True
    return False


def _out_of_range(run: bytes) -> bool:
    return len(run) > 21 or not _INT_MIN <= int(run) <= _INT_MAX


def _members(value: dict[str, Any] | list[Any]) -> int:
    """Members of every object in a decoded JSON container (nesting is at most MAX_DEPTH)."""
    if type(value) is dict:
        n = len(value)
        items: Any = value.values()
    else:
        n = 0
        items = value
    for x in items:
        if type(x) in _CONTAINERS:
            n += _members(x)
    return n


def _colons(value: Any) -> int:
    """Colons in ``value`` written out as JSON; -1 when orjson cannot write it."""
    try:
        return orjson.dumps(value).count(b":")
    except TypeError:  # an integer beyond 64 bits: the exact parse decides
        return -1


def check_payload(data: bytes, value: Any) -> tuple[Any, str | None]:
    """The payload parsed from ``data`` with exact integers, and its anomalies.

    ``value`` is what :func:`parse_json` gave for ``data``. Cheap prefilters rule the
    anomalies out for almost every payload; only a suspicious one is parsed again,
    exactly, with the standard library. Returns ``(value, reason)``: ``reason`` is
    None, or the comma-joined, sorted names of :data:`ANOMALIES` found.
    """
    # Whitespace dropped, every digit and minus a 0: runs and '":' show as substrings.
    compact = data.translate(_DIGITS_AS_ZEROS, _WS)
    # Integers: a run of 20 (a minus counted) is a hint; the integer literals it may
    # be are checked; they may also sit in strings: the exact parse tells.
    big = _ZEROS_20 in compact and any(map(_out_of_range, _LONG_INTEGERS.findall(data)))
    # Duplicates: a duplicate drops members, so the tree holds fewer members than the
    # bytes. Each member shows a '"' followed by ':' (whitespace dropped): its key's
    # closing quote. Any other '":' is in a string (an escaped quote, or a text that
    # starts with ':'). So a tree with that many members lost none.
    suspect = False
    if not big:
        quoted = compact.count(b'":')
        if (
            quoted
            and (type(value) is not dict or quoted != len(value))
            and (type(value) not in _CONTAINERS or _members(value) != quoted)
        ):
            # More '":' than members: a duplicate, or strings such as escaped JSON.
            # Every colon is a member's or in a string, and the tree written out
            # keeps them all, unless a member was dropped or a colon was escaped.
            suspect = (
                b"\\" not in data or _ESCAPED_COLON in data or _colons(value) != data.count(b":")
            )
    if not big and not suspect:
        return value, None
    found: set[str] = set()

    def exact_int(text: str) -> int:
        n = int(text)
        if not _INT_MIN <= n <= _INT_MAX:
            found.add(_BIG_INTEGER)
        return n

    def exact_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            found.add(_DUPLICATE_KEYS)
        return obj

    try:
        exact = json.loads(
            data.decode("utf-8"),
            parse_int=exact_int,
            parse_float=_finite_float,
            parse_constant=_reject_constant,
            object_pairs_hook=exact_object,
        )
    except ValueError:  # an integer beyond Python's int-conversion limit
        raise _Undecodable("invalid-json") from None
    return (exact if big else value), ",".join(sorted(found)) or None


def parse_payload(data: bytes) -> tuple[Any, str | None]:
    """:func:`parse_json` and :func:`check_payload`: the payload and its anomalies."""
    return check_payload(data, parse_json(data))


def _strip(data: bytes) -> bytes:
    if data.startswith(_BOM):
        data = data[3:]
    return data.strip(_WS)


def _parse(data: bytes, check: bool) -> tuple[Any, str | None]:
    # Keys and headers (check=False) get exact integers too, without the anomalies.
    value, anomalies = parse_payload(data)
    return value, anomalies if check else None


def _decode_bytes(data: bytes, check: bool) -> tuple[PayloadEncoding, Any, str | None]:
    """Decode unframed bytes: JSON, text or binary, and the anomalies when ``check``.

    Raises ``_Undecodable``.
    """
    body = _strip(data)
    if body and body[0] in _CONTAINER_START:
        return "json", *_parse(body, check)
    if body and body[0] in _JSON_START:
        try:
            return "json", *_parse(body, check)
        except _Undecodable:
            pass
    try:
        text = (data[3:] if data.startswith(_BOM) else data).decode("utf-8")
    except UnicodeDecodeError:
        return "binary", None, None
    if not text.isprintable() and _CONTROL.search(text, 0, 256):
        return "binary", None, None
    return "text", text, None


def _looks_like_protobuf(rest: bytes) -> bool:
    # Confluent Protobuf framing: varint count of message indexes (0 = first message),
    # then the message, whose first byte is a field tag with a known wire type.
    if len(rest) < 2 or rest[0] != 0:
        return False
    tag = rest[1]
    return tag >> 3 >= 1 and tag & 7 in (0, 1, 2, 5)


def _decode_framed(
    data: bytes, check: bool
) -> tuple[PayloadEncoding, Any, str | None, Framing, int | None]:
    """(encoding, value, anomalies, framing, schema id); anomalies only when ``check``."""
    if len(data) >= 5 and data[0] == 0:
        schema_id = int.from_bytes(data[1:5], "big")
        rest = data[5:]
        body = _strip(rest)
        if body and body[0] in _JSON_START:
            try:
                value, anomalies = _parse(body, check)
                return "json", value, anomalies, "confluent", schema_id
            except _Undecodable:
                pass
        encoding: PayloadEncoding = "protobuf" if _looks_like_protobuf(rest) else "avro"
        return encoding, None, None, "confluent", schema_id
    encoding, value, anomalies = _decode_bytes(data, check)
    return encoding, value, anomalies, "none", None


_CONNECT_TYPES: Final[Mapping[str, str]] = {
    "int8": "integer",
    "int16": "integer",
    "int32": "integer",
    "int64": "integer",
    "float": "number",
    "float32": "number",
    "float64": "number",
    "double": "number",
    "boolean": "boolean",
    "string": "string",
    "bytes": "string",
}


def _is_connect_schema(schema: Any) -> bool:
    return (
        isinstance(schema, dict)
        and isinstance(schema.get("type"), str)
        and ("fields" in schema or "optional" in schema)
    )


_CONNECT_LOGICAL: Final[Mapping[str, tuple[str, str]]] = {
    "org.apache.kafka.connect.data.Timestamp": ("integer", "timestamp-millis"),
    "org.apache.kafka.connect.data.Date": ("integer", "date"),
    "org.apache.kafka.connect.data.Time": ("integer", "time-millis"),
    "org.apache.kafka.connect.data.Decimal": ("string", "decimal"),
}
"""Connect logical types: (JSON type the JsonConverter writes, ``x-logical-type``).
Timestamps are epoch milliseconds, dates days since 1970-01-01, times milliseconds
since midnight, decimals the base64 of the unscaled big-endian integer."""
_MAX_SCALE: Final = 9999


def _decimal_scale(schema: Mapping[str, Any]) -> int | None:
    """A Decimal's ``parameters.scale``: 1 to 4 ASCII digits as text (as Connect writes
    it) or an integer, 0 to 9999; anything else is not read."""
    params = schema.get("parameters")
    scale = params.get("scale") if isinstance(params, dict) else None
    if type(scale) is int and 0 <= scale <= _MAX_SCALE:
        return scale
    if isinstance(scale, str) and 1 <= len(scale) <= 4 and scale.isascii() and scale.isdigit():
        return int(scale)
    return None


def connect_to_json_schema(schema: Mapping[str, Any], depth: int = 0) -> dict[str, Any]:
    """Translate a Kafka Connect schema into a JSON Schema hint.

    ``optional: true`` means nullable, nothing else: the JsonConverter writes every
    field of a struct, so which fields are required is left to the payloads seen.
    A nullable schema with keywords beside ``type`` is ``anyOf`` with a bare
    ``{"type": "null"}`` branch. Logical types (Timestamp, Date, Time, Decimal) add
    ``x-logical-type`` (and ``x-decimal-scale``, ``contentEncoding: base64``).
    Connect maps become plain objects (the payload decides map or record).
    """
    kind = schema.get("type")
    out: dict[str, Any]
    if kind == "struct" and depth < MAX_DEPTH:
        props: dict[str, Any] = {}
        fields = schema.get("fields")
        # Only a list holds fields (iterating anything else found none, or raised).
        for f in fields if isinstance(fields, list) else ():
            if not isinstance(f, dict) or not isinstance(f.get("field"), str):
                continue
            props[f["field"]] = connect_to_json_schema(f, depth + 1)
        out = {"type": "object", "properties": props}
    elif kind == "array" and isinstance(schema.get("items"), dict) and depth < MAX_DEPTH:
        out = {"type": "array", "items": connect_to_json_schema(schema["items"], depth + 1)}
    elif kind == "map" or kind == "struct":
        out = {"type": "object"}
    elif isinstance(kind, str) and kind in _CONNECT_TYPES:
        out = {"type": _CONNECT_TYPES[kind]}
    else:
        return {}
    name = schema.get("name")
    logical = _CONNECT_LOGICAL.get(name) if isinstance(name, str) else None
    if logical is not None and logical[0] == out["type"]:
        out["x-logical-type"] = logical[1]
        if logical[1] == "decimal":
            out["contentEncoding"] = "base64"
            scale = _decimal_scale(schema)
            if scale is not None:
                out["x-decimal-scale"] = scale
    if schema.get("optional", False):
        if len(out) == 1:
            out["type"] = sorted({out["type"], "null"})
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def decode_headers(headers: tuple[tuple[str, bytes | None], ...]) -> dict[str, Any]:
    """Header values as UTF-8 text, JSON when they hold an object or array, else None.

    A repeated header keeps its first value; binary values become None.
    """
    out: dict[str, Any] = {}
    for name, raw in headers:
        if name in out:
            continue
        if raw is None:
            out[name] = None
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            out[name] = None
            continue
        stripped = text.strip()
        if stripped[:1] in ("{", "["):
            try:
                out[name] = parse_payload(stripped.encode())[0]
                continue
            except _Undecodable:
                pass
        out[name] = text
    return out


def _kind_from_payload(value: Any) -> tuple[str | None, str | None]:
    if isinstance(value, dict):
        for name in DISCRIMINATOR_FIELDS:
            v = value.get(name)
            if isinstance(v, str) and 0 < len(v) <= MAX_KIND_VALUE_LENGTH:
                return v, name
    return None, None


def _kind_from_headers(headers: Mapping[str, Any]) -> tuple[str | None, str | None]:
    for wanted in HEADER_KIND_NAMES:
        for name, v in headers.items():
            if (
                name.isascii()
                and name.lower() == wanted
                and isinstance(v, str)
                and 0 < len(v) <= MAX_KIND_VALUE_LENGTH
            ):
                return v, HEADER_KIND_PREFIX + name
    return None, None


def _is_debezium(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("op"), str)
        and value["op"] in DEBEZIUM_OPS
        and "before" in value
        and "after" in value
    )


def _is_structured_cloudevent(value: Any, content_type: str | None) -> bool:
    if not isinstance(value, dict):
        return False
    if content_type is not None and content_type.startswith("application/cloudevents+json"):
        return True
    return (
        isinstance(value.get("specversion"), str)
        and isinstance(value.get("type"), str)
        and "source" in value
        and "id" in value
    )


def _content_type_of(encoding: PayloadEncoding, framing: Framing) -> str:
    if framing == "confluent":
        return {
            "avro": "application/vnd.confluent.avro",
            "protobuf": "application/vnd.confluent.protobuf",
        }.get(encoding, "application/json")
    return {
        "json": "application/json",
        "text": "text/plain",
        "binary": "application/octet-stream",
    }.get(encoding, "application/octet-stream")


_CONTROL_BYTE: Final = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_INTEGER_KEY_ENCODINGS: Final[Mapping[int, PayloadEncoding]] = {4: "int32", 8: "int64"}


def _is_text(data: bytes) -> bool:
    """UTF-8 without control bytes (tab, newline and carriage return allowed)."""
    if _CONTROL_BYTE.search(data):
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode_key(key: bytes | None) -> tuple[PayloadEncoding, Any]:
    """Decode a record key: (encoding, value); see :func:`decode_key_parts`."""
    encoding, value, _hint = decode_key_parts(key)
    return encoding, value


KeyParts = tuple[PayloadEncoding, Any, Mapping[str, Any] | None]
_NULL_KEY: Final[KeyParts] = ("null", None, None)


def decode_key_parts(key: bytes | None) -> KeyParts:
    """Decode a record key: JSON, text, a binary integer, binary, or null, and the
    schema a Kafka Connect key declares (else None).

    * Exactly 4 or 8 bytes that are not text (a control byte, or not UTF-8) are a
      big-endian signed integer, as Kafka's IntegerSerializer / LongSerializer write
      it (``int32`` / ``int64``), unless they are Confluent framing of a JSON body.
    * A Kafka Connect ``{schema, payload}`` key is unwrapped to its payload.
    * A bare JSON number, ``true``, ``false`` or ``null`` stays text: a String
      serializer writes an account number exactly as a JSON serializer writes an
      integer, and text is what it is more often (and loses nothing: leading zeros).
      Keys are JSON only when they are objects, arrays or quoted strings.
    * Other framing is dropped.
    """
    if key is None:
        return _NULL_KEY
    cached = _key_cache.get(key)
    if cached is not None:
        return cached
    hint: dict[str, Any] | None = None
    encoding: PayloadEncoding
    try:
        encoding, value, _anomalies, framing, _sid = _decode_framed(key, False)
        broken = False
    except _Undecodable:
        encoding, value, framing, broken = "binary", None, "none", True
    integer = _INTEGER_KEY_ENCODINGS.get(len(key))
    if (
        integer is not None
        and not (framing == "confluent" and encoding == "json")
        and not _is_text(key)
    ):
        encoding, value = integer, int.from_bytes(key, "big", signed=True)
    elif broken:
        try:
            encoding, value = "text", key.decode("utf-8")
        except UnicodeDecodeError:
            encoding, value = "binary", None
    elif encoding == "json" and framing == "none":
        if (
            isinstance(value, dict)
            and len(value) == 2
            and "payload" in value
            and _is_connect_schema(value.get("schema"))
        ):
            hint = connect_to_json_schema(value["schema"]) or None
            value = value["payload"]
        elif value is None or isinstance(value, bool | int | float):
            encoding, value = "text", key.decode("utf-8")
    if len(key) <= 64 and not isinstance(value, dict | list):
        if len(_key_cache) >= 50_000:
            _key_cache.clear()
        # The hint is shared by every hit: callers never mutate it.
        _key_cache[key] = (encoding, value, hint)
    return encoding, value, hint


# Keys repeat a lot (entity ids); scalar keys are immutable, so their decoding is cached.
_key_cache: dict[bytes, KeyParts] = {}

Parts = tuple[Any, ...]
"""A decoded message as a plain tuple (no per-message object): fields in this order."""
PARTS_FIELDS: Final = DECODED_FIELDS
_EMPTY: Final[Mapping[str, Any]] = {}
NO_HEADERS: Final = _EMPTY
"""The (shared, never mutated) headers of a message without headers."""
_ENVELOPE_MARKERS: Final = frozenset({"payload", "op", "specversion"})
_SPECIAL_KEYS: Final = _ENVELOPE_MARKERS | frozenset(DISCRIMINATOR_FIELDS)
_OPEN_BRACE: Final = ord("{")


def decode_record(record: Record) -> DecodedMessage:
    """Decode one record. Never raises: undecodable values come back with ``ok=False``."""
    return DecodedMessage(
        topic=record.topic, **dict(zip(PARTS_FIELDS, decode_parts(record), strict=True))
    )


def parts_of(msg: DecodedMessage) -> Parts:
    """The :data:`Parts` tuple of a decoded message."""
    parts = [getattr(msg, name) for name in PARTS_FIELDS]
    parts[PARTS_FIELDS.index("headers")] = dict(msg.headers)
    return tuple(parts)


def decode_parts(record: Record) -> Parts:
    """:func:`decode_record` without building a message object (the engine's fast path)."""
    try:
        raw = record.value
        # The common case, inline: an unframed JSON object without headers or envelope.
        if raw and raw[0] == _OPEN_BRACE and not record.headers:
            try:
                value = orjson.loads(raw)
            except orjson.JSONDecodeError:
                value = None
            if (
                type(value) is dict
                and raw.count(b"{") + raw.count(b"[") <= MAX_DEPTH
                and raw.count(b":") <= MAX_OBJECT_MEMBERS
            ):
                kind = kind_field = None
                special = value.keys() & _SPECIAL_KEYS  # one C-level pass
                if special:
                    if not special.isdisjoint(_ENVELOPE_MARKERS):
                        return _decode(record)
                    for name in DISCRIMINATOR_FIELDS:
                        if name in special:
                            v = value[name]
                            if type(v) is str and 0 < len(v) <= MAX_KIND_VALUE_LENGTH:
                                kind, kind_field = v, name
                                break
                value, anomalies = check_payload(raw, value)
                raw_key = record.key
                cached = _key_cache.get(raw_key) if raw_key is not None else _NULL_KEY
                key_encoding, key, key_hint = (
                    cached if cached is not None else decode_key_parts(raw_key)
                )
                return (
                    record.partition,
                    record.offset,
                    record.timestamp,
                    True,
                    anomalies,
                    value,
                    key,
                    key_encoding,
                    _EMPTY,
                    "json",
                    "application/json",
                    "none",
                    "none",
                    None,
                    kind,
                    kind_field,
                    len(raw),
                    zlib.crc32(raw),
                    None,
                    key_hint,
                )
        return _decode(record)
    except Exception as e:  # the promise is "never crash"; keep the reason stable
        reason = "too-deep" if isinstance(e, RecursionError) else "decoder-error"
        size = len(record.value or b"")
        return (
            record.partition,
            record.offset,
            record.timestamp,
            False,
            reason,
            None,
            None,
            "null",
            _EMPTY,
            "json",
            None,
            "none",
            "none",
            None,
            None,
            None,
            size,
            0,
            None,
            None,
        )


def _parts(
    record: Record,
    *,
    ok: bool = True,
    reason: str | None = None,
    value: Any = None,
    key: Any = None,
    key_encoding: PayloadEncoding = "null",
    headers: Mapping[str, Any] = _EMPTY,
    encoding: PayloadEncoding = "json",
    content_type: str | None = None,
    envelope: Envelope = "none",
    framing: Framing = "none",
    schema_id: int | None = None,
    kind: str | None = None,
    kind_field: str | None = None,
    size: int = 0,
    value_hash: int = 0,
    value_hint: Mapping[str, Any] | None = None,
    key_hint: Mapping[str, Any] | None = None,
) -> Parts:
    return (
        record.partition,
        record.offset,
        record.timestamp,
        ok,
        reason,
        value,
        key,
        key_encoding,
        headers,
        encoding,
        content_type,
        envelope,
        framing,
        schema_id,
        kind,
        kind_field,
        size,
        value_hash,
        value_hint,
        key_hint,
    )


def _decode(record: Record) -> Parts:
    headers = decode_headers(record.headers) if record.headers else {}
    key_encoding, key, key_hint = decode_key_parts(record.key)
    raw = record.value
    header_ct = headers.get("content-type") or headers.get("content_type")
    content_type = header_ct if isinstance(header_ct, str) else None
    common: dict[str, Any] = {
        "key": key,
        "key_encoding": key_encoding,
        "key_hint": key_hint,
        "headers": headers,
    }
    if raw is None:
        return _parts(record, value=None, encoding="null", **common)
    size = len(raw)
    value_hash = zlib.crc32(raw)
    try:
        encoding, value, anomalies, framing, schema_id = _decode_framed(raw, True)
    except _Undecodable as e:
        return _parts(
            record,
            ok=False,
            reason=e.reason,
            size=size,
            value_hash=value_hash,
            content_type=content_type,
            **common,
        )
    envelope: Envelope = "none"
    kind: str | None = None
    kind_field: str | None = None
    hint: dict[str, Any] | None = None
    ce_type = headers.get("ce_type")
    if isinstance(ce_type, str) and "ce_specversion" in headers:
        envelope, kind, kind_field = "cloudevents-binary", ce_type, "ce_type"
    if encoding == "json" and isinstance(value, dict):
        if (
            envelope == "none"
            and len(value) == 2
            and "payload" in value
            and _is_connect_schema(value.get("schema"))
        ):
            hint = connect_to_json_schema(value["schema"]) or None
            value = value["payload"]
            envelope = "kafka-connect"
        if envelope in ("none", "kafka-connect") and _is_debezium(value):
            envelope, kind, kind_field = "debezium", value["op"], "op"
        elif envelope == "none" and _is_structured_cloudevent(value, content_type):
            envelope, kind_field = "cloudevents-structured", "type"
            kind = value["type"] if isinstance(value.get("type"), str) else None
            value = value.get("data")
        if kind is None:
            kind, kind_field = _kind_from_payload(value)
    if kind is None:
        kind, kind_field = _kind_from_headers(headers)
    if content_type is None:
        content_type = (
            "application/cloudevents+json"
            if envelope == "cloudevents-structured"
            else _content_type_of(encoding, framing)
        )
    return _parts(
        record,
        reason=anomalies,
        value=value,
        encoding=encoding,
        content_type=content_type,
        envelope=envelope,
        framing=framing,
        schema_id=schema_id,
        kind=kind,
        kind_field=kind_field,
        size=size,
        value_hash=value_hash,
        value_hint=hint,
        **common,
    )
