"""Kinds without a known discriminator: ranked candidates and shape clusters.

The core groups messages that carry no known discriminator (no listed payload field,
kind header or envelope) by their shape: the top-level key set and the key sets of
the top-level objects (an envelope's ``metadata`` and ``data``), *shape groups*, at
most ``MAX_SHAPES`` per topic (beyond that, by the top-level key set alone). Their
statistics already hold, per group, the values of every string field and header, so
the rules here need no other state. A group's *keys* are its top-level keys and, as
``parent/key``, the keys of its top-level records (not maps, nor keys that are data):
kinds that differ only inside an envelope's ``data`` object differ there.

* **Ranked discriminator candidates.** A top-level string field, a string field of a
  top-level object (``/metadata/type``, ``/header/eventType``: an envelope's, at most
  :data:`MAX_NESTED_CANDIDATES` of them, known names first), or a header, is a
  candidate when it is present as a string in every message of the shape groups, takes
  between 2 and ``MAX_KINDS`` values, at most one per :data:`MIN_MEAN_SUPPORT`
  messages (low cardinality: an id or an amount is not), every value a name-like token
  (:func:`~inferrer.inference.rules.is_kind_token`) and its name not an id's. Its
  score is the *reduction in optional properties* it brings: one schema of all the
  groups has ``|union − intersection|`` optional keys (top-level and of the records);
  split by the
  field's values, each value's schema has its own, weighted by its share. A candidate
  splits only when the score is at least :data:`MIN_REDUCTION` and at least two of its
  values require different key sets, two of them each at least :data:`MIN_KIND_KEYS` keys
  of their own. A ``status`` or ``currency`` field whose values
  share the shapes brings no reduction (every value sees every optional field), and a
  topic of one shape has no optional property to explain: neither ever splits.
  Candidates rank by score, then known names (:data:`~inferrer.decoding.DISCRIMINATOR_FIELDS`,
  also as the last token of a nested field, and ``HEADER_KIND_NAMES``) first, then
  fewer values, then name. A known name that explains every optional property (score
  1) and passes every check is the ranking's winner whatever the others score: it is
  chosen without scoring the rest (:func:`rank_candidates` ``complete=False``).
* **Shape clusters.** Without a candidate, shape groups whose key sets (outside the
  keys common to all) contain one another, or share at least half of their keys
  (Jaccard >= 0.5), are one cluster. The
  topic splits into clusters only when there are at least two, each of
  :data:`MIN_CLUSTER_MESSAGES` messages or more, each requiring at least
  :data:`MIN_CLUSTER_KEYS` keys that no other cluster has: record classes with
  disjoint key sets (top-level keys: the records' keys only refine the groups).
  Records that merely have optional fields link through their shared keys and subsets
  and stay one kind; a topic whose optional fields make more than ``MAX_SHAPES``
  top-level key sets has no shape groups at all.

The user may force the choice (:class:`DiscriminatorChoice`): a field, a header, or
``none``. What was chosen and the ranked alternatives are evidence
(:func:`inferrer.inference.observation._resolve_shapes` returns them).
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
from inferrer.jsonpointer import pointer_of, unescape_token
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
MAX_NESTED_CANDIDATES: Final = 16
"""Nested string fields scored per topic (known names first, then by pointer)."""
MAX_POINTER_DEPTH: Final = 2
"""A discriminator is a top-level field or a field of a top-level object."""
NO_SPLIT: Final = "none"
MAX_LISTED: Final = 10
"""Candidates listed in the evidence, best first."""


@dataclass(frozen=True, slots=True)
class DiscriminatorChoice:
    """A user's choice for the topics matching ``pattern`` (fnmatch): a payload field
    (``field``: its top-level name, or a JSON pointer ``/parent/name`` for a field of a
    top-level object), a header (``header:NAME``), or no split (``field == "none"``)."""

    pattern: str
    field: str

    def matches(self, topic: str) -> bool:
        return fnmatch.fnmatchcase(topic, self.pattern)


def parse_discriminator(text: str) -> DiscriminatorChoice:
    """``TOPIC=FIELD``: FIELD is a JSON pointer to a top-level payload field (``/action``,
    also written ``payload:/action``) or to a field of a top-level object
    (``/metadata/type``), ``header:NAME`` or ``none``."""
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
    if len(tokens) > MAX_POINTER_DEPTH or not all(tokens):
        raise UsageError(
            f"invalid --discriminator {text!r}: a discriminator is a top-level payload "
            f"field or a field of a top-level object ({pointer!r} is not)"
        )
    if len(tokens) == 1:
        return DiscriminatorChoice(topic, unescape_token(tokens[0]))
    return DiscriminatorChoice(topic, pointer)


def field_tokens(name: str) -> list[str]:
    """The payload path of a candidate's name: ``action`` → ``["action"]``,
    ``/metadata/type`` → ``["metadata", "type"]``."""
    if name.startswith("/"):
        return [unescape_token(t) for t in name[1:].split("/")]
    return [name]


def nested_name(parent: str, child: str) -> str:
    """The candidate name (a JSON pointer) of field ``child`` of top-level ``parent``."""
    return pointer_of([parent, child])


def choice_for(topic: str, choices: Sequence[DiscriminatorChoice]) -> DiscriminatorChoice | None:
    """The last choice whose pattern matches ``topic`` (later options override)."""
    found = None
    for choice in choices:
        if choice.matches(topic):
            found = choice
    return found


@dataclass(frozen=True, slots=True)
class ShapeGroup:
    """One shape group: its signature, message count, top-level keys, the keys of its
    top-level records (``parent/key``, in every message), and the string value counts
    of each top-level field, field of a top-level object (a pointer, ``/parent/key``)
    and header present as a string in all its messages (exact counts only)."""

    signature: str
    count: int
    keys: frozenset[str]
    values: Mapping[str, Mapping[str, int]]
    nested: frozenset[str] = frozenset()

    @property
    def shape(self) -> frozenset[str]:
        """What candidates explain: the top-level keys and the records' keys."""
        return self.keys | self.nested


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


