"""Framed messages decoded on their way to the engine, and what was seen of them.

A Confluent-framed Avro or Protobuf message is turned into the same framing around
JSON (``0x00``, the 4-byte schema id, the decoded datum as JSON text): the engine
already reads that as a framed JSON message, so statistics, enums, formats, maps and
kinds work on registry-backed topics as on any other, and the schema id stays in the
observation. JSON Schema framing is JSON already and passes unchanged.

:class:`FramedDecoder` looks each schema id up once (the client caches, and so does
this class, failures included) and counts, per topic and per key or value, the schema
ids seen and why any message could not be decoded.

The engine decodes framed messages itself (capture files, with a registry or a schema
sidecar, and live samples), and counts the same way: it asks :meth:`FramedDecoder.
core_writer` for each schema id the first time the id comes (the lookup, cached, is
here), reads Avro and JSON Schema bodies itself, hands Protobuf bodies (and Avro ones
its decoder refuses) to :meth:`FramedDecoder.core_decode`, and
:meth:`FramedDecoder.absorb` takes its counts back. :meth:`FramedDecoder.body` is then
the reference (and the decoder of the messages kept for the reference drift walk).

The schema id is the discriminator: a framed message whose id names a record type (an
Avro record, a Protobuf message, a JSON Schema's title) is of that kind, so each record
type of a topic is observed apart (:meth:`FramedDecoder.of_record_type` for decoded
messages; the engine does the same as it folds).
"""

from __future__ import annotations

import dataclasses
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from inferrer.model import RECORD_KIND_FIELD, DecodedMessage
from inferrer.records import Record
from inferrer.registry import schemas_path
from inferrer.registry.client import RegisteredSchema, RegistryError, RegistryUnreachable
from inferrer.registry.schemas import (
    Decoder,
    SchemaSource,
    UndecodableBody,
    datum_json,
    decoder_for,
    framed_id,
)

Part = Literal["key", "value"]
CoreSchema = tuple[int, str, list[str], str | None]
"""(schema id, "AVRO" or "JSON", the Avro schema's texts, the record type it names):
what ``Engine.set_framing`` takes."""

MAX_SCHEMAS: Final = 4096
"""Distinct schema ids looked up per run; ids past it are counted, not looked up (a
topic of garbage whose fifth byte varies must not flood the registry)."""


@dataclass(slots=True)
class PartUse:
    """What one topic's keys or values carried."""

    ids: Counter[int] = field(default_factory=Counter)
    """Framed messages per schema id."""
    decoded: Counter[int] = field(default_factory=Counter)
    """Of those, the ones decoded with their writer schema."""
    failures: Counter[str] = field(default_factory=Counter)
    """Why the others were not (one line each)."""


