"""Per-group classification metrics as ratios of confusion-matrix cells.

Every metric is ``sum(numerator cells) / sum(denominator cells)`` over the (weighted) cells TN, FP, FN, TP
of a group, computed vectorised over any leading axes (bootstrap replicates, groups). A zero denominator
gives NaN internally and ``None`` plus a reason in reports, never the 0 that scikit-learn substitutes: a
group with no positive labels has no true positive rate, and pretending it is 0 would invent a disparity.

Names follow fairlearn (``selection_rate``, ``true_positive_rate``...) where fairlearn has the metric.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from governance.fairness.engine.counts import FN, FP, TN, TP

FloatArray = npt.NDArray[np.float64]
ALL_CELLS: Final = (TN, FP, FN, TP)


@dataclass(frozen=True)
class RateMetric:
    """A metric of the form ``sum(cells[numerator]) / sum(cells[denominator])``.

    ``higher_is_favourable`` says which direction benefits the group (used to pick the ``most_favourable``
    reference group); ``empty_reason`` explains a zero denominator to a reader of the report.
    """

    name: str
    numerator: tuple[int, ...]
    denominator: tuple[int, ...]
    empty_reason: str
    higher_is_favourable: bool
    definition: str

    def values(self, cells: FloatArray) -> FloatArray:
        """The metric over the last axis of ``cells`` (``[..., 4]``); NaN where the denominator is 0."""
        numerator = _cell_sum(cells, self.numerator)
        denominator = _cell_sum(cells, self.denominator)
        return safe_divide(numerator, denominator)

    def denominator_values(self, cells: FloatArray) -> FloatArray:
        """The denominator alone, to tell an undefined value from a legitimately computed one."""
        return _cell_sum(cells, self.denominator)


def _cell_sum(cells: FloatArray, indices: tuple[int, ...]) -> FloatArray:
    total = cells[..., indices[0]]
    for index in indices[1:]:
        total = total + cells[..., index]
    return np.asarray(total, dtype=np.float64)


def safe_divide(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """``numerator / denominator`` with NaN (not inf, not 0) wherever the denominator is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        quotient = np.divide(numerator, denominator)
    return np.where(denominator != 0, quotient, np.nan)


_NO_ROWS = "zero denominator: group has zero total weight"
_NO_POSITIVES = "zero denominator: group has no positive labels (TP + FN = 0)"
_NO_NEGATIVES = "zero denominator: group has no negative labels (TN + FP = 0)"
_NO_PREDICTED_POSITIVES = "zero denominator: group has no positive predictions (TP + FP = 0)"
_NO_PREDICTED_NEGATIVES = "zero denominator: group has no negative predictions (TN + FN = 0)"

RATE_METRICS: Final[tuple[RateMetric, ...]] = (
    RateMetric(
        "base_rate",
        (FN, TP),
        ALL_CELLS,
        _NO_ROWS,
        True,
        "P(y = 1): share of rows whose true label is positive",
    ),
    RateMetric(
        "selection_rate", (FP, TP), ALL_CELLS, _NO_ROWS, True, "P(ŷ = 1): share of rows predicted positive"
    ),
    RateMetric("true_positive_rate", (TP,), (FN, TP), _NO_POSITIVES, True, "TP / (TP + FN), recall"),
    RateMetric("false_positive_rate", (FP,), (TN, FP), _NO_NEGATIVES, False, "FP / (FP + TN)"),
    RateMetric("false_negative_rate", (FN,), (FN, TP), _NO_POSITIVES, False, "FN / (FN + TP)"),
    RateMetric("true_negative_rate", (TN,), (TN, FP), _NO_NEGATIVES, True, "TN / (TN + FP), specificity"),
    RateMetric(
        "positive_predictive_value",
        (TP,),
        (FP, TP),
        _NO_PREDICTED_POSITIVES,
        True,
        "TP / (TP + FP), precision",
    ),
    RateMetric("negative_predictive_value", (TN,), (TN, FN), _NO_PREDICTED_NEGATIVES, True, "TN / (TN + FN)"),
    RateMetric("false_discovery_rate", (FP,), (FP, TP), _NO_PREDICTED_POSITIVES, False, "FP / (FP + TP)"),
    RateMetric("false_omission_rate", (FN,), (TN, FN), _NO_PREDICTED_NEGATIVES, False, "FN / (FN + TN)"),
    RateMetric("accuracy", (TN, TP), ALL_CELLS, _NO_ROWS, True, "(TP + TN) / n"),
    RateMetric(
        "error_rate", (FP, FN), ALL_CELLS, _NO_ROWS, False, "(FP + FN) / n, fairlearn's zero_one_loss"
    ),
)
RATE_METRICS_BY_NAME: Final = {metric.name: metric for metric in RATE_METRICS}


def rate_metric_values(cells: FloatArray) -> dict[str, FloatArray]:
    """Every :data:`RATE_METRICS` entry over the last axis of ``cells``."""
    return {metric.name: metric.values(cells) for metric in RATE_METRICS}


def rate_metric_reason(metric: RateMetric, group_cells: FloatArray) -> str | None:
    """Why ``metric`` is undefined for one group's ``[4]`` cells, or ``None`` when it is defined."""
    return metric.empty_reason if float(metric.denominator_values(group_cells)) == 0.0 else None
