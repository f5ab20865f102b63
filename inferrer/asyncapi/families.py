"""Topic families: topics that differ in one segment and carry the same messages.

``orders.eu.created``, ``orders.us.created`` and ``orders.apac.created``, each with the same
kinds, payload, header and key schemas and encodings, are one channel with the templated
address ``orders.{region}.created`` and a parameter listing the values seen. The rules:

* topic names are split at ``.``; the members have the same number of segments and
  differ in exactly one of them;
* a family needs at least ``min_size`` members (``--group-topics N``, default
  :data:`DEFAULT_MIN_FAMILY`; 0 never groups), all with the same messages, as data;
* the largest family is taken first (then by its address), and a topic joins one family;
* the parameter is named from its values: ``prod``, ``dev``... are an ``env``; two-letter
  codes and region words (``apac``, ``emea``, ``latam``...) a ``region``; digits a
  ``number``; anything else a ``name`` (``tenants.{name}.orders``).

A family's channel has the members' summed counts, earliest first and latest last seen,
and its per-topic evidence; its schemas and per-field statistics are the first member's
(they are the same schemas). Drift reads the parameter's ``enum`` back into one channel
per topic (:mod:`inferrer.drift.spec`).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from inferrer.model import KindSummary, TopicMetadata, TopicSummary

DEFAULT_MIN_FAMILY: Final = 3
"""Members a family needs by default: two topics alike may be a coincidence."""

_ENV: Final = re.compile(r"^(prod|production|dev|development|staging|stage|test|qa|uat)$", re.I)


@dataclass(frozen=True, slots=True)
class Family:
    """A templated channel and the topics it stands for."""

    address: str
    """``orders.{region}.created``."""
    parameter: str
    values: tuple[str, ...]
    """The varying segment of each member, sorted."""
    members: tuple[str, ...]
    """The member topics, in the order of :attr:`values`."""


def _signature(summary: TopicSummary) -> str:
    kinds = sorted(
        (
            k.name,
            k.discriminator_field,
            k.discriminator_value,
            dict(k.payload_schema),
            None if k.headers_schema is None else dict(k.headers_schema),
        )
        for k in summary.kinds
    )
    return json.dumps(
        [
            summary.content_type,
            summary.encoding,
            summary.envelope,
            summary.framing,
            None if summary.key_schema is None else dict(summary.key_schema),
            None if summary.headers_schema is None else dict(summary.headers_schema),
            kinds,
        ],
        sort_keys=True,
        default=str,
    )


_REGIONS: Final = frozenset(
    {"apac", "emea", "latam", "amer", "anz", "mea", "cee", "dach", "nordics"}
)


def parameter_name(values: Sequence[str]) -> str:
    """The name of a family's parameter (see the module)."""
    if all(_ENV.match(v) for v in values):
        return "env"
    if all((len(v) == 2 and v.isalpha()) or v.lower() in _REGIONS for v in values):
        return "region"
    if all(v.isdigit() for v in values):
        return "number"
    return "name"


def find_families(summaries: Sequence[TopicSummary], min_size: int) -> list[Family]:
    """The families among ``summaries`` (see the module); none when ``min_size`` < 2."""
    if min_size < 2:
        return []
    by_topic = {s.topic: s for s in summaries}
    candidates: list[tuple[int, str, tuple[str, ...], int]] = []
    buckets: dict[tuple[int, int, tuple[str, ...], str], list[str]] = {}
    for topic in sorted(by_topic):
        segments = topic.split(".")
        if len(segments) < 2:
            continue
        signature = _signature(by_topic[topic])
        for i in range(len(segments)):
            rest = (*segments[:i], "{}", *segments[i + 1 :])
            buckets.setdefault((len(segments), i, rest, signature), []).append(topic)
    for (_n, i, rest, _sig), members in buckets.items():
        if len(members) >= min_size:
            candidates.append((i, ".".join(rest), tuple(members), len(members)))
    taken: set[str] = set()
    families: list[Family] = []
    for i, address, group, _size in sorted(candidates, key=lambda c: (-c[3], c[1])):
        free = [t for t in group if t not in taken]
        if len(free) < min_size or len(free) != len(group):
            continue
        parts = address.split(".")
        values = tuple(t.split(".")[i] for t in free)
        name = parameter_name(values)
        parts[i] = "{" + name + "}"
        order = sorted(range(len(free)), key=lambda j: values[j])
        families.append(
            Family(
                address=".".join(parts),
                parameter=name,
                values=tuple(values[j] for j in order),
                members=tuple(free[j] for j in order),
            )
        )
        taken.update(free)
    return sorted(families, key=lambda f: f.address)


