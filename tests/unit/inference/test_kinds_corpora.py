"""Kinds from unusual fields, headers and disjoint shapes; look-alikes never split
(``tests/corpora/kinds.py``); ``--discriminator`` forces or forbids the choice."""

from __future__ import annotations

import pytest

from inferrer.errors import UsageError
from inferrer.inference import observe, parse_discriminator, summarize_all
from tests.corpora.kinds import CORPORA, KindsCorpus, records, score
from tests.corpora.score import summarize_engine, summarize_oracle

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
