"""How many examples the property tests draw: every one of them in `make test`, a tenth
(at least 4, or all of them when fewer) in `make unit`'s quick loop, which sets
``INFERRER_QUICK_PROPERTIES=1``. A few slow oracle comparisons read :data:`QUICK`
themselves (fewer seeds, smaller corpora); `make test` runs them whole."""

from __future__ import annotations

import os

QUICK = os.environ.get("INFERRER_QUICK_PROPERTIES") == "1"


def examples(n: int) -> int:
    """``n`` examples, or a tenth of them (at least 4, or ``n`` when fewer) in the quick
    loop."""
    return max(min(n, 4), n // 10) if QUICK else n
