"""Memory bounds of the counting job that hold by bytes, not by rows.

A batch of a fixed number of rows is small for a file of short labels and huge for one whose sensitive
column holds long distinct strings: a 5 MB Parquet file (zstd, no dictionary) of 524,288 distinct ~4 KB
strings decompresses to 2 GB, and took a worker to 4.9 GiB. So Parquet batches are sized from the
column chunks' uncompressed sizes (:func:`parquet_batch_rows`), and a group column (sensitive feature or
strata) whose values are long or too many is refused with an error naming the column
(:func:`check_group_column`), before its values become Python strings. A group is a category people
belong to (sex, age band, region), never an identifier: a few hundred bytes and a few thousand groups
are far beyond any real use.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from governance.fairness.engine import FairnessInputError

BATCH_BYTES: Final = 32 << 20
"""Uncompressed bytes of the needed columns per Parquet batch (at most ``batch_size`` rows)."""
MAX_GROUP_VALUE_BYTES: Final = 256
"""Longest value (UTF-8 bytes) a sensitive-feature or strata column may hold."""
MAX_GROUPS: Final = 10_000
"""Most distinct values of one group column, and most groups (value combinations) of a count table."""


def parquet_batch_rows(
    metadata: Any, row_groups: Iterable[int], columns: Iterable[str], batch_size: int
) -> int:
    """Rows per batch so that a batch of the needed columns holds about :data:`BATCH_BYTES` uncompressed.

    The densest row group decides (the Parquet footer gives every column chunk's uncompressed size), so no
    batch of the chunk exceeds the budget by much whatever its strings' lengths.
    """
    wanted = set(columns)
    densest = 0.0
    for index in row_groups:
        group = metadata.row_group(index)
        if group.num_rows <= 0:
            continue
        size = sum(
            group.column(c).total_uncompressed_size
            for c in range(group.num_columns)
            if group.column(c).path_in_schema in wanted
        )
        densest = max(densest, size / group.num_rows)
    if densest <= 0:
        return batch_size
    return max(1, min(batch_size, int(BATCH_BYTES // densest)))


def check_group_column(column: str, values: Any) -> None:
    """Refuse a group column (an Arrow array, or a dictionary array's dictionary) with long or many values."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(values.type):
        values = values.dictionary
    kind = values.type
    if (
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_binary(kind)
        or (pa.types.is_large_binary(kind))
    ):
        longest = pc.max(pc.binary_length(values)).as_py() or 0
        if longest > MAX_GROUP_VALUE_BYTES:
            raise FairnessInputError(
                column,
                f"holds a value of {longest} bytes; a sensitive-feature or strata value may have at most "
                f"{MAX_GROUP_VALUE_BYTES} bytes (is this column an identifier rather than a group?)",
            )
    distinct = len(values) if values is not None else 0
    if distinct > MAX_GROUPS:
        distinct = pc.count_distinct(values).as_py()
    if distinct > MAX_GROUPS:
        raise FairnessInputError(column, too_many_groups(f"holds {distinct} distinct values"))


def check_group_count(columns: tuple[str, ...], groups: int) -> None:
    """Refuse a count table with more groups (combinations of the group columns' values) than allowed."""
    if groups > MAX_GROUPS:
        field = columns[0] if len(columns) == 1 else "config.sensitive_features"
        names = ", ".join(repr(c) for c in columns)
        raise FairnessInputError(field, too_many_groups(f"columns {names} form {groups} groups"))


def too_many_groups(what: str) -> str:
    return (
        f"{what}; at most {MAX_GROUPS} groups are supported (is this column an identifier rather than a "
        "group?)"
    )
