"""The compiled helpers (``inferrer/_columns.c``), when built and not switched off.

``make setup`` (``pip install -e .``) builds the extension with the machine's C
compiler. Every compiled function has a Python reference that gives the same result
(the tests compare them); set ``INFERRER_PURE_PYTHON=1`` to use only the references.
"""

from __future__ import annotations

import os
from types import ModuleType


def _load() -> ModuleType | None:
    if os.environ.get("INFERRER_PURE_PYTHON", "") not in ("", "0"):
        return None
    try:
        from inferrer import _columns
    except ImportError:
        return None
    return _columns


columns = _load()
"""The ``inferrer._columns`` module, or None."""