def is_known(name: str) -> bool:
    """A listed discriminator name: a kind header, a listed payload field, or a field of
    a top-level object whose own name is listed (``/metadata/eventType``)."""
    if name.startswith(HEADER_KIND_PREFIX):
        header = name[len(HEADER_KIND_PREFIX) :]
        return header.isascii() and header.lower() in HEADER_KIND_NAMES
    return field_tokens(name)[-1] in DISCRIMINATOR_FIELDS


def _optional(groups: Iterable[ShapeGroup]) -> int:
    sets = [g.shape for g in groups]
    if not sets:
        return 0
    return len(frozenset().union(*sets) - frozenset.intersection(*sets))


def _required(groups: Iterable[ShapeGroup]) -> frozenset[str]:
    sets = [g.shape for g in groups]
    return frozenset.intersection(*sets) if sets else frozenset()


def _values_of(name: str, groups: Sequence[ShapeGroup]) -> Counter[str]:
    values: Counter[str] = Counter()
    for g in groups:
        values.update(g.values[name])
    return values


def _value_rejection(name: str, values: Mapping[str, int], total: int) -> str | None:
    """Why a field or header cannot be a discriminator whatever the shapes, if so."""
    if name.startswith(HEADER_KIND_PREFIX):
        field_name = name.removeprefix(HEADER_KIND_PREFIX)
    else:
        field_name = field_tokens(name)[-1]
    if rules.is_id_name(field_name):
        return "an identifier's name"
    if len(values) < 2:
        return "one value"
    if len(values) > rules.MAX_KINDS:
        return f"more than {rules.MAX_KINDS} values"
    if len(values) * MIN_MEAN_SUPPORT > total:
        return f"more than one value per {MIN_MEAN_SUPPORT} messages"
    if not all(rules.is_kind_token(v) and len(v) <= MAX_KIND_VALUE_LENGTH for v in values):
        return "values that are not code-like tokens"
    return None


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
    rejected = _value_rejection(name, values, total)
    if rejected is not None:  # an id, one value, free text: no need to weigh the shapes
        return Candidate(name, dict(values), cells, 0.0, is_known(name), rejected)
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
    rejected = _shape_rejection(everything, required, distinct_kinds, score)
    return Candidate(name, dict(values), cells, score, is_known(name), rejected)


def _shape_rejection(
    everything: int, required: set[frozenset[str]], distinct_kinds: int, score: float
) -> str | None:
    rejected: str | None = None
    if not everything:
        rejected = _SHAPE_REASONS[0]
    elif len(required) < 2:
        rejected = _SHAPE_REASONS[1]
    elif distinct_kinds < 2:
        rejected = _SHAPE_REASONS[2]
    elif score < MIN_REDUCTION:
        rejected = _SHAPE_REASONS[3]
    return rejected


def _rank_key(c: Candidate) -> tuple[bool, float, bool, int, str]:
    return (c.rejected is not None, -round(c.score, 9), not c.known, len(c.values), c.field)


def candidate_names(groups: Sequence[ShapeGroup]) -> list[str]:
    """The names scored: every top-level field and header present as a string in every
    message of ``groups``, and at most :data:`MAX_NESTED_CANDIDATES` fields of top-level
    objects (known names first, then by pointer) that are too, each with values that
    could name kinds (:func:`_value_rejection`)."""
    if not groups:
        return []
    names = set(groups[0].values)
    for g in groups[1:]:
        names &= set(g.values)
    total = sum(g.count for g in groups)
    nested = sorted(
        (
            n
            for n in names
            if n.startswith("/") and _value_rejection(n, _values_of(n, groups), total) is None
        ),
        key=lambda n: (not is_known(n), n),
    )
    kept = set(nested[:MAX_NESTED_CANDIDATES])
    return sorted(n for n in names if not n.startswith("/") or n in kept)


def rank_candidates(groups: Sequence[ShapeGroup], *, complete: bool = True) -> list[Candidate]:
    """The candidates (:func:`candidate_names`), scored; eligible ones first, best
    first. Unless ``complete``, a known name that explains every optional property
    and may split ends the search: the known names alone are scored and ranked (the
    ranking of all would put that one first as well)."""
    names = candidate_names(groups)
    known = sorted((score_candidate(n, groups) for n in names if is_known(n)), key=_rank_key)
    if not complete and known and known[0].rejected is None and known[0].score >= 1.0:
        return known
    others = (score_candidate(n, groups) for n in names if not is_known(n))
    return sorted([*known, *others], key=_rank_key)


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
