"""Score inference on the corpora of :mod:`tests.corpora.generate`.

``python -m tests.corpora.score`` prints, per corpus: property-path precision and recall
(a map's values are one path, ``/name/{}``), maps found (with the right key pattern) and
false maps, format precision and recall, enum precision and recall, whether the key
schema is right, and whether every nullable object has a bare null branch. The engine
(compiled core) and the oracle (the Python reference fold) are both scored, and must
agree.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from inferrer.inference import TopicObservation, observe
from inferrer.model import TopicSummary
from inferrer.records import Record
from tests.corpora.generate import CORPORA, Corpus, expected_fields, expected_paths, records
from tests.reference.observation import observe_reference


def summarize_engine(recs: Iterable[Record]) -> TopicSummary:
    (obs,) = observe(recs).values()
    return obs.summarize()


def summarize_oracle(recs: Iterable[Record]) -> TopicSummary:
    (ref,) = observe_reference(recs).values()
    return TopicObservation.from_dict(ref.to_dict()).summarize()


def iter_leaves(schema: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(JSON pointer, schema) of every property, through nullable ``anyOf``."""
    for branch in schema.get("anyOf", [schema]):
        for name, sub in (branch.get("properties") or {}).items():
            yield f"{path}/{name}", sub
            yield from iter_leaves(sub, f"{path}/{name}")


def iter_paths(schema: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(JSON pointer, schema) of every property and map value (``{}``), through
    ``anyOf``."""
    for branch in schema.get("anyOf", [schema]):
        for name, sub in (branch.get("properties") or {}).items():
            yield f"{path}/{name}", sub
            yield from iter_paths(sub, f"{path}/{name}")
        values = branch.get("additionalProperties")
        if isinstance(values, dict):
            yield f"{path}/{{}}", values
            yield from iter_paths(values, f"{path}/{{}}")


def _keyword(schema: dict[str, Any], word: str) -> Any:
    for branch in schema.get("anyOf", [schema]):
        if word in branch:
            return branch[word]
    return None


def bare_null_branches(schema: Any) -> bool:
    """Whether every ``anyOf`` null branch in ``schema`` is ``{"type": "null"}``."""
    if isinstance(schema, list):
        return all(map(bare_null_branches, schema))
    if not isinstance(schema, dict):
        return True
    for branch in schema.get("anyOf", []):
        if branch.get("type") == "null" and branch != {"type": "null"}:
            return False
    return all(bare_null_branches(v) for v in schema.values())


@dataclass(frozen=True)
class Score:
    corpus: str
    format_precision: float
    format_recall: float
    enum_precision: float
    enum_recall: float
    key_ok: bool
    nulls_ok: bool
    false_formats: tuple[str, ...]
    false_enums: tuple[str, ...]
    path_precision: float
    path_recall: float
    maps_expected: int
    maps_found: int
    false_maps: tuple[str, ...]


def _ratio(good: int, total: int) -> float:
    return 1.0 if total == 0 else round(good / total, 3)


def score(corpus: Corpus, summary: TopicSummary) -> Score:
    (kind,) = summary.kinds
    found = dict(iter_leaves(kind.payload_schema))
    truth = expected_fields(corpus)
    formats = {p: _keyword(s, "format") for p, s in found.items() if p in truth}
    enums = {p: _keyword(s, "enum") for p, s in found.items() if p in truth}
    fmt_claimed = [p for p, f in formats.items() if f is not None]
    fmt_right = [p for p in fmt_claimed if formats[p] == truth[p].format]
    fmt_expected = [p for p, s in truth.items() if s.format is not None]
    enum_claimed = [p for p, e in enums.items() if e is not None]

    def enum_right(p: str) -> bool:
        values = [v for v in enums[p] if v is not None]
        return truth[p].enum is not None and tuple(values) == truth[p].enum

    enum_expected = [p for p, s in truth.items() if s.enum is not None]
    key_ok = corpus.key_schema is None or summary.key_schema == corpus.key_schema
    paths = dict(iter_paths(kind.payload_schema))
    want_paths = expected_paths(corpus)
    right_paths = set(paths) & want_paths
    maps = {p for p, sub in paths.items() if _keyword(sub, "additionalProperties") is not None}
    want_maps = {f"/{m.name}": m.names for m in corpus.maps}
    maps_found = sum(
        p in maps and _keyword(paths[p], "propertyNames") == names for p, names in want_maps.items()
    )
    return Score(
        corpus=corpus.topic,
        format_precision=_ratio(len(fmt_right), len(fmt_claimed)),
        format_recall=_ratio(len(fmt_right), len(fmt_expected)),
        enum_precision=_ratio(sum(map(enum_right, enum_claimed)), len(enum_claimed)),
        enum_recall=_ratio(sum(map(enum_right, enum_claimed)), len(enum_expected)),
        key_ok=key_ok,
        nulls_ok=bare_null_branches(kind.payload_schema),
        false_formats=tuple(sorted(set(fmt_claimed) - set(fmt_right))),
        false_enums=tuple(sorted(p for p in enum_claimed if not enum_right(p))),
        path_precision=_ratio(len(right_paths), len(paths)),
        path_recall=_ratio(len(right_paths), len(want_paths)),
        maps_expected=len(want_maps),
        maps_found=maps_found,
        false_maps=tuple(sorted(maps - set(want_maps))),
    )


def main() -> int:
    print(
        f"{'corpus':24} {'path P':>6} {'path R':>6} {'maps':>5} {'false':>5} "
        f"{'fmt P':>6} {'fmt R':>6} {'enum P':>7} {'enum R':>7} key nulls agree"
    )
    worst = 0
    for corpus in CORPORA:
        recs = list(records(corpus))
        engine = summarize_engine(recs)
        s = score(corpus, engine)
        agree = engine == summarize_oracle(recs)
        print(
            f"{s.corpus:24} {s.path_precision:6.3f} {s.path_recall:6.3f} "
            f"{s.maps_found:>2}/{s.maps_expected:<2} {len(s.false_maps):5} "
            f"{s.format_precision:6.3f} {s.format_recall:6.3f} "
            f"{s.enum_precision:7.3f} {s.enum_recall:7.3f} {'ok' if s.key_ok else 'NO':>3} "
            f"{'ok' if s.nulls_ok else 'NO':>5} {'ok' if agree else 'NO':>5}"
        )
        for p in s.false_formats + s.false_enums + s.false_maps:
            print(f"    wrong: {p}")
        maps_ok = s.maps_found == s.maps_expected and not s.false_maps
        if s.format_precision < 1 or not (s.key_ok and s.nulls_ok and agree and maps_ok):
            worst = 1
    return worst


if __name__ == "__main__":
    sys.exit(main())
