"""Per-field statistics, computed a column at a time, and mergeable.

A :class:`FieldNode` tree mirrors the payload: ``children`` for record properties,
``items`` for array items, ``values`` for map values. :func:`process_column` takes the
values of one path across a batch of messages, updates the node with C-level loops
(``map``, ``min``, ``set.update``, compiled regexes) and returns the batch's genson
schema fragment, so genson sees one ``add_schema`` per batch instead of one
``add_object`` per message.

Every piece of state is a function of the *set* (or multiset) of values seen, never
of their order: counts, min/max, the format bit mask (AND over values), exact
distinct sets up to :data:`DISTINCT_BOUND` (strings with their counts), then a
K-minimum-values sketch of a stable hash (CRC-32), and examples = the values with
the smallest hashes.

Ties are broken by value, never by arrival order, so that a fold one message at a
time (the Rust core, ``inferrer._core.Shape``) ends in the very same state:

* min/max: of an int and a float of equal value the int is kept, whichever came
  first (:func:`_beats`); -0.0 counts as 0.0;
* sketch examples: the :data:`EXAMPLES` smallest ``(hash, tag, value)`` among the
  distinct values, values of one tag compared natively (strings by code point, numbers
  numerically) — not by ``repr`` — and whatever else shares their hash.

Besides the values, a node counts the objects it took as records and as maps, the map
key classes, and (on a child) the parent's records that had its key, so that genson's
structure can be derived from the statistics alone.
"""

from __future__ import annotations

import bisect
import heapq
import zlib
from collections import Counter
from itertools import chain, repeat
from operator import itemgetter
from typing import Any, Final

from inferrer.inference import rules

MAP_KEYS = "x-map-keys"
MAP_PREFIX = "x-map-prefix"

DISTINCT_BOUND: Final = 1000
"""Distinct values per type kept exactly; beyond that the count is estimated."""
SKETCH_SIZE: Final = 256
EXAMPLES: Final = 3
_SEED: Final = {"s": 1, "i": 2, "f": 3}
_INF: Final = float("inf")


def stable_hash(tag: str, value: Any) -> int:
    """A hash that does not change across runs or PYTHONHASHSEED."""
    text = value if tag == "s" else repr(value)
    return zlib.crc32(text.encode("utf-8", "surrogatepass"), _SEED[tag])


