"""Reading predictions files (CSV or Parquet) into fairness count tables, in bounded memory.

The fairness job of a model version runs in three steps, each of which this package serves:

1. **Before queueing** (the service that records a check): :func:`column_settings_errors` checks the JSON
   config, :func:`inspect_file` reads only the file's schema (Parquet footer, or the first MiB of a CSV)
   and :func:`column_errors` checks them against each other. Every mistake comes back at once as a
   :class:`~governance.fairness.engine.FairnessInputError` naming the setting (``config.y_true``), instead
   of as a failed job. (:meth:`FairnessColumns.from_dict` and :func:`validate_columns` raise the first.)
2. **Planning** (Celery task): :func:`plan_chunks` splits the file into independent :class:`ChunkSpec`
   pieces (Parquet: runs of row groups; CSV: byte ranges aligned on record boundaries, see
   :mod:`~governance.fairness.reader.chunks` for the quoted-newline rule). Specs are JSON
   (``to_dict``/``from_dict``), so they can be task arguments.
3. **Counting** (one worker per chunk): :func:`count_chunk` streams its chunk batch by batch with pyarrow,
   reading only the needed columns, and returns a :class:`~governance.fairness.engine.CountTable`; workers
   ship ``table.to_dict()`` and the final task merges them with ``merge_tables`` and calls ``analyze``.
   Integer counts add up exactly, so the merged table equals the table of the whole file.

:func:`count_file` does steps 1-3 in one process (optionally on several threads) for small files, tests
and the benchmark. Uploaded files must first be saved to disk (Django's ``temporary_file_path()``):
everything here works on paths, because chunking needs random access.

Everything here is pure (no Django) and every pyarrow error is wrapped into ``FairnessInputError``.
"""

from governance.fairness.reader.chunks import DEFAULT_CHUNK_ROWS, ChunkSpec, plan_chunks, whole_file_chunk
from governance.fairness.reader.config import (
    COLUMN_SETTINGS,
    DEFAULT_THRESHOLD,
    FairnessColumns,
    OnMissing,
    PositiveLabel,
    column_settings_errors,
)
from governance.fairness.reader.counting import (
    CSV_BLOCK_BYTES,
    DEFAULT_BATCH_ROWS,
    ProgressCallback,
    count_chunk,
    count_file,
)
from governance.fairness.reader.files import (
    ColumnKind,
    FileFormat,
    FileInfo,
    column_errors,
    inspect_file,
    validate_columns,
)

__all__ = [
    "COLUMN_SETTINGS",
    "CSV_BLOCK_BYTES",
    "DEFAULT_BATCH_ROWS",
    "DEFAULT_CHUNK_ROWS",
    "DEFAULT_THRESHOLD",
    "ChunkSpec",
    "ColumnKind",
    "FairnessColumns",
    "FileFormat",
    "FileInfo",
    "OnMissing",
    "PositiveLabel",
    "ProgressCallback",
    "column_errors",
    "column_settings_errors",
    "count_chunk",
    "count_file",
    "inspect_file",
    "plan_chunks",
    "validate_columns",
    "whole_file_chunk",
]
