"""Kinds without a known discriminator: ranked candidates and shape clusters.

The core groups messages that carry no known discriminator (no listed payload field,
kind header or envelope) by their top-level key set (*shape groups*, at most
``MAX_SHAPES`` per topic). Their statistics already hold, per group, the values of
every top-level string field and header, so the rules here need no other state:

* **Ranked discriminator candidates.** A top-level string field, or a header, is a
  candidate when it is present as a string in every message of the shape groups, takes
  between 2 and ``MAX_KINDS`` values, at most one per :data:`MIN_MEAN_SUPPORT`
  messages (low cardinality: an id or an amount is not), every value a name-like token
  (:func:`~inferrer.inference.rules.is_kind_token`) and its name not an id's. Its
  score is the *reduction in optional properties* it brings: one schema of all the
  groups has ``|union − intersection|`` optional top-level properties; split by the
  field's values, each value's schema has its own, weighted by its share. A candidate
  splits only when the score is at least :data:`MIN_REDUCTION` and at least two of its
  values require different key sets, two of them each at least :data:`MIN_KIND_KEYS` keys
  of their own. A ``status`` or ``currency`` field whose values
  share the shapes brings no reduction (every value sees every optional field), and a
  topic of one shape has no optional property to explain: neither ever splits.
  Candidates rank by score, then known names (:data:`~inferrer.decoding.DISCRIMINATOR_FIELDS`,
  ``HEADER_KIND_NAMES``) first, then fewer values, then name.
* **Shape clusters.** Without a candidate, shape groups whose key sets (outside the
  keys common to all) contain one another, or share at least half of their keys
  (Jaccard >= 0.5), are one cluster. The
  topic splits into clusters only when there are at least two, each of
  :data:`MIN_CLUSTER_MESSAGES` messages or more, each requiring at least
  :data:`MIN_CLUSTER_KEYS` keys that no other cluster has: record classes with
  disjoint key sets. Records that merely have optional fields link through their
  shared keys and subsets and stay one kind; a topic whose optional fields make more
  than ``MAX_SHAPES`` key sets has no shape groups at all.

The user may force the choice (:class:`DiscriminatorChoice`): a field, a header, or
``none``. What was chosen and the ranked alternatives are evidence
(:func:`resolve_shape_kinds` returns them).
"""

from __future__ import annotations

import fnmatch
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from inferrer.decoding import DISCRIMINATOR_FIELDS, HEADER_KIND_NAMES, MAX_KIND_VALUE_LENGTH
from inferrer.errors import UsageError
from inferrer.inference import rules
from inferrer.jsonpointer import unescape_token
from inferrer.model import HEADER_KIND_PREFIX

SHAPE_GROUP_FIELD: Final = "@shape"
"""The group field the core gives shape groups (``observe.rs``'s ``SHAPE_GROUP_FIELD``)."""
MIN_MEAN_SUPPORT: Final = 5
"""A candidate has at most one value per this many messages (low cardinality)."""
MIN_REDUCTION: Final = 0.5
"""A candidate must remove at least half of the optional top-level properties."""
MIN_KIND_KEYS: Final = 2
"""At least two of a candidate's values must each require this many keys that not every
value requires: one conditional field (``failureReason`` when ``status`` is
``FAILED``, ``cashbackPercent`` for one ``offerType``) is a record's option, not a kind."""
MIN_CLUSTER_MESSAGES: Final = 5
"""Each shape cluster needs this many messages."""
MIN_CLUSTER_KEYS: Final = 2
"""Each shape cluster must require this many keys that no other cluster has."""
NO_SPLIT: Final = "none"
MAX_LISTED: Final = 10
"""Candidates listed in the evidence, best first."""


@dataclass(frozen=True, slots=True)
class DiscriminatorChoice:
    """A user's choice for the topics matching ``pattern`` (fnmatch): a payload field
    (``field``: its top-level name), a header (``header:NAME``), or no split
    (``field == "none"``)."""

    pattern: str
    field: str

    def matches(self, topic: str) -> bool:
        return fnmatch.fnmatchcase(topic, self.pattern)


