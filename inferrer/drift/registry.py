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

from collections.abc import Mapping
from typing import Any

from inferrer.drift.compare import DiffOptions, FindingCollector
from inferrer.drift.model import DriftReport, Evidence
from inferrer.drift.spec import SpecChannel, SpecMessage, SpecView
from inferrer.jsonpointer import join_pointer
from inferrer.registry.client import RegistryClient, RegistryError
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


def _check_new_id(
    out: FindingCollector,
    channel: SpecChannel,
    owner: SpecMessage,
    schema_id: int,
    count: int,
    total: int,
    framed: FramedDecoder,
    client: RegistryClient | None,
) -> None:
    record = framed.names.get(schema_id)
    named = f" ({record})" if record else ""
    pointer = join_pointer(owner.pointer, "x-inferrer-registry", "schemaIds")
    out.add(
        "schema-id-new",
        "payload",
        pointer,
        f"topic {channel.address}: schema id {schema_id}{named} is not documented "
        f"({count} messages)",
        channel=channel.address,
        kind=owner.key,
        before=sorted(_ids(owner)),
        after=schema_id,
        evidence=Evidence(count=count, ratio=round(count / total, 4) if total else None),
    )
    facts = _facts(owner)
    subject, version = facts.get("subject"), facts.get("version")
    schema = framed.schemas.get(schema_id)
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


def registry_findings(
    view: SpecView,
    framed: FramedDecoder,
    client: RegistryClient | None,
    options: DiffOptions,
) -> DriftReport:
    """The registry findings of traffic decoded by ``framed`` against ``view``."""
    out = FindingCollector(options)
    for channel in view.channels.values():
        documented = _registry_messages(channel)
        if not documented:
            continue
        use = framed.topic_use(channel.address).get("value")
        if use is not None:
            known = set().union(*(_ids(m) for m in documented))
            total = sum(use.ids.values())
            for schema_id, count in sorted(use.ids.items()):
                if schema_id in known:
                    continue
                # The documented message of the same record type, else the first.
                record = framed.names.get(schema_id)
                owner = next(
                    (m for m in documented if _facts(m).get("record") == record), documented[0]
                )
                _check_new_id(out, channel, owner, schema_id, count, total, framed, client)
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
    return out.report()