def _merge_kinds(kinds_by_member: Sequence[Sequence[KindSummary]]) -> tuple[KindSummary, ...]:
    first = kinds_by_member[0]
    merged: list[KindSummary] = []
    for kind in first:
        same = [
            k
            for kinds in kinds_by_member
            for k in kinds
            if (k.name, k.discriminator_value) == (kind.name, kind.discriminator_value)
        ]
        firsts = [k.first_timestamp for k in same if k.first_timestamp is not None]
        lasts = [k.last_timestamp for k in same if k.last_timestamp is not None]
        merged.append(
            dataclasses.replace(
                kind,
                count=sum(k.count for k in same),
                first_timestamp=min(firsts) if firsts else None,
                last_timestamp=max(lasts) if lasts else None,
            )
        )
    return tuple(merged)


def _sum_counts(maps: Sequence[Mapping[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for counts in maps:
        for key, n in counts.items():
            out[key] = out.get(key, 0) + n
    return dict(sorted(out.items()))


def merge_family(
    family: Family,
    summaries: Mapping[str, TopicSummary],
    metadata: Mapping[str, TopicMetadata],
) -> tuple[TopicSummary, TopicMetadata | None]:
    """One summary (named by the family's address) and one metadata for the family."""
    members = [summaries[t] for t in family.members]
    first = members[0]
    firsts = [s.first_timestamp for s in members if s.first_timestamp is not None]
    lasts = [s.last_timestamp for s in members if s.last_timestamp is not None]
    rates = [s.rate_per_second for s in members]
    summary = dataclasses.replace(
        first,
        topic=family.address,
        messages=sum(s.messages for s in members),
        kinds=_merge_kinds([s.kinds for s in members]),
        schema_ids=tuple(sorted({i for s in members for i in s.schema_ids})),
        undecodable=_sum_counts([s.undecodable for s in members]),
        anomalies=_sum_counts([s.anomalies for s in members]),
        tombstones=sum(s.tombstones for s in members),
        first_timestamp=min(firsts) if firsts else None,
        last_timestamp=max(lasts) if lasts else None,
        rate_per_second=None if any(r is None for r in rates) else sum(r or 0.0 for r in rates),
        partitions_seen=tuple(sorted({p for s in members for p in s.partitions_seen})),
    )
    known = [metadata[t] for t in family.members if t in metadata]
    if not known:
        return summary, None

    def common(values: list[Any], empty: Any) -> Any:
        return values[0] if values and all(v == values[0] for v in values) else empty

    merged_md = TopicMetadata(
        name=family.address,
        partitions=common([m.partitions for m in known], 0) if len(known) == len(members) else 0,
        replication_factor=(
            common([m.replication_factor for m in known], 0) if len(known) == len(members) else 0
        ),
        configs=common([dict(m.configs) for m in known], {}) if len(known) == len(members) else {},
        consumer_groups=tuple(sorted({g for m in known for g in m.consumer_groups})),
    )
    return summary, merged_md


def group_topics(
    summaries: Sequence[TopicSummary],
    metadata: Mapping[str, TopicMetadata],
    min_size: int,
) -> tuple[list[TopicSummary], dict[str, TopicMetadata], dict[str, Family]]:
    """``summaries`` and ``metadata`` with each family's members replaced by the family,
    and the families by address."""
    families = find_families(summaries, min_size)
    if not families:
        return list(summaries), dict(metadata), {}
    by_topic = {s.topic: s for s in summaries}
    grouped = {t for f in families for t in f.members}
    out = [s for s in summaries if s.topic not in grouped]
    out_md = {t: m for t, m in metadata.items() if t not in grouped}
    for family in families:
        summary, md = merge_family(family, by_topic, metadata)
        out.append(summary)
        if md is not None:
            out_md[family.address] = md
    return sorted(out, key=lambda s: s.topic), out_md, {f.address: f for f in families}
