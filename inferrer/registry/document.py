"""Registry-backed topics in the summaries the document is written from.

A topic whose values were decoded with writer schemas gets one kind per record type
(the schema id tells them apart: Avro's record name, Protobuf's message name, a JSON
Schema's title; the engine folds each record type's messages as a kind of its own),
whose payload in the document is the registry's schema in its own format; what the
sample showed of each record type's decoded values stays as its kind's observed schema
and field statistics, for the evidence file. Keys framed the same way note
their writer schema too.

Where the registry can be asked, each schema id is placed in its subject and version
(``topic-value`` for TopicNameStrategy, ``topic-Record`` for TopicRecordNameStrategy,
``Record`` for RecordNameStrategy, tried in that order).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Final

from inferrer.model import (
    RECORD_KIND_FIELD,
    KindSummary,
    RegistrySchema,
    RegistrySchemaType,
    TopicSummary,
)
from inferrer.registry.client import RegistryClient, RegistryError
from inferrer.registry.framed import FramedDecoder, Part, PartUse
from inferrer.registry.schemas import mark_root_message, proto_text

STRATEGIES: Final = ("TopicNameStrategy", "TopicRecordNameStrategy", "RecordNameStrategy")
MAX_VERSIONS_SEARCHED: Final = 200
CONTENT_TYPES: Final[Mapping[RegistrySchemaType, str]] = {
    "AVRO": "application/vnd.confluent.avro",
    "PROTOBUF": "application/vnd.confluent.protobuf",
    "JSON": "application/json",
}
"""The content type of a registry-backed topic's messages, by the writer schema's type."""


@dataclasses.dataclass(frozen=True, slots=True)
class Located:
    """Where a schema id sits in the registry."""

    subject: str
    version: int
    strategy: str


def locate(
    client: RegistryClient, topic: str, part: Part, record: str | None, schema_id: int
) -> Located | None:
    """The subject and version holding ``schema_id``, by the three naming strategies."""
    candidates = [(f"{topic}-{part}", STRATEGIES[0])]
    if record is not None:
        candidates += [(f"{topic}-{record}", STRATEGIES[1]), (record, STRATEGIES[2])]
    for subject, strategy in candidates:
        try:
            versions = client.versions(subject)
        except RegistryError:
            continue
        for version in sorted(versions, reverse=True)[:MAX_VERSIONS_SEARCHED]:
            try:
                if client.version(subject, version).id == schema_id:
                    return Located(subject, version, strategy)
            except RegistryError:
                continue
    return None


def _groups(framed: FramedDecoder, use: PartUse) -> dict[str | None, list[int]]:
    """Decoded schema ids by the record type they name."""
    groups: dict[str | None, list[int]] = {}
    for schema_id in sorted(use.decoded):
        groups.setdefault(framed.names.get(schema_id), []).append(schema_id)
    return groups


def _schema_of(
    framed: FramedDecoder,
    use: PartUse,
    record: str | None,
    ids: list[int],
    located: Mapping[int, Located | None],
) -> RegistrySchema:
    newest = max(ids)
    schema = framed.schemas[newest]
    where = located.get(newest)
    return RegistrySchema(
        schema_type=schema.schema_type,
        # A Protobuf schema may be held as a base64 descriptor: the document shows source.
        text=(
            mark_root_message(proto_text(schema.text), record)
            if schema.schema_type == "PROTOBUF"
            else schema.text
        ),
        schema_id=newest,
        ids=tuple(ids),
        record=record,
        subject=where.subject if where else None,
        version=where.version if where else None,
        strategy=where.strategy if where else None,
        count=sum(use.decoded[i] for i in ids),
    )


def _short(record: str | None, fallback: str) -> str:
    return record.rsplit(".", 1)[-1] if record else fallback


def _one_kind(summary: TopicSummary, registry: RegistrySchema) -> KindSummary:
    """The topic's kinds folded into the one record type's kind."""
    kinds = summary.kinds
    if len(kinds) == 1:
        return dataclasses.replace(
            kinds[0],
            name=_short(registry.record, kinds[0].name),
            discriminator_field=None,
            discriminator_value=None,
            registry=registry,
        )
    observed = {"anyOf": [dict(k.payload_schema) for k in kinds]} if kinds else {}
    return KindSummary(
        name=_short(registry.record, kinds[0].name if kinds else "Message"),
        count=sum(k.count for k in kinds),
        payload_schema=observed,
        first_timestamp=min((k.first_timestamp for k in kinds if k.first_timestamp), default=None),
        last_timestamp=max((k.last_timestamp for k in kinds if k.last_timestamp), default=None),
        registry=registry,
    )


def _record_kind(summary: TopicSummary, registry: RegistrySchema) -> KindSummary:
    """One record type's kind of a topic carrying several: what its messages showed
    (the engine's kind of that record type) with the registry's schema."""
    name = _short(registry.record, f"Schema{registry.schema_id}")
    observed = [
        k
        for k in summary.kinds
        if registry.record is not None
        and k.discriminator_field == RECORD_KIND_FIELD
        and k.discriminator_value == registry.record
    ]
    if len(observed) != 1:
        return KindSummary(name=name, count=registry.count, payload_schema={}, registry=registry)
    return dataclasses.replace(
        observed[0],
        name=name,
        count=registry.count,
        discriminator_field=None,
        discriminator_value=None,
        registry=registry,
    )


def with_registry(
    summaries: Iterable[TopicSummary],
    framed: FramedDecoder,
    client: RegistryClient | None,
    located: dict[int, Located | None] | None = None,
) -> list[TopicSummary]:
    """The summaries, registry-backed topics described by their writer schemas.

    ``located`` (schema id → where it sits) is filled in as the registry is asked,
    and read first: a capture's schema sidecar brings it for offline work.
    """
    located = located if located is not None else {}
    out: list[TopicSummary] = []
    for summary in summaries:
        uses = framed.topic_use(summary.topic)
        changes: dict[str, object] = {}
        for part, use in uses.items():
            if not use.decoded:
                continue
            groups = _groups(framed, use)
            if client is not None:
                for record, ids in groups.items():
                    newest = max(ids)
                    if newest not in located:
                        located[newest] = locate(client, summary.topic, part, record, newest)
            schemas = [_schema_of(framed, use, r, ids, located) for r, ids in groups.items()]
            if part == "key":
                changes["key_registry"] = schemas[-1]
                continue
            changes["content_type"] = CONTENT_TYPES[schemas[0].schema_type]
            if len(schemas) == 1:
                changes["kinds"] = (_one_kind(summary, schemas[0]),)
            else:
                changes["kinds"] = tuple(_record_kind(summary, s) for s in schemas)
        out.append(dataclasses.replace(summary, **changes) if changes else summary)  # type: ignore[arg-type]
    return out
