"""JSON Schema (Draft 7) validity checks, compiled first and ``jsonschema`` when it must.

``jsonschema`` is the validator whose verdicts and error messages the product reports.
It is also slow to import (its dependencies take about a tenth of a second of every
command's start-up) and slow to run, so the compiled ``jsonschema_rs`` answers first:
it may only ever be stricter than ``jsonschema``, never looser (formats are not
asserted by either; ``tests/unit/drift/test_drift_core.py`` holds it to that on
generated schemas and values). What it accepts is valid; what it rejects is asked
again of ``jsonschema``, which is then imported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def fast_validator(schema: Mapping[str, Any]) -> Any:
    """A compiled (Rust) Draft 7 validator of ``schema`` that says whether a value is
    valid; None when the schema names its own draft or does not compile there."""
    if "$schema" in schema:
        return None
    import jsonschema_rs

    try:
        return jsonschema_rs.Draft7Validator(dict(schema), validate_formats=False, offline=True)
    except Exception:  # any schema it cannot take: jsonschema alone validates
        return None


def valid_values(schema: Mapping[str, Any], values: Iterable[Any]) -> list[Any]:
    """The values that are valid against ``schema`` by ``jsonschema``'s Draft 7
    verdict, in their order."""
    fast = fast_validator(schema)
    slow: Any = None
    kept = []
    for value in values:
        if fast is not None and fast.is_valid(value):
            kept.append(value)
            continue
        if slow is None:
            import jsonschema

            slow = jsonschema.Draft7Validator(schema)
        if slow.is_valid(value):
            kept.append(value)
    return kept