class FramedDecoder:
    """Decodes framed messages with the writer schemas of a :class:`SchemaSource`.

    With no source (no registry, no schema sidecar) nothing is decoded; framed
    messages are still counted per topic and schema id.
    """

    def __init__(self, source: SchemaSource | None) -> None:
        self.source = source
        self._decoders: dict[int, Decoder | str] = {}
        self._loaded: dict[int, RegisteredSchema] = {}
        self.schemas: dict[int, RegisteredSchema] = {}
        """Every writer schema used, by id (for the document and the capture sidecar)."""
        self.names: dict[int, str] = {}
        """The record or message type each schema id names, when it names one."""
        self.use: dict[tuple[str, Part], PartUse] = {}
        self.unreachable: str | None = None
        """Why the registry stopped answering, once it did."""
        self.python_bodies = 0
        """Bodies decoded here, by the reference decoders (Protobuf, and Avro the core
        does not read, when the core asks; every body folded through :meth:`body`)."""

    def _decoder(self, schema_id: int, *, used: bool = True) -> Decoder | str:
        """The decoder of an id (made once), or why there is none; ``used`` records its
        schema and name as used (``used=False`` prepares a decoder the core may need)."""
        got = self._decoders.get(schema_id)
        if got is None:
            got = self._make(schema_id)
        if used and not isinstance(got, str) and schema_id in self._loaded:
            self.schemas.setdefault(schema_id, self._loaded[schema_id])
            if got.name is not None:
                self.names.setdefault(schema_id, got.name)
        return got

    def _make(self, schema_id: int) -> Decoder | str:
        if self.source is None:
            return "no Schema Registry was given"
        if self.unreachable is not None:
            return self.unreachable
        if len(self._decoders) >= MAX_SCHEMAS:
            return f"more than {MAX_SCHEMAS} distinct schema ids"
        made: Decoder | str
        try:
            schema = self.source.schema(schema_id)
            made = decoder_for(self.source, schema)
        except RegistryUnreachable as e:
            self.unreachable = str(e)
            return self.unreachable
        except RegistryError as e:
            made = str(e)
        else:
            self._loaded[schema_id] = schema
        self._decoders[schema_id] = made
        return made

    def wants(self, capture: str | os.PathLike[str]) -> bool:
        """Whether a capture file's records need this decoder: a registry was given, or
        the file has writer schemas beside it (its schema sidecar)."""
        return getattr(self.source, "registry", None) is not None or schemas_path(capture).exists()

    def prepare(self, schema_id: int) -> Decoder | None:
        """Look up (once) and make the decoder of a schema id; None when it cannot be."""
        got = self._decoder(schema_id)
        return None if isinstance(got, str) else got

    def body(
        self, topic: str, part: Part, data: bytes | None, *, counted: bool = True
    ) -> bytes | None:
        """The framed JSON to fold in place of ``data``, or None to fold ``data`` as is.

        ``counted=False`` decodes without counting (a second pass over records already
        counted, such as the messages kept for the reference drift walk)."""
        schema_id = framed_id(data)
        if schema_id is None or data is None:
            return None
        use = self.use.get((topic, part)) if counted else PartUse()
        if use is None:
            use = self.use[(topic, part)] = PartUse()
        use.ids[schema_id] += 1
        decoder = self._decoder(schema_id)
        if isinstance(decoder, str):
            # A framed JSON body is read as JSON whatever its schema: not a failure.
            if data[5:6] not in (b"{", b"["):
                use.failures[decoder] += 1
            return None
        if decoder.read is None:  # JSON Schema: the body is JSON already
            use.decoded[schema_id] += 1
            return None
        self.python_bodies += counted
        try:
            text = datum_json(decoder.read(data[5:]))
        except UndecodableBody as e:
            use.failures[f"schema id {schema_id}: {e}"] += 1
            return None
        use.decoded[schema_id] += 1
        return data[:5] + text

    def core_schemas(self) -> list[CoreSchema] | None:
        """Every writer schema of the source registered up front (``Engine.set_framing``
        with a list), or None when that cannot be had: a registry may be asked for more
        ids, or some schema is Protobuf (or more than :data:`MAX_SCHEMAS`). Ids whose
        decoder cannot be made are left out: the core counts them, and :meth:`absorb`
        names why. The product takes the lookup route instead (:meth:`core_writer`, ids
        asked as the core meets them); the differential tests and the fuzz target use
        this to hold both routes to the same fold."""
        by_id: Mapping[int, RegisteredSchema] | None = getattr(self.source, "by_id", None)
        if by_id is None or getattr(self.source, "registry", None) is not None:
            return None
        if len(by_id) > MAX_SCHEMAS or any(s.schema_type == "PROTOBUF" for s in by_id.values()):
            return None
        out: list[CoreSchema] = []
        for schema_id in sorted(by_id):
            got = self._decoder(schema_id, used=False)
            if isinstance(got, Decoder):
                out.append((schema_id, got.schema_type, list(got.texts), got.name))
        return out

    def core_writer(self, schema_id: int) -> tuple[str, list[str], str | None] | None:
        """The engine's question the first time a schema id comes (``Engine.set_framing``
        with this decoder as its lookup): ("AVRO", the schema's texts, record type),
        ("JSON", [], title), ("PROTOBUF", [], message type) for :meth:`core_decode` to
        decode, or None when no decoder can be made (the engine counts it unresolved;
        :meth:`absorb` names why). The record type is the kind of the id's messages."""
        got = self._decoder(schema_id, used=False)
        if isinstance(got, str):
            return None
        return got.schema_type, list(got.texts), got.name

    def core_decode(self, schema_id: int, body: bytes) -> bytes | str | None:
        """What :meth:`body` makes of a framed body (after its 5 framing bytes) whose
        schema the engine does not read, without counting (the engine counts): the
        datum's JSON text, None when the body is JSON already, or why it cannot be
        decoded."""
        got = self._decoder(schema_id, used=False)
        if isinstance(got, str):
            return got
        if got.read is None:
            return None
        self.python_bodies += 1
        try:
            return datum_json(got.read(body))
        except UndecodableBody as e:
            return f"schema id {schema_id}: {e}"

    def absorb(self, seen: Mapping[str, Any]) -> None:
        """Count what the core's framing saw (``Engine.framed_use``) as :meth:`body`
        would have: schemas recorded as used in first-seen order, unresolved ids named
        by their decoder's reason."""
        for schema_id in seen["order"]:
            self._decoder(schema_id)
        for topic, part, ids, decoded, failures in seen["uses"]:
            use = self.use.get((topic, part))
            if use is None:
                use = self.use[(topic, part)] = PartUse()
            use.ids.update(dict(ids))
            use.decoded.update(dict(decoded))
            for failed, n in failures:
                if isinstance(failed, str):
                    use.failures[failed] += n
                    continue
                got = self._decoder(failed)
                # The core had every decoder that could be made (core_schemas, core_writer).
                reason = got if isinstance(got, str) else f"schema id {failed}: not decoded"
                use.failures[reason] += n

    def of_record_type(self, message: DecodedMessage) -> DecodedMessage:
        """A decoded framed message as the engine folds it: of the kind of the record
        type its schema id names (decode the record first, so the id is looked up)."""
        if message.framing != "confluent" or message.schema_id is None:
            return message
        name = self.names.get(message.schema_id)
        if name is None:
            return message
        return dataclasses.replace(message, kind=name, kind_field=RECORD_KIND_FIELD)

    def messages(self, batch: list[Any]) -> list[Any]:
        """Decode a batch of consumer messages in place (``set_key``/``set_value``): the
        reference of the engine's own live route (``Engine.set_framing`` with this
        decoder as its lookup); fold them with :attr:`names` as the engine's record
        types (``Engine.set_record_types``)."""
        for msg in batch:
            if msg.error() is not None:
                continue
            topic = msg.topic()
            key = self.body(topic, "key", msg.key())
            if key is not None:
                msg.set_key(key)
            value = self.body(topic, "value", msg.value())
            if value is not None:
                msg.set_value(value)
        return batch

    def records(self, records: Iterable[Record], *, counted: bool = True) -> Iterator[Record]:
        """The records with framed keys and values decoded."""
        for rec in records:
            key = self.body(rec.topic, "key", rec.key, counted=counted)
            value = self.body(rec.topic, "value", rec.value, counted=counted)
            if key is None and value is None:
                yield rec
            else:
                yield Record(
                    rec.topic,
                    rec.partition,
                    rec.offset,
                    rec.timestamp,
                    rec.key if key is None else key,
                    rec.value if value is None else value,
                    rec.headers,
                )

    def topic_use(self, topic: str) -> dict[Part, PartUse]:
        """What a topic's keys and values carried (parts with no framed message left out)."""
        return {
            part: use
            for part in ("key", "value")
            if (use := self.use.get((topic, part))) is not None
        }

    def undecoded_topics(self) -> list[str]:
        """Topics with framed keys or values that could not be decoded, sorted."""
        return sorted({t for (t, _p), u in self.use.items() if u.failures})
