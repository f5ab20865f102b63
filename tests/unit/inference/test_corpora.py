"""The inference rules on generated corpora with known answers (``tests/corpora``).

Per corpus: property-path precision and recall >= 0.95; every map found with its key
pattern and no false map (look-alikes: sparse fixed flags, 40 optional fields present
half the time); no false format (precision 1.0) and recall >= 0.95; enum precision >= 0.95;
the key schema right; null branches bare; the engine and the oracle agree; two samples
of the same traffic give the same enums and formats; every message validates.
"""

from __future__ import annotations

import functools
import json
import random

import jsonschema
import pytest

from inferrer.model import TopicSummary
from inferrer.records import Record
from tests.corpora.generate import CORPORA, Corpus, records
from tests.corpora.score import iter_leaves, score, summarize_engine, summarize_oracle
from tests.properties import QUICK

IDS = [c.topic for c in CORPORA]
_BY_TOPIC = {c.topic: c for c in CORPORA}


@functools.cache
def _records(topic: str, seed: int = 1, messages: int | None = None) -> tuple[Record, ...]:
    """A corpus's sample, generated once for the tests of this module that read it."""
    corpus = _BY_TOPIC[topic]
    return tuple(records(corpus, seed, messages or corpus.messages))


@functools.cache
def _engine(topic: str, seed: int = 1, messages: int | None = None) -> TopicSummary:
    """The engine's summary of :func:`_records`, computed once (the tests only read it)."""
    return summarize_engine(_records(topic, seed, messages or _BY_TOPIC[topic].messages))


@pytest.mark.parametrize("corpus", CORPORA, ids=IDS)
def test_rules_hold_on_the_corpus(corpus: Corpus) -> None:
    s = score(corpus, _engine(corpus.topic))
    assert s.path_precision >= 0.95 and s.path_recall >= 0.95
    assert s.maps_found == s.maps_expected and s.false_maps == ()
    assert s.false_formats == () and s.format_precision == 1.0
    assert s.format_recall >= 0.95
    assert s.false_enums == () and s.enum_precision >= 0.95
    assert s.enum_recall >= 0.95
    assert s.key_ok
    assert s.nulls_ok


@pytest.mark.parametrize("corpus", CORPORA, ids=IDS)
def test_the_engine_and_the_oracle_agree(corpus: Corpus) -> None:
    # The oracle is the slow part of the quick loop: it reads 100 of them there.
    recs = list(_records(corpus.topic, messages=100 if QUICK else 250))
    assert summarize_engine(recs) == summarize_oracle(recs)


def _answers(corpus: Corpus, seed: int, messages: int) -> dict[str, tuple[object, object]]:
    (kind,) = _engine(corpus.topic, seed, messages).kinds
    return {
        path: (schema.get("format"), schema.get("enum"))
        for path, schema in iter_leaves(kind.payload_schema)
    }


@pytest.mark.parametrize("corpus", CORPORA, ids=IDS)
def test_the_same_traffic_sampled_twice_gives_the_same_answers(corpus: Corpus) -> None:
    assert _answers(corpus, 1, 400) == _answers(corpus, 2, 700)


@pytest.mark.parametrize("corpus", CORPORA, ids=IDS)
def test_input_order_changes_nothing(corpus: Corpus) -> None:
    recs = list(_records(corpus.topic, messages=200))
    shuffled = recs[:]
    random.Random(7).shuffle(shuffled)
    assert summarize_engine(shuffled) == _engine(corpus.topic, 1, 200)


@pytest.mark.parametrize("corpus", CORPORA, ids=IDS)
def test_every_message_validates_against_its_schema(corpus: Corpus) -> None:
    recs = _records(corpus.topic, messages=200)
    summary = _engine(corpus.topic, 1, 200)
    (kind,) = summary.kinds
    payload = jsonschema.Draft202012Validator(kind.payload_schema)
    key = jsonschema.Draft202012Validator(summary.key_schema or {})
    for r in recs:
        value = json.loads(r.value or b"null")
        payload.validate(value["payload"] if corpus.connect else value)
    for r in recs:
        if corpus.key_schema == {"type": "integer"} and corpus.connect is None:
            raw = r.key or b""
            key.validate(int.from_bytes(raw, "big", signed=True))
        elif corpus.key_schema is not None and corpus.connect is None:
            key.validate((r.key or b"").decode())


@pytest.mark.parametrize("corpus", [c for c in CORPORA if c.maps], ids=lambda c: c.topic)
def test_maps_hold_in_small_and_large_samples(corpus: Corpus) -> None:
    for messages in (60, 1500):
        s = score(corpus, summarize_engine(records(corpus, 3, messages)))
        assert (s.maps_found, s.false_maps) == (s.maps_expected, ()), messages


def test_a_template_beside_uris_removes_the_uri_format() -> None:
    values = [f"https://x.example/{i}" for i in range(10)] + ["https://x.example/{id}"]
    recs = [
        Record("t.uris", 0, i, i, value=json.dumps({"link": v}).encode())
        for i, v in enumerate(values)
    ]
    (kind,) = summarize_engine(recs).kinds
    assert kind.payload_schema["properties"]["link"] == {"type": "string"}