class FieldNode:
    """Statistics of the values at one path, and the nodes below it."""

    __slots__ = (
        "_map_values",
        "children",
        "floats",
        "ints",
        "items",
        "key_families",
        "key_prefix",
        "maps",
        "mask",
        "max_len",
        "max_num",
        "min_len",
        "min_num",
        "n_arr",
        "n_false",
        "n_float",
        "n_int",
        "n_null",
        "n_obj",
        "n_str",
        "n_true",
        "name",
        "present",
        "sketch",
        "sketch_examples",
        "strs",
        "values",
    )

    def __init__(self, name: str | None = None) -> None:
        self.name = name
        self.children: dict[str, FieldNode] = {}
        self.items: FieldNode | None = None
        self.values: FieldNode | None = None
        self.present = 0
        self.n_null = self.n_true = self.n_false = self.n_int = self.n_float = 0
        self.n_str = self.n_obj = self.n_arr = 0
        self.min_num: int | float | None = None
        self.max_num: int | float | None = None
        self.min_len = self.max_len = -1
        self.mask = rules.ALL_FORMATS_MASK
        self.strs: Counter[str] | None = Counter()
        """Distinct strings with how often each was seen (the enum rule needs both)."""
        self.ints: set[int] | None = set()
        self.floats: set[float] | None = set()
        self.sketch: list[Any] | None = None
        self.sketch_examples: list[tuple[int, str, Any]] = []
        self.maps = 0
        """Objects folded as maps: every object, once the path collapsed (more than
        ``rules.MAP_COLLAPSE_KEYS`` distinct keys; its children are then in ``values``)."""
        self.key_families = rules.ALL_KEY_FAMILIES
        """On a collapsed path: the key families every key belongs to."""
        self.key_prefix: str | None = None
        """On a collapsed path: the id prefix all keys share, ``""`` when they do not
        (None: no key yet)."""
        self._map_values: FieldNode | None = None

    # -- exact → approximate -----------------------------------------------------------

    def _start_sketch(self) -> None:
        self.sketch = []
        strs, ints, floats = self.strs or (), self.ints or (), self.floats or ()
        self.strs = self.ints = self.floats = None
        # The same state as _sketch_add of every value in this order, in C-level loops:
        # the first value of each hash counts, the smallest hashes are kept.
        hashes: list[int] = []
        entries: list[tuple[str, Any]] = []
        for tag, values in (("s", strs), ("i", ints), ("f", floats)):
            if values:
                ordered = list(values)
                hashes += _hashes(tag, ordered)
                entries += zip(repeat(tag), ordered)
        self.sketch = sorted(set(hashes))[:SKETCH_SIZE]
        # Examples: the smallest (hash, tag, value), even among values sharing a hash.
        self.sketch_examples = heapq.nsmallest(
            EXAMPLES, ((h, tag, v) for h, (tag, v) in zip(hashes, entries, strict=True))
        )

    def _sketch_add(self, tag: str, value: Any, h: int) -> None:
        sketch = self.sketch
        assert sketch is not None
        if len(sketch) >= SKETCH_SIZE and h >= sketch[-1]:
            return
        i = bisect.bisect_left(sketch, h)
        if i == len(sketch) or sketch[i] != h:
            sketch.insert(i, h)
            if len(sketch) > SKETCH_SIZE:
                sketch.pop()
        # A hash already in the sketch may still bring a smaller example (same hash,
        # smaller tag or value): examples do not depend on which value came first.
        self._sketch_add_example(h, tag, value)

    def add_distinct(self, tag: str, value: Any) -> None:
        """Record one value once the exact sets are gone (merging)."""
        self._sketch_add(tag, value, stable_hash(tag, value))

    # -- reading -----------------------------------------------------------------------

    @property
    def records(self) -> int:
        """Objects taken as records (named properties): every object not a map.

        Derived rather than counted, so that code adding objects by count
        (``ShapeObservation.add_empty_objects``) keeps it right."""
        return self.n_obj - self.maps

    @property
    def in_records(self) -> int:
        """On a record property's node: the parent's records that had the key.

        A property gets exactly one value from each record that has it, so this is the
        node's total; nodes that are not properties (root, items, values) have 0. With
        :attr:`records` it gives genson's ``required``: the keys with
        ``in_records == records``."""
        return self.total if self.name is not None else 0

    @property
    def total(self) -> int:
        return (
            self.n_null
            + self.n_true
            + self.n_false
            + self.n_int
            + self.n_float
            + self.n_str
            + self.n_obj
            + self.n_arr
        )

    def types(self) -> dict[str, int]:
        counts = {
            "array": self.n_arr,
            "boolean": self.n_true + self.n_false,
            "integer": self.n_int,
            "null": self.n_null,
            "number": self.n_float,
            "object": self.n_obj,
            "string": self.n_str,
        }
        return {k: v for k, v in counts.items() if v}

    def distinct(self) -> tuple[int, bool]:
        """(count, approximate?)"""
        bools = (self.n_true > 0) + (self.n_false > 0)
        if self.sketch is None:
            return len(self.strs or ()) + len(self.ints or ()) + len(
                self.floats or ()
            ) + bools, False
        if len(self.sketch) < SKETCH_SIZE:
            return len(self.sketch) + bools, True
        kth = (self.sketch[-1] + 1) / 2**32
        return max(int((SKETCH_SIZE - 1) / kth), DISTINCT_BOUND) + bools, True

    def examples(self) -> tuple[Any, ...]:
        if self.sketch is not None:
            return tuple(e[2] for e in self.sketch_examples)
        pool: list[tuple[int, str, Any]] = []
        for tag, values in (("s", self.strs), ("i", self.ints), ("f", self.floats)):
            for v in values or ():
                pool.append((stable_hash(tag, v), tag, v))
        out = [e[2] for e in heapq.nsmallest(EXAMPLES, pool)]
        if len(out) < EXAMPLES:
            out += [b for b, n in ((False, self.n_false), (True, self.n_true)) if n]
        return tuple(out[:EXAMPLES])

    def string_distinct(self) -> int:
        """Distinct string values: exact up to the bound, then the sketch's estimate when
        strings are the only non-null type (else unknown, counted as 0)."""
        if self.strs is not None:
            return len(self.strs)
        if self.n_str and self.n_str == self.total - self.n_null:
            return self.distinct()[0]
        return 0

    def string_format(self) -> str | None:
        if not self.n_str:
            return None
        return rules.decide_format(self.mask, self.string_distinct())

    def string_hint(self) -> dict[str, str]:
        """Keywords the strings prove beside a format (``pattern`` for all digits)."""
        if not self.n_str:
            return {}
        return rules.decide_hint(self.mask, self.string_distinct())

    def string_enum(self) -> tuple[str, ...] | None:
        if self.n_str != self.total - self.n_null:
            return None
        return rules.decide_enum(self.name, self.n_str, self.strs)

    # -- merge / serialise -------------------------------------------------------------

    def merge(self, other: FieldNode) -> None:
        """Fold ``other`` into this node (both trees stay valid; other is unchanged)."""
        for attr in ("present", "n_null", "n_true", "n_false", "n_int", "n_float", "n_str"):
            setattr(self, attr, getattr(self, attr) + getattr(other, attr))
        self.n_obj += other.n_obj
        self.n_arr += other.n_arr
        self._map_values = None
        if other.min_num is not None:
            if self.min_num is None or _beats(other.min_num, self.min_num, -1):
                self.min_num = other.min_num
            assert other.max_num is not None
            if self.max_num is None or _beats(other.max_num, self.max_num, 1):
                self.max_num = other.max_num
        if other.min_len >= 0:
            self.min_len = other.min_len if self.min_len < 0 else min(self.min_len, other.min_len)
            self.max_len = max(self.max_len, other.max_len)
        self.mask &= other.mask
        if self.sketch is None and other.sketch is None:
            assert self.strs is not None and self.ints is not None and self.floats is not None
            self.strs.update(other.strs or Counter())
            self.ints |= other.ints or set()
            self.floats |= other.floats or set()
            if max(len(self.strs), len(self.ints), len(self.floats)) > DISTINCT_BOUND:
                self._start_sketch()
        else:
            if self.sketch is None:
                self._start_sketch()
            if other.sketch is None:
                for tag, values in (("s", other.strs), ("i", other.ints), ("f", other.floats)):
                    for v in values or ():
                        self.add_distinct(tag, v)
            else:
                for h in other.sketch:
                    self._sketch_add_hash(h)
                for h, tag, v in other.sketch_examples:
                    self._sketch_add_example(h, tag, v)
        if (
            self.collapsed
            or other.collapsed
            or len(self.children.keys() | other.children.keys()) > rules.MAP_COLLAPSE_KEYS
        ):
            self.collapse()
            if other.collapsed:
                self._add_map_keys_of(other.key_families, other.key_prefix)
                if other.values is not None:
                    self._values_node().merge(other.values)
            else:
                for key, child in other.children.items():
                    self._add_map_keys_of(rules.key_families(key), rules.key_prefix(key) or "")
                    self._values_node().merge(child)
            self.maps = self.n_obj
        else:
            for key, child in other.children.items():
                mine = self.children.get(key)
                if mine is None:
                    mine = self.children[key] = FieldNode(key)
                mine.merge(child)
        if other.items is not None:
            if self.items is None:
                self.items = FieldNode()
            self.items.merge(other.items)

    # -- maps ----------------------------------------------------------------------------

    @property
    def collapsed(self) -> bool:
        """Whether the path's children were folded into one value node (a map)."""
        return self.maps > 0

    def _values_node(self) -> FieldNode:
        if self.values is None:
            self.values = FieldNode()
        return self.values

    def _add_map_keys_of(self, families: int, prefix: str | None) -> None:
        """Fold the key families and id prefix of some keys into a collapsed path's."""
        self.key_families &= families
        if prefix is not None:
            if self.key_prefix is None:
                self.key_prefix = prefix
            elif self.key_prefix != prefix:
                self.key_prefix = ""

    def collapse(self) -> None:
        """Fold the children into one value node: the same state, whatever the moment,
        as folding every member as a map value (the statistics are functions of the
        multiset of values, and ``present`` counts (message, key) pairs)."""
        if self.collapsed:
            return
        values = self._values_node()
        for key in sorted(self.children):
            self._add_map_keys_of(rules.key_families(key), rules.key_prefix(key) or "")
            values.merge(self.children[key])
        self.children = {}
        self.maps = self.n_obj

    def map_families(self) -> int:
        """The key families every key of this path belongs to."""
        if self.collapsed:
            return self.key_families
        out = rules.ALL_KEY_FAMILIES
        for key in self.children:
            out &= rules.key_families(key)
        return out

    def map_prefix(self) -> str:
        """The id prefix every key shares, or ``""``."""
        if self.collapsed:
            return self.key_prefix or ""
        prefixes = {rules.key_prefix(k) for k in self.children}
        if len(prefixes) == 1:
            return prefixes.pop() or ""
        return ""

    def is_map(self) -> bool:
        """Whether this object path is a map (``rules.decide_map`` on its key
        statistics)."""
        if self.collapsed:
            return True
        if not self.records or not self.children:
            return False
        types: set[str] = set()
        rare = members = 0
        for child in self.children.values():
            members += child.in_records
            if child.in_records <= rules.MAP_RARE_OCCURRENCES:
                rare += 1
            types |= child.types().keys()
        types.discard("null")
        if "integer" in types and "number" in types:
            types.discard("integer")
        return rules.decide_map(
            len(self.children), self.records, members, rare, len(types), self.map_families()
        )

    def map_values(self) -> FieldNode | None:
        """The node of a map's values: ``values`` once collapsed, else the children
        merged (made once)."""
        if self.collapsed:
            return self.values
        if self._map_values is None:
            merged = FieldNode()
            for key in sorted(self.children):
                merged.merge(self.children[key])
            self._map_values = merged
        return self._map_values

    def _sketch_add_hash(self, h: int) -> None:
        sketch = self.sketch
        assert sketch is not None
        i = bisect.bisect_left(sketch, h)
        if i < len(sketch) and sketch[i] == h:
            return
        sketch.insert(i, h)
        del sketch[SKETCH_SIZE:]

    def _sketch_add_example(self, h: int, tag: str, value: Any) -> None:
        ex = self.sketch_examples
        if any(e[0] == h and e[1] == tag and e[2] == value for e in ex):
            return
        if len(ex) >= EXAMPLES and (h, tag, value) > ex[-1]:
            return
        ex.append((h, tag, value))
        ex.sort()  # (hash, tag, value): values compared only within one tag, natively
        del ex[EXAMPLES:]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "present": self.present,
            "counts": [
                self.n_null,
                self.n_true,
                self.n_false,
                self.n_int,
                self.n_float,
                self.n_str,
                self.n_obj,
                self.n_arr,
            ],
            "num": None if self.min_num is None else [self.min_num, self.max_num],
            "len": None if self.min_len < 0 else [self.min_len, self.max_len],
            "mask": self.mask,
            "records": self.records,
            "maps": self.maps,
            "map_keys": rules.families_of(self.key_families) if self.collapsed else [],
            "in_records": self.in_records,
        }
        if self.collapsed:
            out["key_prefix"] = self.key_prefix or ""
        if self.name is not None:
            out["name"] = self.name
        if self.sketch is None:
            out["strs"] = sorted(self.strs or ())
            out["str_counts"] = [self.strs[k] for k in out["strs"]] if self.strs else []
            out["ints"] = sorted(self.ints or ())
            out["floats"] = sorted(self.floats or ())
        else:
            out["sketch"] = list(self.sketch)
            out["sketch_examples"] = [list(e) for e in self.sketch_examples]
        if self.children:
            out["children"] = {k: c.to_dict() for k, c in sorted(self.children.items())}
        if self.items is not None:
            out["items"] = self.items.to_dict()
        if self.values is not None:
            out["values"] = self.values.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FieldNode:
        node = cls(data.get("name"))
        node.present = data["present"]
        (
            node.n_null,
            node.n_true,
            node.n_false,
            node.n_int,
            node.n_float,
            node.n_str,
            node.n_obj,
            node.n_arr,
        ) = data["counts"]
        if data.get("num") is not None:
            node.min_num, node.max_num = data["num"]
        if data.get("len") is not None:
            node.min_len, node.max_len = data["len"]
        node.mask = data["mask"]
        # Dicts written before these fields existed read as no maps (records and
        # in_records are derived).
        node.maps = data.get("maps", 0)
        if node.maps:
            node.key_families = rules.family_mask(data.get("map_keys", []))
            node.key_prefix = data.get("key_prefix", "")
        if "sketch" in data:
            node.strs = node.ints = node.floats = None
            node.sketch = list(data["sketch"])
            node.sketch_examples = [(e[0], e[1], e[2]) for e in data["sketch_examples"]]
        else:
            # Dicts written before counts were kept read each string as seen once.
            counts = data.get("str_counts") or [1] * len(data["strs"])
            node.strs = Counter(dict(zip(data["strs"], counts, strict=True)))
            node.ints = set(data["ints"])
            node.floats = {float(x) for x in data["floats"]}
        for k, c in data.get("children", {}).items():
            node.children[k] = cls.from_dict(c)
        if "items" in data:
            node.items = cls.from_dict(data["items"])
        if "values" in data:
            node.values = cls.from_dict(data["values"])
        return node


