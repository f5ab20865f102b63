"""Kinds corpora: topics whose event kinds are carried in unusual places, and look-alikes.

Each :class:`KindsCorpus` is one topic with the kinds it carries (``expected``: the
discriminator values, or the shape clusters' distinguishing keys; empty for a topic of
one kind). Positives: a payload field with an unusual name (``action``, ``op``,
``messageName``, ``recordType``), only a header with an unusual name, no
discriminator but disjoint record classes, and 64 kinds in one header (past the old
limit of 50), and envelopes naming the kind in a field of a nested object
(``/metadata/type``, ``/header/eventType``, ``/meta/kind``, ``/context/action``,
``/_envelope/recordName``) while the kinds differ only inside the data object (or at
the top level). Look-alikes: low-cardinality fields whose values share the shapes
(``status``, ``currency``, ``region``, also nested in a record), a field with one
conditional field per value (``failureReason`` when ``FAILED``, also nested), an
envelope whose data is a map with ever-new keys, and a single kind with many optional
fields.

``python -m tests.corpora.kinds`` prints kinds found / expected and false splits per
corpus, for the engine and the oracle.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from inferrer.model import TopicSummary
from inferrer.records import Record
from tests.corpora.score import summarize_engine, summarize_oracle

Message = tuple[dict[str, Any], tuple[tuple[str, bytes], ...]]
MakeMessage = Callable[[random.Random, int], Message]


@dataclass(frozen=True)
class KindsCorpus:
    topic: str
    make: MakeMessage
    expected: frozenset[str]
    """Discriminator values (or, for shape clusters, each cluster's name key)."""
    messages: int = 600


def _kinds(
    field_name: str | None,
    header: str | None,
    shapes: dict[str, dict[str, Callable[[random.Random], Any]]],
    common: dict[str, Callable[[random.Random], Any]],
    optional: tuple[str, ...] = (),
) -> MakeMessage:
    names = sorted(shapes)

    def make(rng: random.Random, i: int) -> Message:
        kind = names[i % len(names)] if len(names) > 8 else rng.choice(names)
        value: dict[str, Any] = {k: g(rng) for k, g in common.items()}
        if field_name is not None:
            value[field_name] = kind
        value.update({k: g(rng) for k, g in shapes[kind].items()})
        for extra in optional:
            if rng.random() < 0.4:
                value[extra] = rng.randint(0, 99)
        headers = ((header, kind.encode()),) if header else ()
        return value, (("content-type", b"application/json"), *headers)

    return make


Fields = dict[str, Callable[[random.Random], Any]]


def _envelope(
    meta: str,
    field_name: str,
    data: str,
    shapes: dict[str, Fields],
    meta_common: Fields,
    top_common: Fields,
    optional: tuple[str, ...] = (),
) -> MakeMessage:
    """``{meta: {field_name: kind, ...}, data: {kind's fields}, ...}``; ``optional``
    fields appear in the data object of any kind; ``data == ""`` puts the kind's
    fields at the top level."""
    names = sorted(shapes)

    def make(rng: random.Random, i: int) -> Message:
        kind = rng.choice(names)
        value: dict[str, Any] = {k: g(rng) for k, g in top_common.items()}
        value[meta] = {field_name: kind, **{k: g(rng) for k, g in meta_common.items()}}
        body = {k: g(rng) for k, g in shapes[kind].items()}
        for extra in optional:
            if rng.random() < 0.4:
                body[extra] = rng.randint(0, 99)
        if data:
            value[data] = body
        else:
            value.update(body)
        return value, (("content-type", b"application/json"),)

    return make


def _id(rng: random.Random) -> str:
    return f"{rng.getrandbits(64):016x}"


def _ts(rng: random.Random) -> int:
    return 1_760_000_000_000 + rng.randint(0, 10**9)


def _amount(rng: random.Random) -> float:
    return round(rng.uniform(1, 500), 2)


def _word(rng: random.Random) -> str:
    return rng.choice(["alpha", "beta", "gamma", "delta"])


def _pick(*values: str) -> Callable[[random.Random], str]:
    return lambda rng: rng.choice(values)


COMMON = {"id": _id, "at": _ts}


def _nested_lookalike(
    record: str, field_name: str, values: tuple[str, ...], optional: tuple[str, ...]
) -> MakeMessage:
    """One kind: ``{record: {field_name: one of values, ...optional fields}, meta}``;
    every value sees every optional field."""

    def make(rng: random.Random, i: int) -> Message:
        body: dict[str, Any] = {field_name: rng.choice(values), "amount": _amount(rng)}
        for extra in optional:
            if rng.random() < 0.4:
                body[extra] = rng.randint(0, 99)
        value = {"id": _id(rng), record: body, "meta": {"source": _pick("a", "b")(rng)}}
        return value, (("content-type", b"application/json"),)

    return make


def _map_envelope() -> MakeMessage:
    """One kind: ``{meta: {type: "reading", origin}, data: {sensor id: value, ...}}``,
    sensor ids ever new (a map, not a shape)."""

    def make(rng: random.Random, i: int) -> Message:
        sensors = {f"s-{rng.getrandbits(24):06x}": _amount(rng) for _ in range(rng.randint(1, 4))}
        meta = {"type": "reading", "origin": _pick("edge", "cloud")(rng)}
        return {"meta": meta, "data": sensors}, (("content-type", b"application/json"),)

    return make


CORPORA: list[KindsCorpus] = [
    KindsCorpus(
        "shop.orders.action",
        _kinds(
            "action",
            None,
            {
                "create": {"amount": _amount, "currency": _pick("EUR", "USD"), "items": _word},
                "update": {"changes": _word, "reason": _word},
                "cancel": {"cancelledBy": _word, "refund": _amount},
            },
            {**COMMON, "region": _pick("eu", "us", "apac")},
            optional=("note", "channel"),
        ),
        frozenset({"create", "update", "cancel"}),
    ),
    KindsCorpus(
        "cdc.inventory.op",
        _kinds(
            "op",
            None,
            {
                "insert": {"sku": _word, "qty": lambda r: r.randint(1, 9), "bin": _word},
                "delete": {"deletedAt": _ts, "deletedBy": _word},
            },
            COMMON,
        ),
        frozenset({"insert", "delete"}),
    ),
    KindsCorpus(
        "game.telemetry.messageName",
        _kinds(
            "messageName",
            None,
            {
                "PlayerJoined": {"player": _word, "level": lambda r: r.randint(1, 50)},
                "MatchEnded": {"winner": _word, "score": lambda r: r.randint(0, 99)},
                "ItemBought": {"item": _word, "price": _amount, "wallet": _word},
                "ChatSent": {"room": _word, "length": lambda r: r.randint(1, 200)},
            },
            COMMON,
            optional=("platform", "latency"),
        ),
        frozenset({"PlayerJoined", "MatchEnded", "ItemBought", "ChatSent"}),
    ),
    KindsCorpus(
        "erp.sync.recordType",
        _kinds(
            "recordType",
            None,
            {
                "invoice": {"invoiceNo": _id, "total": _amount, "dueDate": _word},
                "supplier": {"legalName": _word, "vatNo": _id, "country": _pick("DE", "FR")},
            },
            COMMON,
        ),
        frozenset({"invoice", "supplier"}),
    ),
    KindsCorpus(
        "iot.fleet.header",
        _kinds(
            None,
            "x-record-name",
            {
                "Position": {"lat": _amount, "lon": _amount, "speed": _amount},
                "Engine": {"rpm": lambda r: r.randint(600, 6000), "oilTemp": _amount},
                "Door": {"door": _pick("front", "rear"), "open": lambda r: r.random() < 0.5},
            },
            {"vehicle": _id, "at": _ts},
        ),
        frozenset({"Position", "Engine", "Door"}),
    ),
    KindsCorpus(
        "audit.events.many",
        _kinds(
            None,
            "ce-subject-kind",
            {
                f"Event{n:02d}": {f"f{n}a": _word, f"f{n}b": _amount, f"f{n}c": _ts}
                for n in range(64)
            },
            COMMON,
        ),
        frozenset(f"Event{n:02d}" for n in range(64)),
        messages=64 * 12,
    ),
    KindsCorpus(
        "crm.records.shapes",
        _kinds(
            None,
            None,
            {
                "person": {"fullName": _word, "email": _word, "phone": _word},
                "company": {"legalName": _word, "vatNo": _id},
                "deal": {"amount": _amount, "stage": _word, "probability": _amount},
            },
            COMMON,
            optional=("owner",),
        ),
        frozenset({"email", "legalName", "amount"}),
    ),
    # Envelopes: the kind in a field of a nested object.
    KindsCorpus(
        "billing.ledger.events",
        _envelope(
            "metadata",
            "type",
            "data",
            {
                "InvoiceIssued": {"invoiceNo": _id, "total": _amount, "dueAt": _ts},
                "PaymentCaptured": {"paymentId": _id, "amount": _amount, "method": _word},
                "RefundIssued": {"refundId": _id, "refunded": _amount, "reason": _word},
            },
            {"id": _id, "occurredAt": _ts, "source": _pick("billing", "checkout")},
            {},
            optional=("note",),
        ),
        frozenset({"InvoiceIssued", "PaymentCaptured", "RefundIssued"}),
    ),
    KindsCorpus(
        "ops.alerts.stream",
        _envelope(
            "header",
            "eventType",
            "payload",
            {
                "AlertRaised": {"severity": _pick("low", "high"), "rule": _word, "value": _amount},
                "AlertAcked": {"ackedBy": _word, "ackedAt": _ts},
                "AlertResolved": {"resolvedAt": _ts, "durationMs": lambda r: r.randint(1, 10**6)},
            },
            {"source": _pick("prom", "grafana"), "version": _pick("1", "2")},
            {"traceId": _id},
        ),
        frozenset({"AlertRaised", "AlertAcked", "AlertResolved"}),
    ),
    KindsCorpus(
        "lab.samples.feed",
        _envelope(
            "meta",
            "kind",
            "body",
            {
                "sample-received": {"tube": _id, "volumeMl": _amount, "site": _word},
                "assay-started": {"assay": _word, "machine": _word},
                "assay-finished": {"assay": _word, "result": _amount, "flags": _word},
                "sample-discarded": {"tube": _id, "discardReason": _word},
            },
            {"schema": _pick("v1"), "lab": _pick("north", "south", "east")},
            {"at": _ts},
        ),
        frozenset({"sample-received", "assay-started", "assay-finished", "sample-discarded"}),
    ),
    KindsCorpus(
        "fleet.jobs.audit",
        _envelope(
            "context",
            "action",
            "job",
            {
                "dispatch": {"driver": _word, "vehicle": _id, "eta": _ts},
                "complete": {"deliveredAt": _ts, "signature": _word},
                "abort": {"abortedBy": _word, "abortCode": _pick("A1", "B2")},
            },
            {"tenant": _pick("acme", "globex"), "region": _pick("eu", "us")},
            {"id": _id},
            optional=("priority", "retries"),
        ),
        frozenset({"dispatch", "complete", "abort"}),
    ),
    KindsCorpus(
        "media.assets.sync",
        _envelope(
            "_envelope",
            "recordName",
            "",
            {
                "Video": {"durationS": _amount, "codec": _word, "fps": _amount},
                "Image": {"width": lambda r: r.randint(1, 4000), "height": _amount},
                "Caption": {"language": _pick("en", "de"), "text": _word, "track": _word},
            },
            {"producer": _pick("ingest", "transcoder")},
            {"assetId": _id},
        ),
        frozenset({"Video", "Image", "Caption"}),
    ),
    # Look-alikes: one kind each.
    KindsCorpus(
        "bank.accounts.status",
        _kinds(
            "status",
            None,
            {
                s: {"balance": _amount, "currency": _pick("EUR", "GBP", "USD")}
                for s in ("OPEN", "FROZEN", "CLOSED")
            },
            COMMON,
            optional=("overdraft", "branch", "segment", "tier", "score"),
        ),
        frozenset(),
    ),
    KindsCorpus(
        "pay.transfers.failed",
        _kinds(
            "state",
            None,
            {
                "SETTLED": {"amount": _amount},
                "PENDING": {"amount": _amount},
                "FAILED": {"amount": _amount, "failureReason": _word},
            },
            {**COMMON, "currency": _pick("EUR", "USD", "JPY")},
        ),
        frozenset(),
    ),
    KindsCorpus(
        "shop.carts.state",
        _nested_lookalike(
            "cart",
            "status",
            ("OPEN", "CHECKED_OUT", "ABANDONED"),
            ("coupon", "giftWrap", "referrer", "loyalty", "note"),
        ),
        frozenset(),
    ),
    KindsCorpus(
        "fx.quotes.nested",
        _nested_lookalike(
            "quote", "currency", ("EUR", "USD", "GBP", "JPY"), ("bid", "ask", "spread", "venue")
        ),
        frozenset(),
    ),
    KindsCorpus(
        "pay.payouts.nested-failed",
        _envelope(
            "meta",
            "state",
            "data",
            {
                "SETTLED": {"amount": _amount},
                "PENDING": {"amount": _amount},
                "FAILED": {"amount": _amount, "failureReason": _word},
            },
            {"source": _pick("bank", "card")},
            {"id": _id},
        ),
        frozenset(),
    ),
    KindsCorpus(
        "iot.sensors.readings",
        _map_envelope(),
        frozenset(),
    ),
    KindsCorpus(
        "web.sessions.optional",
        _kinds(
            None,
            None,
            {"session": {"browser": _pick("ff", "chrome", "safari")}},
            {**COMMON, "region": _pick("eu", "us")},
            optional=tuple(f"opt{n}" for n in range(12)),
        ),
        frozenset(),
    ),
]


def records(corpus: KindsCorpus, seed: int = 1) -> Iterator[Record]:
    rng = random.Random(f"{corpus.topic}:{seed}")
    for i in range(corpus.messages):
        value, headers = corpus.make(rng, i)
        yield Record(
            corpus.topic,
            i % 3,
            i,
            1_760_000_000_000 + i,
            None,
            json.dumps(value).encode(),
            headers,
        )


@dataclass(frozen=True)
class KindsScore:
    found: int
    expected: int
    false_splits: tuple[str, ...]


def score(corpus: KindsCorpus, summary: TopicSummary) -> KindsScore:
    names: set[str] = set()
    for kind in summary.kinds:
        if kind.discriminator_value is not None:
            names.add(kind.discriminator_value)
        else:
            names.add(kind.name)
    if not corpus.expected:
        extra = tuple(sorted(names)) if len(summary.kinds) > 1 else ()
        return KindsScore(0, 0, extra)
    found = {e for e in corpus.expected if e in names or _cluster_named(e, names)}
    extra = tuple(
        sorted(n for n in names if n not in corpus.expected and not _is_cluster(n, corpus))
    )
    return KindsScore(len(found), len(corpus.expected), extra)


def _pascal(key: str) -> str:
    return key[:1].upper() + key[1:]


def _cluster_named(key: str, names: set[str]) -> bool:
    return any(n.endswith("With" + _pascal(key)) for n in names)


def _is_cluster(name: str, corpus: KindsCorpus) -> bool:
    return any(name.endswith("With" + _pascal(k)) for k in corpus.expected)


def main() -> int:
    print(f"{'corpus':32} {'engine kinds':>14} {'false':>6} {'oracle kinds':>14} {'false':>6}")
    bad = 0
    for corpus in CORPORA:
        recs = list(records(corpus))
        e = score(corpus, summarize_engine(recs))
        o = score(corpus, summarize_oracle(recs))
        bad += (e.found != e.expected) + bool(e.false_splits) + (e != o)
        print(
            f"{corpus.topic:32} {e.found:>6}/{e.expected:<7} {len(e.false_splits):>6} "
            f"{o.found:>6}/{o.expected:<7} {len(o.false_splits):>6}"
        )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
