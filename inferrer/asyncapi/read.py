"""Reading AsyncAPI documents: the one spec reader and the one ``$ref`` resolver.

``--update`` and ``diff`` read a committed spec here: YAML or JSON text (dates stay
strings, errors name the file and the line), the line of every node (for CI reports),
and local ``$ref``s resolved by :class:`Resolver` (JSON pointers by
:mod:`inferrer.jsonpointer`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from inferrer.asyncapi.io import SUPPORTED_VERSIONS, AsyncAPIVersion
from inferrer.documents import read_text
from inferrer.errors import SpecError
from inferrer.jsonpointer import join_pointer, resolve_pointer

MAX_SPEC_DEPTH = 200
"""A document nesting mappings and lists deeper than this is refused (SpecError): every
later stage (``$ref`` resolution, comparison, update) walks it recursively."""


def _nests_deeper_than(value: Any, limit: int) -> bool:
    """Whether mappings and lists in ``value`` nest deeper than ``limit`` (no recursion;
    a node YAML aliases is visited once per depth it is reached at)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    seen: dict[int, int] = {}
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        if seen.get(id(node), 0) >= depth:
            continue
        seen[id(node)] = depth
        stack.extend((child, depth + 1) for child in children)
    return False


class _Loader(yaml.SafeLoader):
    """Safe loader that keeps unquoted dates and times as strings, as JSON would."""


# libyaml's parser when PyYAML was built with it (ten times faster on a large spec), with
# the same safe constructor and resolvers; a document it refuses is parsed again by the
# Python parser, whose error messages say more.
_FastBase: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _FastLoader(_FastBase):  # type: ignore[valid-type,misc]
    """:class:`_Loader` on libyaml."""


_Loader.yaml_implicit_resolvers = _FastLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _load_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_FastLoader)  # both loaders are safe
    except yaml.YAMLError:
        return yaml.load(text, Loader=_Loader)  # raises the detailed error


def parse_document(text: str, source: str) -> dict[str, Any]:
    """Parse YAML or JSON ``text``; errors name ``source`` and the line and column.

    A document nested deeper than :data:`MAX_SPEC_DEPTH` is a :class:`SpecError`.
    """
    too_deep = SpecError(f"{source}: nested deeper than {MAX_SPEC_DEPTH} levels")
    try:
        doc = _parse(text, source)
    except RecursionError:
        raise too_deep from None
    if _nests_deeper_than(doc, MAX_SPEC_DEPTH):
        raise too_deep
    if not isinstance(doc, dict):
        raise SpecError(f"{source}: not an AsyncAPI document (the top level is not a mapping)")
    return doc


def _parse(text: str, source: str) -> Any:
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            raise SpecError(f"{source}:{e.lineno}:{e.colno}: invalid JSON: {e.msg}") from e
    else:
        try:
            doc = _load_yaml(text)
        except yaml.MarkedYAMLError as e:
            mark = e.problem_mark or e.context_mark
            where = f"{mark.line + 1}:{mark.column + 1}" if mark is not None else "?:?"
            problem = e.problem or e.context or "syntax error"
            raise SpecError(f"{source}:{where}: invalid YAML: {problem}") from e
        except yaml.YAMLError as e:
            raise SpecError(f"{source}: invalid YAML: {e}") from e
    return doc