def _beats(new: int | float, current: int | float, direction: int) -> bool:
    """Whether ``new`` replaces ``current`` as the minimum (``direction`` -1) or the
    maximum (1): strictly beyond it, or equal to it as an int where it is a float, so
    that of ``1`` and ``1.0`` the int is kept whichever came first."""
    if new == current:
        return type(new) is int and type(current) is float
    return new < current if direction < 0 else new > current


def _encode(s: str) -> bytes:
    return s.encode("utf-8", "surrogatepass")


def _hashes(tag: str, values: list[Any]) -> list[int]:
    seed = _SEED[tag]
    texts = values if tag == "s" else list(map(repr, values))
    try:
        data = list(map(str.encode, texts))
    except UnicodeEncodeError:  # lone surrogates (the decoder rejects them; callers may not)
        data = list(map(_encode, texts))
    return list(map(zlib.crc32, data, repeat(seed)))


def _add_distinct_many(node: FieldNode, tag: str, values: list[Any]) -> None:
    """Record many values of one type in the exact set, or in the sketch."""
    exact = node.strs if tag == "s" else node.ints if tag == "i" else node.floats
    if exact is not None:
        exact.update(values)
        if len(exact) > DISTINCT_BOUND:
            node._start_sketch()
        return
    sketch = node.sketch
    assert sketch is not None
    hashes = _hashes(tag, values)
    if len(sketch) >= SKETCH_SIZE:
        # Only hashes below the full sketch's largest can enter it (or the examples,
        # which are among the sketch's smallest).
        below = list(filter(sketch[-1].__gt__, hashes))
        if not below:
            return
        smallest = sorted(set(below))[:SKETCH_SIZE]
    else:
        smallest = sorted(set(hashes))[:SKETCH_SIZE]
    if len(smallest) <= 16:  # the common case: a few candidates, inserted in place
        for h in smallest:
            i = bisect.bisect_left(sketch, h)
            if i < len(sketch) and sketch[i] == h:
                continue
            if i >= SKETCH_SIZE:
                break  # larger than a full sketch, and so are the rest
            sketch.insert(i, h)
            if len(sketch) > SKETCH_SIZE:
                sketch.pop()
    else:
        sketch[:] = sorted(set(sketch).union(smallest))[:SKETCH_SIZE]
    ex = node.sketch_examples
    ex_limit = ex[-1][0] if len(ex) >= EXAMPLES else 1 << 33
    # Every value at or below the examples' largest hash is a candidate, also values
    # sharing a hash: the smallest (hash, value) win, whatever their order.
    candidates = {(h, v) for h, v in zip(hashes, values, strict=True) if h <= ex_limit}
    for h, v in heapq.nsmallest(EXAMPLES, candidates):
        node._sketch_add_example(h, tag, v)