def parse_discriminator(text: str) -> DiscriminatorChoice:
    """``TOPIC=FIELD``: FIELD is a JSON pointer to a top-level payload field (``/action``,
    also written ``payload:/action``), ``header:NAME`` or ``none``."""
    topic, sep, target = text.partition("=")
    topic, target = topic.strip(), target.strip()
    if not sep or not topic or not target:
        raise UsageError(
            f"invalid --discriminator {text!r}: expected TOPIC=FIELD, FIELD being "
            "/json/pointer, header:NAME or none"
        )
    if target == NO_SPLIT:
        return DiscriminatorChoice(topic, NO_SPLIT)
    if target.startswith(HEADER_KIND_PREFIX):
        name = target[len(HEADER_KIND_PREFIX) :]
        if not name:
            raise UsageError(f"invalid --discriminator {text!r}: header: needs a header name")
        return DiscriminatorChoice(topic, HEADER_KIND_PREFIX + name)
    pointer = target.removeprefix("payload:")
    if not pointer.startswith("/") or pointer == "/":
        raise UsageError(
            f"invalid --discriminator {text!r}: {target!r} is not a JSON pointer "
            "(/field), header:NAME or none"
        )
    tokens = pointer[1:].split("/")
    if len(tokens) != 1:
        raise UsageError(
            f"invalid --discriminator {text!r}: only a top-level payload field can be "
            f"a discriminator ({pointer!r} is nested)"
        )
    return DiscriminatorChoice(topic, unescape_token(tokens[0]))


def choice_for(topic: str, choices: Sequence[DiscriminatorChoice]) -> DiscriminatorChoice | None:
    """The last choice whose pattern matches ``topic`` (later options override)."""
    found = None
    for choice in choices:
        if choice.matches(topic):
            found = choice
    return found


@dataclass(frozen=True, slots=True)
class ShapeGroup:
    """One shape group: its signature, message count, top-level keys, and the string
    value counts of each top-level field and header present as a string in all its
    messages (exact counts only)."""

    signature: str
    count: int
    keys: frozenset[str]
    values: Mapping[str, Mapping[str, int]]


@dataclass(frozen=True, slots=True)
class Candidate:
    field: str
    values: Mapping[str, int]
    cells: Mapping[str, Mapping[str, int]]
    """value → signature → messages."""
    score: float
    known: bool
    rejected: str | None

    @property
    def plausible(self) -> bool:
        """Worth listing in the evidence: a low-cardinality string field or header
        (rejected, if at all, for how it relates to the shapes)."""
        return self.rejected is None or self.rejected in _SHAPE_REASONS[1:]

    def evidence(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "field": self.field,
            "score": round(self.score, 4) + 0.0,
            "values": len(self.values),
        }
        if self.rejected is not None:
            out["rejected"] = self.rejected
        return out


_SHAPE_REASONS: Final = (
    "one shape: nothing to explain",
    "its values share one shape",
    f"fewer than two values require {MIN_KIND_KEYS} keys of their own",
    f"explains less than {MIN_REDUCTION:.0%} of the optional properties",
)


def _is_known(name: str) -> bool:
    if name.startswith(HEADER_KIND_PREFIX):
        header = name[len(HEADER_KIND_PREFIX) :]
        return header.isascii() and header.lower() in HEADER_KIND_NAMES
    return name in DISCRIMINATOR_FIELDS


def _optional(groups: Iterable[ShapeGroup]) -> int:
    sets = [g.keys for g in groups]
    if not sets:
        return 0
    return len(frozenset().union(*sets) - frozenset.intersection(*sets))


def _required(groups: Iterable[ShapeGroup]) -> frozenset[str]:
    sets = [g.keys for g in groups]
    return frozenset.intersection(*sets) if sets else frozenset()


