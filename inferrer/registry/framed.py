"""Framed messages decoded on their way to the engine, and what was seen of them.

A Confluent-framed Avro or Protobuf message is turned into the same framing around
JSON (``0x00``, the 4-byte schema id, the decoded datum as JSON text): the engine
already reads that as a framed JSON message, so statistics, enums, formats, maps and
kinds work on registry-backed topics as on any other, and the schema id stays in the
observation. JSON Schema framing is JSON already and passes unchanged.

:class:`FramedDecoder` looks each schema id up once (the client caches, and so does
this class, failures included) and counts, per topic and per key or value, the schema
ids seen and why any message could not be decoded.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from inferrer.records import Record
from inferrer.registry.client import RegisteredSchema, RegistryError, RegistryUnreachable
from inferrer.registry.schemas import (
    Decoder,
    SchemaSource,
    UndecodableBody,
    decoder_for,
    framed_id,
    schemas_path,
    to_json_bytes,
)

Part = Literal["key", "value"]
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
        self.schemas: dict[int, RegisteredSchema] = {}
        """Every writer schema used, by id (for the document and the capture sidecar)."""
        self.names: dict[int, str] = {}
        """The record or message type each schema id names, when it names one."""
        self.use: dict[tuple[str, Part], PartUse] = {}
        self.unreachable: str | None = None
        """Why the registry stopped answering, once it did."""

    def _decoder(self, schema_id: int) -> Decoder | str:
        got = self._decoders.get(schema_id)
        if got is not None:
            return got
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
            self.schemas[schema_id] = schema
            if made.name is not None:
                self.names[schema_id] = made.name
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
        try:
            value = decoder.read(data[5:])
        except UndecodableBody as e:
            use.failures[f"schema id {schema_id}: {e}"] += 1
            return None
        use.decoded[schema_id] += 1
        return data[:5] + to_json_bytes(value)

    def messages(self, batch: list[Any]) -> list[Any]:
        """Decode a batch of consumer messages in place (``set_key``/``set_value``)."""
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
