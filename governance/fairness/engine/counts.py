"""The count table: every binary-classification fairness number is a function of these counts.

One pass over the rows fills, for each *intersectional* group (the tuple of all sensitive-feature values, plus
the stratum when a strata column is given), the four confusion-matrix cells, both as unweighted row counts and
as sums of sample weights. Cell ``c`` of a row is ``2 * y_true + y_pred``: 0 = TN, 1 = FP, 2 = FN, 3 = TP.
The pass is a single ``np.bincount`` over ``group_code * 4 + c``, which is why a 10M-row chunk takes a
fraction of a second.

Tables built from different chunks :meth:`CountTable.merge` into the table of the concatenated data: integer
counts add up exactly, weight sums up to float64 rounding. Single-attribute views are
:meth:`CountTable.marginal` sums of the intersectional table. Groups that have no rows are absent, never
present with zero counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt

from governance.fairness.engine.columns import (
    MISSING,
    FactorizedColumn,
    GroupKey,
    factorize_column,
    group_sort_key,
)
from governance.fairness.engine.errors import FairnessInputError
from governance.fairness.engine.inputs import (
    as_binary,
    as_length,
    as_scores,
    as_weights,
)

TN: Final = 0
FP: Final = 1
FN: Final = 2
TP: Final = 3
CELL_NAMES: Final = ("TN", "FP", "FN", "TP")
DEFAULT_SCORE_BINS: Final = 1000
_MAX_DENSE_KEYS: Final = 1 << 20
"""Above this many possible key combinations, codes are compacted with a sort before counting."""
_MAX_HISTOGRAM_CELLS: Final = 1 << 26
"""Score histograms hold keys x 2 x bins floats; beyond this (512 MiB) the caller must use fewer bins."""

MissingPolicy = Literal["error", "group"]
FloatArray = npt.NDArray[np.float64]
Int64Array = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class CountTable:
    """Per-group confusion-matrix counts (and optional score histograms) of a binary classifier.

    ``keys[k]`` holds one label per entry of :attr:`columns` (sensitive columns, then the strata column if
    any). ``rows[k, c]`` counts rows, ``weight_sums[k, c]`` sums their sample weights (``None`` when the data
    is unweighted). ``score_hist[k, y, b]`` sums the weights of rows with label ``y`` whose score falls in bin
    ``b`` of ``score_bins`` equal-width bins over [0, 1].
    """

    sensitive_columns: tuple[str, ...]
    strata_column: str | None
    keys: tuple[GroupKey, ...]
    rows: Int64Array
    weight_sums: FloatArray | None = None
    score_bins: int | None = None
    score_hist: FloatArray | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """All key columns: the sensitive features, then the strata column when present."""
        return self.sensitive_columns + ((self.strata_column,) if self.strata_column else ())

    @property
    def is_weighted(self) -> bool:
        """Whether sample weights were given (metrics then use weight sums, ``n`` stays a row count)."""
        return self.weight_sums is not None

    @property
    def n_rows(self) -> int:
        """Total number of rows counted."""
        return int(self.rows.sum())

    def cells(self) -> FloatArray:
        """The ``[K, 4]`` quantities the metrics are computed from: weight sums, or row counts as floats."""
        return self.weight_sums if self.weight_sums is not None else self.rows.astype(np.float64)

    def merge(self, other: CountTable) -> CountTable:
        """The table of the concatenation of both tables' rows; key labels are matched, not codes."""
        _check_compatible(self, other)
        keys = sorted(set(self.keys) | set(other.keys), key=group_sort_key)
        position = {key: index for index, key in enumerate(keys)}
        parts = (self, other)
        index = [
            np.fromiter((position[k] for k in part.keys), dtype=np.intp, count=len(part.keys))
            for part in parts
        ]
        rows = np.zeros((len(keys), 4), dtype=np.int64)
        weights = np.zeros((len(keys), 4)) if self.weight_sums is not None else None
        hist = np.zeros((len(keys), 2, self.score_bins)) if self.score_bins else None
        for part, where in zip(parts, index, strict=True):
            np.add.at(rows, where, part.rows)
            if weights is not None and part.weight_sums is not None:
                np.add.at(weights, where, part.weight_sums)
            if hist is not None and part.score_hist is not None:
                np.add.at(hist, where, part.score_hist)
        return CountTable(
            self.sensitive_columns, self.strata_column, tuple(keys), rows, weights, self.score_bins, hist
        )

    def marginal(self, columns: Sequence[str]) -> CountTable:
        """Sum over every key column not in ``columns`` (e.g. one attribute, or drop the strata column)."""
        unknown = [column for column in columns if column not in self.columns]
        if unknown:
            raise FairnessInputError(unknown[0], f"is not a key column of this table {list(self.columns)}")
        keys, where = self.key_index(columns)
        rows = np.zeros((len(keys), 4), dtype=np.int64)
        np.add.at(rows, where, self.rows)
        weights = None
        if self.weight_sums is not None:
            weights = np.zeros((len(keys), 4))
            np.add.at(weights, where, self.weight_sums)
        hist = None
        if self.score_hist is not None and self.score_bins:
            hist = np.zeros((len(keys), 2, self.score_bins))
            np.add.at(hist, where, self.score_hist)
        sensitive = tuple(column for column in columns if column != self.strata_column)
        strata = self.strata_column if self.strata_column in columns else None
        if list(columns) != list(sensitive) + ([strata] if strata else []):
            raise FairnessInputError("columns", "list sensitive columns first, then the strata column")
        return CountTable(sensitive, strata, tuple(keys), rows, weights, self.score_bins, hist)

    def key_index(self, columns: Sequence[str]) -> tuple[tuple[GroupKey, ...], npt.NDArray[np.intp]]:
        """Keys of the marginal over ``columns`` and, for each key of this table, its marginal position."""
        return project_keys(self.keys, self.columns, columns)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form, so Celery workers can ship partial tables to the merging task.

        Python's ``json`` round-trips float64 exactly, so ``from_dict(json.loads(json.dumps(t.to_dict())))``
        is identical to ``t``.
        """
        return {
            "format": "fairness-count-table/1",
            "sensitive_columns": list(self.sensitive_columns),
            "strata_column": self.strata_column,
            "keys": [list(key) for key in self.keys],
            "rows": self.rows.tolist(),
            "weight_sums": None if self.weight_sums is None else self.weight_sums.tolist(),
            "score_bins": self.score_bins,
            "score_hist": None if self.score_hist is None else self.score_hist.tolist(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CountTable:
        """Inverse of :meth:`to_dict`."""
        if data.get("format") != "fairness-count-table/1":
            raise FairnessInputError("format", f"unsupported count table format {data.get('format')!r}")
        keys = tuple(tuple(key) for key in data["keys"])
        bins = data["score_bins"]
        return cls(
            sensitive_columns=tuple(data["sensitive_columns"]),
            strata_column=data["strata_column"],
            keys=keys,
            rows=np.asarray(data["rows"], dtype=np.int64).reshape(len(keys), 4),
            weight_sums=None
            if data["weight_sums"] is None
            else np.asarray(data["weight_sums"], dtype=np.float64).reshape(len(keys), 4),
            score_bins=bins,
            score_hist=None
            if data["score_hist"] is None
            else np.asarray(data["score_hist"], dtype=np.float64).reshape(len(keys), 2, bins),
        )


def project_keys(
    keys: Sequence[GroupKey], key_columns: Sequence[str], columns: Sequence[str]
) -> tuple[tuple[GroupKey, ...], npt.NDArray[np.intp]]:
    """Distinct projections of ``keys`` onto ``columns`` (sorted) and each key's projection index."""
    positions = [list(key_columns).index(column) for column in columns]
    projected = [tuple(key[p] for p in positions) for key in keys]
    distinct = tuple(sorted(set(projected), key=group_sort_key))
    lookup = {key: index for index, key in enumerate(distinct)}
    return distinct, np.fromiter((lookup[key] for key in projected), dtype=np.intp, count=len(projected))


