"""JSON pointers (RFC 6901): the one place tokens are escaped and joined.

Findings, evidence and update reports all point into documents with these.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def escape_token(token: str) -> str:
    """Escape one reference token: ``~`` → ``~0``, ``/`` → ``~1``."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape_token(token: str) -> str:
    """Undo :func:`escape_token`."""
    return token.replace("~1", "/").replace("~0", "~")


def join_pointer(base: str, *tokens: str | int) -> str:
    """``base`` extended by ``tokens``, each escaped (``join_pointer("", "a/b")`` is ``/a~1b``)."""
    return base + "".join("/" + escape_token(str(t)) for t in tokens)


def pointer_of(tokens: Iterable[str | int]) -> str:
    """The pointer of a path of tokens from the document root."""
    return join_pointer("", *tokens)


def resolve_pointer(doc: Any, pointer: str, default: Any = None) -> Any:
    """The node ``pointer`` names in ``doc`` (``""`` or ``"/"``: the document itself),
    or ``default`` when some token names nothing."""
    node = doc
    if pointer in ("", "/"):
        return node
    for token in pointer.lstrip("/").split("/"):
        key = unescape_token(token)
        if isinstance(node, Mapping) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return default
    return node
