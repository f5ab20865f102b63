"""Writer schemas turned into decoders of the Confluent wire format.

A framed message is ``0x00``, a 4-byte big-endian schema id, then the body: Avro's
binary encoding of one datum, or for Protobuf a list of message indexes (zig-zag
varints: a count, then the path of the message type in the file; a lone ``0`` is the
first message) followed by the message, or for JSON Schema the JSON text.

Untrusted bytes go only to well-kept parsers: fastavro for Avro, the protobuf
runtime for Protobuf messages. For Avro these decoders are the **reference**: the
compiled core reads framed Avro itself (``crates/inferrer-core/src/avro.rs``, given
each schema's texts, :attr:`Decoder.texts`), and the property tests hold it to the same
JSON and the same failures as fastavro here. A Protobuf schema's ``.proto`` text (from the
registry) is compiled by protoc itself (``grpcio-tools``), in a child process.
Decoded values become JSON (orjson) the engine folds like any other message:
timestamps, dates and times as ISO 8601 text, uuids as text, decimals as their exact
decimal text, bytes as base64.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import io
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

import orjson

from inferrer.registry.client import RegisteredSchema, RegistryError, SchemaType, SubjectVersion

MAGIC: Final = 0
MAX_REFERENCE_DEPTH: Final = 16
MAX_MESSAGE_INDEXES: Final = 64
MAX_NESTING: Final = 254
"""Containers a decoded datum may nest (orjson writes no deeper)."""


class SchemaSource(Protocol):
    """Where writer schemas come from: the registry, or a capture's schema sidecar."""

    def schema(self, schema_id: int) -> RegisteredSchema: ...

    def version(self, subject: str, version: int) -> SubjectVersion: ...


class UndecodableBody(ValueError):
    """A framed body that its writer schema cannot read."""


def _json_default(value: Any) -> Any:
    # Dates and times are written here, not by orjson: orjson (3.13) writes a time's
    # microseconds 10000..99999 with five digits ("00:00:00.12345" for 12345 µs).
    if isinstance(value, dt.datetime):
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, decimal.Decimal):
        return str(value)
    raise TypeError(f"cannot write a {type(value).__name__} as JSON")


def to_json_bytes(value: Any) -> bytes:
    """A decoded datum as JSON text (see the module docstring for the mappings)."""
    return orjson.dumps(value, default=_json_default, option=orjson.OPT_PASSTHROUGH_DATETIME)


def datum_json(value: Any) -> bytes:
    """:func:`to_json_bytes` of a decoded datum; UndecodableBody when it nests deeper
    than :data:`MAX_NESTING` containers (a recursive schema's datum may)."""
    try:
        return to_json_bytes(value)
    except orjson.JSONEncodeError as e:
        if "Recursion limit" not in str(e):
            raise
        raise UndecodableBody(f"the Avro datum nests deeper than {MAX_NESTING} levels") from e


@dataclass(frozen=True, slots=True)
class Decoder:
    """Reads the body of framed messages written with one schema."""

    schema_type: SchemaType
    read: Callable[[bytes], Any] | None
    """Body bytes → decoded value; None for JSON Schema (the body is JSON already)."""
    name: str | None
    """The record or message type's full name, when the schema has one."""
    texts: tuple[str, ...] = ()
    """Avro: the JSON texts of the schema's references (dependencies first), then its
    own; what the core compiles to read the same bodies."""


def _references(
    source: SchemaSource, schema: RegisteredSchema, depth: int = 0
) -> list[tuple[str, RegisteredSchema]]:
    """Every referenced schema, depth first (dependencies before dependants)."""
    if depth > MAX_REFERENCE_DEPTH:
        raise RegistryError("schema references nest deeper than 16 levels")
    found: list[tuple[str, RegisteredSchema]] = []
    for ref in schema.references:
        target = source.version(ref.subject, ref.version).schema
        found.extend(_references(source, target, depth + 1))
        found.append((ref.name, target))
    return found