def score_candidate(name: str, groups: Sequence[ShapeGroup]) -> Candidate:
    """A candidate's score and, when it may not split, why."""
    by_sig = {g.signature: g for g in groups}
    cells: dict[str, dict[str, int]] = {}
    values: Counter[str] = Counter()
    for g in groups:
        for value, n in g.values[name].items():
            cells.setdefault(value, {})[g.signature] = n
            values[value] += n
    total = sum(g.count for g in groups)
    everything = _optional(groups)
    given = 0.0
    required: set[frozenset[str]] = set()
    for value, sigs in cells.items():
        members = [by_sig[s] for s in sigs]
        given += values[value] / total * _optional(members)
        required.add(_required(members))
    score = (1.0 - given / everything if everything else 0.0) + 0.0
    shared = frozenset.intersection(*required) if required else frozenset()
    distinct_kinds = sum(len(r - shared) >= MIN_KIND_KEYS for r in required)
    rejected: str | None = None
    field_name = name.removeprefix(HEADER_KIND_PREFIX)
    if rules.is_id_name(field_name):
        rejected = "an identifier's name"
    elif len(values) < 2:
        rejected = "one value"
    elif len(values) > rules.MAX_KINDS:
        rejected = f"more than {rules.MAX_KINDS} values"
    elif len(values) * MIN_MEAN_SUPPORT > total:
        rejected = f"more than one value per {MIN_MEAN_SUPPORT} messages"
    elif not all(rules.is_kind_token(v) and len(v) <= MAX_KIND_VALUE_LENGTH for v in values):
        rejected = "values that are not code-like tokens"
    elif not everything:
        rejected = _SHAPE_REASONS[0]
    elif len(required) < 2:
        rejected = _SHAPE_REASONS[1]
    elif distinct_kinds < 2:
        rejected = _SHAPE_REASONS[2]
    elif score < MIN_REDUCTION:
        rejected = _SHAPE_REASONS[3]
    return Candidate(name, dict(values), cells, score, _is_known(name), rejected)


def rank_candidates(groups: Sequence[ShapeGroup]) -> list[Candidate]:
    """Every field and header present as a string in every message of ``groups``,
    scored; eligible ones first, best first."""
    if not groups:
        return []
    names = set(groups[0].values)
    for g in groups[1:]:
        names &= set(g.values)
    scored = [score_candidate(n, groups) for n in sorted(names)]
    return sorted(
        scored,
        key=lambda c: (
            c.rejected is not None,
            -round(c.score, 9),
            not c.known,
            len(c.values),
            c.field,
        ),
    )


def shape_clusters(groups: Sequence[ShapeGroup]) -> tuple[list[list[ShapeGroup]], str | None]:
    """The clusters of disjoint record classes, or ([], why not)."""
    if len(groups) < 2:
        return [], "one shape"
    common = _required(groups)
    parent = list(range(len(groups)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(groups):
        for j in range(i + 1, len(groups)):
            b = groups[j]
            own_a, own_b = a.keys - common, b.keys - common
            union = own_a | own_b
            if own_a <= own_b or own_b <= own_a or len(own_a & own_b) * 2 >= len(union):
                parent[find(i)] = find(j)
    clusters: dict[int, list[ShapeGroup]] = {}
    for i, g in enumerate(groups):
        clusters.setdefault(find(i), []).append(g)
    out = sorted(clusters.values(), key=lambda c: sorted(_required(c) - common))
    if len(out) < 2:
        return [], "the shapes overlap"
    if len(out) > rules.MAX_KINDS:
        return [], f"more than {rules.MAX_KINDS} clusters"
    for cluster in out:
        if sum(g.count for g in cluster) < MIN_CLUSTER_MESSAGES:
            return [], f"a cluster of fewer than {MIN_CLUSTER_MESSAGES} messages"
        if len(own_keys(cluster, out)) < MIN_CLUSTER_KEYS:
            return [], f"a cluster requiring fewer than {MIN_CLUSTER_KEYS} keys of its own"
    return out, None


def own_keys(
    cluster: Sequence[ShapeGroup], clusters: Sequence[Sequence[ShapeGroup]]
) -> frozenset[str]:
    """The keys every message of ``cluster`` has and no message of another cluster."""
    others = frozenset().union(*(g.keys for c in clusters if c is not cluster for g in c))
    return _required(cluster) - others


def cluster_name_key(
    cluster: Sequence[ShapeGroup], clusters: Sequence[Sequence[ShapeGroup]]
) -> str:
    """The key a cluster is named from: the first (sorted) key it requires of its own."""
    return min(own_keys(cluster, clusters))


def common_keys(groups: Sequence[ShapeGroup]) -> frozenset[str]:
    return _required(groups)
