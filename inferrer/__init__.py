"""inferrer: infer AsyncAPI documents from live Kafka traffic, and report drift.

The analyst API (see :mod:`inferrer.frames`) is importable from here::

    from inferrer import load_observations_from, topics_frame, fields_frame, drift_between

It is loaded on first use, so that importing the command line never imports pandas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from inferrer.version import __version__

if TYPE_CHECKING:
    from inferrer.frames import (
        EVIDENCE_COLUMNS,
        FIELD_COLUMNS,
        FINDING_COLUMNS,
        JSON_TYPES,
        TOPIC_COLUMNS,
        TYPE_COLUMNS,
        Observed,
        drift_between,
        evidence_frame,
        fields_frame,
        findings_frame,
        load_captures,
        load_live,
        load_observations_from,
        load_saved,
        load_snapshots,
        topics_frame,
        types_frame,
    )

__all__ = [
    "EVIDENCE_COLUMNS",
    "FIELD_COLUMNS",
    "FINDING_COLUMNS",
    "JSON_TYPES",
    "TOPIC_COLUMNS",
    "TYPE_COLUMNS",
    "Observed",
    "__version__",
    "drift_between",
    "evidence_frame",
    "fields_frame",
    "findings_frame",
    "load_captures",
    "load_live",
    "load_observations_from",
    "load_saved",
    "load_snapshots",
    "topics_frame",
    "types_frame",
]

_FRAMES = frozenset(__all__) - {"__version__"}
"""The names of :mod:`inferrer.frames` exported from here lazily."""


def __getattr__(name: str) -> Any:
    # PEP 562: the frames module (and pandas with it) is imported on first use only.
    if name in _FRAMES:
        from inferrer import frames

        return getattr(frames, name)
    raise AttributeError(f"module 'inferrer' has no attribute {name!r}")