def _split_by_type(col: list[Any]) -> dict[type, list[Any]]:
    """One pass, for columns of many types (cheaper than one filter per type)."""
    out: dict[type, list[Any]] = {}
    for v in col:
        bucket = out.get(type(v))
        if bucket is None:
            out[type(v)] = [v]
        else:
            bucket.append(v)
    return out


def _partition(
    col: list[Any], ids: list[Any] | None, t: type
) -> tuple[list[Any], list[Any] | None]:
    if ids is None:
        return [v for v in col if type(v) is t], None
    pairs = [(v, i) for v, i in zip(col, ids, strict=True) if type(v) is t]
    return [p[0] for p in pairs], [p[1] for p in pairs]


_TYPE_RANK: Final = {str: 0, int: 1, float: 2, bool: 3, type(None): 4, dict: 5, list: 6}


def _type_rank(t: type) -> int:
    return _TYPE_RANK.get(t, len(_TYPE_RANK))


_INT_ONLY: Final = {int}


def process_column_reference(
    col: list[Any], node: FieldNode, ids: list[Any] | None
) -> dict[str, Any]:
    """Add a column of values (one path, many messages) to ``node``.

    ``ids`` gives the message of each value when a message can hold several (under
    an array or map); None means one value per message. Returns the genson schema
    fragment of the column, to merge with ``add_schema``.
    """
    node.present += len(col) if ids is None else len(set(ids))
    types = set(map(type, col))
    if types == _INT_ONLY:  # the most common small column, without the general loop
        node.n_int += len(col)
        lo, hi = min(col), max(col)
        if node.min_num is None or _beats(lo, node.min_num, -1):
            node.min_num = lo
        if node.max_num is None or _beats(hi, node.max_num, 1):
            node.max_num = hi
        _add_distinct_many(node, "i", col)
        return {"type": "integer"}
    scalar_types: list[str] = []
    parts: list[dict[str, Any]] = []
    split = _split_by_type(col) if len(types) > 2 and ids is None else None
    for t in sorted(types, key=_type_rank):  # a fixed order: ties of min/max, union order
        if len(types) == 1:
            values, vids = col, ids
        elif split is not None:
            values, vids = split[t], None
        else:
            values, vids = _partition(col, ids, t)
        n = len(values)
        if t is str:
            node.n_str += n
            lens = list(map(len, values))
            lo, hi = min(lens), max(lens)
            if node.min_len < 0 or lo < node.min_len:
                node.min_len = lo
            if hi > node.max_len:
                node.max_len = hi
            exact = node.strs
            if exact is not None:
                # The format mask and the exact set depend on the set of values only:
                # values already in the set were checked when they were first seen.
                new = set(values)
                new.difference_update(exact.keys())
                if new and node.mask:
                    node.mask = rules.match_formats_all(list(new), node.mask)
                exact.update(values)
                if new and len(exact) > DISTINCT_BOUND:
                    node._start_sketch()
            else:
                if node.mask:
                    node.mask = rules.match_formats_all(values, node.mask)
                _add_distinct_many(node, "s", values)
            scalar_types.append("string")
        elif t is int or t is float:
            if t is int:
                node.n_int += n
                scalar_types.append("integer")
            else:
                node.n_float += n
                scalar_types.append("number")
                if 0.0 in values:  # -0.0 counts as 0.0 (else which one is kept depends on order)
                    values = [v + 0.0 for v in values]
            lo, hi = min(values), max(values)
            if node.min_num is None or _beats(lo, node.min_num, -1):
                node.min_num = lo
            if node.max_num is None or _beats(hi, node.max_num, 1):
                node.max_num = hi
            _add_distinct_many(node, "i" if t is int else "f", values)
        elif t is bool:
            trues = values.count(True)
            node.n_true += trues
            node.n_false += n - trues
            scalar_types.append("boolean")
        elif values[0] is None:
            node.n_null += n
            scalar_types.append("null")
        elif t is dict:
            node.n_obj += n
            parts.extend(_process_objects(values, node, vids))
        elif t is list:
            node.n_arr += n
            parts.append(_process_arrays(values, node, vids))
        else:
            raise TypeError(f"not a JSON value: {t.__name__}")
    if scalar_types:
        if "integer" in scalar_types and "number" in scalar_types:
            scalar_types.remove("integer")
        scalar_types.sort()
        parts.append({"type": scalar_types[0] if len(scalar_types) == 1 else scalar_types})
    return parts[0] if len(parts) == 1 else {"anyOf": parts}


