"""The evidence file: what the sample said, written beside the document it belongs to.

The document is the contract: channels, messages, schemas, bindings, operations and
descriptions, which stay the same however often the same traffic is sampled. The facts
that depend on the sample — sizes, shares, first and last seen, rates, partitions seen,
encodings, counts of undecodable records, per-field statistics — are the evidence. The
builder writes them as ``x-inferrer-*`` extensions (``--evidence inline``);
:func:`split_evidence` takes them out into an evidence value, keyed by the JSON pointer of
the document node they belong to, and :func:`inline_evidence` puts them back.

The file (``asyncapi.evidence.json`` beside ``asyncapi.yaml``) is JSON, written with
sorted keys, and follows the versioned schema in ``docs/evidence.schema.json``::

    {"inferrerEvidence": 1,
     "document": "asyncapi.yaml",
     "nodes": {"/info": {"sample-size": 2483, ...},
               "/channels/bank.payments": {"sample-size": 320, "encoding": "json", ...},
               "/components/messages/PaymentSettled": {"fields": {...}, ...}}}

The extensions that say how to read the traffic rather than how much of it there was
(:data:`CONTRACT_EXTENSIONS`: which field tells the kinds apart, the envelope, the framing,
the writer schema of a registry-backed message)
stay in the document.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, Literal

from inferrer.errors import SpecError
from inferrer.jsonpointer import escape_token, resolve_pointer

EvidenceMode = Literal["inline", "file", "none"]
EXTENSION_PREFIX: Final = "x-inferrer-"
EVIDENCE_VERSION: Final = 1
"""The version of the evidence file's schema (``inferrerEvidence``)."""
CONTRACT_EXTENSIONS: Final = frozenset({"discriminator", "envelope", "framing", "registry"})
"""``x-inferrer-*`` names kept in the document: they describe how messages are read and
told apart, which a consumer needs and which does not change when the traffic does not."""
EVIDENCE_SUFFIX: Final = ".evidence.json"


def evidence_path(document_path: str | Path) -> Path:
    """Where the evidence of the document at ``document_path`` is written:
    ``asyncapi.yaml`` → ``asyncapi.evidence.json``, in the same directory."""
    path = Path(document_path)
    return path.with_name(path.stem + EVIDENCE_SUFFIX)


def _is_evidence(key: Any) -> bool:
    return (
        isinstance(key, str)
        and key.startswith(EXTENSION_PREFIX)
        and key[len(EXTENSION_PREFIX) :] not in CONTRACT_EXTENSIONS
    )


def split_evidence(
    document: Mapping[str, Any], *, document_name: str | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The document without its evidence extensions, and the evidence value.

    ``document`` is not modified. Evidence is collected from every mapping in the
    document, keyed by the node's JSON pointer; ``document_name`` (the file name the
    document is written to) is recorded so the evidence file says what it belongs to.
    """
    nodes: dict[str, dict[str, Any]] = {}

    def strip(node: Any, pointer: str) -> Any:
        if isinstance(node, Mapping):
            found = {
                key[len(EXTENSION_PREFIX) :]: copy.deepcopy(value)
                for key, value in node.items()
                if _is_evidence(key)
            }
            if found:
                nodes[pointer or "/"] = found
            return {
                key: strip(value, f"{pointer}/{escape_token(str(key))}")
                for key, value in node.items()
                if not _is_evidence(key)
            }
        if isinstance(node, list):
            return [strip(item, f"{pointer}/{i}") for i, item in enumerate(node)]
        return node

    contract: dict[str, Any] = strip(document, "")
    evidence: dict[str, Any] = {"inferrerEvidence": EVIDENCE_VERSION}
    if document_name is not None:
        evidence["document"] = document_name
    evidence["nodes"] = dict(sorted(nodes.items()))
    return contract, evidence


def inline_evidence(document: Mapping[str, Any], evidence: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` with ``evidence`` written back as ``x-inferrer-*`` extensions.

    Pointers that no longer name a mapping in the document (a node renamed or removed
    since) are skipped.
    """
    result: dict[str, Any] = copy.deepcopy(dict(document))
    for pointer, facts in _nodes(evidence).items():
        node = resolve_pointer(result, pointer)
        if isinstance(node, dict):
            for name, value in facts.items():
                node[f"{EXTENSION_PREFIX}{name}"] = copy.deepcopy(value)
    return result


def _nodes(evidence: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    nodes = evidence.get("nodes")
    if not isinstance(nodes, Mapping):
        return {}
    return {str(k): dict(v) for k, v in nodes.items() if isinstance(v, Mapping)}


def dump_evidence(evidence: Mapping[str, Any]) -> str:
    """The evidence as deterministic JSON text (sorted keys, two-space indent)."""
    return json.dumps(evidence, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def load_evidence(path: str | Path) -> dict[str, Any]:
    """Read an evidence file; :class:`~inferrer.errors.SpecError` when it is not one."""
    try:
        with open(path, encoding="utf-8") as f:
            value = json.load(f)
    except OSError as e:
        raise SpecError(f"cannot read evidence file {path}: {e.strerror or e}") from e
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
        raise SpecError(f"evidence file {path} is not JSON: {e}") from e
    if not isinstance(value, dict) or not isinstance(value.get("nodes"), dict):
        raise SpecError(f"{path} is not an inferrer evidence file (no nodes)")
    version = value.get("inferrerEvidence")
    if version != EVIDENCE_VERSION:
        raise SpecError(
            f"evidence file {path} has version {version!r}; this inferrer reads "
            f"version {EVIDENCE_VERSION}"
        )
    return value
