"""Regression fairness: per-group error and mean prediction from five running sums per group.

For each group the table holds the row count and the weighted sums of 1, y_true, y_pred, |y_pred - y_true| and
(y_pred - y_true)^2, so mean absolute error, mean squared error, mean prediction and mean target are exact
quotients (the same ones scikit-learn's ``np.average`` computes) and chunk tables merge by addition.
Disparities use the classification engine's arithmetic (fairlearn's ``difference``/``ratio``); ratios of
values that can be negative (mean prediction/target of a signed target) are ``None`` with a reason.
No bootstrap: resampling needs more than these sums.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from governance.fairness.engine.columns import GroupKey, group_sort_key
from governance.fairness.engine.counts import MissingPolicy, encode_keys, project_keys
from governance.fairness.engine.disparities import disparity_block, plan_comparison
from governance.fairness.engine.errors import FairnessInputError
from governance.fairness.engine.inputs import as_finite, as_length, as_weights
from governance.fairness.engine.metrics import safe_divide
from governance.fairness.engine.quantity import MetricValues, Quantity, quantity, undefined
from governance.fairness.engine.report import AnalysisOptions, FairnessReport, render_result
from governance.fairness.engine.views import INTERSECTION, check_reference, resolve_reference_for_keys

FloatArray = npt.NDArray[np.float64]
SUM_NAMES: Final = ("weight", "y_true", "y_pred", "absolute_error", "squared_error")
_EMPTY = "zero denominator: group has zero total weight"


@dataclass(frozen=True)
class RegressionMetric:
    """``sums[numerator] / sums["weight"]``; ``higher_is_favourable`` picks the most favourable reference."""

    name: str
    numerator: str
    higher_is_favourable: bool
    definition: str


REGRESSION_METRICS: Final = (
    RegressionMetric("mean_absolute_error", "absolute_error", False, "sum w |y_pred - y_true| / sum w"),
    RegressionMetric("mean_squared_error", "squared_error", False, "sum w (y_pred - y_true)^2 / sum w"),
    RegressionMetric("mean_prediction", "y_pred", True, "sum w y_pred / sum w (fairlearn mean_prediction)"),
    RegressionMetric("mean_target", "y_true", True, "sum w y_true / sum w"),
)


@dataclass(frozen=True, eq=False)
class RegressionTable:
    """Per-group row counts ``rows[K]`` and weighted sums ``sums[K, 5]`` (columns: :data:`SUM_NAMES`)."""

    sensitive_columns: tuple[str, ...]
    keys: tuple[GroupKey, ...]
    rows: npt.NDArray[np.int64]
    sums: FloatArray
    weighted: bool

    def merge(self, other: RegressionTable) -> RegressionTable:
        """The table of both chunks' rows together (keys matched by label)."""
        if self.sensitive_columns != other.sensitive_columns or self.weighted != other.weighted:
            raise FairnessInputError(
                "columns", "cannot merge regression tables of different columns or weighting"
            )
        keys = tuple(sorted(set(self.keys) | set(other.keys), key=group_sort_key))
        position = {key: index for index, key in enumerate(keys)}
        rows = np.zeros(len(keys), dtype=np.int64)
        sums = np.zeros((len(keys), len(SUM_NAMES)))
        for part in (self, other):
            where = np.fromiter((position[key] for key in part.keys), dtype=np.intp, count=len(part.keys))
            np.add.at(rows, where, part.rows)
            np.add.at(sums, where, part.sums)
        return RegressionTable(self.sensitive_columns, keys, rows, sums, self.weighted)


def build_regression_table(
    *,
    y_true: object,
    y_pred: object,
    sensitive_features: Mapping[str, object],
    sample_weight: object | None = None,
    on_missing: MissingPolicy = "error",
) -> RegressionTable:
    """Accumulate one chunk of regression predictions (one ``np.bincount`` per running sum)."""
    if not sensitive_features:
        raise FairnessInputError("sensitive_features", "at least one sensitive feature is required")
    n_rows = as_length("y_true", y_true)
    truth = as_finite("y_true", y_true, n_rows)
    predicted = as_finite("y_pred", y_pred, n_rows)
    weights = np.ones(n_rows) if sample_weight is None else as_weights("sample_weight", sample_weight, n_rows)
    code, n_keys, decode = encode_keys(dict(sensitive_features), n_rows, on_missing)
    error = predicted - truth
    columns = (
        weights,
        weights * truth,
        weights * predicted,
        weights * np.abs(error),
        weights * error * error,
    )
    sums: FloatArray = np.stack(
        [np.bincount(code, weights=column, minlength=n_keys).astype(np.float64) for column in columns], axis=1
    )
    rows = np.bincount(code, minlength=n_keys)
    chosen, keys = decode(np.flatnonzero(rows))
    return RegressionTable(
        tuple(sensitive_features), keys, rows[chosen], sums[chosen], sample_weight is not None
    )


