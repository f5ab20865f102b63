"""--update: a fresh inference merged into a committed spec keeps everything a human wrote."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inferrer.asyncapi.build import DocumentOptions, build_document
from inferrer.asyncapi.io import dump_document
from inferrer.asyncapi.update import update_document
from inferrer.errors import SpecError, UsageError
from inferrer.jsonpointer import join_pointer, resolve_pointer
from inferrer.model import KindSummary, TopicMetadata, TopicSummary
from tests.asyncapi_fixtures import all_metadata, all_summaries, payments_summary
from tests.properties import examples


def test_versions_must_agree() -> None:
    old = build_document(
        all_summaries(), {}, DocumentOptions(asyncapi_version="2.6.0", evidence="inline")
    )
    fresh = build_document(all_summaries(), {}, DocumentOptions(evidence="inline"))
    with pytest.raises(UsageError) as info:
        update_document(old, fresh)
    assert str(info.value) == (
        "cannot update an AsyncAPI 2.6.0 document with a 3.0.0 inference; "
        "infer with --asyncapi-version 2.6.0"
    )
    with pytest.raises(SpecError) as spec_info:
        update_document({"info": {}}, fresh)
    assert str(spec_info.value) == (
        "the existing document: not an AsyncAPI document (no 'asyncapi' version field)"
    )


# --- properties -----------------------------------------------------------------------

FIELD_SCHEMAS = [
    {"type": "string"},
    {"type": "integer"},
    {"type": "number"},
    {"type": "boolean"},
    {"type": "string", "format": "email"},
    {"type": "array", "items": {"type": "string"}},
    {"type": "object", "properties": {"inner": {"type": "integer"}}},
]

payloads = st.dictionaries(
    st.sampled_from(["id", "amount", "state", "owner", "items", "meta"]),
    st.sampled_from(FIELD_SCHEMAS),
    min_size=1,
    max_size=5,
).map(lambda props: {"type": "object", "properties": props, "required": sorted(props)[:1]})

kinds = st.builds(
    lambda name, schema, count: KindSummary(
        name=name,
        count=count,
        payload_schema=schema,
        discriminator_field="type",
        discriminator_value=name,
    ),
    st.sampled_from(["Opened", "Closed", "Moved", "Created"]),
    payloads,
    st.integers(1, 500),
)

topics = st.builds(
    lambda topic, kinds_: TopicSummary(
        topic=topic, messages=sum(k.count for k in kinds_), kinds=tuple(kinds_)
    ),
    st.sampled_from(["bank.accounts", "bank.cards", "shop-orders", "audit_log"]),
    st.lists(kinds, max_size=3, unique_by=lambda k: k.name),
)

summary_lists = st.lists(topics, max_size=3, unique_by=lambda t: t.topic)

METADATA = {
    "bank.accounts": TopicMetadata("bank.accounts", 3, 1, consumer_groups=("ledger",)),
    "shop-orders": TopicMetadata("shop-orders", 1, 1, consumer_groups=("billing", "mailer")),
}


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(summary_lists)
def test_updating_a_spec_with_the_same_inference_returns_the_same_spec(
    summaries: list[TopicSummary],
) -> None:
    inferred = build_document(summaries, METADATA, DocumentOptions(evidence="inline"))
    result = update_document(inferred, inferred)
    assert result.document == inferred
    assert result.unobserved == [] and result.added == []


EMPTY_OBJECT = object()
MISSING = object()


def iter_leaves(value: Any, pointer: str = "") -> Iterator[tuple[str, Any]]:
    """Every leaf of *value* with its JSON pointer (an empty mapping is a leaf too),
    inferrer's own ``x-inferrer-*`` evidence left out."""
    if isinstance(value, dict):
        if not value:
            yield pointer, EMPTY_OBJECT
        for key, item in value.items():
            if not str(key).startswith("x-inferrer-"):
                yield from iter_leaves(item, join_pointer(pointer, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from iter_leaves(item, join_pointer(pointer, index))
    else:
        yield pointer, value


def assert_update_keeps_everything(
    old: list[TopicSummary], new: list[TopicSummary]
) -> dict[str, Any]:
    """Update a spec inferred from *old* with an inference from *new*: a second update
    changes nothing, nothing the spec said is lost (inferrer's own evidence aside), and
    every inferred channel is there. Returns the updated document."""
    existing = build_document(old, METADATA, DocumentOptions(title="Hand title"))
    inferred = build_document(new, METADATA, DocumentOptions(evidence="inline"))
    first = update_document(existing, inferred)
    second = update_document(first.document, inferred)
    assert second.document == first.document
    assert second.added == []
    for pointer, value in iter_leaves(existing):
        if value is EMPTY_OBJECT:  # an empty mapping may have gained entries
            assert isinstance(resolve_pointer(first.document, pointer), dict), pointer
        else:
            assert resolve_pointer(first.document, pointer, MISSING) == value, pointer
    addresses = {c["address"] for c in first.document["channels"].values()}
    assert addresses >= {t.topic for t in new}
    return first.document


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(summary_lists, summary_lists)
def test_update_is_idempotent_and_keeps_everything(
    old: list[TopicSummary], new: list[TopicSummary]
) -> None:
    assert_update_keeps_everything(old, new)


def test_update_spec_file_reports_a_broken_file(tmp_path: Path) -> None:
    from inferrer.asyncapi.update import update_spec_file

    path = tmp_path / "asyncapi.yaml"
    path.write_text("asyncapi: 3.0.0\ninfo:\n  title: 'unterminated\n")
    with pytest.raises(SpecError) as info:
        update_spec_file(path, all_summaries(), all_metadata(), DocumentOptions(evidence="inline"))
    assert str(info.value) == (f"{path}:4:1: invalid YAML: found unexpected end of stream")


def test_a_new_kind_is_not_mistaken_for_a_similar_one() -> None:
    payments = payments_summary()
    failed_only = dataclasses.replace(payments, kinds=(payments.kinds[1],))
    settled_only = dataclasses.replace(payments, kinds=(payments.kinds[0],))
    old = build_document([failed_only], {}, DocumentOptions(evidence="inline"))
    result = update_document(
        old, build_document([settled_only], {}, DocumentOptions(evidence="inline"))
    )
    channel = result.document["channels"]["bank.payments"]
    assert sorted(channel["messages"]) == ["PaymentFailed", "PaymentSettled"]
    assert result.unobserved == ["/channels/bank.payments/messages/PaymentFailed"]
    assert (
        result.document["components"]["messages"]["PaymentFailed"]
        == (old["components"]["messages"]["PaymentFailed"])
    )


def test_a_single_kind_topic_matches_by_shape_after_a_rename() -> None:
    ledger = all_summaries()[3]
    old = build_document([ledger], {}, DocumentOptions(evidence="inline"))
    message = old["components"]["messages"].pop("Entry")
    message["name"] = "LedgerEntry"
    old["components"]["messages"]["LedgerEntry"] = message
    old["channels"]["ledger.entries"]["messages"] = {
        "entry": {"$ref": "#/components/messages/LedgerEntry"}
    }
    old["operations"]["ledger.entries.send"]["messages"] = [
        {"$ref": "#/channels/ledger.entries/messages/entry"}
    ]
    result = update_document(old, build_document([ledger], {}, DocumentOptions(evidence="inline")))
    assert result.document == old
    assert result.added == [] and result.unobserved == []


def test_update_with_the_evidence_in_a_file_leaves_an_unchanged_document_unchanged(
    tmp_path: Path,
) -> None:
    from inferrer.asyncapi.evidence import split_evidence
    from inferrer.asyncapi.update import update_spec_file
    from inferrer.atomic import write_atomic

    path = tmp_path / "asyncapi.yaml"
    text = dump_document(build_document(all_summaries(), all_metadata(), DocumentOptions()))
    write_atomic(path, text)
    result = update_spec_file(path, all_summaries(), all_metadata(), DocumentOptions())
    assert dump_document(result.document) == text  # zero lines changed
    assert result.evidence is not None
    assert result.evidence["document"] == "asyncapi.yaml"
    assert result.evidence["nodes"]["/channels/bank.payments"]["sample-size"] == 150
    # A document written with inline evidence loses it to the file on the next update.
    inline = build_document(all_summaries(), all_metadata(), DocumentOptions(evidence="inline"))
    write_atomic(path, dump_document(inline))
    moved = update_spec_file(path, all_summaries(), all_metadata(), DocumentOptions())
    # (its description, prose a human may have edited, is kept as it was)
    assert dump_document(moved.document) == dump_document(split_evidence(inline)[0])
    none = update_spec_file(path, all_summaries(), all_metadata(), DocumentOptions(evidence="none"))
    assert none.evidence is None and none.document == moved.document
