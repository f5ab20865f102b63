"""Generated event corpora for the benchmarks: deterministic, no network."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

from inferrer.records import Record

_STATUSES = ("OPEN", "CLOSED", "FROZEN", "PENDING")
_CURRENCIES = ("EUR", "USD", "GBP", "CHF")


def _uuid(rnd: random.Random) -> str:
    h = f"{rnd.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def same_shape_event(i: int, rnd: random.Random) -> dict[str, object]:
    """A ~340-byte payment event; a handful of shapes (optional fields) overall."""
    event: dict[str, object] = {
        "eventId": _uuid(rnd),
        "type": "PaymentSettled" if i % 10 else "PaymentFailed",
        "accountId": f"acc-{rnd.randrange(10_000):05d}",
        "amount": round(rnd.uniform(1, 5000), 2),
        "currency": _CURRENCIES[i % 4],
        "status": _STATUSES[i % 4],
        "occurredAt": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
        "channel": {"kind": "card", "terminal": f"T{rnd.randrange(500)}", "country": "NO"},
        "lines": [{"sku": f"s{j}", "qty": j + 1} for j in range(1 + i % 2)],
    }
    if i % 7 == 0:
        event["note"] = None
    if i % 10 == 0:
        event["reason"] = "insufficient funds"
    return event


def varied_event(i: int, rnd: random.Random) -> dict[str, object]:
    """Highly varied traffic: random subsets of 30 fields, mixed types, nested variation."""
    event: dict[str, object] = {"id": _uuid(rnd)}
    for f in rnd.sample(range(30), rnd.randrange(3, 12)):
        kind = (f + i) % 6
        if kind == 0:
            event[f"f{f}"] = rnd.randrange(1_000_000)
        elif kind == 1:
            event[f"f{f}"] = rnd.random()
        elif kind == 2:
            event[f"f{f}"] = f"v{rnd.randrange(100)}"
        elif kind == 3:
            event[f"f{f}"] = {f"k{rnd.randrange(8)}": rnd.randrange(9) for _ in range(3)}
        elif kind == 4:
            event[f"f{f}"] = [rnd.randrange(9) for _ in range(rnd.randrange(4))]
        else:
            event[f"f{f}"] = None if rnd.random() < 0.5 else rnd.random() < 0.5
    return event


def iter_records(
    kind: str, n: int, topic: str = "bench.payments", seed: int = 7
) -> Iterator[Record]:
    """``n`` records of the ``same`` or ``varied`` corpus."""
    rnd = random.Random(seed)
    make = same_shape_event if kind == "same" else varied_event
    for i in range(n):
        value = json.dumps(make(i, rnd), separators=(",", ":")).encode()
        yield Record(
            topic, i % 3, i, 1_700_000_000_000 + i, key=f"k{i % 100}".encode(), value=value
        )


def small_event(i: int, rnd: random.Random) -> dict[str, object]:
    """A ~70-byte JSON message, as the sampler benchmark produces."""
    return {"id": i, "kind": "PaymentSettled", "amount": i + 0.25, "currency": "EUR"}


def new_ids_event(i: int, rnd: random.Random) -> dict[str, object]:
    """An object keyed by an ever-new ID: ``{"balances": {"<new uuid>": 5}}``."""
    return {"balances": {_uuid(rnd): 5}}


def new_sensor_ids_event(i: int, rnd: random.Random) -> dict[str, object]:
    """Objects keyed by ever-new ids that no key shape names (a short prefix and hex
    digits, letter-prefixed codes): only the key statistics make them maps.
    ``{"n": 7, "readings": {"s-0a3f9c": {"t": 21.5, "ok": true}}, "stock": {"WH-0042": 3}}``
    """
    readings = {
        f"s-{rnd.getrandbits(32):08x}": {"t": round(rnd.random() * 40, 2), "ok": rnd.random() < 0.9}
        for _ in range(1 + i % 3)
    }
    return {"n": i, "readings": readings, "stock": {f"WH-{i:07d}": i % 50}}


def new_shapes_event(i: int, rnd: random.Random) -> dict[str, object]:
    """An envelope whose key sets are ever new, at the top level and in its record, and
    no known discriminator: 24 optional top-level fields and 16 optional ``data`` fields,
    each present or not by chance (2**40 shapes), a low-cardinality ``meta.source``.
    ``{"id": 7, "meta": {"source": "edge"}, "o3": 1, ..., "data": {"d0": 0.5, ...}}``"""
    value: dict[str, object] = {"id": i, "meta": {"source": ("edge", "cloud")[i % 2]}}
    value.update({f"o{k}": k for k in range(24) if rnd.random() < 0.5})
    value["data"] = {f"d{k}": round(rnd.random(), 3) for k in range(16) if rnd.random() < 0.5}
    return value


MAKERS = {
    "same": same_shape_event,
    "varied": varied_event,
    "small": small_event,
    "new-ids": new_ids_event,
    "new-sensor-ids": new_sensor_ids_event,
    "new-shapes": new_shapes_event,
}
"""Every corpus by name; the file and live benchmarks pick from these."""


def iter_payloads(kind: str, n: int, seed: int = 7) -> Iterator[bytes]:
    """``n`` compact JSON payloads of one corpus (``MAKERS``), deterministic for a seed."""
    rnd = random.Random(seed)
    make = MAKERS[kind]
    for i in range(n):
        yield json.dumps(make(i, rnd), separators=(",", ":")).encode()
