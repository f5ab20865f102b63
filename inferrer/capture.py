"""Capture files: Kafka records as JSON Lines, compatible with ``kcat -C -J``.

One record per line, in the shape ``kcat -C -J`` prints::

    {"topic": "t", "partition": 0, "offset": 42, "tstype": "create", "ts": 1700000000000,
     "broker": -1, "headers": ["trace-id", "abc", "source", "app"], "key": "k", "payload": "v"}

Bytes that are not valid UTF-8 cannot be JSON strings, so they go in base64
fields instead: ``key_b64`` replaces ``key``, ``payload_b64`` replaces ``payload``,
and ``headers_b64`` lists the header positions (0-based pairs of ``headers``)
whose value in ``headers`` is base64 text. A JSON ``null`` key or payload is a
null (a tombstone for the payload), distinct from the empty string.

Beside ``name.jsonl`` an optional sidecar ``name.topics.json`` keeps what replay
needs to recreate the topics (partition count, configs). A capture taken with
real kcat has no sidecar and still loads; replay then derives the partition
count from the highest partition seen. docs/capture.md is the full description.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import os
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

import orjson

from inferrer.atomic import atomic_binary_writer, is_special_file
from inferrer.decoding import nesting_exceeds
from inferrer.errors import CaptureError, UsageError
from inferrer.model import TopicMetadata
from inferrer.records import Header, Record

if TYPE_CHECKING:
    from inferrer.engine import Engine, Topic
    from inferrer.registry.framed import FramedDecoder

SIDECAR_SUFFIX = ".topics.json"
SIDECAR_FORMAT = "inferrer-capture-topics"
SIDECAR_VERSION = 1

MAX_LINE_DEPTH = 256
"""A line whose brackets nest deeper than this is not a record (no parser's stack decides)."""

MAX_REPORTED_BAD_LINES = 100
"""Bad lines beyond this many are counted but not kept, so reading stays memory-flat."""

NOT_A_CAPTURE_AFTER = 10
"""A file whose first this-many non-blank lines are all bad is not a capture at all."""


@dataclass(frozen=True, slots=True)
class BadLine:
    """One line of a capture file that is not a record, and why."""

    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


@dataclass(slots=True)
class CaptureStats:
    """What reading a capture file found: records read and bad lines skipped.

    Filled in as :func:`iter_capture` goes, so it is complete once the
    iteration ends. ``bad_lines`` keeps the first :data:`MAX_REPORTED_BAD_LINES`;
    ``bad`` counts them all.
    """

    records: int = 0
    bad: int = 0
    bad_lines: list[BadLine] = field(default_factory=list)

    def add_bad(self, bad_line: BadLine) -> None:
        self.bad += 1
        if len(self.bad_lines) < MAX_REPORTED_BAD_LINES:
            self.bad_lines.append(bad_line)


def sidecar_path(path: str | os.PathLike[str]) -> Path:
    """The topic-metadata sidecar of a capture: ``x.jsonl`` → ``x.topics.json``."""
    p = Path(path)
    stem = p.name[: -len(p.suffix)] if p.suffix else p.name
    return p.with_name(stem + SIDECAR_SUFFIX)


# ---------------------------------------------------------------- encoding


def _put_bytes(obj: dict[str, Any], name: str, data: bytes | None) -> None:
    if data is None:
        obj[name] = None
        return
    try:
        obj[name] = data.decode("utf-8")
    except UnicodeDecodeError:
        obj[name + "_b64"] = base64.b64encode(data).decode("ascii")


def record_to_json(record: Record) -> dict[str, Any]:
    """The capture-line object of a record, fields in kcat's order."""
    obj: dict[str, Any] = {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
    }
    if record.timestamp is not None:
        obj["tstype"] = "create"
        obj["ts"] = record.timestamp
    obj["broker"] = -1
    if record.headers:
        flat: list[str | None] = []
        b64_positions: list[int] = []
        for i, (name, value) in enumerate(record.headers):
            flat.append(name)
            if value is None:
                flat.append(None)
                continue
            try:
                flat.append(value.decode("utf-8"))
            except UnicodeDecodeError:
                flat.append(base64.b64encode(value).decode("ascii"))
                b64_positions.append(i)
        obj["headers"] = flat
        if b64_positions:
            obj["headers_b64"] = b64_positions
    _put_bytes(obj, "key", record.key)
    _put_bytes(obj, "payload", record.value)
    return obj


def encode_record(record: Record) -> bytes:
    """One capture line (with its newline) for a record."""
    return orjson.dumps(record_to_json(record), option=orjson.OPT_APPEND_NEWLINE)


# ---------------------------------------------------------------- decoding


class _BadRecord(ValueError):
    """A line parsed as JSON but is not a record; the message says why."""


def _text_to_bytes(text: str, what: str) -> bytes:
    # surrogateescape turns back the raw non-UTF-8 bytes real kcat writes unescaped.
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError as e:
        raise _BadRecord(f"{what} is not encodable text") from e


def _b64_to_bytes(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise _BadRecord(f"{what} must be a base64 string")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as e:
        raise _BadRecord(f"{what} is not valid base64") from e


def _get_bytes(obj: Mapping[str, Any], name: str) -> bytes | None:
    if name + "_b64" in obj:
        return _b64_to_bytes(obj[name + "_b64"], name + "_b64")
    value = obj.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        return _text_to_bytes(value, name)
    # kcat -J with a verbatim JSON deserializer (Avro) writes the value as JSON.
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError as e:  # integers beyond 64 bits, unencodable text
        raise _BadRecord(f"'{name}' cannot be written as JSON") from e


_INT32: Final = (0, 2**31 - 1)
_INT64: Final = (-(2**63), 2**63 - 1)


def _get_int(obj: Mapping[str, Any], name: str, bounds: tuple[int, int]) -> int:
    """An integer field within ``bounds`` (Kafka's types: an int32 partition, int64
    offsets and timestamps)."""
    value = obj.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _BadRecord(f"'{name}' must be an integer")
    if value < bounds[0]:
        raise _BadRecord(f"'{name}' must be at least {bounds[0]}")
    if value > bounds[1]:
        raise _BadRecord(f"'{name}' must be at most {bounds[1]}")
    return value


def _is_unicode(text: str) -> bool:
    """Whether a string has a UTF-8 form (the slow path may leave surrogates in it)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _get_headers(obj: Mapping[str, Any]) -> tuple[Header, ...]:
    raw = obj.get("headers")
    if raw is None:
        return ()
    b64 = obj.get("headers_b64", [])
    if not isinstance(b64, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in b64
    ):
        raise _BadRecord("'headers_b64' must be a list of header positions")
    encoded = set(b64)
    pairs: list[tuple[Any, Any]]
    if isinstance(raw, list):
        if len(raw) % 2:
            raise _BadRecord("'headers' must be a flat [name, value, ...] list of even length")
        pairs = list(zip(raw[0::2], raw[1::2], strict=True))
    elif isinstance(raw, dict):
        # kcat's map form: {"name": [value, ...]}; order by first appearance.
        pairs = []
        for name, values in raw.items():
            if not isinstance(values, list):
                raise _BadRecord("'headers' map values must be lists")
            pairs.extend((name, v) for v in values)
    else:
        raise _BadRecord("'headers' must be a list or an object")
    if any(i < 0 or i >= len(pairs) for i in encoded):
        raise _BadRecord("'headers_b64' names a header position that does not exist")
    headers: list[Header] = []
    for i, (name, value) in enumerate(pairs):
        if not isinstance(name, str):
            raise _BadRecord("header names must be strings")
        if not _is_unicode(name):
            raise _BadRecord("header names must be valid UTF-8 text")
        if value is None:
            headers.append((name, None))
        elif not isinstance(value, str):
            raise _BadRecord(f"header '{name}' value must be a string or null")
        elif i in encoded:
            headers.append((name, _b64_to_bytes(value, f"header '{name}'")))
        else:
            headers.append((name, _text_to_bytes(value, f"header '{name}'")))
    return tuple(headers)


def record_from_json(obj: Any) -> Record:
    """The record a capture-line object describes; ValueError says what is wrong."""
    if not isinstance(obj, dict):
        raise _BadRecord("not a JSON object")
    topic = obj.get("topic")
    if not isinstance(topic, str) or not topic:
        raise _BadRecord("'topic' must be a non-empty string")
    if not _is_unicode(topic):
        raise _BadRecord("'topic' must be valid UTF-8 text")
    partition = _get_int(obj, "partition", _INT32)
    offset = _get_int(obj, "offset", _INT64)
    timestamp: int | None = None
    if obj.get("ts") is not None:
        timestamp = _get_int(obj, "ts", _INT64)
    return Record(
        topic=topic,
        partition=partition,
        offset=offset,
        timestamp=timestamp,
        key=_get_bytes(obj, "key"),
        value=_get_bytes(obj, "payload"),
        headers=_get_headers(obj),
    )


_JSON_SPACE: Final = b" \t\n\r"
_DEEP_FIELDS: Final = {b'"payload"': "value", b'"key"': "key"}


def _skip_space(line: bytes, i: int) -> int:
    while i < len(line) and line[i] in _JSON_SPACE:
        i += 1
    return i


def _string_end(line: bytes, i: int) -> int:
    """Just past the string starting at ``i`` (lexed as :func:`nesting_exceeds` does)."""
    i += 1
    while i < len(line) and line[i] != 0x22:
        i += 2 if line[i] == 0x5C else 1
    if i >= len(line):
        raise _BadRecord("unterminated string")
    return i + 1


def _value_end(line: bytes, i: int) -> int:
    """Just past the member value starting at ``i``: a container to its closing bracket,
    a string to its quote, anything else to the next comma, brace or space."""
    if i >= len(line):
        raise _BadRecord("no value")
    if line[i] == 0x22:
        return _string_end(line, i)
    if line[i] not in b"{[":
        while i < len(line) and line[i] not in b",}" and line[i] not in _JSON_SPACE:
            i += 1
        return i
    depth = 0
    while i < len(line):
        c = line[i]
        if c == 0x22:
            i = _string_end(line, i)
            continue
        if c in b"{[":
            depth += 1
        elif c in b"}]":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise _BadRecord("unclosed bracket")


def split_deep_members(line: bytes, limit: int) -> tuple[bytes, dict[str, bytes], set[bytes]]:
    """The line with its ``payload`` and ``key`` members that nest deeper than ``limit - 1``
    replaced by ``null``, those members' JSON text by record field (``value``, ``key``),
    and every member name as written (quoted). Only members named exactly
    ``"payload"`` and ``"key"`` of the top-level object are looked at; the last of a
    repeated name wins, as in the parse. Raises ValueError when the line is not an
    object of members (the caller keeps its reason).
    """
    i = _skip_space(line, 0)
    if i >= len(line) or line[i] != 0x7B:
        raise _BadRecord("not an object")
    out = bytearray(b"{")
    deep: dict[str, bytes] = {}
    names: set[bytes] = set()
    i = _skip_space(line, i + 1)
    if i < len(line) and line[i] == 0x7D:
        return bytes(out) + b"}", deep, names
    while True:
        if i >= len(line) or line[i] != 0x22:
            raise _BadRecord("no member name")
        name_end = _string_end(line, i)
        name = line[i:name_end]
        names.add(name)
        i = _skip_space(line, name_end)
        if i >= len(line) or line[i] != 0x3A:
            raise _BadRecord("no colon")
        start = _skip_space(line, i + 1)
        end = _value_end(line, start)
        value = line[start:end]
        field = _DEEP_FIELDS.get(name)
        if field is not None:
            deep.pop(field, None)
        if field is not None and value[:1] in (b"{", b"[") and nesting_exceeds(value, limit - 1):
            deep[field] = value
            out += name + b":null"
        else:
            out += name + b":" + value
        i = _skip_space(line, end)
        if i < len(line) and line[i] == 0x2C:
            out += b","
            i = _skip_space(line, i + 1)
            continue
        if i < len(line) and line[i] == 0x7D:
            break
        raise _BadRecord("no comma")
    if _skip_space(line, i + 1) != len(line):
        raise _BadRecord("extra data")
    return bytes(out) + b"}", deep, names


def _decode_deep_line(line: bytes) -> Record:
    """A line nested deeper than MAX_LINE_DEPTH: when only its ``payload`` or ``key``
    (JSON, as kcat may write it) is that deep, the record with that member's text as
    its bytes (which the decoder then counts as ``too-deep``); else a bad line."""
    too_deep = _BadRecord(f"not JSON (nested deeper than {MAX_LINE_DEPTH})")
    try:
        shallow, deep, names = split_deep_members(line, MAX_LINE_DEPTH)
    except ValueError:
        raise too_deep from None
    # A `*_b64` member would name the bytes itself: such a line stays bad.
    b64 = {"value": b'"payload_b64"', "key": b'"key_b64"'}
    if not deep or any(b64[f] in names for f in deep) or nesting_exceeds(shallow, MAX_LINE_DEPTH):
        raise too_deep
    record = decode_line(shallow)
    return dataclasses.replace(
        record, value=deep.get("value", record.value), key=deep.get("key", record.key)
    )


def decode_line(line: bytes) -> Record:
    """The record on one capture line; ValueError (with a short reason) if there is none."""
    if nesting_exceeds(line, MAX_LINE_DEPTH):
        return _decode_deep_line(line)
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        # Real kcat writes non-UTF-8 bytes raw; the slow path keeps them as
        # surrogate escapes, which _text_to_bytes turns back into the bytes.
        try:
            obj = json.loads(line.decode("utf-8", "surrogateescape"))
        except json.JSONDecodeError as e:
            raise _BadRecord(f"not JSON ({e.msg} at column {e.colno})") from e
        except ValueError as e:  # Python's limit on the digits of an int
            raise _BadRecord("not JSON (an integer has more than 4300 digits)") from e
    return record_from_json(obj)


def iter_capture(
    path: str | os.PathLike[str], *, stats: CaptureStats | None = None
) -> Generator[Record, None, None]:
    """Yield the records of a capture file, streaming, in file order.

    A bad line is skipped and counted in ``stats`` (with its line number); it
    never stops the reading. A file that cannot be opened, or whose first
    non-blank lines are all bad (not a capture at all), raises
    :class:`~inferrer.errors.CaptureError` naming ``file:line``.
    """
    stats = stats if stats is not None else CaptureStats()
    name = str(path)
    try:
        fh: IO[bytes] = open(path, "rb")  # noqa: SIM115 - closed in the finally below
    except OSError as e:
        raise CaptureError(f"cannot read capture file {name}: {e.strerror or e}") from e
    try:
        seen_good = False
        leading_bad: list[BadLine] = []
        lineno = 0
        while True:
            try:
                line = fh.readline()
            except OSError as e:
                raise CaptureError(
                    f"cannot read capture file {name} after line {lineno}: {e.strerror or e}"
                ) from e
            if not line:
                break
            lineno += 1
            if not line.strip():
                continue
            try:
                record = decode_line(line)
            except ValueError as e:
                bad = BadLine(name, lineno, str(e))
                stats.add_bad(bad)
                if not seen_good:
                    leading_bad.append(bad)
                    if len(leading_bad) >= NOT_A_CAPTURE_AFTER:
                        _raise_not_a_capture(leading_bad)
                continue
            seen_good = True
            stats.records += 1
            yield record
        if not seen_good and leading_bad:
            _raise_not_a_capture(leading_bad)
    finally:
        fh.close()


def _raise_not_a_capture(bad: list[BadLine]) -> None:
    first = bad[0]
    raise CaptureError(
        f"{first.path}:{first.line}: not a capture file "
        f"(expected kcat -J JSON lines with topic, partition, offset): {first.reason}"
    )


def read_capture(path: str | os.PathLike[str]) -> tuple[list[Record], CaptureStats]:
    """All records of a capture file in memory, and the reading stats. For small files."""
    stats = CaptureStats()
    records = list(iter_capture(path, stats=stats))
    return records, stats


# ---------------------------------------------------------------- sidecar


def topics_to_json(topics: Iterable[TopicMetadata]) -> dict[str, Any]:
    """The sidecar object for these topics (sorted, deterministic)."""
    return {
        "format": SIDECAR_FORMAT,
        "version": SIDECAR_VERSION,
        "topics": {
            t.name: {
                "partitions": t.partitions,
                "replication_factor": t.replication_factor,
                "configs": dict(sorted(t.configs.items())),
            }
            for t in sorted(topics, key=lambda t: t.name)
        },
    }


def read_capture_topics(path: str | os.PathLike[str]) -> dict[str, TopicMetadata]:
    """The topics described by a capture's sidecar; empty when there is no sidecar."""
    side = sidecar_path(path)
    try:
        text = side.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise CaptureError(f"cannot read capture sidecar {side}: {e.strerror or e}") from e
    try:
        data = orjson.loads(text)
        if data.get("format") != SIDECAR_FORMAT:
            raise ValueError(f"'format' is not {SIDECAR_FORMAT!r}")
        topics: dict[str, TopicMetadata] = {}
        for name, t in data["topics"].items():
            partitions = t["partitions"]
            rf = t.get("replication_factor", -1)
            configs = t.get("configs", {})
            if not isinstance(partitions, int) or partitions < 1:
                raise ValueError(f"topic {name}: 'partitions' must be a positive integer")
            if not isinstance(rf, int) or not isinstance(configs, dict):
                raise ValueError(f"topic {name}: bad 'replication_factor' or 'configs'")
            # A sidecar holds only the configs someone set on the topic (see
            # write_capture), so every one of them is explicit.
            topics[name] = TopicMetadata(
                name=name,
                partitions=partitions,
                replication_factor=rf,
                configs={str(k): str(v) for k, v in configs.items()},
                non_default_configs=tuple(sorted(str(k) for k in configs)),
            )
    except (orjson.JSONDecodeError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise CaptureError(f"capture sidecar {side} is not valid: {e}") from e
    return topics


def iter_captures(
    paths: Iterable[str | os.PathLike[str]], *, stats: CaptureStats | None = None
) -> Generator[Record, None, None]:
    """Yield the records of several capture files, one file after the other."""
    for path in paths:
        yield from iter_capture(path, stats=stats)


def fold_captures(
    paths: Iterable[str | os.PathLike[str]],
    *,
    stats: CaptureStats | None = None,
    check_with: Engine | None = None,
    progress: Callable[[int, int, int, int], None] | None = None,
    framed: FramedDecoder | None = None,
) -> tuple[dict[str, Topic], dict[str, TopicMetadata]]:
    """Fold every record of some capture files in the engine, in one streaming pass.

    Returns each topic's observation (the core's ``Topic``, one per topic across all
    files) and the topics' metadata as :func:`capture_topics` gives it (a file's
    sidecar, or ``max partition seen + 1``; the first description wins). Bad lines
    are skipped and counted in ``stats``; a file that cannot be read, or whose first
    lines are all bad, raises :class:`~inferrer.errors.CaptureError`.

    ``check_with`` is an engine holding a drift check (:meth:`Engine.check`): every
    record is also checked, and the check is back in ``check_with`` at the end.

    ``progress(bytes_read, bytes_total, files_read, files)`` is called before the first
    file and after each (the core reads a file in one call; stdin counts 0 bytes).

    ``framed`` gives the writer schemas of Confluent-framed Avro, Protobuf and JSON
    Schema messages (:class:`~inferrer.registry.framed.FramedDecoder`): the core's
    reader decodes them, asking ``framed`` for each schema id once (and for each
    Protobuf body).
    """
    from inferrer.engine import Engine

    stats = stats if stats is not None else CaptureStats()
    observed: dict[str, Topic] = {}
    topics: dict[str, TopicMetadata] = {}
    paths = list(paths)
    sizes = [_size(p) for p in paths]
    total, done = sum(sizes), 0
    if progress is not None:
        progress(0, total, 0, len(paths))
    for index, path in enumerate(paths):
        name = str(path)
        engine = Engine()
        if check_with is not None:
            engine.adopt_check(check_with)
        framing = framed if framed is not None and framed.wants(path) else None
        if framing is not None:
            # The core reads the framed messages, asking ``framing`` once per schema id.
            engine.set_framing([], framing)
        try:
            read = engine.fold_capture(path)
        except OSError as e:
            raise CaptureError(f"cannot read capture file {name}: {e.strerror or e}") from e
        if read.error is not None:
            line, reason = read.error
            raise CaptureError(f"cannot read capture file {name} after line {line}: {reason}")
        if read.not_a_capture is not None:
            _raise_not_a_capture([BadLine(name, *read.not_a_capture)])
        stats.records += read.records
        for line, reason in read.bad_lines:
            stats.add_bad(BadLine(name, line, reason))
        stats.bad += read.bad - len(read.bad_lines)
        if framing is not None:
            framing.absorb(engine.framed_use() or {"order": [], "uses": []})
        described = read_capture_topics(path) or {
            topic: TopicMetadata(name=topic, partitions=top + 1, replication_factor=-1)
            for topic, top in engine.highest_partitions().items()
        }
        for topic, meta in described.items():
            topics.setdefault(topic, meta)
        for topic in engine.topics():
            got = engine.take(topic)
            if topic in observed:
                observed[topic].merge(got)
            else:
                observed[topic] = got
        if check_with is not None:
            check_with.adopt_check(engine)
        done += sizes[index]
        if progress is not None:
            progress(done, total, index + 1, len(paths))
    return observed, dict(sorted(topics.items()))


def _size(path: str | os.PathLike[str]) -> int:
    try:
        return os.stat(path).st_size if os.fspath(path) != "-" else 0
    except OSError:
        return 0  # the fold says why it cannot read the file


def check_capture(path: str | os.PathLike[str]) -> None:
    """Raise :class:`~inferrer.errors.CaptureError` unless the file opens and reads as
    a capture; reads only up to its first record."""
    reader = iter_capture(path)
    try:
        next(reader, None)
    finally:
        reader.close()


def capture_topics(paths: Iterable[str | os.PathLike[str]]) -> dict[str, TopicMetadata]:
    """The topics of some capture files, as replay and offline analysis need them.

    A file's sidecar, when it has one, describes its topics. A file without one
    (plain kcat output) is read through once: each topic gets ``max partition
    seen + 1`` partitions, replication factor -1 (unknown) and no configs. The
    first description of a topic wins.
    """
    topics: dict[str, TopicMetadata] = {}
    for path in paths:
        described = read_capture_topics(path)
        if not described:
            described = derive_topics(iter_capture(path))
        for name, meta in described.items():
            topics.setdefault(name, meta)
    return dict(sorted(topics.items()))


def derive_topics(records: Iterable[Record]) -> dict[str, TopicMetadata]:
    """Topics as records show them: ``max partition seen + 1`` partitions, nothing else."""
    highest: dict[str, int] = {}
    for record in records:
        if record.partition > highest.get(record.topic, -1):
            highest[record.topic] = record.partition
    return {
        name: TopicMetadata(name=name, partitions=top + 1, replication_factor=-1)
        for name, top in highest.items()
    }


# ---------------------------------------------------------------- writing


def write_capture(
    records: Iterable[Record],
    path: str | os.PathLike[str],
    *,
    topics: Iterable[TopicMetadata] | None = None,
) -> int:
    """Write records to a capture file atomically; return how many were written.

    Streams: ``records`` may be a generator of any length. With ``topics``,
    also writes the sidecar (``x.topics.json``) that replay uses to recreate
    them (not beside a special file such as ``/dev/null``); without, an existing
    sidecar is left alone. Give each topic only the configs set explicitly on it
    (not the broker's defaults), so that replay recreates what someone chose.
    """
    target = Path(path)
    count = 0
    # The atomic writer turns OS errors into OutputError (exit 3) naming the file.
    with atomic_binary_writer(target) as fh:
        for record in records:
            fh.write(encode_record(record))
            count += 1
    # A capture written through to /dev/null or a FIFO has no folder to put a sidecar in.
    if topics is not None and not is_special_file(target):
        body = json.dumps(topics_to_json(topics), indent=2, sort_keys=True) + "\n"
        with atomic_binary_writer(sidecar_path(target)) as fh:
            fh.write(body.encode("utf-8"))
    return count


def expand_capture_paths(paths: Iterable[str | os.PathLike[str]]) -> tuple[Path, ...]:
    """Files as given; a folder stands for the ``*.jsonl`` files in it, sorted."""
    out: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(path.glob("*.jsonl"))
            if not found:
                raise UsageError(f"no *.jsonl capture file in folder {path}")
            out.extend(found)
        else:
            out.append(path)
    return tuple(out)