def merge_tables(tables: Iterable[CountTable]) -> CountTable:
    """Merge any number of chunk tables (at least one)."""
    return reduce(CountTable.merge, tables)


def build_count_table(
    *,
    y_true: object,
    y_pred: object,
    sensitive_features: Mapping[str, object],
    sample_weight: object | None = None,
    score: object | None = None,
    strata: tuple[str, object] | None = None,
    positive_label: object | None = None,
    on_missing: MissingPolicy = "error",
    score_bins: int = DEFAULT_SCORE_BINS,
) -> CountTable:
    """Count one chunk of predictions in a single vectorised pass.

    ``y_true``/``y_pred`` are 0/1 (or bool) unless ``positive_label`` is given, in which case they are label
    arrays and a row is positive when it equals ``positive_label``. ``sensitive_features`` maps column names
    to values (numpy, pandas Categorical/Series, pyarrow arrays or :class:`PrefactorizedColumn`).
    ``strata`` is ``(name, values)`` of an optional conditioning column (e.g. for conditional demographic
    disparity). ``score`` in [0, 1] adds per-group score histograms for AUC/KS. Missing sensitive values
    raise :class:`FairnessInputError` unless ``on_missing="group"``, which counts them in a group labelled
    ``None``.
    """
    if not sensitive_features:
        raise FairnessInputError("sensitive_features", "at least one sensitive feature is required")
    n_rows = as_length("y_true", y_true)
    truth = as_binary("y_true", y_true, positive_label, n_rows)
    predicted = as_binary("y_pred", y_pred, positive_label, n_rows)
    weights = None if sample_weight is None else as_weights("sample_weight", sample_weight, n_rows)
    scores = None if score is None else as_scores("score", score, n_rows)
    if score is not None and (score_bins < 1 or score_bins > 1 << 16):
        raise FairnessInputError("score_bins", f"must be between 1 and 65536, got {score_bins}")
    named = dict(sensitive_features)
    if strata is not None:
        if strata[0] in named:
            raise FairnessInputError(strata[0], "is both a sensitive feature and the strata column")
        named[strata[0]] = strata[1]
    dense_limit = _MAX_DENSE_KEYS if scores is None else max(1, _MAX_HISTOGRAM_CELLS // (2 * score_bins) // 8)
    code, n_keys, decode = encode_keys(named, n_rows, on_missing, dense_limit=dense_limit)
    if scores is not None and n_keys * 2 * score_bins > _MAX_HISTOGRAM_CELLS:
        raise FairnessInputError(
            "score_bins",
            f"{n_keys} groups x {score_bins} bins are too many score histogram cells; use fewer bins",
        )
    code *= 2
    code += truth
    code *= 2
    code += predicted
    rows = np.bincount(code, minlength=n_keys * 4).reshape(n_keys, 4)
    weight_sums = None
    if weights is not None:
        weight_sums = (
            np.bincount(code, weights=weights, minlength=n_keys * 4).astype(np.float64).reshape(n_keys, 4)
        )
    hist = None
    if scores is not None:
        # bin of each row: floor(score * B), with score 1.0 in the last bin; the code's low 2 bits hold the
        # cell, so code >> 1 is key * 2 + y_true.
        bins = np.minimum((scores * score_bins).astype(np.int64), score_bins - 1)
        bins += (code >> 1) * score_bins
        counted = np.bincount(bins, weights=weights, minlength=n_keys * 2 * score_bins)
        hist = counted.astype(np.float64, copy=False).reshape(n_keys, 2, score_bins)

    chosen, keys = decode(np.flatnonzero(rows.sum(axis=1)))
    return CountTable(
        sensitive_columns=tuple(sensitive_features),
        strata_column=strata[0] if strata is not None else None,
        keys=keys,
        rows=rows[chosen].astype(np.int64, copy=False),
        weight_sums=None if weight_sums is None else weight_sums[chosen],
        score_bins=score_bins if scores is not None else None,
        score_hist=None if hist is None else hist[chosen],
    )


KeyDecoder = Callable[[npt.NDArray[np.intp]], tuple[npt.NDArray[np.intp], tuple[GroupKey, ...]]]


def encode_keys(
    columns: Mapping[str, object], n_rows: int, on_missing: MissingPolicy, dense_limit: int = _MAX_DENSE_KEYS
) -> tuple[Int64Array, int, KeyDecoder]:
    """Per-row integer key code (a fresh buffer the caller may modify), the number of codes, and a decoder.

    ``decode(present_codes)`` returns those codes re-ordered by label and the matching label tuples, so
    callers index their per-code counts with the first and publish the second. Codes are dense (mixed radix)
    while at most ``dense_limit`` combinations are possible, else compacted to the combinations that occur.
    """
    if on_missing not in ("error", "group"):
        raise FairnessInputError("on_missing", f"must be 'error' or 'group', got {on_missing!r}")
    factorized = [
        _apply_missing_policy(factorize_column(name, values, n_rows), on_missing)
        for name, values in columns.items()
    ]
    code, key_codes = _combine(factorized, n_rows, dense_limit)

    def decode(present: npt.NDArray[np.intp]) -> tuple[npt.NDArray[np.intp], tuple[GroupKey, ...]]:
        keys = [
            tuple(column.categories[codes[k]] for column, codes in zip(factorized, key_codes, strict=True))
            for k in present
        ]
        order = sorted(range(len(keys)), key=lambda i: group_sort_key(keys[i]))
        return present[order], tuple(keys[i] for i in order)

    return code, len(key_codes[0]), decode


def _apply_missing_policy(column: FactorizedColumn, on_missing: MissingPolicy) -> FactorizedColumn:
    if not column.has_missing:
        return column
    if on_missing == "error":
        count = int(np.count_nonzero(column.codes < 0))
        raise FairnessInputError(
            column.name,
            f"{count} row(s) have no value; fill them, or pass on_missing='group' to report them as a group",
        )
    missing_code = len(column.categories)
    codes = np.where(column.codes < 0, missing_code, column.codes).astype(np.int64)
    return FactorizedColumn(column.name, codes, (*column.categories, MISSING))


def _combine(
    columns: Sequence[FactorizedColumn], n_rows: int, dense_limit: int
) -> tuple[Int64Array, list[Int64Array]]:
    """Mixed-radix code of each row's key, and per column the category code of every possible key.

    When the number of possible combinations would make the bincount array too large, the codes seen so far
    are compacted with ``np.unique`` (a sort) so that memory stays proportional to the keys that occur.
    """
    first = columns[0]
    code = first.codes.astype(np.int64)  # always a fresh buffer: it is updated in place below
    key_codes: list[Int64Array] = [np.arange(len(first.categories), dtype=np.int64)]
    for column in columns[1:]:
        radix = len(column.categories)
        if len(key_codes[0]) * radix > _MAX_DENSE_KEYS:
            code, key_codes = _compact(code, key_codes)
        size = len(key_codes[0])
        key_codes = [np.repeat(codes, radix) for codes in key_codes]
        key_codes.append(np.tile(np.arange(radix, dtype=np.int64), size))
        code *= radix
        code += column.codes
    if len(key_codes[0]) > min(dense_limit, 4 * n_rows + 1024):
        code, key_codes = _compact(code, key_codes)
    return code, key_codes


def _compact(code: Int64Array, key_codes: list[Int64Array]) -> tuple[Int64Array, list[Int64Array]]:
    occurring, inverse = np.unique(code, return_inverse=True)
    return inverse.astype(np.int64).reshape(-1), [codes[occurring] for codes in key_codes]


def _check_compatible(left: CountTable, right: CountTable) -> None:
    if left.sensitive_columns != right.sensitive_columns or left.strata_column != right.strata_column:
        raise FairnessInputError(
            "columns", f"cannot merge tables keyed by {left.columns} and {right.columns}"
        )
    if left.is_weighted != right.is_weighted:
        raise FairnessInputError("sample_weight", "cannot merge a weighted table with an unweighted one")
    if left.score_bins != right.score_bins:
        raise FairnessInputError(
            "score", f"cannot merge score histograms of {left.score_bins} and {right.score_bins} bins"
        )
