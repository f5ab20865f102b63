"""The Schema Registry: settings, a read-only client, and decoders of framed messages.

Only the sidecar's name is here: a command that reads capture files without a registry
and without sidecars asks for nothing more, and loads none of the rest.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

SCHEMAS_SUFFIX: Final = ".schemas.json"


def schemas_path(capture: str | os.PathLike[str]) -> Path:
    """The schema sidecar of a capture file (``x.jsonl`` → ``x.schemas.json``)."""
    p = Path(capture)
    stem = p.name[: -len(p.suffix)] if p.suffix else p.name
    return p.with_name(stem + SCHEMAS_SUFFIX)
