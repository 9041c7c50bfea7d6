"""Streaming a chunk of a predictions file through the engine into a :class:`CountTable`.

A chunk is read batch by batch (Parquet: ``iter_batches`` of only the needed columns; CSV: Arrow's
streaming reader over the chunk's byte range), each batch becomes a count table and is merged into the
running one, then dropped. Memory therefore depends on the batch size and the number of columns read,
never on the file size; Parquet batches are sized by bytes and group columns bounded (see
:mod:`~governance.fairness.reader.bounds`). Sensitive features arrive as Arrow dictionary arrays
(Parquet ``read_dictionary``, CSV ``dictionary<int32, string>`` column types), whose integer codes go to
the engine as :class:`PrefactorizedColumn` without creating a Python string per row.

Labels are turned into 0/1 here rather than by the engine, for two reasons: CSV labels are text while the
same Parquet labels are numbers (see :mod:`~governance.fairness.reader.labels`), and a text column is best
mapped through its few dictionary entries, not compared row by row. The "exactly two labels" rule spans
batches: the negative label seen so far is remembered, so a third label in a later batch is still caught.
"""

from __future__ import annotations

import io
import math
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final, TypeAlias

import numpy as np
import numpy.typing as npt

from governance.fairness.engine import CountTable, FairnessInputError, PrefactorizedColumn, build_count_table
from governance.fairness.reader.bounds import check_group_column, check_group_count, parquet_batch_rows
from governance.fairness.reader.chunks import ChunkSpec, plan_chunks, whole_file_chunk
from governance.fairness.reader.config import FairnessColumns, config_field
from governance.fairness.reader.files import arrow_errors, arrow_kind, inspect_file, validate_columns
from governance.fairness.reader.labels import Canonical, binary_lookup, canonical, describe, is_text

ProgressCallback: TypeAlias = Callable[[int], None]

DEFAULT_BATCH_ROWS: Final = 1 << 18
"""Parquet rows per batch: large enough that per-batch overhead is negligible (a few MB of arrays)."""
CSV_BLOCK_BYTES: Final = 4 << 20
"""Bytes of CSV text per streamed batch (Arrow's block size); tens of thousands of rows."""
PARQUET_BUFFER_BYTES: Final = 1 << 20
"""Read buffer per column, so that a huge row group is streamed rather than loaded column chunk at once."""
DEFAULT_WORKERS: Final = 4
"""Thread cap of :func:`count_file`: beyond a few threads, reading the file is the bottleneck."""
_ENGINE_ROLES: Final = ("y_true", "y_pred", "score", "sample_weight")


def count_chunk(
    path: str | os.PathLike[str],
    fmt: str | None,
    chunk: ChunkSpec,
    columns: FairnessColumns,
    progress_cb: ProgressCallback | None = None,
    *,
    batch_size: int = DEFAULT_BATCH_ROWS,
) -> CountTable:
    """Count one chunk; ``progress_cb(rows_done_in_this_chunk)`` is called after every batch.

    ``fmt`` must match the chunk's format (``None`` takes it from the chunk). The file must be unchanged
    since planning (its size is checked).

    The "exactly two labels" check covers this chunk only; :func:`count_file` checks the whole file.
    """
    counter = _ChunkCounter(columns)
    counter.run(os.fspath(path), fmt, chunk, batch_size, progress_cb)
    counter.check_labels()
    return counter.table()


