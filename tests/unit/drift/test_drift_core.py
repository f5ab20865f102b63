"""The core's drift check against the reference walk (inferrer.drift.traffic).

Generated specs and traffic that mostly follows them, mutated (wrong types, nulls,
undocumented and missing properties, values outside enums and formats, unknown kinds,
undecodable bytes, tombstones), go through both: the report must be the same, whatever
order the records arrive in and however small the evidence bounds are.
"""

from __future__ import annotations

import json
import random
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inferrer.capture import write_capture
from inferrer.drift.options import DiffOptions
from inferrer.drift.spec import normalize_spec
from inferrer.drift.traffic import CoreTraffic, core_plan, diff_observed
from inferrer.engine import Engine, decode_record
from inferrer.model import KindSummary, TopicSummary
from inferrer.pipeline import Source, collect, diff
from inferrer.records import Record
from tests.properties import examples

NAMES = st.sampled_from(["id", "amount", "status", "at", "lines", "meta", "tags", "x/y", "a~b"])
FORMATS = ["uuid", "date-time", "email", "date", "no-such-format"]


def schemas(depth: int = 2) -> st.SearchStrategy[dict[str, Any]]:
    scalar = st.builds(
        lambda t, enum, fmt, nullable: {
            "type": [t, "null"] if nullable else t,
            **({"enum": enum} if enum and t == "string" else {}),
            **({"format": fmt} if fmt and t == "string" else {}),
        },
        st.sampled_from(["string", "integer", "number", "boolean"]),
        st.one_of(st.none(), st.lists(st.sampled_from(["A", "B", "C1"]), min_size=1, unique=True)),
        st.one_of(st.none(), st.sampled_from(FORMATS)),
        st.booleans(),
    )
    if depth == 0:
        return scalar
    child = schemas(depth - 1)

    def obj(props: dict[str, Any], required: list[str], extra: Any, patterns: bool) -> Any:
        out: dict[str, Any] = {"type": "object", "properties": props}
        if req := sorted(set(required) & set(props)):
            out["required"] = req
        if extra is not None:
            out["additionalProperties"] = extra
        if patterns:
            out["patternProperties"] = {"^p[0-9]+$": {"type": "integer"}}
        return out

    return st.one_of(
        scalar,
        st.builds(
            obj,
            st.dictionaries(NAMES, child, max_size=4),
            st.lists(NAMES, max_size=3),
            st.one_of(st.none(), st.just(False), st.just({"type": "string"})),
            st.booleans(),
        ),
        st.builds(lambda items: {"type": "array", "items": items}, child),
        st.builds(lambda a, b: {"anyOf": [a, b]}, child, child),
        st.builds(lambda v: {"const": v, "x-presence-ratio": 0.5}, st.sampled_from(["K", 1])),
    )


def value_for(schema: Any, rng: random.Random, p: float) -> Any:
    """A value that follows ``schema``, except where a mutation (probability p) hits."""
    if rng.random() < p:
        return rng.choice([None, "oops", 7, 2.5, 3.0, True, [], {"zz": 1}, "2024-13-45"])
    if not isinstance(schema, dict):
        return None
    if "anyOf" in schema:
        return value_for(rng.choice(schema["anyOf"]), rng, p)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return rng.choice([*schema["enum"], "Z"]) if rng.random() < 0.2 else schema["enum"][0]
    t = schema.get("type")
    if isinstance(t, list):
        t = t[0] if rng.random() < 0.8 else "null"
    if t == "object":
        out: dict[str, Any] = {}
        for name, sub in schema.get("properties", {}).items():
            if rng.random() < 0.85:
                out[name] = value_for(sub, rng, p)
        if rng.random() < p:
            out[rng.choice(["extra", "p12", "other"])] = rng.choice(["s", 1, None])
        return out
    if t == "array":
        return [value_for(schema.get("items"), rng, p) for _ in range(rng.randrange(4))]
    if t == "string":
        fmt = schema.get("format")
        if fmt == "uuid":
            return str(uuid.UUID(int=rng.getrandbits(128)))
        if fmt == "date-time":
            return "2024-05-06T07:08:09Z"
        if fmt == "email":
            return "a@example.com"
        if fmt == "date":
            return "2024-05-06"
        return rng.choice(["text", "more text", ""])
    if t == "integer":
        return rng.randrange(-5, 10**12)
    if t == "number":
        return rng.choice([1.5, 2.0, -0.0, 7])
    if t == "boolean":
        return rng.random() < 0.5
    return None


