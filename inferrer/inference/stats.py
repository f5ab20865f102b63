"""Per-field statistics, kept in one tight walk per message, and mergeable.

A :class:`FieldNode` tree mirrors the payload: ``children`` for record properties,
``items`` for array items, ``values`` for map values. :func:`walk` updates the tree
and returns the message's structural signature (types, keys, map key classes), so
the engine feeds genson only once per distinct shape.

Every piece of state is a function of the *set* (or multiset) of values seen, never
of their order: counts, min/max, the format bit mask (AND over values), exact
distinct sets up to :data:`DISTINCT_BOUND`, then a K-minimum-values sketch of a
stable hash (CRC-32), and examples = the values with the smallest hashes.
"""

from __future__ import annotations

import bisect
import zlib
from typing import Any, Final

from inferrer.inference import rules

DISTINCT_BOUND: Final = 1000
"""Distinct values per type kept exactly; beyond that the count is estimated."""
SKETCH_SIZE: Final = 256
EXAMPLES: Final = 3
_SEED: Final = {"s": 1, "i": 2, "f": 3}
_INF: Final = float("inf")

Signature = Any  # nested tuples / frozensets / str; hashable


def stable_hash(tag: str, value: Any) -> int:
    """A hash that does not change across runs or PYTHONHASHSEED."""
    text = value if tag == "s" else repr(value)
    return zlib.crc32(text.encode("utf-8", "surrogatepass"), _SEED[tag])


class FieldNode:
    """Statistics of the values at one path, and the nodes below it."""

    __slots__ = (
        "children",
        "floats",
        "ints",
        "items",
        "last",
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
        self.last = -1
        self.present = 0
        self.n_null = self.n_true = self.n_false = self.n_int = self.n_float = 0
        self.n_str = self.n_obj = self.n_arr = 0
        self.min_num: int | float | None = None
        self.max_num: int | float | None = None
        self.min_len = self.max_len = -1
        self.mask = rules.ALL_FORMATS_MASK
        self.strs: set[str] | None = set()
        self.ints: set[int] | None = set()
        self.floats: set[float] | None = set()
        self.sketch: list[int] | None = None
        self.sketch_examples: list[tuple[int, str, Any]] = []

    # -- exact → approximate -----------------------------------------------------------

    def _start_sketch(self) -> None:
        self.sketch = []
        strs, ints, floats = self.strs or (), self.ints or (), self.floats or ()
        self.strs = self.ints = self.floats = None
        for tag, values in (("s", strs), ("i", ints), ("f", floats)):
            for v in values:
                self._sketch_add(tag, v, stable_hash(tag, v))

    def _sketch_add(self, tag: str, value: Any, h: int) -> None:
        sketch = self.sketch
        assert sketch is not None
        if len(sketch) >= SKETCH_SIZE and h >= sketch[-1]:
            return
        i = bisect.bisect_left(sketch, h)
        if i < len(sketch) and sketch[i] == h:
            return
        sketch.insert(i, h)
        if len(sketch) > SKETCH_SIZE:
            sketch.pop()
        ex = self.sketch_examples
        entry = (h, tag, value)
        if len(ex) < EXAMPLES or (h, tag, repr(value)) < (ex[-1][0], ex[-1][1], repr(ex[-1][2])):
            ex.append(entry)
            ex.sort(key=lambda e: (e[0], e[1], repr(e[2])))
            del ex[EXAMPLES:]

    def add_distinct(self, tag: str, value: Any) -> None:
        """Slow path of the walk: record a value once the exact sets are gone."""
        self._sketch_add(tag, value, stable_hash(tag, value))

    # -- reading -----------------------------------------------------------------------

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
        pool: list[tuple[int, str, str, Any]] = []
        for tag, values in (("s", self.strs), ("i", self.ints), ("f", self.floats)):
            for v in values or ():
                pool.append((stable_hash(tag, v), tag, repr(v), v))
        pool.sort(key=lambda e: (e[0], e[1], e[2]))
        out = [e[3] for e in pool[:EXAMPLES]]
        if len(out) < EXAMPLES:
            out += [b for b, n in ((False, self.n_false), (True, self.n_true)) if n]
        return tuple(out[:EXAMPLES])

    def string_format(self) -> str | None:
        others = self.total - self.n_str - self.n_null
        return rules.decide_format(self.mask, self.n_str, others)

    def string_enum(self) -> tuple[str, ...] | None:
        if self.n_str != self.total - self.n_null:
            return None
        return rules.decide_enum(self.name, self.n_str, self.strs, self.mask)

    # -- merge / serialise -------------------------------------------------------------

    def merge(self, other: FieldNode) -> None:
        """Fold ``other`` into this node (both trees stay valid; other is unchanged)."""
        for attr in ("present", "n_null", "n_true", "n_false", "n_int", "n_float", "n_str"):
            setattr(self, attr, getattr(self, attr) + getattr(other, attr))
        self.n_obj += other.n_obj
        self.n_arr += other.n_arr
        if other.min_num is not None:
            self.min_num = (
                other.min_num if self.min_num is None else min(self.min_num, other.min_num)
            )
            assert other.max_num is not None
            self.max_num = (
                other.max_num if self.max_num is None else max(self.max_num, other.max_num)
            )
        if other.min_len >= 0:
            self.min_len = other.min_len if self.min_len < 0 else min(self.min_len, other.min_len)
            self.max_len = max(self.max_len, other.max_len)
        self.mask &= other.mask
        if self.sketch is None and other.sketch is None:
            assert self.strs is not None and self.ints is not None and self.floats is not None
            self.strs |= other.strs or set()
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
        for key, child in other.children.items():
            mine = self.children.get(key)
            if mine is None:
                mine = self.children[key] = FieldNode(key)
            mine.merge(child)
        if other.items is not None:
            if self.items is None:
                self.items = FieldNode()
            self.items.merge(other.items)
        if other.values is not None:
            if self.values is None:
                self.values = FieldNode()
            self.values.merge(other.values)

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
        ex.append((h, tag, value))
        ex.sort(key=lambda e: (e[0], e[1], repr(e[2])))
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
        }
        if self.name is not None:
            out["name"] = self.name
        if self.sketch is None:
            out["strs"] = sorted(self.strs or ())
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
        if "sketch" in data:
            node.strs = node.ints = node.floats = None
            node.sketch = list(data["sketch"])
            node.sketch_examples = [(e[0], e[1], e[2]) for e in data["sketch_examples"]]
        else:
            node.strs = set(data["strs"])
            node.ints = set(data["ints"])
            node.floats = {float(x) for x in data["floats"]}
        for k, c in data.get("children", {}).items():
            node.children[k] = cls.from_dict(c)
        if "items" in data:
            node.items = cls.from_dict(data["items"])
        if "values" in data:
            node.values = cls.from_dict(data["values"])
        return node