def count_file(
    path: str | os.PathLike[str],
    fmt: str | None,
    columns: FairnessColumns,
    progress_cb: ProgressCallback | None = None,
    *,
    workers: int | None = None,
    target_rows: int | None = None,
    batch_size: int = DEFAULT_BATCH_ROWS,
) -> CountTable:
    """Inspect, validate and count a whole file; ``progress_cb(rows_done_in_the_file)`` after each batch.

    ``workers`` threads (default: the CPU count, at most :data:`DEFAULT_WORKERS`) count the chunks of
    :func:`plan_chunks` (``target_rows`` per chunk, by default four chunks per worker); Arrow and numpy
    release the GIL in their loops, so two threads are about 1.4x faster than one on two cores. Memory is
    then ``workers`` batches. Chunk tables are merged in file order, so the result does not depend on
    thread timing. The callback is never called concurrently, but may be called from a worker thread.
    """
    name = os.fspath(path)
    info = inspect_file(name, fmt)
    validate_columns(info, columns)
    if workers is None:
        workers = max(1, min(DEFAULT_WORKERS, os.cpu_count() or 1))
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise FairnessInputError("workers", f"must be a positive integer, got {workers!r}")
    if target_rows is None and workers == 1:
        chunks = [whole_file_chunk(info)]
    else:
        per_chunk = target_rows or max(1, math.ceil((info.total_rows or 1) / (4 * workers)))
        chunks = plan_chunks(info, per_chunk)
    done = [0] * len(chunks)
    lock = threading.Lock()

    def run(index: int) -> _ChunkCounter:
        def report(rows: int) -> None:
            with lock:
                done[index] = rows
                if progress_cb is not None:
                    progress_cb(sum(done))

        counter = _ChunkCounter(columns)
        counter.run(name, info.format, chunks[index], batch_size, report)
        return counter

    if workers == 1 or len(chunks) == 1:
        counters = [run(index) for index in range(len(chunks))]
    else:
        with ThreadPoolExecutor(max_workers=min(workers, len(chunks))) as pool:
            futures = [pool.submit(run, index) for index in range(len(chunks))]
            try:
                counters = [future.result() for future in futures]
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)  # a bad file: do not count the rest
                raise
    first = counters[0]
    for other in counters[1:]:
        first.absorb(other)
    first.check_labels()
    if first.rows == 0:
        raise FairnessInputError("file", "has no data rows")
    return first.table()


class _LabelColumn:
    """0/1 conversion of one label column, remembering across batches which negative label it holds."""

    def __init__(self, role: str, column: str, positive_label: object) -> None:
        self.role = role
        self.column = column
        self.positive_label = positive_label
        self.positive = canonical(positive_label)
        self.negatives: dict[Canonical, object] = {}
        self.positive_seen = False

    def convert(self, array: Any) -> npt.NDArray[Any]:
        """0/1 values of a batch (or, for numeric columns without positive label, the raw numbers)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        if array.null_count:
            raise FairnessInputError(
                self.column, f"{array.null_count} row(s) have no {self.role} label; labels cannot be missing"
            )
        kind = arrow_kind(array.type)
        if kind == "string" and not pa.types.is_dictionary(array.type):
            array = pc.dictionary_encode(array)
        if pa.types.is_dictionary(array.type):
            return self._from_dictionary(np.asarray(array.indices.to_numpy()), array.dictionary.to_pylist())
        if kind == "boolean":
            flags = np.asarray(array.to_numpy(zero_copy_only=False), dtype=bool)
            if self.positive is None:
                return flags.view(np.uint8)
            if is_text(self.positive) or self.positive not in (0.0, 1.0):
                raise self._positive_cannot_occur("booleans")
            return np.asarray(flags == (self.positive == 1)).view(np.uint8)
        if kind not in ("integer", "float", "decimal"):
            raise FairnessInputError(self.column, f"is the {self.role} column but holds {array.type}")
        if kind == "decimal":
            array = array.cast(pa.float64())
        values = np.asarray(array.to_numpy(zero_copy_only=False))
        if self.positive is None:
            return values  # the engine checks 0/1 in one vectorised pass
        if is_text(self.positive):
            raise self._positive_cannot_occur("numbers")
        positive = np.asarray(values == float(self.positive))
        others = values[~positive]
        self.positive_seen = self.positive_seen or others.size < values.size
        if others.size:
            low, high = others.min(), others.max()
            distinct = [low] if low == high else np.unique(others).tolist()
            for value in distinct:
                self._negative(canonical(value), value)
        return positive.view(np.uint8)

    def _from_dictionary(self, codes: npt.NDArray[Any], categories: list[object]) -> npt.NDArray[np.uint8]:
        lookup, invalid = binary_lookup(categories, self.positive)
        unseen: list[int] = []
        if self.positive is not None:  # without a positive label, 0/1 validity is the whole check
            negatives = [i for i in np.flatnonzero(lookup == 0).tolist() if i not in invalid]
            unseen = [i for i in negatives if canonical(categories[i]) not in self.negatives]
        positive_here = bool(lookup.any())
        if invalid or unseen:
            # Rare path: dictionaries may hold unused entries (e.g. a pandas Categorical's categories), so
            # only values some row of this batch actually has may count as labels.
            used = np.bincount(codes, minlength=len(categories)) > 0
            invalid = [i for i in invalid if used[i]]
            unseen = [i for i in unseen if used[i]]
            positive_here = bool((lookup.astype(bool) & used).any())
        self.positive_seen = self.positive_seen or positive_here
        for index in unseen:
            self._negative(canonical(categories[index]), categories[index])
        if invalid:
            bad = [categories[i] for i in invalid]
            if any(canonical(value) is None for value in bad):
                raise FairnessInputError(
                    self.column, f"has missing {self.role} labels; labels cannot be missing"
                )
            if self.positive is None and all(is_text(canonical(value)) for value in bad):
                raise FairnessInputError(
                    config_field("positive_label"),
                    f"is required: the {self.role} column {self.column!r} holds text labels "
                    f"({describe(bad)}); set positive_label to the label of the positive class",
                )
            raise FairnessInputError(
                self.column,
                f"is the {self.role} column and must hold 0/1 or true/false labels (or set positive_label), "
                f"found {describe(bad)}; multi-class labels are not supported",
            )
        return np.take(lookup, codes)

    def _negative(self, key: Canonical | None, example: object) -> None:
        if key is None:
            raise FairnessInputError(self.column, f"has missing {self.role} labels; labels cannot be missing")
        self.negatives.setdefault(key, example)
        self.check()

    def absorb(self, other: _LabelColumn) -> None:
        """Add what another chunk's converter saw (the file-wide two-label check)."""
        for key, example in other.negatives.items():
            self.negatives.setdefault(key, example)
        self.positive_seen = self.positive_seen or other.positive_seen

    def check(self) -> None:
        """Refuse a column holding more than one label besides the positive one."""
        if self.positive is None or len(self.negatives) < 2:
            return
        found = describe(list(self.negatives.values()))
        if not self.positive_seen:
            raise FairnessInputError(
                config_field("positive_label"),
                f"{self.positive_label!r} does not occur in the {self.role} column {self.column!r}, "
                f"which holds {found}",
            )
        raise FairnessInputError(
            self.column,
            f"is the {self.role} column and must hold exactly two labels; besides the positive label "
            f"{self.positive_label!r} it holds {found}; multi-class labels are not supported",
        )

    def _positive_cannot_occur(self, holds: str) -> FairnessInputError:
        return FairnessInputError(
            config_field("positive_label"),
            f"{self.positive_label!r} cannot occur in the {self.role} column {self.column!r}, "
            f"which holds {holds}",
        )


