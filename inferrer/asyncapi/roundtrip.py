"""Writing an updated spec back over the file a person edited, keeping its comments.

``--update`` merges the fresh inference into the document as data
(:mod:`inferrer.asyncapi.update`); this module writes the result over the original text:

* nothing changed (as data) → the original text, byte for byte;
* a JSON file → the deterministic JSON of :func:`~inferrer.asyncapi.io.dump_document`
  (JSON has no comments to keep);
* a YAML file → the original file read with ruamel.yaml's round-trip loader, changed in
  place to equal the merged document, and written again: comments, key order, quoting
  and blank lines of every part that did not change are kept; new keys are placed among
  their siblings in sorted order (the order inferrer writes), removed keys go with their
  comments.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from inferrer.asyncapi.io import OutputFormat, dump_document, order_document
from inferrer.asyncapi.read import parse_document


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.width = 100_000
    y.indent(mapping=2, sequence=2, offset=0)
    y.preserve_quotes = True
    y.representer.add_representer(
        type(None), lambda r, _v: r.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    return y


def render_update(original: str, document: Mapping[str, Any], fmt: OutputFormat) -> str:
    """The text to write over ``original`` (the file's text) so it holds ``document``."""
    if parse_document(original, "the spec") == document:
        return original
    if fmt == "json":
        return dump_document(dict(document), "json")
    y = _yaml()
    try:
        tree = y.load(original)
    except (YAMLError, RecursionError):
        return dump_document(dict(document), "yaml")
    if not isinstance(tree, CommentedMap):
        return dump_document(dict(document), "yaml")
    _sync_map(tree, order_document(dict(document)))
    out = io.StringIO()
    y.dump(tree, out)
    text = out.getvalue()
    # The round trip must give back exactly the merged document; if the YAML library's
    # typing of a scalar differs from ours (a date, an odd float), write it our way.
    if parse_document(text, "the updated spec") != document:
        return dump_document(dict(document), "yaml")
    return text


def _same(a: Any, b: Any) -> bool:
    """JSON equality of a round-trip node and a plain value (True is not 1)."""
    if isinstance(b, dict):
        return (
            isinstance(a, Mapping)
            and set(map(str, a)) == set(b)
            and all(_same(a[k], b[str(k)]) for k in a)
        )
    if isinstance(b, list):
        return isinstance(a, list) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(b, bool) or isinstance(a, bool):
        return type(a) is type(b) and a == b
    if isinstance(b, float) and isinstance(a, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(b, int | float) and isinstance(a, int | float):
        return float(a) == float(b) and isinstance(a, float) == isinstance(b, float)
    if b is None:
        return a is None
    return isinstance(a, str) and isinstance(b, str) and a == b


def _sync_map(target: CommentedMap, source: Mapping[str, Any]) -> None:
    for key in [k for k in target if k not in source]:
        del target[key]
    for key, value in source.items():
        if key in target:
            target[key] = _synced(target[key], value)
            continue
        position = next(
            (i for i, existing in enumerate(target) if str(existing) > key), len(target)
        )
        target.insert(position, key, _fresh(value))


def _synced(current: Any, value: Any) -> Any:
    if _same(current, value):
        return current
    if isinstance(value, dict) and isinstance(current, CommentedMap):
        _sync_map(current, value)
        return current
    if isinstance(value, list) and isinstance(current, CommentedSeq):
        for index, item in enumerate(value):
            if index < len(current):
                current[index] = _synced(current[index], item)
            else:
                current.append(_fresh(item))
        del current[len(value) :]
        return current
    return _fresh(value)


def _fresh(value: Any) -> Any:
    if isinstance(value, dict):
        node = CommentedMap()
        for key in sorted(value, key=str):
            node[key] = _fresh(value[key])
        return node
    if isinstance(value, list):
        return CommentedSeq(_fresh(v) for v in value)
    return value