def walk(v: Any, node: FieldNode, seq: int) -> Signature:
    """Add one value at ``node``; return its structural signature.

    ``seq`` numbers the message, so that ``present`` counts messages, not values.
    """
    if node.last != seq:
        node.last = seq
        node.present += 1
    t = type(v)
    if t is str:
        node.n_str += 1
        n = len(v)
        if node.min_len < 0 or n < node.min_len:
            node.min_len = n
        if n > node.max_len:
            node.max_len = n
        if node.mask:
            node.mask = rules.match_formats(v, node.mask)
        strs = node.strs
        if strs is not None:
            strs.add(v)
            if len(strs) > DISTINCT_BOUND:
                node._start_sketch()
        else:
            node.add_distinct("s", v)
        return "s"
    if t is dict:
        node.n_obj += 1
        if not v:
            return "{}"
        key_class = rules.map_key_class(v)
        if key_class is not None:
            values = node.values
            if values is None:
                values = node.values = FieldNode()
            return ("M", key_class, frozenset([walk(x, values, seq) for x in v.values()]))
        children = node.children
        parts: list[Any] = ["{"]
        for k, x in v.items():
            child = children.get(k)
            if child is None:
                child = children[k] = FieldNode(k)
            parts.append(k)
            parts.append(walk(x, child, seq))
        return tuple(parts)
    if t is int or t is float:
        if t is int:
            node.n_int += 1
            tag = "i"
            bucket = node.ints
        else:
            node.n_float += 1
            tag = "f"
            bucket = node.floats  # type: ignore[assignment]
        if node.min_num is None:
            node.min_num = node.max_num = v
        elif v < node.min_num:
            node.min_num = v
        elif v > node.max_num:
            node.max_num = v
        if bucket is not None:
            bucket.add(v)
            if len(bucket) > DISTINCT_BOUND:
                node._start_sketch()
        else:
            node.add_distinct(tag, v)
        return tag
    if t is list:
        node.n_arr += 1
        if not v:
            return "[]"
        items = node.items
        if items is None:
            items = node.items = FieldNode()
        return ("[", frozenset([walk(x, items, seq) for x in v]))
    if v is None:
        node.n_null += 1
        return "n"
    if t is bool:
        if v:
            node.n_true += 1
        else:
            node.n_false += 1
        return "b"
    raise TypeError(f"not a JSON value: {t.__name__}")
