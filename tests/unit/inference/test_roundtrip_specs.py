"""Hand-written AsyncAPI documents → generated traffic → the inferred document matches.

The specs are in ``tests/roundtrip/`` (``python -m tests.roundtrip.run`` prints the
figures). With default options the inferred document is at most 1.5× the lines of the
hand-written one (both printed by the same writer), its messages have the names a person
gave them, what the spec shares by ``$ref`` is shared, and ``required`` matches.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.roundtrip.run import SPECS, score


@pytest.mark.parametrize("spec", SPECS, ids=[s.stem for s in SPECS])
def test_the_inferred_document_is_close_to_the_hand_written_one(spec: Path, tmp_path: Path) -> None:
    result = score(spec, tmp_path)
    assert result.ratio <= 1.5, result
    assert result.names_match, result
    assert all(result.shared.values()), result
    assert result.required_accuracy >= 0.98, result
