"""Drift of registry-backed topics: writer schemas, subjects and versions.

A committed inferrer document notes, per registry-backed message, the schema ids it
was written with and the subject and version the newest one sits at
(``x-inferrer-registry``). Against traffic decoded with writer schemas this finds:

* ``schema-id-new``: a schema id in traffic the spec does not list (a new version);
* ``registry-incompatible``: the registry's own verdict that such a writer schema is
  not compatible with the documented version of the subject;
* ``subject-version-changed``: the subject's latest version is not the documented one.

The payload's own rules (types, required, enums) run on the decoded values as on any
other traffic; this module adds only what the registry knows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from inferrer.drift.findings import FindingCollector
from inferrer.drift.model import Evidence
from inferrer.drift.spec import SpecChannel, SpecMessage, SpecView
from inferrer.jsonpointer import join_pointer
from inferrer.model import TopicSummary
from inferrer.registry.client import RegisteredSchema, RegistryClient, RegistryError
from inferrer.registry.framed import FramedDecoder


def _ids(message: SpecMessage) -> set[int]:
    facts = message.registry or {}
    ids = {i for i in facts.get("schemaIds") or () if isinstance(i, int)}
    if isinstance(facts.get("schemaId"), int):
        ids.add(facts["schemaId"])
    return ids


def _registry_messages(channel: SpecChannel) -> list[SpecMessage]:
    return [m for m in channel.messages.values() if m.registry]


def _facts(message: SpecMessage) -> Mapping[str, Any]:
    return message.registry or {}


@dataclass(frozen=True, slots=True)
class SeenIds:
    """The writer schema ids traffic carried, per topic (value), with what is known of
    them: counts and record names when the messages were decoded here, ids alone when
    only observations are at hand."""

    ids: Mapping[str, Mapping[int, int | None]]
    names: Mapping[int, str] = field(default_factory=dict)
    schemas: Mapping[int, RegisteredSchema] = field(default_factory=dict)
    client: RegistryClient | None = None

    @classmethod
    def of_decoder(cls, framed: FramedDecoder) -> SeenIds:
        ids = {t: dict(u.ids) for (t, part), u in framed.use.items() if part == "value"}
        client: RegistryClient | None = getattr(framed.source, "registry", None)
        return cls(ids, framed.names, framed.schemas, client)

    @classmethod
    def of_summaries(cls, summaries: Iterable[TopicSummary]) -> SeenIds:
        return cls({s.topic: dict.fromkeys(s.schema_ids) for s in summaries if s.schema_ids})


def _check_new_id(
    out: FindingCollector,
    channel: SpecChannel,
    owner: SpecMessage,
    schema_id: int,
    count: int | None,
    total: int | None,
    seen: SeenIds,
) -> None:
    record = seen.names.get(schema_id)
    named = f" ({record})" if record else ""
    pointer = join_pointer(owner.pointer, "x-inferrer-registry", "schemaIds")
    counted = f" ({count} messages)" if count is not None else ""
    out.add(
        "schema-id-new",
        "payload",
        pointer,
        f"topic {channel.address}: schema id {schema_id}{named} is not documented{counted}",
        channel=channel.address,
        kind=owner.key,
        before=sorted(_ids(owner)),
        after=schema_id,
        evidence=Evidence(
            count=count, ratio=round(count / total, 4) if count is not None and total else None
        ),
    )
    facts = _facts(owner)
    subject, version = facts.get("subject"), facts.get("version")
    schema = seen.schemas.get(schema_id)
    client = seen.client
    if client is None or schema is None or not isinstance(subject, str):
        return
    if not isinstance(version, int):
        return
    try:
        compatible, reasons = client.is_compatible(subject, schema, version)
    except RegistryError:
        return
    if compatible:
        return
    why = f": {reasons[0]}" if reasons else ""
    out.add(
        "registry-incompatible",
        "payload",
        pointer,
        f"topic {channel.address}: the registry finds schema id {schema_id}{named} "
        f"incompatible with {subject} version {version}{why}",
        channel=channel.address,
        kind=owner.key,
        before=version,
        after=schema_id,
        evidence=Evidence(count=count),
    )


def compare_registry(out: FindingCollector, view: SpecView, seen: SeenIds) -> None:
    """Add the registry findings of the schema ids traffic carried (``seen``) against
    ``view`` to ``out`` (asking the registry, when there is one)."""
    client = seen.client
    for channel in view.channels.values():
        documented = _registry_messages(channel)
        if not documented:
            continue
        ids = seen.ids.get(channel.address)
        if ids:
            known = set().union(*(_ids(m) for m in documented))
            counts = [c for c in ids.values() if c is not None]
            total = sum(counts) if counts else None
            for schema_id, count in sorted(ids.items()):
                if schema_id in known:
                    continue
                # The documented message of the same record type, else the first.
                record = seen.names.get(schema_id)
                owner = next(
                    (m for m in documented if _facts(m).get("record") == record), documented[0]
                )
                _check_new_id(out, channel, owner, schema_id, count, total, seen)
        if client is None:
            continue
        for message in documented:
            facts = _facts(message)
            subject, version = facts.get("subject"), facts.get("version")
            if not isinstance(subject, str) or not isinstance(version, int):
                continue
            try:
                latest = client.version(subject, "latest")
            except RegistryError:
                continue
            if latest.version != version:
                out.add(
                    "subject-version-changed",
                    "payload",
                    join_pointer(message.pointer, "x-inferrer-registry", "version"),
                    f"topic {channel.address}: subject {subject} is at version "
                    f"{latest.version}, the spec documents version {version}",
                    channel=channel.address,
                    kind=message.key,
                    before=version,
                    after=latest.version,
                )