def spec_of(kinds: list[tuple[str, dict[str, Any], dict[str, Any] | None]]) -> dict[str, Any]:
    messages = {}
    for name, payload, key in kinds:
        payload = {
            "type": "object",
            "properties": {"type": {"type": "string"}, "body": payload},
            "required": ["type"],
        }
        message: dict[str, Any] = {
            "name": name,
            "payload": payload,
            "headers": {
                "type": "object",
                "properties": {"trace": {"type": "string", "format": "uuid"}},
            },
        }
        if key is not None:
            message["bindings"] = {"kafka": {"key": key}}
        messages[name] = message
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "t", "version": "1"},
        "channels": {"orders": {"address": "orders", "messages": messages}},
    }


def records_of(spec: dict[str, Any], n: int, seed: int, p: float) -> list[Record]:
    rng = random.Random(seed)
    messages = spec["channels"]["orders"]["messages"]
    names = sorted(messages)
    out = []
    for i in range(n):
        partition = rng.randrange(3)
        offset = i // 3 * 2 + rng.randrange(2)
        roll = rng.random()
        headers: tuple[tuple[str, bytes | None], ...] = (
            ("trace", str(uuid.UUID(int=i)).encode() if rng.random() > p else b"nope"),
        )
        if roll < 0.03:
            out.append(Record("orders", partition, offset, None, b"k", None, headers))
            continue
        if roll < 0.06:
            out.append(Record("orders", partition, offset, None, None, b"{not json", headers))
            continue
        name = rng.choice(names) if roll > 0.1 else "Unheard"
        documented = messages.get(name, messages[names[0]])["payload"]["properties"]["body"]
        body = value_for(documented, rng, p)
        value: dict[str, Any] = {"type": name, "body": body}
        if rng.random() < p:
            del value["type"]
        key_schema = messages.get(name, {}).get("bindings", {}).get("kafka", {}).get("key")
        key = json.dumps(value_for(key_schema, rng, p)).encode() if key_schema else b"plain"
        raw = json.dumps(value).encode()
        out.append(Record("orders", partition, offset, None, key, raw, headers))
    # Each (partition, offset) once, as Kafka has it.
    unique = {(r.partition, r.offset): r for r in out}
    return list(unique.values())


def both(spec: dict[str, Any], records: list[Record], options: DiffOptions) -> tuple[Any, Any]:
    view = normalize_spec(spec, "spec")
    plan = core_plan(view, options)
    assert plan is not None
    engine = Engine()
    engine.check(plan)
    shuffled = list(records)
    random.Random(len(records)).shuffle(shuffled)
    engine.fold(shuffled)
    results = engine.check_results()
    assert results is not None
    summaries = [TopicSummary(topic="orders", messages=len(records), kinds=())]
    core = diff_observed(spec, summaries, None, CoreTraffic(results), options)
    decoded = [decode_record(r) for r in records]
    reference = diff_observed(spec, summaries, None, decoded, options)
    return core.to_dict(), reference.to_dict()


KINDS = st.lists(
    st.tuples(
        st.sampled_from(["OrderPlaced", "OrderPaid", "Refund"]),
        schemas(),
        st.one_of(st.none(), schemas(0)),
    ),
    min_size=1,
    max_size=3,
    unique_by=lambda k: k[0],
)


@settings(max_examples=examples(80), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kinds=KINDS,
    n=st.integers(0, 120),
    seed=st.integers(0, 2**32),
    p=st.sampled_from([0.0, 0.05, 0.3]),
    bounds=st.sampled_from([(1000, 10_000), (3, 2), (0, 0), (1, 50)]),
)
def test_the_core_check_reports_what_the_reference_walk_reports(
    kinds: list[tuple[str, dict[str, Any], dict[str, Any] | None]],
    n: int,
    seed: int,
    p: float,
    bounds: tuple[int, int],
) -> None:
    spec = spec_of(kinds)
    options = DiffOptions(max_validations_per_kind=bounds[0], max_shapes_per_kind=bounds[1])
    core, reference = both(spec, records_of(spec, n, seed, p), options)
    assert core == reference