def load_document(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read an AsyncAPI document (YAML or JSON) from ``path``.

    Raises :class:`~inferrer.errors.SpecError` naming the file, and for syntax
    errors the line and column (1-based), when it cannot be read or parsed.
    """
    return parse_document(read_text(path, "spec", SpecError), os.fspath(path))


def detect_version(doc: dict[str, Any], source: str = "document") -> AsyncAPIVersion:
    """Return the AsyncAPI version a document declares, if inferrer supports it."""
    declared = doc.get("asyncapi")
    if declared is None:
        raise SpecError(f"{source}: not an AsyncAPI document (no 'asyncapi' version field)")
    version = str(declared)
    for supported in SUPPORTED_VERSIONS:
        if version == supported:
            return supported
    raise SpecError(
        f"{source}: AsyncAPI version {version} is not supported "
        f"(supported: {', '.join(SUPPORTED_VERSIONS)})"
    )


LineMap = dict[str, int]
"""JSON pointer → 1-based line of the node (a mapping member's key line) in a spec file."""


def line_map(text: str) -> LineMap:
    """The line of every node of a YAML or JSON document, by JSON pointer.

    Built from PyYAML's node tree (JSON written with spaces is YAML too), without
    recursion. A text PyYAML cannot compose gives an empty map: every pointer then
    points at line 1 (see :func:`line_of`).
    """
    loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    if text.lstrip().startswith("{"):
        # JSON allows tabs between tokens, YAML's flow style does not; a raw tab is never
        # inside a JSON string, so this keeps every line and value.
        text = text.replace("\t", " ")
    try:
        root = yaml.compose(text, Loader=loader)
    except (yaml.YAMLError, RecursionError):
        return {}
    lines: LineMap = {"": 1}
    if root is None:
        return lines
    stack: list[tuple[Any, str, int]] = [(root, "", 1)]
    while stack:
        node, pointer, depth = stack.pop()
        if depth > MAX_SPEC_DEPTH:
            continue
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = join_pointer(pointer, str(key.value))
                lines.setdefault(child, key.start_mark.line + 1)
                stack.append((value, child, depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                child = join_pointer(pointer, index)
                lines.setdefault(child, item.start_mark.line + 1)
                stack.append((item, child, depth + 1))
    return lines


def load_line_map(path: str | os.PathLike[str]) -> LineMap:
    """:func:`line_map` of the file at ``path``; empty when it cannot be read."""
    try:
        return line_map(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return {}


def line_of(lines: LineMap, pointer: str) -> int:
    """The line of ``pointer``, or of its nearest ancestor the document has (a finding
    about a field the spec does not document points at the object that would hold it)."""
    while pointer:
        line = lines.get(pointer)
        if line is not None:
            return line
        pointer = pointer[: pointer.rfind("/")]
    return lines.get("", 1)


class Resolver:
    """The local ``$ref``s of one document.

    Strict (``diff``): an external, dangling or cyclic reference is a
    :class:`~inferrer.errors.SpecError` naming ``source`` and where it is written.
    Lenient (``--update``, which keeps what it cannot follow as it is): following
    stops at such a reference.
    """

    def __init__(self, doc: Mapping[str, Any], source: str = "<spec>", *, strict: bool = True):
        self.doc = doc
        self.source = source
        self.strict = strict

    def lookup(self, ref: str, at: str) -> tuple[Any, str] | None:
        """The node ``ref`` names and its pointer; None (lenient only) when it names none."""
        if not ref.startswith("#"):
            if not self.strict:
                return None
            raise SpecError(
                f"spec {self.source} at {at or '/'}: external $ref {ref!r} is not supported"
            )
        missing = object()
        node = resolve_pointer(self.doc, ref[1:], missing)
        if node is not missing:
            return node, ref[1:]
        if not self.strict:
            return None
        raise SpecError(f"spec {self.source} at {at or '/'}: $ref {ref!r} does not resolve")

    def follow(self, node: Any, at: str) -> tuple[Any, str]:
        """Follow ``$ref`` chains at the top of ``node``; return it and where it is written."""
        node, at, _ = self.follow_refs(node, at)
        return node, at

    def follow_refs(self, node: Any, at: str) -> tuple[Any, str, tuple[str, ...]]:
        """:meth:`follow`, also returning the refs followed."""
        seen: list[str] = []
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen:
                if not self.strict:
                    break
                raise SpecError(f"spec {self.source} at {at or '/'}: $ref cycle through {ref!r}")
            target = self.lookup(ref, at)
            if target is None:
                break
            seen.append(ref)
            node, at = target
        return node, at, tuple(seen)

    def inline(self, node: Any, at: str, stack: tuple[str, ...] = ()) -> Any:
        """A copy of ``node`` with every local ``$ref`` replaced by its target (a cycle by
        ``{}``, which accepts anything)."""
        if isinstance(node, Mapping):
            ref = node.get("$ref")
            if isinstance(ref, str):
                target = None if ref in stack else self.lookup(ref, at)
                if target is None:
                    return {} if ref in stack else dict(node)
                return self.inline(target[0], target[1], (*stack, ref))
            return {
                str(k): self.inline(v, join_pointer(at, str(k)), stack) for k, v in node.items()
            }
        if isinstance(node, list):
            return [self.inline(v, join_pointer(at, i), stack) for i, v in enumerate(node)]
        return node
