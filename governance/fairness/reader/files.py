"""Cheap checks of an uploaded predictions file, run by the API before a job is queued.

:func:`inspect_file` reads only the Parquet footer, or the first MiB of a CSV file, so it answers in
milliseconds whatever the file size; :func:`validate_columns` then compares the file with the column
configuration. Together they turn most mistakes (wrong format, missing column, a text score column, text
labels without a positive label) into an immediate, field-named :class:`FairnessInputError` instead of a
failed background job. They cannot see everything: a CSV value further down the file may still fail to
parse, which the counting job reports the same way.

Every error pyarrow raises is wrapped, so callers only ever handle :class:`FairnessInputError`.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeAlias

import numpy as np

from governance.fairness.engine import FairnessInputError
from governance.fairness.reader.config import FairnessColumns, config_field
from governance.fairness.reader.labels import canonical, is_text

FileFormat: TypeAlias = Literal["csv", "parquet"]
ColumnKind: TypeAlias = Literal[
    "boolean", "integer", "float", "decimal", "string", "temporal", "null", "other"
]

PARQUET_MAGIC: Final = b"PAR1"
CSV_SAMPLE_BYTES: Final = 1 << 20
"""How much of a CSV file :func:`inspect_file` reads: the header plus enough rows to infer types."""
_COMPRESSED_MAGIC: Final = {
    b"\x1f\x8b": "gzip",
    b"PK\x03\x04": "zip",
    b"BZh": "bzip2",
    b"\x28\xb5\x2f\xfd": "zstd",
    b"\xfd7zXZ\x00": "xz",
}
_NUMERIC: Final = frozenset({"integer", "float", "decimal", "null"})
_LABEL_KINDS: Final = frozenset({"boolean", "integer", "float", "string", "null"})
_SHOWN_COLUMNS: Final = 20
QUOTE: Final = 0x22
NEWLINE: Final = 0x0A
CARRIAGE_RETURN: Final = 0x0D


@dataclass(frozen=True)
class FileInfo:
    """What :func:`inspect_file` learnt about a file without reading its data.

    ``kinds`` classifies each column's type (for CSV: as inferred from the first rows, so ``"null"`` when
    those rows are all empty). ``total_rows`` is exact for Parquet (footer metadata) and for CSV files that
    fit in the sample; otherwise it is an estimate from the file size, good enough for a progress bar.
    ``data_start`` is the byte offset of the first CSV data row (just past the header line).
    """

    path: str
    format: FileFormat
    size: int
    columns: tuple[str, ...]
    types: Mapping[str, str]
    kinds: Mapping[str, ColumnKind]
    total_rows: int | None
    rows_exact: bool
    data_start: int = 0
    row_group_rows: tuple[int, ...] = field(default=())


def inspect_file(path: str | os.PathLike[str], fmt: str | None = None) -> FileInfo:
    """Detect the format (Parquet by its ``PAR1`` magic bytes, else CSV) and read the schema only.

    ``fmt`` (``"csv"``, ``"parquet"``, or ``None``/``"auto"`` to detect) is checked against the content,
    so a mislabelled upload is refused with ``field="format"`` rather than misread.
    """
    name = os.fspath(path)
    if fmt not in (None, "auto", "csv", "parquet"):
        raise FairnessInputError("format", f"must be 'csv', 'parquet' or 'auto', got {fmt!r}")
    try:
        size = os.stat(name).st_size
        with open(name, "rb") as handle:
            head = handle.read(CSV_SAMPLE_BYTES)
    except FileNotFoundError as exc:
        raise FairnessInputError("file", f"not found: {name}") from exc
    except IsADirectoryError as exc:
        raise FairnessInputError("file", f"is a directory, not a file: {name}") from exc
    except OSError as exc:
        raise FairnessInputError("file", f"cannot be read: {exc}") from exc
    if size == 0:
        raise FairnessInputError("file", "is empty")
    detected: FileFormat = "parquet" if head.startswith(PARQUET_MAGIC) else "csv"
    if fmt == "csv" and detected == "parquet":
        raise FairnessInputError("format", "is 'csv' but the file is Parquet (it starts with PAR1)")
    if fmt == "parquet" and detected == "csv":
        raise FairnessInputError(
            "format", "is 'parquet' but the file does not start with Parquet's PAR1 bytes"
        )
    if detected == "parquet":
        return _inspect_parquet(name, size)
    return _inspect_csv(name, size, head)


def column_errors(info: FileInfo, columns: FairnessColumns) -> list[FairnessInputError]:
    """Every way the file cannot satisfy the configuration, each naming the setting at fault.

    Errors point at the configuration (``config.score``, ``config.sensitive_features[1]``), which is what
    the user edits, and the message names the column: ``column 'prob' ... must be numeric``.
    """
    return [
        FairnessInputError(problem.setting, problem.message) for problem in _column_problems(info, columns)
    ]


def validate_columns(info: FileInfo, columns: FairnessColumns) -> None:
    """Refuse a configuration the file cannot satisfy (the first problem of :func:`column_errors`).

    A column missing from the file is reported against its setting (``config.y_true``,
    ``config.sensitive_features``...); a column of the wrong type against the column's own name, as the
    counting job reports a bad value further down the file.
    """
    problems = _column_problems(info, columns)
    if problems:
        raise FairnessInputError(problems[0].field, problems[0].message)


@dataclass(frozen=True)
class _ColumnProblem:
    setting: str  # the configuration path, e.g. config.sensitive_features[1]
    field: str  # what validate_columns names: the setting, or the column when its contents are at fault
    message: str


def _column_problems(info: FileInfo, columns: FairnessColumns) -> list[_ColumnProblem]:
    problems: list[_ColumnProblem] = []
    present = set(info.columns)
    for role, column in columns.column_roles():
        setting = config_field(role)
        named = config_field("sensitive_features" if role.startswith("sensitive_features") else role)
        if column not in present:
            shown = list(info.columns[:_SHOWN_COLUMNS]) + (
                ["..."] if len(info.columns) > _SHOWN_COLUMNS else []
            )
            message = f"column {column!r} is not in the file; its columns are {shown}"
            problems.append(_ColumnProblem(setting, named, message))
            continue
        copies = info.columns.count(column)
        if copies > 1:
            message = f"column {column!r} appears {copies} times in the file; column names must be unique"
            problems.append(_ColumnProblem(setting, column, message))
            continue
        kind = info.kinds[column]
        inferred = " (inferred from the first rows)" if info.format == "csv" else ""
        found = f"{info.types[column]}{inferred}"
        if role in ("score", "sample_weight") and kind not in _NUMERIC:
            message = f"column {column!r} is the {role} column and must be numeric, but holds {found}"
            problems.append(_ColumnProblem(setting, column, message))
        elif role in ("y_true", "y_pred"):
            problems.extend(_label_column_problems(column, role, kind, found, columns))
        elif kind == "other":
            message = f"column {column!r} has type {found}, which cannot be used as a {role} column"
            problems.append(_ColumnProblem(setting, column, message))
    return problems


def _label_column_problems(
    column: str, role: str, kind: ColumnKind, found: str, columns: FairnessColumns
) -> list[_ColumnProblem]:
    if kind not in _LABEL_KINDS:
        message = f"column {column!r} is the {role} column and must hold labels, but holds {found}"
        return [_ColumnProblem(config_field(role), column, message)]
    positive = canonical(columns.positive_label)
    setting = config_field("positive_label")
    if kind == "string" and positive is None:
        message = (
            f"is required: the {role} column {column!r} holds text labels ({found}); "
            "set positive_label to the label of the positive class"
        )
        return [_ColumnProblem(setting, setting, message)]
    if kind in ("boolean", "integer", "float") and is_text(positive):
        message = (
            f"{columns.positive_label!r} cannot occur in the {role} column {column!r}, which holds {found}"
        )
        return [_ColumnProblem(setting, setting, message)]
    return []


def arrow_kind(arrow_type: Any) -> ColumnKind:
    """Classify an Arrow type (a dictionary type by its value type)."""
    import pyarrow as pa

    types = pa.types
    if types.is_dictionary(arrow_type):
        arrow_type = arrow_type.value_type
    if types.is_boolean(arrow_type):
        return "boolean"
    if types.is_integer(arrow_type):
        return "integer"
    if types.is_floating(arrow_type):
        return "float"
    if types.is_decimal(arrow_type):
        return "decimal"
    if types.is_string(arrow_type) or types.is_large_string(arrow_type) or types.is_string_view(arrow_type):
        return "string"
    if types.is_binary(arrow_type) or types.is_large_binary(arrow_type):
        return "string"  # Parquet text without the UTF8 annotation (older writers); decoded as UTF-8
    if types.is_temporal(arrow_type):
        return "temporal"
    if types.is_null(arrow_type):
        return "null"
    return "other"


@contextmanager
def arrow_errors(what: str, csv_columns: tuple[str, ...] = ()) -> Iterator[None]:
    """Turn pyarrow (and I/O) errors into :class:`FairnessInputError`.

    CSV conversion errors name the column by position ("In CSV column #3: ..."); with ``csv_columns`` the
    error is attributed to that column's name, so the user learns which column holds the bad value.
    """
    import pyarrow as pa

    try:
        yield
    except FairnessInputError:
        raise
    except FileNotFoundError as exc:
        raise FairnessInputError("file", f"not found: {exc.filename or exc}") from exc
    except (pa.ArrowException, OSError) as exc:
        message = str(exc).strip()
        marker = "In CSV column #"
        if csv_columns and message.startswith(marker):
            digits = message[len(marker) :].split(":", 1)[0]
            if digits.isdigit() and int(digits) < len(csv_columns):
                raise FairnessInputError(csv_columns[int(digits)], f"cannot be read: {message}") from exc
        raise FairnessInputError("file", f"{what}: {message}") from exc


def _inspect_parquet(path: str, size: int) -> FileInfo:
    import pyarrow.parquet as pq

    with open(path, "rb") as handle:
        handle.seek(max(0, size - len(PARQUET_MAGIC)))
        tail = handle.read()
    if size < 2 * len(PARQUET_MAGIC) + 4 or tail != PARQUET_MAGIC:
        raise FairnessInputError(
            "file", "is a truncated Parquet file (the footer's PAR1 magic bytes are missing)"
        )
    with arrow_errors("is not a readable Parquet file (truncated or corrupt?)"):
        parquet = pq.ParquetFile(path)
        metadata = parquet.metadata
        schema = parquet.schema_arrow
        row_groups = tuple(metadata.row_group(index).num_rows for index in range(metadata.num_row_groups))
    if metadata.num_rows == 0:
        raise FairnessInputError("file", "has no data rows")
    names = tuple(schema.names)
    return FileInfo(
        path=path,
        format="parquet",
        size=size,
        columns=names,
        types={f.name: str(f.type) for f in schema},
        kinds={f.name: arrow_kind(f.type) for f in schema},
        total_rows=int(metadata.num_rows),
        rows_exact=True,
        row_group_rows=row_groups,
    )


def _inspect_csv(path: str, size: int, head: bytes) -> FileInfo:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    for magic, name in _COMPRESSED_MAGIC.items():
        if head.startswith(magic):
            raise FairnessInputError("file", f"is {name}-compressed; upload the uncompressed CSV, or Parquet")
    complete = len(head) == size
    if b"\x00" in head:
        raise FairnessInputError("file", "is neither Parquet nor CSV text (it contains binary data)")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
    except UnicodeDecodeError as exc:
        raise FairnessInputError(
            "file", f"is not UTF-8 text (invalid byte at offset {exc.start}); save the CSV as UTF-8"
        ) from exc
    ends = record_ends(head)
    if not ends.size:
        if complete:
            raise FairnessInputError("file", "has a header line but no data rows")
        raise FairnessInputError(
            "file", f"has no line break in its first {len(head)} bytes; is it a CSV file?"
        )
    data_start = int(ends[0])
    sample = head if complete else head[: int(ends[-1])]
    options = pcsv.ConvertOptions(strings_can_be_null=True)
    with arrow_errors("is not a valid CSV file"):
        table = pcsv.read_csv(
            pa.py_buffer(sample),
            parse_options=pcsv.ParseOptions(newlines_in_values=True),
            convert_options=options,
        )
    if complete and table.num_rows == 0:
        raise FairnessInputError("file", "has a header line but no data rows")
    if complete:
        total: int | None = table.num_rows
    elif table.num_rows:
        total = round((size - data_start) * table.num_rows / max(1, len(sample) - data_start))
    else:
        total = None
    return FileInfo(
        path=path,
        format="csv",
        size=size,
        columns=tuple(table.column_names),
        types={f.name: str(f.type) for f in table.schema},
        kinds={f.name: arrow_kind(f.type) for f in table.schema},
        total_rows=total,
        rows_exact=complete,
        data_start=data_start,
    )


def record_ends(data: bytes) -> np.ndarray[Any, np.dtype[np.intp]]:
    """Offsets just past each newline that ends a CSV record (not one inside a quoted value).

    A newline is inside quotes exactly when an odd number of quote characters precede it: RFC 4180 quotes a
    whole field and doubles any quote inside it, so quotes come in pairs. A sample without any ``\n`` is
    split on ``\r`` (old Mac line endings, which Arrow also accepts). Only used on small samples.
    """
    array = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(array == NEWLINE)
    if not newlines.size:
        newlines = np.flatnonzero(array == CARRIAGE_RETURN)
    quotes = np.flatnonzero(array == QUOTE)
    if quotes.size:
        newlines = newlines[np.searchsorted(quotes, newlines) % 2 == 0]
    return newlines + 1
