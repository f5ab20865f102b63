"""Invariants: diff(spec, spec) is empty; any real change is reported; and traffic that
follows the spec it came from never yields a breaking finding, whatever the window."""

from __future__ import annotations

import copy
import random
import uuid
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inferrer.drift.compare import diff_specs
from inferrer.drift.options import DiffOptions
from inferrer.drift.spec import normalize_spec
from inferrer.drift.traffic import diff_observed
from inferrer.model import DecodedMessage, KindSummary, TopicSummary
from tests.properties import examples

NAMES = st.text(alphabet="abcdefghij", min_size=1, max_size=6)
SCALARS = st.sampled_from(["string", "integer", "number", "boolean"])


def schemas(depth: int = 2) -> st.SearchStrategy[dict[str, Any]]:
    scalar = st.builds(
        lambda t, enum, fmt, desc: {
            "type": t,
            **({"enum": enum} if enum and t == "string" else {}),
            **({"format": fmt} if fmt and t == "string" else {}),
            **({"description": desc} if desc else {}),
        },
        SCALARS,
        st.one_of(st.none(), st.lists(NAMES, min_size=1, max_size=3, unique=True)),
        st.one_of(st.none(), st.sampled_from(["uuid", "date-time", "email"])),
        st.one_of(st.none(), NAMES),
    )
    if depth == 0:
        return scalar

    def obj(props: dict[str, Any], required: list[str], closed: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "object", "properties": props}
        req = sorted(set(required) & set(props))
        if req:
            out["required"] = req
        if closed:
            out["additionalProperties"] = False
        return out

    child = schemas(depth - 1)
    return st.one_of(
        scalar,
        st.builds(
            obj,
            st.dictionaries(NAMES, child, max_size=4),
            st.lists(NAMES, max_size=3),
            st.booleans(),
        ),
        st.builds(lambda items: {"type": "array", "items": items}, child),
    )


def specs() -> st.SearchStrategy[dict[str, Any]]:
    message = st.builds(
        lambda payload, key: {
            "payload": payload,
            **({"bindings": {"kafka": {"key": key}}} if key else {}),
        },
        schemas(),
        st.one_of(st.none(), schemas(0)),
    )
    channel = st.builds(
        lambda address, messages, partitions, policy: {
            "address": address,
            "messages": messages,
            "bindings": {
                "kafka": {
                    "partitions": partitions,
                    "topicConfiguration": {"cleanup.policy": [policy]},
                }
            },
        },
        NAMES,
        st.dictionaries(NAMES, message, min_size=1, max_size=3),
        st.integers(1, 12),
        st.sampled_from(["delete", "compact"]),
    )
    return st.builds(
        lambda channels: {"asyncapi": "3.0.0", "channels": channels},
        st.dictionaries(NAMES, channel, max_size=3),
    )


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_a_spec_has_no_drift_against_itself(spec: dict[str, Any]) -> None:
    assert diff_specs(spec, copy.deepcopy(spec), DiffOptions()).findings == ()


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs(), specs())
def test_every_difference_is_reported(old: dict[str, Any], new: dict[str, Any]) -> None:
    # Addresses may collide across channel ids; compare what drift compares.
    differs = normalize_spec(old).to_comparable() != normalize_spec(new).to_comparable()
    report = diff_specs(old, new, DiffOptions())
    assert bool(report.findings) == differs


# --- traffic following its spec ---------------------------------------------------


@dataclass(frozen=True)
class FieldModel:
    name: str
    kind: str  # string, integer, number, boolean, object, array
    presence: float
    nullable: bool
    enum: tuple[str, ...] | None
    fmt: str | None
    children: tuple[FieldModel, ...] = ()


