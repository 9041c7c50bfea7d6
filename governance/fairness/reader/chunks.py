"""Splitting a file into independent chunks that separate workers count in parallel.

Parquet splits at row-group boundaries: a chunk is a run of consecutive row groups holding at least
``target_rows`` rows, so its row count is exact and a worker reads only its own column chunks.

CSV splits into byte ranges whose boundaries are moved, at planning time, to the start of the next record:
the record that straddles a nominal boundary belongs to the chunk where it starts. Every chunk starts just
past a newline, is read without a header (the header's column names travel in the :class:`ChunkSpec`) and
ends where the next one starts, so the ranges cover every data row exactly once.

The danger is a newline inside a quoted value, which looks like a record end. Before splitting, the
planner scans the data once (bounded memory, about 1 GB/s): a newline ends a record exactly when an even
number of quote characters precede it, since RFC 4180 quotes whole fields and doubles quotes inside them.
If any physical line holds an odd number of quotes, some value spans lines (or the file uses quotes in a
non-RFC way, like ``5'11"`` unquoted) and the file is planned as a single chunk: Arrow's parser (always run
with ``newlines_in_values``) then reads it correctly, only not in parallel. Files without any quote
character cost just a newline count. Files with no ``\\n`` at all (old Mac ``\\r`` endings) stay one chunk.

The one case this cannot catch is a line with a stray non-RFC quote *and* a quoted value spanning lines,
whose quote counts even out; Arrow would then most likely report a column-count error for the chunk.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Final

import numpy as np

from governance.fairness.engine import FairnessInputError
from governance.fairness.reader.files import NEWLINE, QUOTE, FileFormat, FileInfo

DEFAULT_CHUNK_ROWS: Final = 5_000_000
"""Rows per worker chunk: ~0.2 s of Parquet or ~2 s of CSV work, so 100M rows make 20 tasks."""
SCAN_BLOCK_BYTES: Final = 8 << 20
"""Read size of the CSV quote scan, which holds one block in memory at a time."""
_DROP_ALL_BUT_QUOTES_AND_NEWLINES: Final = bytes(byte for byte in range(256) if byte not in (QUOTE, NEWLINE))


@dataclass(frozen=True)
class ChunkSpec:
    """One independent piece of work: row groups of a Parquet file, or a byte range of a CSV file.

    ``rows`` is exact for Parquet and for CSV chunks whose lines were counted by the quote scan (blank
    lines, which Arrow skips, make it an over-estimate); it is ``None`` when unknown. ``file_size`` lets a
    worker notice that the file changed since planning, which would make the ranges meaningless.
    """

    index: int
    format: FileFormat
    file_size: int
    rows: int | None
    row_groups: tuple[int, ...] = ()
    start: int = 0
    end: int = 0
    column_names: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON form, for a Celery task's arguments."""
        return {
            "index": self.index,
            "format": self.format,
            "file_size": self.file_size,
            "rows": self.rows,
            "row_groups": list(self.row_groups),
            "start": self.start,
            "end": self.end,
            "column_names": list(self.column_names),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChunkSpec:
        """Inverse of :meth:`to_dict`."""
        try:
            fmt = data["format"]
            if fmt not in ("csv", "parquet"):
                raise FairnessInputError("chunk.format", f"must be 'csv' or 'parquet', got {fmt!r}")
            return cls(
                index=int(data["index"]),
                format=fmt,
                file_size=int(data["file_size"]),
                rows=None if data["rows"] is None else int(data["rows"]),
                row_groups=tuple(int(group) for group in data["row_groups"]),
                start=int(data["start"]),
                end=int(data["end"]),
                column_names=tuple(str(name) for name in data["column_names"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, FairnessInputError):
                raise
            raise FairnessInputError("chunk", f"is not a valid chunk specification: {exc!r}") from exc


def plan_chunks(info: FileInfo, target_rows: int = DEFAULT_CHUNK_ROWS) -> list[ChunkSpec]:
    """Chunks of about ``target_rows`` rows covering the whole file exactly once, in file order."""
    if isinstance(target_rows, bool) or not isinstance(target_rows, int) or target_rows < 1:
        raise FairnessInputError("target_rows", f"must be a positive integer, got {target_rows!r}")
    if info.format == "parquet":
        return _plan_parquet(info, target_rows)
    return _plan_csv(info, target_rows)


def whole_file_chunk(info: FileInfo) -> ChunkSpec:
    """The single chunk of the whole file (no scan needed: Arrow's own parser handles quoted newlines)."""
    if info.format == "parquet":
        return ChunkSpec(
            0, "parquet", info.size, info.total_rows, row_groups=tuple(range(len(info.row_group_rows)))
        )
    return ChunkSpec(
        0,
        "csv",
        info.size,
        info.total_rows if info.rows_exact else None,
        start=info.data_start,
        end=info.size,
        column_names=info.columns,
    )


def _plan_parquet(info: FileInfo, target_rows: int) -> list[ChunkSpec]:
    chunks: list[ChunkSpec] = []
    groups: list[int] = []
    rows = 0
    for group, group_rows in enumerate(info.row_group_rows):
        groups.append(group)
        rows += group_rows
        if rows >= target_rows:
            chunks.append(ChunkSpec(len(chunks), "parquet", info.size, rows, row_groups=tuple(groups)))
            groups, rows = [], 0
    if groups:
        if chunks and rows == 0:  # trailing empty row groups: fold them into the last chunk
            last = chunks.pop()
            chunks.append(
                ChunkSpec(last.index, "parquet", info.size, last.rows, last.row_groups + tuple(groups))
            )
        else:
            chunks.append(ChunkSpec(len(chunks), "parquet", info.size, rows, row_groups=tuple(groups)))
    return chunks


def _plan_csv(info: FileInfo, target_rows: int) -> list[ChunkSpec]:
    data_bytes = info.size - info.data_start
    if not info.total_rows or (info.rows_exact and info.total_rows <= target_rows):
        return [whole_file_chunk(info)]
    bytes_per_row = data_bytes / info.total_rows
    target_bytes = max(1, int(target_rows * bytes_per_row))
    if data_bytes <= target_bytes:
        return [whole_file_chunk(info)]
    with open(info.path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size != info.size:
            raise FairnessInputError("file", "changed since it was inspected; inspect it again")
        boundaries = [info.data_start]
        nominal = info.data_start + target_bytes
        while nominal < info.size:
            start = _next_line_start(handle, nominal, info.size)
            if start >= info.size:
                break
            if start > boundaries[-1]:
                boundaries.append(start)
            nominal = start + target_bytes
        boundaries.append(info.size)
        ranges = list(itertools.pairwise(boundaries))
        if len(ranges) == 1:  # e.g. no "\n" after the first boundary (lines end in "\r" only)
            return [whole_file_chunk(info)]
        counts: list[int] = []
        for start, end in ranges:
            lines, split_safe = _scan_range(handle, start, end)
            if not split_safe:
                return [whole_file_chunk(info)]
            counts.append(lines)
    return [
        ChunkSpec(index, "csv", info.size, rows, start=start, end=end, column_names=info.columns)
        for index, ((start, end), rows) in enumerate(zip(ranges, counts, strict=True))
    ]


def _next_line_start(handle: BinaryIO, offset: int, size: int) -> int:
    """Smallest position >= ``offset`` that starts a line (just past a ``\\n``), or ``size`` if none."""
    handle.seek(offset - 1)
    position = offset - 1
    while position < size:
        window = handle.read(64 << 10)
        if not window:
            break
        found = window.find(b"\n")
        if found >= 0:
            return position + found + 1
        position += len(window)
    return size


def _scan_range(handle: BinaryIO, start: int, end: int) -> tuple[int, bool]:
    """Number of lines in ``[start, end)`` and whether every line has an even number of quotes.

    ``start`` is a line start and ``end`` a line start or the end of the file, so lines never straddle
    ranges. A block without quotes is only counted; one with quotes is reduced to its quote and newline
    bytes (``bytes.translate``, C speed), in which each line's quote count is a gap between newlines.
    Only the parity of the quotes on the current unfinished line is carried from block to block.
    """
    handle.seek(start)
    remaining = end - start
    lines = 0
    odd = 0  # parity of the quotes seen so far on the current line
    last = b"\n"
    while remaining > 0:
        block = handle.read(min(SCAN_BLOCK_BYTES, remaining))
        if not block:
            raise FairnessInputError("file", "changed since it was inspected; inspect it again")
        remaining -= len(block)
        last = block[-1:]
        if b'"' in block:
            reduced = block.translate(None, _DROP_ALL_BUT_QUOTES_AND_NEWLINES)
            lines += reduced.count(b"\n")
            odd = _line_parity(reduced, odd)
        else:
            newlines = block.count(b"\n")
            if newlines and odd:
                return lines, False
            lines += newlines
        if odd < 0:
            return lines, False
    if last != b"\n":
        lines += 1  # the file's last line, without a trailing newline
    return lines, odd == 0


def _line_parity(reduced: bytes, odd: int) -> int:
    """Quote parity of the unfinished last line of ``reduced`` (quotes and newlines only), or -1 if a
    finished line has an odd number of quotes; ``odd`` is the parity carried over from before."""
    array = np.frombuffer(reduced, dtype=np.uint8)
    newlines = np.flatnonzero(array == NEWLINE)
    if not newlines.size:
        return (odd + array.size) & 1
    quotes_per_line = np.diff(newlines, prepend=-1) - 1
    quotes_per_line[0] += odd
    if bool((quotes_per_line & 1).any()):
        return -1
    return (array.size - int(newlines[-1]) - 1) & 1
