"""Deterministic writing of AsyncAPI documents (reading is :mod:`inferrer.asyncapi.read`).

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
from typing import Any, Literal

import yaml

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
