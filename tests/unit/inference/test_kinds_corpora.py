"""Kinds from unusual fields, headers and disjoint shapes; look-alikes never split
(``tests/corpora/kinds.py``); ``--discriminator`` forces or forbids the choice."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inferrer.errors import UsageError
from inferrer.inference import kinds as kind_rules
from inferrer.inference import observe, parse_discriminator, summarize_all
from tests.corpora.kinds import CORPORA, KindsCorpus, records, score
from tests.corpora.score import summarize_engine, summarize_oracle
from tests.properties import examples

IDS = [c.topic for c in CORPORA]


@pytest.mark.parametrize("corpus", CORPORA, ids=IDS)
def test_every_kind_is_found_and_nothing_else_splits(corpus: KindsCorpus) -> None:
    recs = list(records(corpus))
    engine = score(corpus, summarize_engine(recs))
    assert engine.found == engine.expected
    assert engine.false_splits == ()
    assert score(corpus, summarize_oracle(recs)) == engine


@pytest.mark.parametrize("corpus", CORPORA[:3], ids=IDS[:3])
def test_two_samples_find_the_same_kinds(corpus: KindsCorpus) -> None:
    a = summarize_engine(records(corpus, seed=1))
    b = summarize_engine(records(corpus, seed=2))
    assert [k.name for k in a.kinds] == [k.name for k in b.kinds]


def test_the_choice_and_its_rivals_are_evidence() -> None:
    (summary,) = summarize_all(observe(records(CORPORA[0])))
    selection = summary.kind_selection
    assert selection is not None
    assert selection["chosen"] == "action" and selection["forced"] is False
    ranked = selection["candidates"]
    assert ranked[0] == {"field": "action", "score": ranked[0]["score"], "values": 3}
    assert {c["field"] for c in ranked[1:]} >= {"region"}
    assert all("rejected" in c for c in ranked[1:])


def test_forced_none_and_forced_field() -> None:
    obs = observe(records(CORPORA[0]))
    (one,) = summarize_all(obs, [parse_discriminator("shop.*=none")])
    assert len(one.kinds) == 1 and one.kind_selection == {"chosen": None, "forced": True}
    (by_region,) = summarize_all(obs, [parse_discriminator("shop.orders.action=/region")])
    assert sorted(k.discriminator_value or "" for k in by_region.kinds) == ["apac", "eu", "us"]
    assert by_region.kind_selection is not None and by_region.kind_selection["forced"] is True
    assert sum(k.count for k in by_region.kinds) == 600


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "shop.orders",
            "invalid --discriminator 'shop.orders': expected TOPIC=FIELD, FIELD "
            "being /json/pointer, header:NAME or none",
        ),
        (
            "shop=action",
            "invalid --discriminator 'shop=action': 'action' is not a JSON pointer "
            "(/field), header:NAME or none",
        ),
        (
            "shop=/a/b/c",
            "invalid --discriminator 'shop=/a/b/c': a discriminator is a top-level "
            "payload field or a field of a top-level object ('/a/b/c' is not)",
        ),
        (
            "shop=/a//",
            "invalid --discriminator 'shop=/a//': a discriminator is a top-level "
            "payload field or a field of a top-level object ('/a//' is not)",
        ),
        ("shop=header:", "invalid --discriminator 'shop=header:': header: needs a header name"),
    ],
)
def test_a_malformed_discriminator_is_a_usage_error(text: str, message: str) -> None:
    with pytest.raises(UsageError) as e:
        parse_discriminator(text)
    assert str(e.value) == message


def test_payload_pointer_and_header_forms() -> None:
    assert parse_discriminator("a.*=payload:/op").field == "op"
    assert parse_discriminator("a=header:X-Kind").field == "header:X-Kind"
    assert parse_discriminator("a=payload:/metadata/type").field == "/metadata/type"
    assert parse_discriminator("a=/a~1b").field == "a/b"


NESTED = {c.topic: c for c in CORPORA}


def test_a_nested_discriminator_is_evidence_as_a_pointer() -> None:
    (summary,) = summarize_all(observe(records(NESTED["billing.ledger.events"])))
    assert summary.kind_selection is not None
    assert summary.kind_selection["chosen"] == "/metadata/type"
    assert {k.discriminator_field for k in summary.kinds} == {"/metadata/type"}
    # The kind's schema pins its value where it is, not at the top level.
    invoice = next(k for k in summary.kinds if k.discriminator_value == "InvoiceIssued")
    meta = invoice.payload_schema["properties"]["metadata"]["properties"]["type"]
    assert meta["enum"] == ["InvoiceIssued"]
    assert "type" not in invoice.payload_schema["properties"]
    assert set(invoice.payload_schema["properties"]["data"]["required"]) == {
        "invoiceNo",
        "total",
        "dueAt",
    }
    assert all(e["metadata"]["type"] == "InvoiceIssued" for e in invoice.examples)


def test_forcing_a_nested_field_or_none() -> None:
    obs = observe(records(NESTED["fleet.jobs.audit"]))
    (by_tenant,) = summarize_all(obs, [parse_discriminator("fleet.*=payload:/context/tenant")])
    assert sorted(k.discriminator_value or "" for k in by_tenant.kinds) == ["acme", "globex"]
    assert by_tenant.kind_selection is not None
    assert by_tenant.kind_selection["chosen"] == "/context/tenant"
    (one,) = summarize_all(obs, [parse_discriminator("fleet.jobs.audit=none")])
    assert len(one.kinds) == 1


def _groups(draw: st.DrawFn) -> list[kind_rules.ShapeGroup]:
    """Shape groups with random keys and values of known and other names; ``/meta/type``
    sometimes names each group apart (a candidate that may explain every shape)."""
    keys = [f"k{i}" for i in range(6)]
    names = ["/meta/type", "/meta/eventType", "/head/source", "action", "header:ce_type"]
    apart = draw(st.booleans())
    out = []
    for i in range(draw(st.integers(min_value=1, max_value=6))):
        count = draw(st.integers(min_value=1, max_value=40))
        values = {}
        for name in names:
            picks = draw(st.lists(st.sampled_from("ABCD"), min_size=1, max_size=2, unique=True))
            split = draw(st.integers(min_value=0, max_value=count)) if len(picks) == 2 else count
            values[name] = {v: n for v, n in zip(picks, (split, count - split), strict=False) if n}
        if apart:
            values["/meta/type"] = {f"K{i}": count}
        own = frozenset(draw(st.lists(st.sampled_from(keys), max_size=5)))
        nested = frozenset(f"data/{k}" for k in draw(st.lists(st.sampled_from(keys), max_size=4)))
        out.append(kind_rules.ShapeGroup(f"s{i}", count, own, values, nested))
    return out


@settings(max_examples=examples(200), deadline=None)
@given(st.composite(_groups)())
def test_a_perfect_known_name_wins_as_the_whole_ranking_would(
    groups: list[kind_rules.ShapeGroup],
) -> None:
    full = kind_rules.rank_candidates(groups)
    short = kind_rules.rank_candidates(groups, complete=False)
    assert short[0] == full[0]
    if len(short) < len(full):  # the search ended early: on a known name that splits
        assert short[0].known and short[0].rejected is None and short[0].score == 1.0


def test_the_search_ends_early_on_a_perfect_known_name() -> None:
    a = kind_rules.ShapeGroup(
        "a",
        10,
        frozenset({"meta", "data"}),
        {"/meta/kind": {"A": 10}, "/x/y": {"P": 10}},
        frozenset({"data/a1", "data/a2"}),
    )
    b = kind_rules.ShapeGroup(
        "b",
        10,
        frozenset({"meta", "data"}),
        {"/meta/kind": {"B": 10}, "/x/y": {"Q": 10}},
        frozenset({"data/b1", "data/b2"}),
    )
    full = kind_rules.rank_candidates([a, b])
    short = kind_rules.rank_candidates([a, b], complete=False)
    assert [c.field for c in full] == ["/meta/kind", "/x/y"]
    assert [c.field for c in short] == ["/meta/kind"]


def test_nested_candidates_are_bounded_known_names_first() -> None:
    nested = [f"/m/f{i:02d}" for i in range(20)] + ["/m/type", "/z/eventType"]
    values = {n: {"A": 10, "B": 10} for n in nested} | {"top": {"A": 10, "B": 10}}
    group = kind_rules.ShapeGroup("s", 20, frozenset({"m", "z", "top"}), values)
    names = kind_rules.candidate_names([group])
    chosen = [n for n in names if n.startswith("/")]
    assert len(chosen) == kind_rules.MAX_NESTED_CANDIDATES
    assert {"/m/type", "/z/eventType"} <= set(chosen)
    assert "top" in names  # top-level fields are not bounded
    assert max(n for n in chosen if "/f" in n) == "/m/f13"  # then by pointer


@pytest.mark.parametrize("corpus", CORPORA, ids=IDS)
def test_saved_observations_find_the_same_kinds(corpus: KindsCorpus) -> None:
    """Saved observations hold digests, not values, except where the enum rule could
    list the values. The kinds of a saved file split the messages as the live ones do;
    their names are the live names when the values are code-like tokens (``ChatSent``,
    read from a ``messageName``), and shape names when they are single capitalised
    words (``Door``), which are digested like any proper noun."""
    from inferrer.inference.observation import TopicObservation, observations_document
    from inferrer.inference.rules import is_enum_token

    live = observe(records(corpus))
    saved = observations_document(live)
    assert saved["values"] == "digests"
    again = {t["topic"]: TopicObservation.from_dict(t) for t in saved["topics"]}
    ((_, before),) = live.items()
    ((_, after),) = again.items()
    kinds, saved_kinds = before.summarize().kinds, after.summarize().kinds
    assert sorted(k.count for k in saved_kinds) == sorted(k.count for k in kinds)
    values = [k.discriminator_value for k in kinds]
    if all(v is not None and is_enum_token(v) for v in values):
        assert [k.name for k in saved_kinds] == [k.name for k in kinds]


@pytest.mark.parametrize(
    ("name", "personal"),
    [
        ("messageName", False),
        ("event_name", False),
        ("x-record-name", False),
        ("typeName", False),
        ("name", True),
        ("firstName", True),
        ("userName", True),
        ("employerName", True),
        ("companyName", True),
        ("city", True),
        ("hostname", True),
    ],
)
def test_thing_names_are_not_personal(name: str, personal: bool) -> None:
    from inferrer.inference.rules import is_personal_name

    assert is_personal_name(name) is personal