def field_models(depth: int = 2) -> st.SearchStrategy[tuple[FieldModel, ...]]:
    def build(
        name: str,
        kind: str,
        presence: float,
        nullable: bool,
        enum: bool,
        fmt: str | None,
        children: tuple[FieldModel, ...],
    ) -> FieldModel:
        return FieldModel(
            name=name,
            kind=kind if children or kind not in ("object", "array") else "string",
            presence=presence,
            nullable=nullable,
            enum=("A", "B", "C", "RARE") if enum and kind == "string" else None,
            fmt=fmt if kind == "string" and not enum else None,
            children=children if kind in ("object", "array") else (),
        )

    children = field_models(depth - 1) if depth else st.just(())
    one = st.builds(
        build,
        NAMES,
        st.sampled_from(["string", "integer", "number", "boolean", "object", "array"]),
        st.sampled_from([1.0, 1.0, 0.9, 0.3, 0.01]),
        st.booleans(),
        st.booleans(),
        st.sampled_from([None, "uuid", "date-time"]),
        children,
    )
    return st.lists(one, max_size=4, unique_by=lambda f: f.name).map(tuple)


def schema_of(field: FieldModel) -> dict[str, Any]:
    types = {
        "string": "string",
        "integer": "integer",
        "number": "number",
        "boolean": "boolean",
        "object": "object",
        "array": "array",
    }
    out: dict[str, Any] = {"type": [types[field.kind], "null"] if field.nullable else field.kind}
    if field.enum:
        out["enum"] = [*field.enum, None] if field.nullable else list(field.enum)
    if field.fmt:
        out["format"] = field.fmt
    if field.kind == "object":
        out.update({k: v for k, v in object_schema(field.children).items() if k != "type"})
    if field.kind == "array":
        out["items"] = object_schema(field.children)
    if field.presence < 1:
        out["x-presence-ratio"] = field.presence
    return out


def object_schema(fields: tuple[FieldModel, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "object",
        "properties": {f.name: schema_of(f) for f in fields},
    }
    required = sorted(f.name for f in fields if f.presence == 1.0)
    if required:
        out["required"] = required
    return out


def value_of(field: FieldModel, rng: random.Random) -> Any:
    if field.nullable and rng.random() < 0.2:
        return None
    if field.enum:
        return rng.choices(field.enum, weights=[40, 40, 19, 1])[0]
    if field.fmt == "uuid":
        return str(uuid.UUID(int=rng.getrandbits(128)))
    if field.fmt == "date-time":
        return f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T10:00:00Z"
    if field.kind == "string":
        return rng.choice(["x", "yy", "zzz"])
    if field.kind == "integer":
        return rng.randint(-5, 5)
    if field.kind == "number":
        return rng.choice([rng.random(), rng.randint(0, 3)])  # ints are numbers too
    if field.kind == "boolean":
        return rng.random() < 0.5
    if field.kind == "object":
        return object_value(field.children, rng)
    return [object_value(field.children, rng) for _ in range(rng.randint(0, 3))]


def object_value(fields: tuple[FieldModel, ...], rng: random.Random) -> dict[str, Any]:
    return {f.name: value_of(f, rng) for f in fields if rng.random() < f.presence}


KINDS = ("Created", "Updated", "Deleted")


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    models=st.lists(field_models(), min_size=1, max_size=3),
    windows=st.lists(st.tuples(st.integers(0, 2**32), st.integers(0, 400)), min_size=3, max_size=3),
)
def test_traffic_matching_its_spec_is_never_breaking(
    models: list[tuple[FieldModel, ...]], windows: list[tuple[int, int]]
) -> None:
    kinds = KINDS[: len(models)]
    spec = {
        "asyncapi": "3.0.0",
        "channels": {
            "events": {
                "address": "app.events",
                "messages": {
                    kind: {
                        "name": kind,
                        "payload": {
                            **object_schema(fields),
                            "properties": {
                                "type": {"type": "string", "const": kind},
                                **object_schema(fields)["properties"],
                            },
                            "discriminator": "type",
                        },
                    }
                    for kind, fields in zip(kinds, models, strict=True)
                },
            },
            "quiet": {"address": "app.quiet", "messages": {"Q": {"payload": {"type": "object"}}}},
        },
    }
    for seed, size in windows:
        rng = random.Random(seed)
        messages = []
        counts: dict[str, int] = {}
        for offset in range(size):
            i = rng.choices(range(len(kinds)), weights=[90, 9, 1][: len(kinds)])[0]
            value = {"type": kinds[i], **object_value(models[i], rng)}
            counts[kinds[i]] = counts.get(kinds[i], 0) + 1
            messages.append(
                DecodedMessage(
                    topic="app.events",
                    partition=offset % 3,
                    offset=offset,
                    timestamp=None,
                    ok=True,
                    value=value,
                    kind=kinds[i],
                )
            )
        summaries = [
            TopicSummary(
                topic="app.events",
                messages=size,
                kinds=tuple(
                    KindSummary(name=k, count=c, payload_schema={}) for k, c in counts.items()
                ),
            )
        ]
        report = diff_observed(spec, summaries, None, messages, DiffOptions())
        breaking = [(f.rule, f.message) for f in report.findings if f.severity == "breaking"]
        assert breaking == []
        assert not [
            f
            for f in report.findings
            if f.rule in ("property-absent", "kind-undocumented", "property-new")
        ]


