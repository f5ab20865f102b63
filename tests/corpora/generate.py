"""Deterministic traffic corpora with known answers, for the inference rules of issue 13.

Each :class:`Corpus` is one topic of one domain (logistics, IoT telemetry, a SaaS
webhook feed, clinic appointments, an HR directory, a Kafka Connect CDC table) whose
fields are drawn by :class:`FieldSpec` generators that also say what the inferred schema
should hold there: the ``format`` (or none), the ``enum`` (or none), and the key schema.
Every domain mixes positives with look-alikes of the same rule: person and city names
that repeat like codes, ids that look like codes, paths and templates beside URIs,
timestamps without offsets, a date-time repeated, constants.

``records(corpus, seed)`` gives the records; two seeds are two samples of the same
traffic (the answers must not change between them). Nothing here is tuned to one
dataset: the vocabularies are generic and the shapes come from public conventions.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from inferrer.records import Record

Gen = Callable[[random.Random, int], Any]

FIRST_NAMES = [
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Amelia",
    "Oliver",
    "Ava",
    "Elijah",
    "Sophia",
    "Lucas",
    "Mia",
    "Levi",
    "Isabella",
    "Mateo",
    "Aisha",
    "Omar",
    "Chen",
    "Wei",
    "Yuki",
    "Haruto",
    "Priya",
    "Arjun",
    "Fatima",
    "Ali",
    "Sven",
    "Ingrid",
    "Zofia",
    "Jakub",
    "Mariana",
    "Joao",
    "Chloe",
    "Hugo",
    "Leila",
    "Karim",
    "Nia",
    "Kwame",
    "Ana",
    "Diego",
    "Sara",
    "Luca",
]
LAST_NAMES = [
    "Smith",
    "Jones",
    "Garcia",
    "Muller",
    "Rossi",
    "Silva",
    "Kim",
    "Nguyen",
    "Patel",
    "Khan",
    "Cohen",
    "Novak",
    "Dubois",
    "Jensen",
    "Larsen",
    "Tanaka",
    "Sato",
    "Okafor",
    "Mensah",
    "Ivanova",
    "Kowalski",
    "Moreau",
    "Costa",
    "Haddad",
]
CITIES = [
    "London",
    "Paris",
    "Berlin",
    "Madrid",
    "Lisbon",
    "Dublin",
    "Vienna",
    "Prague",
    "Warsaw",
    "Oslo",
    "Helsinki",
    "Athens",
    "Rome",
    "Milan",
    "Porto",
    "Lyon",
    "Munich",
    "Zurich",
    "Geneva",
    "Brussels",
    "Amsterdam",
    "Rotterdam",
    "Krakow",
]
MULTIWORD_CITIES = ("New York", "Los Angeles", "Rio de Janeiro", "San Jose", "Hong Kong")
EMPLOYERS = (
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella Ltd",
    "Stark Industries",
    "Wayne Enterprises",
    "Hooli",
    "Vandelay Imports",
)
WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "river",
    "stone",
    "cloud",
    "amber",
    "north",
    "swift",
    "quiet",
    "bright",
]


def _pick(values: tuple[str, ...] | list[str]) -> Gen:
    return lambda rng, i: rng.choice(values)


def _weighted(values: dict[str, int]) -> Gen:
    names, weights = list(values), list(values.values())
    return lambda rng, i: rng.choices(names, weights)[0]


def _person(rng: random.Random, i: int) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _uuid(rng: random.Random, i: int) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _datetime(rng: random.Random, i: int) -> str:
    day, sec = rng.randrange(1, 29), rng.randrange(86400)
    offset = rng.choice(["Z", "+02:00", "-05:00", ".123Z"])
    return f"2026-03-{day:02}T{sec // 3600:02}:{sec // 60 % 60:02}:{sec % 60:02}{offset}"


def _date(rng: random.Random, i: int) -> str:
    return f"{rng.randrange(1950, 2026)}-{rng.randrange(1, 13):02}-{rng.randrange(1, 29):02}"


def _time(rng: random.Random, i: int) -> str:
    return f"{rng.randrange(24):02}:{rng.randrange(60):02}:00Z"


def _email(rng: random.Random, i: int) -> str:
    return f"{rng.choice(FIRST_NAMES).lower()}.{rng.randrange(1000)}@example.org"


def _ipv4(rng: random.Random, i: int) -> str:
    return ".".join(str(rng.randrange(256)) for _ in range(4))


def _ipv6(rng: random.Random, i: int) -> str:
    return "2001:db8::" + ":".join(f"{rng.randrange(65536):x}" for _ in range(3))


def _uri(rng: random.Random, i: int) -> str:
    host = rng.choice(["api.example.com", "cdn.example.net", "example.org:8443"])
    return f"https://{host}/v1/{rng.choice(WORDS)}/{rng.randrange(10_000)}?lang=en"


def _path(rng: random.Random, i: int) -> str:
    return f"/v1/{rng.choice(WORDS)}/{rng.randrange(10_000)}"


def _template(rng: random.Random, i: int) -> str:
    word = rng.choice(WORDS)
    return rng.choice(
        [
            f"https://api.example.com/{word}/{{id}}{{/part}}",
            f"/{word}/{{{word}Id}}{{?page,size}}",
            f"https://{{host}}/{word}{{/path*}}",
        ]
    )


def _naive_datetime(rng: random.Random, i: int) -> str:
    return _datetime(rng, i)[:19].replace("T", " ")


def _order_id(rng: random.Random, i: int) -> str:
    return f"ORD-{rng.randrange(10**7):07}"


def _hex_id(rng: random.Random, i: int) -> str:
    return f"{rng.getrandbits(64):016x}"


def _free_text(rng: random.Random, i: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randrange(2, 7)))


def _slashy_words(rng: random.Random, i: int) -> str:
    return rng.choice(["and/or", "24/7", "n/a", "w/o", "a/b/c", "yes/no"])


def _int_or_datetime(rng: random.Random, i: int) -> Any:
    return rng.randrange(1_700_000_000, 1_800_000_000) if i % 3 == 0 else _datetime(rng, i)


@dataclass(frozen=True)
class FieldSpec:
    """One payload field: how values are drawn, and what the schema should say."""

    name: str
    gen: Gen
    format: str | None = None
    enum: tuple[str, ...] | None = None
    nullable_every: int = 0
    """Every n-th message has null here (0: never)."""


@dataclass(frozen=True)
class MapSpec:
    """A payload object keyed by data (ids, codes, names): the schema should be a map."""

    name: str
    key: Gen
    value: Gen
    per_message: tuple[int, int]
    """How many keys one occurrence has (inclusive bounds)."""
    names: dict[str, str] | None
    """The ``propertyNames`` the map should get (None: no key pattern)."""
    value_paths: tuple[str, ...] = ()
    """Pointers below ``{}`` the value schema should hold (``/value``)."""


@dataclass(frozen=True)
class LookAlike:
    """A record that looks like a map (many optional fields): must stay a record."""

    name: str
    keys: tuple[str, ...]
    presence: float
    value: Gen


@dataclass(frozen=True)
class Corpus:
    """One topic with known answers."""

    topic: str
    fields: tuple[FieldSpec, ...]
    key: Callable[[random.Random, int], bytes | None]
    key_schema: dict[str, Any] | None
    messages: int = 400
    connect: dict[str, Any] | None = None
    """A Kafka Connect schema: values are wrapped in ``{schema, payload}``."""
    nested: dict[str, tuple[FieldSpec, ...]] = field(default_factory=dict)
    """Nullable sub-objects (null every third message), by name."""
    maps: tuple[MapSpec, ...] = ()
    lookalikes: tuple[LookAlike, ...] = ()


def _sensor_id(rng: random.Random, i: int) -> str:
    return f"s-{rng.getrandbits(24):06x}"  # ever-new ids: a short prefix, hex digits


def _warehouse(rng: random.Random, i: int) -> str:
    return f"WH-{rng.randrange(1, 400):04d}"


def _user_key(rng: random.Random, i: int) -> str:
    return f"user_{rng.randrange(10**7)}"


_MODEL_TASKS = ("churn", "fraud", "upsell", "credit", "ltv", "propensity", "risk", "spam")
_MODEL_ALGOS = ("xgb", "gbm", "logreg", "mlp", "forest")
_MODEL_REGIONS = ("eu", "us", "apac", "latam", "mena", "uk")


def _model_name(rng: random.Random, i: int) -> str:
    # An open vocabulary of plain names (no pattern): task, algorithm, region, version.
    return "_".join(
        (
            rng.choice(_MODEL_TASKS),
            rng.choice(_MODEL_ALGOS),
            rng.choice(_MODEL_REGIONS),
            f"r{rng.randrange(1, 20)}",
        )
    )


HTTP_HEADERS = (
    "Accept",
    "Accept-Encoding",
    "Accept-Language",
    "Authorization",
    "Cache-Control",
    "Connection",
    "Content-Encoding",
    "Content-Length",
    "Cookie",
    "Forwarded",
    "Host",
    "If-None-Match",
    "Origin",
    "Pragma",
    "Referer",
    "Traceparent",
    "Tracestate",
    "Via",
    "X-Amz-Trace-Id",
    "X-Correlation-Id",
    "X-Forwarded-For",
    "X-Forwarded-Host",
    "X-Forwarded-Proto",
    "X-GitHub-Delivery",
    "X-GitHub-Event",
    "X-GitHub-Hook-Id",
    "X-Hub-Signature-256",
    "X-Request-Id",
    "X-Real-Ip",
    "X-Shopify-Topic",
    "X-Shopify-Hmac-Sha256",
    "X-Stripe-Signature",
    "X-Slack-Signature",
    "X-Slack-Request-Timestamp",
    "X-Twilio-Signature",
    "X-Datadog-Trace-Id",
    "X-B3-Traceid",
    "X-B3-Spanid",
    "X-Api-Key",
    "X-Retry-Count",
    "Sec-Fetch-Mode",
    "Sec-Fetch-Site",
    "Upgrade-Insecure-Requests",
    "Dnt",
)


def _headers_map(rng: random.Random, i: int) -> dict[str, str]:
    """An HTTP header map: two headers always, a few of many others."""
    names = ["Content-Type", "User-Agent", *rng.sample(HTTP_HEADERS, rng.randint(2, 8))]
    return {n: f"v{rng.randrange(10**6)}" for n in names}


LABELS = (
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
    "helm.sh/chart",
    "topology.kubernetes.io/region",
    "topology.kubernetes.io/zone",
    "node.kubernetes.io/instance-type",
    "team.acme.io/owner",
    "team.acme.io/cost-center",
    "team.acme.io/on-call",
    "security.acme.io/tier",
    "security.acme.io/pci",
    "release.acme.io/channel",
    "release.acme.io/ring",
    "sidecar.istio.io/inject",
    "prometheus.io/scrape",
    "prometheus.io/port",
    "argocd.argoproj.io/instance",
    "backup.velero.io/schedule",
    "cluster.acme.io/tenant",
    "cluster.acme.io/pool",
    "data.acme.io/classification",
    "data.acme.io/retention",
)


def _labels_map(rng: random.Random, i: int) -> dict[str, str]:
    names = ["app.kubernetes.io/name", *rng.sample(LABELS[1:], rng.randint(1, 5))]
    return {n: f"value-{rng.randrange(50)}" for n in names}


SHIPPING_FLAGS = (
    "fragile",
    "hazmat",
    "signature_required",
    "gift_wrap",
    "insured",
    "oversize",
    "perishable",
    "cold_chain",
    "priority",
    "weekend_delivery",
    "eco_packaging",
    "customs_hold",
    "return_label",
    "cash_on_delivery",
    "age_check",
    "two_person",
    "lift_gate",
    "appointment",
    "white_glove",
    "residential",
    "saturday_pickup",
    "no_neighbour",
    "photo_proof",
    "pin_code",
)
"""Sparse feature flags with fixed names (each in ~10% of messages): a record."""

FEATURE_NAMES = tuple(
    f"{a}_{b}"
    for a in ("age", "tenure", "spend", "visits", "basket", "returns", "tickets", "logins")
    for b in ("last_week", "last_month", "last_year", "total", "trend")
)
"""40 model features, each present in about half the messages: a record."""


def _enum(values: tuple[str, ...], weights: tuple[int, ...] | None = None) -> tuple[Gen, Any]:
    gen = _weighted(dict(zip(values, weights, strict=True))) if weights else _pick(values)
    return gen, tuple(sorted(values))


def _enum_field(
    name: str, values: tuple[str, ...], weights: tuple[int, ...] | None = None
) -> FieldSpec:
    gen, answer = _enum(values, weights)
    return FieldSpec(name, gen, enum=answer)


def _text_key(rng: random.Random, i: int) -> bytes:
    return str(rng.randrange(10**5, 10**6)).encode()


def _int32_key(rng: random.Random, i: int) -> bytes:
    # Ids, not hashes: a random 32-bit value is 4 printable bytes about 2% of the time,
    # and such a key is text (see decoding.decode_key).
    return rng.randrange(-1000, 2**24).to_bytes(4, "big", signed=True)


def _int64_key(rng: random.Random, i: int) -> bytes:
    return rng.randrange(2**40).to_bytes(8, "big", signed=True)


def _uuid_key(rng: random.Random, i: int) -> bytes:
    return _uuid(rng, i).encode()


def _connect_key(rng: random.Random, i: int) -> bytes:
    key = {"schema": {"type": "int64", "optional": False}, "payload": rng.randrange(10**6)}
    return json.dumps(key).encode()


def _json_key(rng: random.Random, i: int) -> bytes:
    return json.dumps({"region": rng.choice(["eu", "us"]), "id": rng.randrange(10**6)}).encode()


LOGISTICS = Corpus(
    topic="logistics.shipments",
    key=_text_key,
    key_schema={"type": "string", "pattern": "^[0-9]+$"},
    fields=(
        FieldSpec("shipmentId", _uuid, format="uuid"),
        _enum_field("status", ("CREATED", "IN_TRANSIT", "OUT_FOR_DELIVERY", "DELIVERED")),
        _enum_field("carrierCode", ("DHL1", "UPS2", "FDX3", "PNL4")),
        _enum_field("incoterm", ("DAP", "DDP", "EXW", "FCA")),
        FieldSpec("updatedAt", _datetime, format="date-time"),
        FieldSpec("dispatchDate", _date, format="date"),
        FieldSpec("trackingUrl", _uri, format="uri"),
        FieldSpec("labelPath", _path, format="uri-reference"),
        FieldSpec("orderRef", _order_id),  # code-like ids: no enum
        FieldSpec("destinationCity", _pick(CITIES)),  # personal-ish: no enum
        FieldSpec("depot", _pick(CITIES[:6])),  # capitalised names repeated: no enum
        FieldSpec("loggedAt", _naive_datetime),  # no offset: no format
        FieldSpec("note", _free_text, nullable_every=4),
        FieldSpec("schemaVersion", lambda rng, i: "v3"),  # a constant: no enum
        FieldSpec("sentAt", lambda rng, i: "2026-03-02T10:00:00Z"),  # one value: no format
    ),
    maps=(
        MapSpec(
            "stock",
            _warehouse,
            lambda rng, i: rng.randrange(500),
            (1, 5),
            {"pattern": "^WH-[0-9]+$"},
        ),
    ),
    lookalikes=(LookAlike("handling", SHIPPING_FLAGS, 0.1, lambda rng, i: True),),
)

IOT = Corpus(
    topic="iot.telemetry",
    key=_int64_key,
    key_schema={"type": "integer"},
    fields=(
        FieldSpec("deviceIp", _ipv4, format="ipv4"),
        FieldSpec("gatewayIp", _ipv6, format="ipv6"),
        _enum_field("unit", ("CELSIUS", "KELVIN", "PERCENT_RH", "HPA")),
        _enum_field("firmware", ("V1", "V2", "V2.1", "V3")),
        _enum_field("encoding", ("ISO_8859_1", "UTF-8", "US-ASCII"), (5, 10, 2)),
        FieldSpec("sampledAt", _int_or_datetime, format="date-time"),  # union keeps format
        FieldSpec("localTime", _time, format="time"),
        FieldSpec("serial", _hex_id),  # hex ids: no enum
        FieldSpec("reading", lambda rng, i: str(rng.randrange(100))),  # digits: no enum
        FieldSpec("label", _slashy_words),  # slashes in words: no uri-reference
    ),
    nested={
        "location": (
            FieldSpec("site", _pick(CITIES[:4])),
            _enum_field("zone", ("zone-a", "zone-b", "zone-c")),
        )
    },
    maps=(
        MapSpec(
            "readings",
            _sensor_id,
            lambda rng, i: {"value": rng.random() * 40, "ok": rng.random() < 0.9},
            (1, 4),
            {"pattern": "^s-[0-9A-Fa-f]+$"},
            ("/value", "/ok"),
        ),
    ),
)

WEBHOOKS = Corpus(
    topic="saas.webhooks",
    key=_uuid_key,
    key_schema={"type": "string", "format": "uuid"},
    fields=(
        _enum_field("event", ("repo.push", "repo.fork", "issue.opened", "issue.closed")),
        _enum_field("action", ("created", "deleted", "edited")),
        FieldSpec("hookUrl", _template, format="uri-template"),
        FieldSpec("apiUrl", _uri, format="uri"),
        FieldSpec("htmlPath", _path, format="uri-reference"),
        FieldSpec("senderEmail", _email, format="email"),
        FieldSpec("login", lambda rng, i: rng.choice(FIRST_NAMES).lower() + "42"),
        FieldSpec("repositoryLanguage", lambda rng, i: "Go"),  # a constant: no enum
        FieldSpec("message", _free_text),
        FieldSpec("deliveredAt", _datetime, format="date-time"),
    ),
    maps=(
        MapSpec("requestHeaders", _headers_map, lambda rng, i: "", (0, 0), None),
        MapSpec(
            "reactions",
            _user_key,
            lambda rng, i: rng.randrange(1, 5),
            (1, 3),
            {"pattern": "^user_[0-9]+$"},
        ),
    ),
)

CLINIC = Corpus(
    topic="clinic.appointments",
    key=_int32_key,
    key_schema={"type": "integer"},
    fields=(
        FieldSpec("appointmentId", _uuid, format="uuid"),
        FieldSpec("patientName", _person),  # names: never an enum
        FieldSpec("doctor", lambda rng, i: "Dr " + rng.choice(LAST_NAMES[:5])),
        FieldSpec("city", _pick(MULTIWORD_CITIES)),
        _enum_field("slot", ("AM", "PM", "EVENING")),
        _enum_field("triage", ("P1", "P2", "P3", "P4"), (1, 3, 6, 10)),
        FieldSpec("birthDate", _date, format="date"),
        FieldSpec("startTime", _time, format="time"),
        FieldSpec("scheduledAt", _datetime, format="date-time", nullable_every=5),
    ),
)

HR = Corpus(
    topic="hr.directory",
    key=_json_key,
    key_schema=None,  # JSON document keys: an object schema, not checked here
    fields=(
        FieldSpec("fullName", _person),
        FieldSpec("employer", _pick(EMPLOYERS)),  # employer names: never an enum
        FieldSpec("homeCity", _pick(CITIES)),
        FieldSpec("workEmail", _email, format="email"),
        _enum_field("grade", ("L1", "L2", "L3", "L4", "L5")),
        _enum_field("contract", ("permanent", "fixed_term", "contractor")),
        FieldSpec("joinedOn", _date, format="date"),
        FieldSpec("badge", lambda rng, i: f"B{rng.randrange(10**6, 10**7)}"),
    ),
)

_LOGICAL = "org.apache.kafka.connect.data."

CONNECT = Corpus(
    topic="cdc.inventory.items",
    key=_connect_key,
    key_schema={"type": "integer"},
    fields=(
        FieldSpec("sku", lambda rng, i: f"SKU-{rng.randrange(10**6):06}"),
        _enum_field("state", ("ACTIVE", "DISCONTINUED", "BACKORDER")),
        FieldSpec("updated_at", lambda rng, i: 1_772_000_000_000 + rng.randrange(10**9)),
        FieldSpec("price", lambda rng, i: "AQ==", nullable_every=3),
        FieldSpec("supplier_email", _email, format="email", nullable_every=2),
    ),
    connect={
        "type": "struct",
        "optional": False,
        "fields": [
            {"field": "sku", "type": "string", "optional": False},
            {"field": "state", "type": "string", "optional": False},
            {"field": "updated_at", "type": "int64", "name": _LOGICAL + "Timestamp"},
            {
                "field": "price",
                "type": "bytes",
                "optional": True,
                "name": _LOGICAL + "Decimal",
                "parameters": {"scale": "2"},
            },
            {"field": "supplier_email", "type": "string", "optional": True},
        ],
    },
)

SCORING = Corpus(
    topic="ml.scores",
    key=_uuid_key,
    key_schema={"type": "string", "format": "uuid"},
    fields=(
        FieldSpec("customerId", _uuid, format="uuid"),
        FieldSpec("scoredAt", _datetime, format="date-time"),
    ),
    maps=(MapSpec("scores", _model_name, lambda rng, i: round(rng.random(), 4), (2, 4), None),),
    lookalikes=(LookAlike("features", FEATURE_NAMES, 0.5, lambda rng, i: rng.randrange(100)),),
)

PLATFORM = Corpus(
    topic="platform.deployments",
    key=_text_key,
    key_schema={"type": "string", "pattern": "^[0-9]+$"},
    fields=(
        FieldSpec("deploymentId", _uuid, format="uuid"),
        _enum_field("strategy", ("ROLLING", "RECREATE", "BLUE_GREEN")),
        FieldSpec("startedAt", _datetime, format="date-time"),
    ),
    maps=(MapSpec("labels", _labels_map, lambda rng, i: "", (0, 0), None),),
)

CORPORA: tuple[Corpus, ...] = (
    LOGISTICS,
    IOT,
    WEBHOOKS,
    CLINIC,
    HR,
    CONNECT,
    SCORING,
    PLATFORM,
)


def _value(corpus: Corpus, rng: random.Random, i: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for spec in corpus.fields:
        null = spec.nullable_every and i % spec.nullable_every == 0
        out[spec.name] = None if null else spec.gen(rng, i)
    for name, specs in corpus.nested.items():
        out[name] = None if i % 3 == 0 else {s.name: s.gen(rng, i) for s in specs}
    for m in corpus.maps:
        lo, hi = m.per_message
        if hi == 0:  # the key generator gives the whole map
            out[m.name] = m.key(rng, i)
        else:
            out[m.name] = {m.key(rng, i): m.value(rng, i) for _ in range(rng.randint(lo, hi))}
    for la in corpus.lookalikes:
        out[la.name] = {k: la.value(rng, i) for k in la.keys if rng.random() < la.presence}
    if corpus.connect is not None:
        return {"schema": corpus.connect, "payload": out}
    return out


def records(corpus: Corpus, seed: int = 1, messages: int | None = None) -> Iterator[Record]:
    """The corpus's records; ``seed`` picks one sample of the same traffic."""
    rng = random.Random(f"{corpus.topic}/{seed}")
    for i in range(messages or corpus.messages):
        yield Record(
            corpus.topic,
            i % 3,
            i,
            1_772_409_600_000 + 1000 * i,
            key=corpus.key(rng, i),
            value=json.dumps(_value(corpus, rng, i)).encode(),
        )


def expected_paths(corpus: Corpus) -> set[str]:
    """Every JSON pointer the payload schema should describe (``{}``: a map's values)."""
    out = {f"/{s.name}" for s in corpus.fields}
    for name, specs in corpus.nested.items():
        out |= {f"/{name}", *(f"/{name}/{s.name}" for s in specs)}
    for m in corpus.maps:
        out |= {f"/{m.name}", f"/{m.name}/{{}}", *(f"/{m.name}/{{}}{p}" for p in m.value_paths)}
    for la in corpus.lookalikes:
        out |= {f"/{la.name}", *(f"/{la.name}/{k}" for k in la.keys)}
    return out


def expected_fields(corpus: Corpus) -> dict[str, FieldSpec]:
    """Every answered field by its JSON pointer in the payload."""
    out = {f"/{s.name}": s for s in corpus.fields}
    for name, specs in corpus.nested.items():
        out.update({f"/{name}/{s.name}": s for s in specs})
    return out