def _process_arrays(
    lists: list[list[Any]], node: FieldNode, ids: list[Any] | None
) -> dict[str, Any]:
    items = list(chain.from_iterable(lists))
    if not items:
        return {"type": "array"}
    owners = range(len(lists)) if ids is None else ids
    item_ids = list(chain.from_iterable(map(repeat, owners, map(len, lists))))
    if node.items is None:
        node.items = FieldNode()
    return {"type": "array", "items": process_column_reference(items, node.items, item_ids)}


def _extract(
    records: list[dict[str, Any]], record_ids: list[Any] | None, k: str
) -> tuple[list[Any], list[Any] | None]:
    """The values of key ``k`` (and their message ids) in the objects that have it."""
    try:  # the common case: every object has the key
        return list(map(itemgetter(k), records)), record_ids
    except KeyError:
        pass
    if record_ids is None:
        return [d[k] for d in records if k in d], None
    pairs = [(d[k], i) for d, i in zip(records, record_ids, strict=True) if k in d]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _process_objects(
    dicts: list[dict[str, Any]], node: FieldNode, ids: list[Any] | None
) -> list[dict[str, Any]]:
    node._map_values = None
    all_keys: set[str] = set().union(*dicts)
    if not node.collapsed and len(node.children.keys() | all_keys) > rules.MAP_COLLAPSE_KEYS:
        node.collapse()
    if node.collapsed:
        node.maps = node.n_obj
        for key in sorted(all_keys):
            node._add_map_keys_of(rules.key_families(key), rules.key_prefix(key) or "")
        owners = range(len(dicts)) if ids is None else ids
        # One value per member; ``present`` below counts (message, key) pairs, as the
        # children it replaces counted messages per key.
        values = [v for d in dicts for v in d.values()]
        value_ids = [(owner, k) for owner, d in zip(owners, dicts, strict=True) for k in d]
        return [
            {
                "type": "object",
                MAP_KEYS: [],
                "additionalProperties": process_column_reference(
                    values, node._values_node(), value_ids
                ),
            }
        ]
    records, record_ids = dicts, ids
    keys = all_keys
    properties: dict[str, Any] = {}
    required: list[str] = []
    children = node.children
    sparse: dict[str, list[Any]] | None = None
    if record_ids is None and len(keys) * len(records) > 2 * sum(map(len, records)):
        # Few keys per object out of many: one pass over the items beats a
        # membership test per key and object.
        sparse = {k: [] for k in keys}
        for d in records:
            for k, v in d.items():
                sparse[k].append(v)
    for k in sorted(keys):
        sub_ids: list[Any] | None
        if sparse is not None:
            sub, sub_ids = sparse[k], None
        else:
            sub, sub_ids = _extract(records, record_ids, k)
        child = children.get(k)
        if child is None:
            child = children[k] = FieldNode(k)
        properties[k] = process_column_reference(sub, child, sub_ids)
        if len(sub) == len(records):
            required.append(k)
    record: dict[str, Any] = {"type": "object", "required": required}
    if properties:
        record["properties"] = properties
    return [record]