def test_a_mutated_stream_finds_every_kind_of_finding_on_both_paths() -> None:
    body = {
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": ["A", "B"]},
            "id": {"type": "string", "format": "uuid"},
            "amount": {"type": "number"},
            "code": {"type": "string", "maxLength": 4},
        },
        "required": ["id", "amount"],
        "additionalProperties": False,
    }
    spec = spec_of([("OrderPlaced", body, {"type": "integer"}), ("Refund", {"type": "null"}, None)])
    core, reference = both(spec, records_of(spec, 400, 7, 0.2), DiffOptions())
    assert core == reference
    rules = {f["rule"] for f in core["findings"]}
    assert {
        "enum-value-new",
        "format-violation",
        "kind-undocumented",
        "property-new-closed-model",
        "required-missing",
        "traffic-type-widened",
        "undecodable-messages",
        "validation-failure",
    } <= rules, rules


def test_a_pattern_beyond_the_core_regex_engine_takes_the_reference_path(tmp_path: Path) -> None:
    body = {"type": "object", "patternProperties": {"^(?!x)": {"type": "integer"}}}
    spec = spec_of([("OrderPlaced", body, None)])
    plan = core_plan(normalize_spec(spec, "spec"), DiffOptions())
    assert plan is not None
    with pytest.raises(ValueError, match="patternProperties"):
        Engine().check(plan)
    records = records_of(spec, 60, 3, 0.3)
    capture = tmp_path / "orders.jsonl"
    write_capture(records, capture)
    source = Source(capture_files=(capture,))
    collected = collect(source, check=plan)
    assert collected.traffic is None and len(collected.messages) == len(records)
    options = DiffOptions(compared_with="c", scope=frozenset({"orders"}))
    report = diff(spec, source, options)
    summaries = collected.summaries()
    decoded = [decode_record(r) for r in records]
    reference = diff_observed(spec, summaries, None, decoded, options)
    assert report.to_dict() == reference.to_dict()
    assert any(f.rule == "traffic-type-widened" for f in report.findings)


def test_kind_summaries_still_count_for_kinds_seen() -> None:
    spec = spec_of([("OrderPlaced", {"type": "object"}, None)])
    summaries = [
        TopicSummary(
            topic="orders",
            messages=5,
            kinds=(KindSummary(name="OrderPlaced", count=5, payload_schema={}),),
        )
    ]
    view = normalize_spec(spec, "spec")
    plan = core_plan(view, DiffOptions())
    assert plan is not None
    engine = Engine()
    engine.check(plan)
    results = engine.check_results()
    assert results is not None and results["kinds"] == []
    report = diff_observed(spec, summaries, None, CoreTraffic(results), DiffOptions())
    assert "kind-unobserved" not in {f.rule for f in report.findings}


def keyword_schemas() -> st.SearchStrategy[Any]:
    """Schemas with the keywords the field walk does not check."""
    leaf = st.one_of(
        st.builds(lambda n: {"type": "string", "maxLength": n}, st.integers(0, 4)),
        st.builds(lambda n: {"type": "string", "minLength": n}, st.integers(0, 4)),
        st.builds(
            lambda p: {"type": "string", "pattern": p},
            st.sampled_from(["^[0-9]+$", r"^\d+$", r"^\w+$", "^a.c$", "x$", "^[A-Z]{2,3}-[0-9]+"]),
        ),
        st.builds(lambda n: {"minimum": n}, st.integers(-2, 2)),
        st.builds(lambda n: {"exclusiveMaximum": n}, st.integers(-2, 2)),
        st.builds(lambda n: {"multipleOf": n}, st.sampled_from([1, 2, 0.5])),
        st.just({"type": "integer"}),
        st.just({"format": "email"}),
        st.just({"uniqueItems": True}),
        st.just({"type": ["string", "null"]}),
        st.builds(lambda n: {"minItems": n, "maxItems": n + 1}, st.integers(0, 2)),
        st.builds(lambda v: {"const": v}, st.sampled_from([1, 1.0, "a", None, True])),
        st.builds(lambda v: {"enum": v}, st.lists(st.sampled_from([0, False, "b", 2.5]))),
    )
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.builds(lambda a, b: {"anyOf": [a, b]}, inner, inner),
            st.builds(lambda a, b: {"oneOf": [a, b]}, inner, inner),
            st.builds(lambda a, b: {"allOf": [a, b]}, inner, inner),
            st.builds(lambda a: {"not": a}, inner),
            st.builds(lambda a: {"type": "array", "items": a, "contains": a}, inner),
            st.builds(
                lambda props, n: {
                    "type": "object",
                    "properties": props,
                    "minProperties": n,
                    "propertyNames": {"maxLength": 3},
                },
                st.dictionaries(NAMES, inner, max_size=3),
                st.integers(0, 2),
            ),
        ),
        max_leaves=6,
    )


JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-3, 3),
        st.sampled_from([2**70, 1.0, 0.5, -0.0, 3.0]),
        st.text(alphabet="a1b٢_-AZ\n ", max_size=5),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(NAMES, inner, max_size=4)),
    max_leaves=10,
)


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema=keyword_schemas(), value=JSON_VALUES)
def test_the_compiled_validator_never_passes_what_jsonschema_fails(schema: Any, value: Any) -> None:
    import jsonschema

    from inferrer.validation import fast_validator

    fast = fast_validator(schema)
    assert fast is not None, schema
    if not jsonschema.Draft7Validator(schema).is_valid(value):
        assert not fast.is_valid(value), (schema, value)


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema=keyword_schemas(), values=st.lists(JSON_VALUES, max_size=4))
def test_valid_values_keeps_what_jsonschema_accepts(schema: Any, values: list[Any]) -> None:
    # The examples of a document are filtered by valid_values: compiled first, and
    # jsonschema for what the compiled validator rejects. Its verdicts are jsonschema's.
    import jsonschema

    from inferrer.validation import valid_values

    expected = [v for v in values if jsonschema.Draft7Validator(schema).is_valid(v)]
    assert valid_values(schema, values) == expected
    # A schema that names its own draft is not compiled: jsonschema alone decides.
    assert valid_values(
        {"$schema": "http://json-schema.org/draft-07/schema#", **schema}, values
    ) == (expected)


def test_valid_values_asks_jsonschema_when_the_pattern_is_python_only() -> None:
    # (?P<name>...) is Python's group syntax, which the compiled validator refuses to
    # compile: jsonschema's verdicts are kept all the same.
    from inferrer.validation import fast_validator, valid_values

    schema = {"type": "string", "pattern": "^(?P<code>[A-Z]{3})$"}
    assert fast_validator(schema) is None
    assert valid_values(schema, ["EUR", "eur", 3, "NOK"]) == ["EUR", "NOK"]


def test_messages_are_matched_by_a_nested_discriminator_on_both_paths() -> None:
    # Kinds named in a field of a record (/meta/event, as inferrer records it in
    # x-inferrer-discriminator): each message finds its own, an unknown value none.
    def message(name: str, field: str) -> dict[str, Any]:
        return {
            "name": name,
            "x-inferrer-discriminator": {"field": "/meta/event", "value": name},
            "payload": {
                "type": "object",
                "properties": {
                    "meta": {"type": "object", "properties": {"event": {"enum": [name]}}},
                    "body": {
                        "type": "object",
                        "properties": {field: {"type": "integer"}},
                        "required": [field],
                        "additionalProperties": False,
                    },
                },
            },
        }

    spec = {
        "asyncapi": "3.0.0",
        "info": {"title": "t", "version": "1"},
        "channels": {
            "orders": {
                "address": "orders",
                "messages": {"Paid": message("Paid", "paidAt"), "Sent": message("Sent", "sentAt")},
            }
        },
    }
    values = [
        {"meta": {"event": "Paid"}, "body": {"paidAt": 1}},
        {"meta": {"event": "Sent"}, "body": {"sentAt": 2}},
        {"meta": {"event": "Lost"}, "body": {"lostAt": 3}},
    ]
    records = [
        Record("orders", 0, i, None, None, json.dumps(values[i % 3]).encode()) for i in range(30)
    ]
    core, reference = both(spec, records, DiffOptions())
    assert core == reference
    (finding,) = core["findings"]
    assert finding["rule"] == "kind-undocumented"
    assert "(10 messages)" in finding["message"]  # the 20 Paid and Sent ones matched