def analyze_regression(table: RegressionTable, options: AnalysisOptions | None = None) -> FairnessReport:
    """Per-group regression metrics and their disparities for the intersection and each attribute."""
    options = options or AnalysisOptions()
    if options.min_group_size < 1:
        raise FairnessInputError("min_group_size", f"must be at least 1, got {options.min_group_size}")
    if options.bootstrap is not None:
        raise FairnessInputError("bootstrap", "is not available for regression tables")
    check_reference(options.reference, table.sensitive_columns)
    views = [(INTERSECTION, table.sensitive_columns)] + [
        (column, (column,)) for column in table.sensitive_columns
    ]
    rendered = [
        render_result(_view(table, columns, options), (index,), {})
        for index, (_, columns) in enumerate(views)
    ]
    return FairnessReport(
        {
            "schema": "fairness-report/1",
            "task": "regression",
            "sensitive_columns": list(table.sensitive_columns),
            "n": int(table.rows.sum()),
            "weighted": table.weighted,
            "min_group_size": options.min_group_size,
            "reference": options.reference if isinstance(options.reference, str) else dict(options.reference),
            "intersection": rendered[0],
            "attributes": dict(zip(table.sensitive_columns, rendered[1:], strict=True)),
            "bootstrap": None,
            "definitions": {metric.name: metric.definition for metric in REGRESSION_METRICS},
        }
    )


def _metric_values(sums: FloatArray) -> dict[str, FloatArray]:
    return {
        metric.name: safe_divide(sums[..., SUM_NAMES.index(metric.numerator)], sums[..., 0])
        for metric in REGRESSION_METRICS
    }


def _view(table: RegressionTable, columns: Sequence[str], options: AnalysisOptions) -> dict[str, Any]:
    keys, where = project_keys(table.keys, table.sensitive_columns, columns)
    rows = np.zeros(len(keys), dtype=np.int64)
    sums = np.zeros((len(keys), len(SUM_NAMES)))
    np.add.at(rows, where, table.rows)
    np.add.at(sums, where, table.sums)
    labels = [dict(zip(columns, key, strict=True)) for key in keys]
    values = _metric_values(sums)
    overall_values = _metric_values(table.sums.sum(axis=0))
    minimum = options.min_group_size
    exclusions = [
        None if n >= minimum else f"group has {n} row(s), below min_group_size={minimum}"
        for n in rows.tolist()
    ]
    reasons = [_EMPTY if sums[g, 0] == 0 else None for g in range(len(keys))]
    target, note = resolve_reference_for_keys(tuple(columns), keys, rows, options.reference, minimum)
    groups = []
    for g, label in enumerate(labels):
        metrics = MetricValues()
        for name, array in values.items():
            why = exclusions[g] or reasons[g]
            metrics[name] = Quantity(np.array([np.nan if why else array[g]]), why, with_ci=False)
        entry: dict[str, Any] = {"group": label, "n": int(rows[g]), "metrics": metrics}
        if table.weighted:
            entry["weight"] = float(sums[g, 0])
        groups.append(entry)
    total_rows = int(rows.sum())
    overall_exclusion = (
        None if total_rows >= minimum else f"the data has {total_rows} row(s), below min_group_size"
    )
    overall = MetricValues()
    for name, value in overall_values.items():
        if overall_exclusion:
            overall[name] = undefined(1, overall_exclusion, with_ci=False)
        else:
            overall[name] = quantity(np.array([value]), lambda: _EMPTY, explain=True, with_ci=False)
    disparities: dict[str, Any] = {}
    group_max: dict[str, Quantity] = {}
    for metric in REGRESSION_METRICS:
        comparison = plan_comparison(
            values[metric.name], exclusions, reasons, target, note, metric.higher_is_favourable, labels
        )
        disparities[metric.name] = disparity_block(
            values[metric.name][None], overall[metric.name], comparison, labels, explain=True, with_ci=False
        )
        if metric.name in ("mean_absolute_error", "mean_squared_error"):
            compared = values[metric.name][comparison.included]
            group_max[f"{metric.name}_group_max"] = (
                Quantity(np.array([compared.max()]), with_ci=False)
                if compared.size
                else undefined(1, "no group has a defined value", with_ci=False)
            )
    return {
        "columns": list(columns),
        "groups": groups,
        "overall": {"n": total_rows, "metrics": overall},
        "disparities": disparities,
        "fairness_metrics": group_max,
    }
