"""Deterministic reading and writing of AsyncAPI documents.

Output order is fixed so that the same document always gives the same bytes:
the top-level fields come in the order the AsyncAPI specification lists them
(``asyncapi``, ``id``, ``info``, ``servers``, ``defaultContentType``,
``channels``, ``operations``, ``components``, then anything else sorted);
every nested mapping is written with its keys sorted. Lists keep their order:
the builder produces them in a deterministic order.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

import yaml

from inferrer.errors import SpecError

OutputFormat = Literal["yaml", "json"]
AsyncAPIVersion = Literal["3.0.0", "3.1.0", "2.6.0"]
SUPPORTED_VERSIONS: tuple[AsyncAPIVersion, ...] = ("3.0.0", "3.1.0", "2.6.0")

TOP_LEVEL_ORDER = (
    "asyncapi",
    "id",
    "info",
    "servers",
    "defaultContentType",
    "channels",
    "operations",
    "components",
)


def order_document(doc: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of ``doc`` with the canonical key order used for output."""
    ordered: dict[str, Any] = {}
    for key in TOP_LEVEL_ORDER:
        if key in doc:
            ordered[key] = _sorted(doc[key])
    for key in sorted(k for k in doc if k not in TOP_LEVEL_ORDER):
        ordered[key] = _sorted(doc[key])
    return ordered


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _sorted(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list | tuple):
        return [_sorted(v) for v in value]
    return value


class _PythonDumper(yaml.SafeDumper):
    """A safe dumper that never writes anchors or aliases for shared objects."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.representer.SafeRepresenter, data: str) -> yaml.ScalarNode:
    # Multi-line strings (descriptions) read best as literal blocks.
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_PythonDumper.add_representer(str, _represent_str)
# Dumper classes, preferred first (libyaml's and PyYAML's share no base class).
_DUMPERS: list[type[Any]] = [_PythonDumper]

if yaml.__with_libyaml__:
    # libyaml's emitter is about 10x faster and writes the same bytes (a test checks).

    class _LibyamlDumper(yaml.CSafeDumper):
        """The libyaml safe dumper, without anchors or aliases."""

        def ignore_aliases(self, data: Any) -> bool:
            return True

    _LibyamlDumper.add_representer(str, _represent_str)
    _DUMPERS.insert(0, _LibyamlDumper)


def dump_yaml(value: Any, dumper: type[Any] | None = None) -> str:
    """YAML text of ``value`` with inferrer's fixed settings (keys in the given order)."""
    text: str = yaml.dump(
        value,
        Dumper=dumper or _DUMPERS[0],
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100_000,
        indent=2,
    )
    return text


def dump_document(doc: dict[str, Any], fmt: OutputFormat = "yaml") -> str:
    """Serialise ``doc`` deterministically as YAML or JSON text ending in a newline."""
    ordered = order_document(doc)
    if fmt == "json":
        return json.dumps(ordered, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    return dump_yaml(ordered)


def format_for_path(path: str | os.PathLike[str]) -> OutputFormat:
    """The output format a file name asks for: JSON for ``.json``, YAML otherwise."""
    return "json" if os.fspath(path).lower().endswith(".json") else "yaml"


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
    source = os.fspath(path)
    try:
        text = Path(source).read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise SpecError(f"{source}: no such file") from e
    except UnicodeDecodeError as e:
        raise SpecError(f"{source}: not UTF-8 text") from e
    except OSError as e:
        raise SpecError(f"{source}: cannot read: {e.strerror or e}") from e
    return parse_document(text, source)


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
    from inferrer.jsonpointer import join_pointer

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