class _ChunkCounter:
    """Accumulates the count table of a stream of record batches."""

    def __init__(self, columns: FairnessColumns) -> None:
        self.columns = columns
        self.labels = {
            role: _LabelColumn(role, column, columns.positive_label)
            for role in ("y_true", "y_pred")
            if (column := getattr(columns, role)) is not None
        }
        self.rows = 0
        self._table: CountTable | None = None

    def run(
        self,
        path: str,
        fmt: str | None,
        chunk: ChunkSpec,
        batch_size: int,
        progress_cb: ProgressCallback | None,
    ) -> None:
        if fmt in (None, "auto"):
            fmt = chunk.format
        if fmt != chunk.format:
            raise FairnessInputError("format", f"is {fmt!r} but the chunk was planned for {chunk.format!r}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise FairnessInputError("batch_size", f"must be a positive integer, got {batch_size!r}")
        try:
            size = os.stat(path).st_size
        except FileNotFoundError as exc:
            raise FairnessInputError("file", f"not found: {path}") from exc
        if size != chunk.file_size:
            raise FairnessInputError("file", "changed since the chunks were planned; plan them again")
        _recycle_batch_temporaries(batch_size)
        batches = (
            _parquet_batches(path, chunk, self.columns, batch_size)
            if fmt == "parquet"
            else _csv_batches(path, chunk, self.columns)
        )
        for batch in batches:
            if batch.num_rows:
                self.add(batch)
                if progress_cb is not None:
                    progress_cb(self.rows)

    def add(self, batch: Any) -> None:
        """Count one record batch and merge it into the running table."""
        columns = self.columns
        y_true = self.labels["y_true"].convert(batch.column(columns.y_true))
        score = (
            None if columns.score is None else _numbers(batch.column(columns.score), columns.score, "score")
        )
        if columns.y_pred is not None:
            y_pred = self.labels["y_pred"].convert(batch.column(columns.y_pred))
        else:
            assert score is not None  # guaranteed by FairnessColumns
            y_pred = (score >= columns.prediction_threshold).view(np.uint8)
        weights = None
        if columns.sample_weight is not None:
            weights = _numbers(batch.column(columns.sample_weight), columns.sample_weight, "sample_weight")
        keys = {name: _key_values(name, batch.column(name)) for name in columns.sensitive_features}
        strata = (
            None
            if columns.strata is None
            else (columns.strata, _key_values(columns.strata, batch.column(columns.strata)))
        )
        table = _build(columns, y_true, y_pred, keys, weights, score, strata)
        self._table = table if self._table is None else self._table.merge(table)
        check_group_count(self._table.columns, len(self._table.keys))
        self.rows += batch.num_rows

    def absorb(self, other: _ChunkCounter) -> None:
        """Merge another (later) chunk's table and label observations into this one."""
        for role, label in self.labels.items():
            label.absorb(other.labels[role])
        if other._table is not None:
            self._table = other._table if self._table is None else self._table.merge(other._table)
        self.rows += other.rows

    def check_labels(self) -> None:
        for label in self.labels.values():
            label.check()

    def table(self) -> CountTable:
        """The merged table; an empty chunk gives a table without groups (it merges as a no-op)."""
        if self._table is not None:
            return self._table
        empty_codes = np.zeros(0, dtype=np.int32)
        empty = np.zeros(0, dtype=np.uint8)
        columns = self.columns
        return _build(
            columns,
            empty,
            empty,
            {name: PrefactorizedColumn(empty_codes, ()) for name in columns.sensitive_features},
            None if columns.sample_weight is None else np.zeros(0),
            None if columns.score is None else np.zeros(0),
            None if columns.strata is None else (columns.strata, PrefactorizedColumn(empty_codes, ())),
        )


def _recycle_batch_temporaries(batch_size: int) -> None:
    """Let glibc's malloc reuse the engine's per-batch temporaries instead of mapping fresh pages.

    glibc serves a block at or above its (dynamic) mmap threshold with a fresh ``mmap``, and returns it
    with ``munmap`` when freed; it raises the threshold to a freed mmapped block's size, but a block of
    exactly that size is still mapped. The engine's temporaries are the same size batch after batch
    (``batch_size`` int64/float64 values), so without this every batch page-faults in zeroed memory: about
    a third of a Parquet run was system time. Freeing one larger, untouched block raises the threshold
    above them once per process (up to glibc's 32 MiB cap); other allocators ignore it, and memory stays
    bounded (glibc trims its heap beyond twice the threshold).
    """
    size = min(16 * batch_size + (1 << 20), 32 << 20)
    block = np.empty(size, dtype=np.uint8)  # never touched: costs one mmap/munmap, not memory
    del block


def _build(
    columns: FairnessColumns,
    y_true: npt.NDArray[Any],
    y_pred: npt.NDArray[Any],
    keys: dict[str, object],
    weights: npt.NDArray[Any] | None,
    score: npt.NDArray[Any] | None,
    strata: tuple[str, object] | None,
) -> CountTable:
    """The engine call, with its errors re-attributed from argument names to file columns."""
    try:
        return build_count_table(
            y_true=y_true,
            y_pred=y_pred,
            sensitive_features=keys,
            sample_weight=weights,
            score=score,
            strata=strata,
            positive_label=None,
            on_missing=columns.on_missing,
            score_bins=columns.score_bins,
        )
    except FairnessInputError as exc:
        if exc.field in _ENGINE_ROLES:
            column: str = getattr(columns, exc.field) or columns.score or exc.field
            raise FairnessInputError(column, f"({exc.field} column) {exc.message}") from exc
        if exc.field in ("score_bins", "on_missing"):
            raise FairnessInputError(config_field(exc.field), exc.message) from exc
        raise


def _key_values(column: str, array: Any) -> object:
    """Codes and categories of a dictionary column (no per-row Python work); other arrays as they are.

    Long or too many values are refused first (:mod:`~governance.fairness.reader.bounds`), before the
    dictionary becomes Python strings.
    """
    import pyarrow as pa

    check_group_column(column, array)
    if not pa.types.is_dictionary(array.type):
        return array  # the engine dictionary-encodes Arrow arrays itself
    categories = array.dictionary.to_pylist()
    if len(set(categories)) != len(categories):  # legal in Arrow; the engine needs distinct categories
        array = array.dictionary_decode().dictionary_encode()
        categories = array.dictionary.to_pylist()
    indices = array.indices
    codes = indices.fill_null(-1) if indices.null_count else indices
    return PrefactorizedColumn(np.asarray(codes.to_numpy()), categories)


def _numbers(array: Any, column: str, role: str) -> npt.NDArray[Any]:
    """A score or weight batch as numbers; the engine then checks the range."""
    import pyarrow as pa

    if array.null_count:
        raise FairnessInputError(column, f"{array.null_count} row(s) have no {role} value")
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    if pa.types.is_decimal(array.type):
        array = array.cast(pa.float64())
    return np.asarray(array.to_numpy(zero_copy_only=False))


def _parquet_batches(path: str, chunk: ChunkSpec, columns: FairnessColumns, batch_size: int) -> Iterator[Any]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    what = "is not a readable Parquet file (truncated or corrupt?)"
    with arrow_errors(what):
        footer = pq.ParquetFile(path)
        schema = footer.schema_arrow
        _check_names(tuple(schema.names), columns)
        text = [
            name
            for name in columns.needed
            if arrow_kind(schema.field(name).type) == "string"
            and not pa.types.is_dictionary(schema.field(name).type)
        ]
        groups = footer.metadata.num_row_groups
        if any(not 0 <= group < groups for group in chunk.row_groups):
            raise FairnessInputError("chunk", f"names row groups outside the file's {groups}; plan again")
        if not chunk.row_groups:
            return
        batch_size = parquet_batch_rows(footer.metadata, chunk.row_groups, columns.needed, batch_size)
        parquet = pq.ParquetFile(
            path,
            metadata=footer.metadata,
            read_dictionary=text,
            buffer_size=PARQUET_BUFFER_BYTES,
            pre_buffer=False,
        )
        batches = parquet.iter_batches(
            batch_size=batch_size,
            row_groups=list(chunk.row_groups),
            columns=list(columns.needed),
            use_threads=True,
        )
    while True:
        with arrow_errors(what):
            batch = next(batches, None)
        if batch is None:
            return
        yield batch


def _csv_batches(path: str, chunk: ChunkSpec, columns: FairnessColumns) -> Iterator[Any]:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    names = chunk.column_names
    _check_names(names, columns)
    if chunk.end <= chunk.start:
        return
    text_type = pa.dictionary(pa.int32(), pa.string())
    numeric = {columns.score, columns.sample_weight}
    types = {name: pa.float64() if name in numeric else text_type for name in columns.needed}
    with arrow_errors("cannot be read"):
        source = _ByteRange(path, chunk.start, chunk.end)
    try:
        with arrow_errors("is not a valid CSV file", names):
            reader = pcsv.open_csv(
                source,
                read_options=pcsv.ReadOptions(column_names=list(names), block_size=CSV_BLOCK_BYTES),
                parse_options=pcsv.ParseOptions(newlines_in_values=True),
                convert_options=pcsv.ConvertOptions(
                    include_columns=list(columns.needed), column_types=types, strings_can_be_null=True
                ),
            )
        while True:
            with arrow_errors("is not a valid CSV file", names):
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    return
            yield batch
    finally:
        source.close()


def _check_names(names: tuple[str, ...], columns: FairnessColumns) -> None:
    for role, column in columns.column_roles():
        if names.count(column) != 1:
            setting = "sensitive_features" if role.startswith("sensitive_features") else role
            problem = "is not in the file" if column not in names else "appears more than once in the file"
            raise FairnessInputError(config_field(setting), f"column {column!r} {problem}")


class _ByteRange(io.RawIOBase):
    """A read-only file object over ``[start, end)`` of a file, for Arrow's streaming CSV reader."""

    def __init__(self, path: str, start: int, end: int) -> None:
        super().__init__()
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close(), the reader streams from it
        self._file.seek(start)
        self._left = end - start

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = min(len(buffer), self._left)
        if size <= 0:
            return 0
        read = self._file.readinto(memoryview(buffer)[:size])
        self._left -= read or 0
        return read or 0

    def close(self) -> None:
        file = getattr(self, "_file", None)  # absent if open() failed in __init__
        if file is not None:
            file.close()
        super().close()