def test_the_same_generator_against_a_narrower_spec_is_breaking() -> None:
    # Guards the invariant above from passing vacuously: the generator and the checks
    # do see drift when the spec is narrower than the traffic.
    status = FieldModel("status", "string", 1.0, False, ("A", "B", "C", "RARE"), None)
    spec_field = FieldModel("status", "string", 1.0, False, ("A", "B"), None)
    spec = {
        "asyncapi": "3.0.0",
        "channels": {
            "events": {
                "address": "app.events",
                "messages": {"Created": {"payload": object_schema((spec_field,))}},
            }
        },
    }
    rng = random.Random(7)
    messages = [
        DecodedMessage(
            topic="app.events",
            partition=0,
            offset=i,
            timestamp=None,
            ok=True,
            value=object_value((status,), rng),
        )
        for i in range(400)
    ]
    summaries = [TopicSummary(topic="app.events", messages=400, kinds=())]
    report = diff_observed(spec, summaries, None, messages, DiffOptions())
    assert [(f.rule, f.severity) for f in report.findings] == [("enum-value-new", "breaking")]


def strict_schema_of(fields: tuple[FieldModel, ...]) -> dict[str, Any]:
    """A spec narrower than the generator: no null, no RARE, 0.9-present fields required."""

    def one(f: FieldModel) -> dict[str, Any]:
        out: dict[str, Any] = {"type": f.kind}
        if f.enum:
            out["enum"] = [v for v in f.enum if v != "RARE"]
        if f.fmt:
            out["format"] = f.fmt
        if f.kind == "object":
            out.update({k: v for k, v in strict_schema_of(f.children).items() if k != "type"})
        if f.kind == "array":
            out["items"] = strict_schema_of(f.children)
        return out

    return {
        "type": "object",
        "properties": {f.name: one(f) for f in fields},
        "required": sorted(f.name for f in fields if f.presence >= 0.9),
        "additionalProperties": False,
    }


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fields=field_models(), seed=st.integers(0, 2**32), size=st.integers(0, 300))
def test_walking_each_shape_once_finds_exactly_what_walking_every_message_finds(
    fields: tuple[FieldModel, ...], seed: int, size: int
) -> None:
    extra = FieldModel("zz", "integer", 0.5, True, None, None)  # undocumented, sometimes null
    spec = {
        "asyncapi": "3.0.0",
        "channels": {
            "e": {"address": "app.e", "messages": {"E": {"payload": strict_schema_of(fields)}}}
        },
    }
    rng = random.Random(seed)
    messages = [
        DecodedMessage(
            topic="app.e",
            partition=i % 2,
            offset=i,
            timestamp=None,
            ok=True,
            value=object_value((*fields, extra), rng),
        )
        for i in range(size)
    ]
    summaries = [TopicSummary(topic="app.e", messages=size, kinds=())]
    fast = diff_observed(spec, summaries, None, messages, DiffOptions())
    slow = diff_observed(spec, summaries, None, messages, DiffOptions(reuse_shapes=False))
    assert fast == slow
    if size >= 50:
        assert any(f.rule == "property-new-closed-model" for f in fast.findings)
