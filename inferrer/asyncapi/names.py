"""Names a person would choose for messages, by documented rules.

* **A kind named by a discriminator value** is named from the value, in PascalCase:
  ``PaymentSettled`` stays, ``ORDER_PLACED`` → ``OrderPlaced``, ``payment.settled`` →
  ``PaymentSettled``. A dotted value keeps its last two meaningful segments, after a
  reverse-DNS prefix (``com.meridianbank.``) is dropped: the CloudEvents type
  ``com.meridianbank.notification.marketing.sent`` → ``MarketingSent``.
* **Debezium kinds** (``op``) are the table's singular name and what happened:
  ``cdc.shop.suppliers`` with ``op: c`` → ``SupplierCreated`` (``Updated``, ``Deleted``,
  ``Snapshot`` for snapshot reads, ``Truncated``).
* **A topic that carries one kind** is named from its last segment when that already
  holds two words or more (``bank.customers.address-changed`` → ``AddressChanged``) or the
  topic has two segments, the first being the domain (``billing.invoices`` → ``Invoice``),
  else from the last two; plural words are made singular, since a message is one of what
  the topic holds (``iot.sensor-readings`` → ``SensorReading``,
  ``bank.cards.transactions`` → ``CardTransaction``, ``bank.audit.log`` → ``AuditLog``).
  Environment and version segments (``prod``, ``v2``...) are skipped.
* **Collisions:** names shared by messages of different topics are prefixed with the
  segment that tells those topics apart (``orders.eu.placed`` and ``orders.us.placed``
  → ``EuOrderPlaced``, ``UsOrderPlaced``); what still collides gets ``_2``, ``_3``... in
  topic order.
"""

from __future__ import annotations

import re
from typing import Final

from inferrer.decoding import DEBEZIUM_OPS

_WORDS: Final = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_REVERSE_DNS: Final = frozenset(
    {"com", "org", "net", "io", "dev", "co", "app", "ai", "eu", "uk", "de", "fr", "nl", "ch"}
)
_NOISE: Final = re.compile(
    r"^(prod|production|dev|development|staging|stage|test|qa|uat|public|internal|v\d+)$",
    re.IGNORECASE,
)
_DEBEZIUM_PAST: Final = {
    "Create": "Created",
    "Update": "Updated",
    "Delete": "Deleted",
    "Read": "Snapshot",
    "Truncate": "Truncated",
    "Message": "Message",
}


def words(text: str) -> list[str]:
    """The words of ``text``: split at punctuation and at case changes."""
    return _WORDS.findall(text)


def pascal(text: str) -> str:
    """``order_placed`` / ``ORDER_PLACED`` / ``orderPlaced`` → ``OrderPlaced``."""
    out = []
    for word in words(text):
        rest = word[1:].lower() if word.isupper() else word[1:]
        out.append(word[:1].upper() + rest)
    name = "".join(out)
    if name[:1].isdigit():
        name = "K" + name
    return name


def singular(word: str) -> str:
    """A plural English noun made singular, by the common endings (``Categories`` →
    ``Category``, ``Addresses`` → ``Address``, ``Cards`` → ``Card``); others unchanged."""
    lower = word.lower()
    if lower.endswith("ies") and len(word) > 4:
        return word[:-3] + ("Y" if word.isupper() else "y")
    if lower.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if lower.endswith("s") and not lower.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def meaningful_segments(text: str) -> list[str]:
    """The dotted segments of ``text`` without a reverse-DNS prefix or noise segments."""
    segments = [s for s in text.split(".") if s]
    if len(segments) > 2 and segments[0].lower() in _REVERSE_DNS:
        segments = segments[2:]
    kept = [s for s in segments if not _NOISE.match(s)]
    return kept or segments


def value_name(value: str) -> str:
    """The name of a kind from its discriminator value (see the module)."""
    segments = meaningful_segments(value)
    return pascal(" ".join(segments[-2:])) or pascal(value) or "Message"


def debezium_name(topic: str, op_name: str) -> str:
    """``SupplierCreated`` for the ``Create`` kind of ``cdc.shop.suppliers``."""
    segments = meaningful_segments(topic)
    table = pascal(segments[-1]) if segments else "Row"
    table_words = words(table)
    if table_words:
        table = "".join(table_words[:-1]) + singular(table_words[-1])
    return table + _DEBEZIUM_PAST.get(op_name, pascal(op_name))


def topic_name(topic: str) -> str:
    """The name of the one kind a topic carries (see the module)."""
    segments = meaningful_segments(topic)
    # A family's address (orders.{region}.created): its parameter names no kind.
    templated = [s for s in segments if s.startswith("{") and s.endswith("}")]
    if templated:
        segments = [s for s in segments if s not in templated]
        segments = segments if len(segments) < 2 else ["_", *segments[-2:]]
    if not segments:
        return "Message"
    last_words = words(pascal(segments[-1]))
    if not last_words:
        return "Message"
    # A message is one of what the topic holds: the last word is made singular too.
    last_words[-1] = singular(last_words[-1])
    last = "".join(last_words)
    # With two segments the first is the domain (``billing.invoices`` → ``Invoice``).
    if len(last_words) >= 2 or len(segments) < 3:
        return last
    previous = words(pascal(segments[-2]))
    if previous:
        previous[-1] = singular(previous[-1])
    return "".join(previous) + last


def kind_name(
    topic: str, field: str | None, value: str | None, fallback: str, *, only: bool
) -> str:
    """The name of one kind of ``topic``: from its discriminator ``field`` and ``value``,
    from the topic for the topic's ``only`` kind, else from ``fallback`` (the name the
    inference gave it)."""
    if value is None:
        return topic_name(topic) if only else pascal(fallback) or "Message"
    if field == "op" and (value in DEBEZIUM_OPS.values() or value in DEBEZIUM_OPS):
        return debezium_name(topic, DEBEZIUM_OPS.get(value, value))
    return value_name(value)


def distinguishing_segment(topic: str, others: list[str]) -> str:
    """The first segment of ``topic`` that differs from the same segment of ``others``
    (topics whose messages got the same name), PascalCase; empty when there is none."""
    mine = topic.split(".")
    for index, segment in enumerate(mine):
        if any(
            index >= len(other.split(".")) or other.split(".")[index] != segment for other in others
        ):
            return pascal(segment)
    return ""


def unique_key(base: str, taken: set[str]) -> str:
    """``base``, or ``base_2``, ``base_3``... whichever is free; records it in ``taken``."""
    candidate = base
    n = 2
    while candidate in taken:
        candidate = f"{base}_{n}"
        n += 1
    taken.add(candidate)
    return candidate