# ------------------------------------------------------------------ Avro


def avro_decoder(source: SchemaSource, schema: RegisteredSchema) -> Decoder:
    """A decoder of Avro bodies (fastavro), with the schema's references resolved."""
    import fastavro

    named: dict[str, Any] = {}
    refs = _references(source, schema)
    try:
        for _name, ref in refs:
            fastavro.parse_schema(json.loads(ref.text), named_schemas=named)
        parsed = fastavro.parse_schema(json.loads(schema.text), named_schemas=named)
    except (ValueError, TypeError, KeyError, fastavro.schema.SchemaParseException) as e:
        raise RegistryError(f"the registry's Avro schema cannot be read: {e}") from e
    reader = fastavro.schemaless_reader

    def read(body: bytes) -> Any:
        stream = io.BytesIO(body)
        try:
            value = reader(stream, parsed, None)
        except Exception as e:  # fastavro raises many kinds on broken bytes
            raise UndecodableBody(f"not Avro of its writer schema ({type(e).__name__})") from e
        if stream.tell() != len(body):
            raise UndecodableBody("bytes left after the Avro datum")
        return value

    name = parsed.get("name") if isinstance(parsed, dict) else None
    texts = (*(ref.text for _name, ref in refs), schema.text)
    return Decoder("AVRO", read, name if isinstance(name, str) else None, texts)


# ------------------------------------------------------------------ Protobuf


