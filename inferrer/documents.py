"""Document-like files: read, parse (JSON or YAML) and check a ``format``/``version`` header.

Snapshots, schema sidecars, observation files, baselines, rules files and AsyncAPI
specs are all read here; each failure is the caller's domain error (``error``), one
line naming the file and what it should have been.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from inferrer.errors import InferrerError

ErrorClass = Callable[[str], InferrerError]
"""The domain error a reader raises (``CaptureError``, ``ConfigError``, ...)."""


def _a(what: str) -> str:
    return ("an " if what[:1] in "aeiou" else "a ") + what


def read_text(path: str | os.PathLike[str], what: str, error: ErrorClass) -> str:
    """The UTF-8 text of the file at ``path``; ``error`` when it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise error(f"cannot read {what} {os.fspath(path)}: no such file") from e
    except UnicodeDecodeError as e:
        raise error(f"cannot read {what} {os.fspath(path)}: not UTF-8 text") from e
    except OSError as e:
        raise error(f"cannot read {what} {os.fspath(path)}: {e.strerror or e}") from e


def parse_json(raw: str | bytes, where: str, what: str, error: ErrorClass) -> Any:
    """The JSON value of ``raw`` (read from ``where``); ``error`` when it is not JSON."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError as e:
        raise error(
            f"{where} is not {_a(what)}: invalid JSON at line {e.lineno}, column {e.colno}"
        ) from e
    except ValueError as e:  # bytes that are not UTF-8
        raise error(f"{where} is not {_a(what)}: invalid JSON ({e})") from e


def parse_yaml(text: str, where: str, what: str, error: ErrorClass) -> Any:
    """The YAML (or JSON) value of ``text``; ``error`` naming the line when it is not."""
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise error(f"{where} is not {_a(what)}: invalid YAML{at}") from e
    except yaml.YAMLError as e:
        raise error(f"{where} is not {_a(what)}: invalid YAML") from e


def check_header(
    data: Any,
    where: str,
    what: str,
    error: ErrorClass,
    *,
    version: object = None,
    format: str | None = None,
) -> dict[str, Any]:
    """``data`` when it is a mapping with this ``format`` and ``version`` (each if given)."""
    if not isinstance(data, dict) or (format is not None and data.get("format") != format):
        raise error(f"{where} is not {_a(what)}")
    if version is not None and data.get("version") != version:
        raise error(
            f"{where} is {_a(what)} of version {data.get('version')!r}; expected {version!r}"
        )
    return data


def load_json_file(
    path: str | os.PathLike[str],
    what: str,
    error: ErrorClass,
    *,
    version: object = None,
    format: str | None = None,
) -> dict[str, Any]:
    """Read the JSON file at ``path`` and check its header (:func:`check_header`)."""
    where = os.fspath(path)
    data = parse_json(read_text(path, what, error), where, what, error)
    return check_header(data, where, what, error, version=version, format=format)
