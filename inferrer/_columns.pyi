"""Type stubs of the compiled passes (inferrer/_columns.c)."""

from collections.abc import Callable
from typing import Any

FACT_TOO_DEEP: int
FACT_DUPLICATE_KEYS: int
FACT_BIG_INT: int
FACT_NOT_OBJECT: int
FACT_NAMES_SHIFT: int

def configure(
    field_node: type,
    add_distinct_many: Callable[[Any, str, list[Any]], None],
    map_class: Callable[[dict[str, Any]], str | None],
    match_formats_all: Callable[[list[str], int], int],
    formats: tuple[str, ...],
    distinct_bound: int,
    sketch_size: int,
    record: type,
) -> None: ...
def values_size(records: list[Any]) -> int: ...
def record_columns(
    records: list[Any],
) -> (
    tuple[
        list[bytes],
        list[bytes | None],
        list[int],
        list[int],
        list[int | None],
        list[int],
        list[int],
    ]
    | None
): ...
def process_column(col: list[Any], node: Any, ids: list[int] | None) -> dict[str, Any]: ...
def json_facts(
    raws: list[bytes], values: list[Any], max_depth: int, names: tuple[str, ...]
) -> int: ...
def member_values(objects: list[dict[str, Any]], name: str) -> list[Any]: ...

class RawBatch:
    """A chunk of JSON texts tokenized by raw_scan (opaque)."""

def raw_scan(
    raws: list[bytes], max_depth: int, names: tuple[str, ...]
) -> tuple[RawBatch, int] | None: ...
def raw_member_values(batch: RawBatch, name: str) -> list[Any]: ...
def raw_fold(batch: RawBatch, positions: list[int] | None, root: Any) -> dict[str, Any]: ...
def crc32(data: bytes, seed: int = 0) -> int: ...
def format_mask(values: list[str], mask: int) -> int: ...