def _zigzag_varint(data: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise UndecodableBody("the message indexes end early")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return (result >> 1) ^ -(result & 1), pos
        shift += 7


def message_indexes(body: bytes) -> tuple[tuple[int, ...], int]:
    """(the message-type path, where the message starts) of a framed Protobuf body."""
    count, pos = _zigzag_varint(body, 0)
    if count == 0:
        return (0,), pos
    if not 0 < count <= MAX_MESSAGE_INDEXES:
        raise UndecodableBody(f"{count} message indexes")
    path = []
    for _ in range(count):
        index, pos = _zigzag_varint(body, pos)
        if index < 0:
            raise UndecodableBody("a negative message index")
        path.append(index)
    return tuple(path), pos


def _compile_proto(files: Mapping[str, str]) -> bytes:
    """A FileDescriptorSet (serialized) of ``files`` (name → .proto text), by protoc."""
    import grpc_tools

    include = Path(grpc_tools.__file__).parent / "_proto"
    with tempfile.TemporaryDirectory(prefix="inferrer-proto-") as tmp:
        root = Path(tmp)
        for name, text in files.items():
            target = (root / name).resolve()
            if root.resolve() not in target.parents:
                raise RegistryError(f"a Protobuf schema reference has an unsafe name: {name}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        out = root / "out.pb"
        main = list(files)[-1]
        command = [sys.executable, "-m", "grpc_tools.protoc", f"-I{root}", f"-I{include}"]
        done = subprocess.run(
            [*command, "--include_imports", f"--descriptor_set_out={out}", main],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        if done.returncode != 0:
            # protoc's first line may be absl's notice about its own logging.
            said = [ln for ln in done.stderr.splitlines() if ln.strip() and "absl::" not in ln]
            first = (said or ["protoc failed"])[0]
            raise RegistryError(f"the registry's Protobuf schema cannot be compiled: {first}")
        return out.read_bytes()


def serialized_descriptor(text: str) -> Any | None:
    """The FileDescriptorProto a registry holds as base64 (what Confluent's Python and
    Java serializers may register instead of ``.proto`` text), or None for text."""
    from google.protobuf import descriptor_pb2
    from google.protobuf.message import DecodeError

    stripped = text.strip()
    if not stripped or any(c.isspace() for c in stripped) or "{" in stripped:
        return None
    try:
        raw = base64.b64decode(stripped, validate=True)
        proto = descriptor_pb2.FileDescriptorProto.FromString(raw)
    except (ValueError, DecodeError):
        return None
    return proto if proto.message_type or proto.enum_type else None


def _descriptor_set(source: SchemaSource, schema: RegisteredSchema) -> Any:
    """The FileDescriptorSet of a Protobuf schema and its references, dependencies first."""
    from google.protobuf import descriptor_pb2

    refs = _references(source, schema)
    serialized = [(name, serialized_descriptor(s.text)) for name, s in [*refs, ("", schema)]]
    ready = [(name, proto) for name, proto in serialized if proto is not None]
    if len(ready) == len(serialized):
        out = descriptor_pb2.FileDescriptorSet()
        for name, proto in ready:
            if name:  # a reference: its import name
                proto.name = name
            out.file.append(proto)
        return out
    files = {name: proto_text(ref.text) for name, ref in refs}
    files["schema.proto"] = proto_text(schema.text)
    return descriptor_pb2.FileDescriptorSet.FromString(_compile_proto(files))


_SCALARS: Final = {
    1: "double", 2: "float", 3: "int64", 4: "uint64", 5: "int32", 6: "fixed64",
    7: "fixed32", 8: "bool", 9: "string", 12: "bytes", 13: "uint32", 15: "sfixed32",
    16: "sfixed64", 17: "sint32", 18: "sint64",
}  # fmt: skip
_MESSAGE, _ENUM, _GROUP, _REPEATED = 11, 14, 10, 3


def _type_of(field: Any) -> str:
    if field.type in (_MESSAGE, _ENUM, _GROUP):
        return str(field.type_name)
    return _SCALARS.get(field.type, "bytes")


def _print_message(message: Any, indent: str, lines: list[str]) -> None:
    entries = {n.name: n for n in message.nested_type if n.options.map_entry}
    lines.append(f"{indent}message {message.name} {{")
    inner = indent + "  "
    oneofs: dict[int, list[Any]] = {}
    for field in message.field:
        if field.HasField("oneof_index") and not field.proto3_optional:
            oneofs.setdefault(field.oneof_index, []).append(field)
    printed: set[int] = set()
    for field in message.field:
        if field.HasField("oneof_index") and not field.proto3_optional:
            if field.oneof_index in printed:
                continue
            printed.add(field.oneof_index)
            lines.append(f"{inner}oneof {message.oneof_decl[field.oneof_index].name} {{")
            for member in oneofs[field.oneof_index]:
                lines.append(f"{inner}  {_type_of(member)} {member.name} = {member.number};")
            lines.append(f"{inner}}}")
            continue
        entry = entries.get(field.type_name.rsplit(".", 1)[-1]) if field.type_name else None
        if entry is not None and field.label == _REPEATED:
            key, value = entry.field[0], entry.field[1]
            kind = f"map<{_type_of(key)}, {_type_of(value)}>"
        else:
            label = "repeated " if field.label == _REPEATED else ""
            label = "optional " if field.proto3_optional else label
            kind = label + _type_of(field)
        lines.append(f"{inner}{kind} {field.name} = {field.number};")
    for nested in message.nested_type:
        if not nested.options.map_entry:
            _print_message(nested, inner, lines)
    for enum in message.enum_type:
        _print_enum(enum, inner, lines)
    lines.append(f"{indent}}}")


def _print_enum(enum: Any, indent: str, lines: list[str]) -> None:
    lines.append(f"{indent}enum {enum.name} {{")
    lines.extend(f"{indent}  {v.name} = {v.number};" for v in enum.value)
    lines.append(f"{indent}}}")


def proto_text(text: str) -> str:
    """A registry's Protobuf schema as ``.proto`` text: the text itself, or the source
    written back from a base64 FileDescriptorProto (messages, fields, maps, oneofs,
    enums, nested types; options other than those are not written)."""
    proto = serialized_descriptor(text)
    if proto is None:
        return text
    lines = [f'syntax = "{proto.syntax or "proto2"}";']
    if proto.package:
        lines.append(f"package {proto.package};")
    lines.extend(f'import "{dep}";' for dep in proto.dependency)
    for message in proto.message_type:
        _print_message(message, "", lines)
    for enum in proto.enum_type:
        _print_enum(enum, "", lines)
    return "\n".join(lines) + "\n"


ROOT_NODE_COMMENT: Final = "// @RootNode"
"""How a ``.proto`` file with several top-level messages names the one a payload is
(the official AsyncAPI Protobuf schema parser reads it)."""
_TOP_MESSAGE = re.compile(r"^message\s+(\w+)\s*\{", re.MULTILINE)


def mark_root_message(text: str, record: str | None) -> str:
    """``.proto`` text with :data:`ROOT_NODE_COMMENT` above the top-level message
    ``record`` (a full name; the first message when None or not found), when the file
    has more than one and none is marked yet."""
    found = list(_TOP_MESSAGE.finditer(text))
    if len(found) < 2 or ROOT_NODE_COMMENT in text:
        return text
    short = record.rsplit(".", 1)[-1] if record else None
    chosen = next((m for m in found if m.group(1) == short), found[0])
    return text[: chosen.start()] + ROOT_NODE_COMMENT + "\n" + text[chosen.start() :]


def protobuf_decoder(source: SchemaSource, schema: RegisteredSchema) -> Decoder:
    """A decoder of Protobuf bodies; message types are picked by the message indexes."""
    from google.protobuf import descriptor_pool, json_format, message_factory
    from google.protobuf.message import DecodeError

    fds = _descriptor_set(source, schema)
    pool = descriptor_pool.DescriptorPool()
    try:
        for proto in fds.file:
            pool.Add(proto)
    except (TypeError, ValueError) as e:
        raise RegistryError(f"the registry's Protobuf schema cannot be loaded: {e}") from e
    main = fds.file[-1]
    top = pool.FindFileByName(main.name)
    classes: dict[tuple[int, ...], Any] = {}

    def message_class(path: tuple[int, ...]) -> Any:
        if path not in classes:
            types = top.message_types_by_name
            candidates = [types[m.name] for m in main.message_type]
            desc = None
            for index in path:
                if index >= len(candidates):
                    raise UndecodableBody(f"message index {index} is not in the schema")
                desc = candidates[index]
                candidates = list(desc.nested_types)
            classes[path] = message_factory.GetMessageClass(desc)
        return classes[path]

    def read(body: bytes) -> Any:
        path, start = message_indexes(body)
        message = message_class(path)()
        try:
            message.ParseFromString(body[start:])
        except DecodeError as e:
            raise UndecodableBody("not Protobuf of its writer schema") from e
        return json_format.MessageToDict(
            message,
            preserving_proto_field_name=True,
            always_print_fields_with_no_presence=True,
            unquote_int64_if_possible=True,
        )

    first = main.message_type[0].name if main.message_type else None
    name = (f"{main.package}.{first}" if main.package else first) if first else None
    return Decoder("PROTOBUF", read, name)


def json_schema_decoder(schema: RegisteredSchema) -> Decoder:
    """JSON Schema framing: the body is the JSON itself; the title names the type."""
    try:
        parsed = json.loads(schema.text)
    except ValueError as e:
        raise RegistryError("the registry's JSON Schema is not JSON") from e
    title = parsed.get("title") if isinstance(parsed, dict) else None
    return Decoder("JSON", None, title if isinstance(title, str) else None)


def decoder_for(source: SchemaSource, schema: RegisteredSchema) -> Decoder:
    """The decoder of bodies written with ``schema``."""
    if schema.schema_type == "AVRO":
        return avro_decoder(source, schema)
    if schema.schema_type == "PROTOBUF":
        return protobuf_decoder(source, schema)
    return json_schema_decoder(schema)


def framed_id(data: bytes | None) -> int | None:
    """The schema id of a Confluent-framed message, or None."""
    if data is None or len(data) < 5 or data[0] != MAGIC:
        return None
    return int.from_bytes(data[1:5], "big")
