"""Assembling the JSON fairness report of a count table (see the package docstring for its shape).

The same evaluation runs on the point estimate (``explain=True``) and on all bootstrap replicates at once;
the replicate values of each statistic are matched to the point estimate by their path in the nested result,
so each interval sits next to the number it belongs to.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from governance.fairness.engine.bootstrap import (
    BootstrapConfig,
    bonferroni_confidence,
    percentile_interval,
    resample_cells,
    settings_summary,
)
from governance.fairness.engine.counts import CountTable
from governance.fairness.engine.errors import FairnessInputError
from governance.fairness.engine.evaluation import evaluate_view, plan_view
from governance.fairness.engine.facets import CLASS_IMBALANCE_DEFINITION, FACET_METRICS
from governance.fairness.engine.metrics import RATE_METRICS
from governance.fairness.engine.quantity import MetricValues, Quantity
from governance.fairness.engine.views import INTERSECTION, ReferenceSpec, build_views, check_reference

SCHEMA_VERSION = "fairness-report/1"
Path = tuple[str | int, ...]


@dataclass(frozen=True)
class AnalysisOptions:
    """What to compute: minimum reportable group size, reference group, bootstrap (off when ``None``)."""

    min_group_size: int = 1
    reference: ReferenceSpec = "largest"
    bootstrap: BootstrapConfig | None = None


@dataclass(frozen=True)
class FairnessReport:
    """The JSON-ready report; ``data`` holds only dicts, lists, str, int, float, bool and None."""

    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON data (the API's response body)."""
        return self.data

    def to_json(self, **kwargs: Any) -> str:
        """Serialised report; NaN/infinity can never occur, and ``allow_nan=False`` proves it."""
        return json.dumps(self.data, allow_nan=False, **kwargs)

    def view(self, name: str = INTERSECTION) -> dict[str, Any]:
        """The intersectional view (default) or the view of one sensitive column."""
        if name == INTERSECTION:
            return dict(self.data["intersection"])
        return dict(self.data["attributes"][name])


def analyze(table: CountTable, options: AnalysisOptions | None = None) -> FairnessReport:
    """Per-group metrics, disparities, fairness metrics and facet metrics for every view of ``table``."""
    options = options or AnalysisOptions()
    if options.min_group_size < 1:
        raise FairnessInputError("min_group_size", f"must be at least 1, got {options.min_group_size}")
    check_reference(options.reference, table.sensitive_columns)
    bootstrap = options.bootstrap.validated() if options.bootstrap is not None else None
    views = build_views(table)
    base_cells = table.cells()[None]
    overall_cells = base_cells.sum(axis=1)
    point_results: list[dict[str, Any]] = []
    plans = []
    for view in views:
        cells = view.aggregate(base_cells)
        plan = plan_view(view, cells[0], options.min_group_size, options.reference)
        plans.append(plan)
        point_results.append(
            evaluate_view(view, cells, overall_cells, view.aggregate_strata(base_cells), plan, explain=True)
        )
    intervals: dict[Path, dict[str, Any]] = {}
    comparisons = 0
    if bootstrap is not None:
        replicates = resample_cells(table, bootstrap)
        replicate_overall = replicates.sum(axis=1)
        collected: dict[Path, Quantity] = {}
        for index, (view, plan) in enumerate(zip(views, plans, strict=True)):
            result = evaluate_view(
                view,
                view.aggregate(replicates),
                replicate_overall,
                view.aggregate_strata(replicates),
                plan,
                explain=False,
            )
            collected.update(_quantities(result, (index,)))
        points = {
            path: q for index, result in enumerate(point_results) for path, q in _quantities(result, (index,))
        }
        wanted = [
            path for path, q in points.items() if q.with_ci and q.point() is not None and path in collected
        ]
        comparisons = len(wanted)
        adjusted = bonferroni_confidence(bootstrap.confidence, comparisons)
        for path in wanted:
            intervals[path] = percentile_interval(collected[path].values, bootstrap.confidence, adjusted)
    rendered = [render_result(result, (index,), intervals) for index, result in enumerate(point_results)]
    data: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "task": "binary_classification",
        "sensitive_columns": list(table.sensitive_columns),
        "strata_column": table.strata_column,
        "n": table.n_rows,
        "weighted": table.is_weighted,
        "min_group_size": options.min_group_size,
        "reference": options.reference if isinstance(options.reference, str) else dict(options.reference),
        "score_bins": table.score_bins,
        "intersection": rendered[0],
        "attributes": dict(zip(table.sensitive_columns, rendered[1:], strict=True)),
        "bootstrap": None
        if bootstrap is None
        else settings_summary(bootstrap, comparisons, table.is_weighted),
        "definitions": definitions(),
    }
    return FairnessReport(data)


def definitions() -> dict[str, str]:
    """One line per metric name used in reports, so a reader never has to guess a formula."""
    texts = {metric.name: metric.definition for metric in RATE_METRICS}
    texts.update({metric.code: metric.definition for metric in FACET_METRICS})
    texts.update(
        CI=CLASS_IMBALANCE_DEFINITION,
        CDDL="Clarify conditional demographic disparity in labels: sum_i n_i DD_i / n over strata i",
        CDDPL="Clarify conditional demographic disparity in predicted labels",
        theil_index="AIF360 generalized entropy index, alpha = 1, of b = y_pred - y_true + 1",
        between_group_theil_index="AIF360 between-all-groups Theil index (each b replaced by its group mean)",
        roc_auc="area under the ROC curve from binned scores (error bound in error_bounds)",
        ks_statistic="two-sample KS statistic of positive vs negative scores, binned (a lower bound)",
        demographic_parity_difference="fairlearn: max - min of selection_rate over groups",
        demographic_parity_ratio="fairlearn: min / max of selection_rate over groups",
        equal_opportunity_difference="fairlearn: max - min of true_positive_rate (in facets: AIF360, signed)",
        equal_opportunity_ratio="fairlearn: min / max of true_positive_rate",
        equalized_odds_difference="fairlearn: max of the TPR and FPR differences (worst case)",
        equalized_odds_ratio="fairlearn: min of the TPR and FPR ratios (worst case)",
        equalized_odds_difference_mean="fairlearn agg='mean': mean of the TPR and FPR differences",
        equalized_odds_ratio_mean="fairlearn agg='mean': mean of the TPR and FPR ratios",
    )
    texts["*_to_overall"] = (
        "fairlearn method='to_overall': max |group - overall|, min of group/overall folded <= 1"
    )
    return texts


def _quantities(node: Any, path: Path) -> Iterator[tuple[Path, Quantity]]:
    if isinstance(node, Quantity):
        yield path, node
    elif isinstance(node, Mapping):
        for key, value in node.items():
            yield from _quantities(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _quantities(value, (*path, index))


def render_result(node: Any, path: Path, intervals: Mapping[Path, dict[str, Any]]) -> Any:
    """Quantities become numbers or ``None``; reasons and intervals go to ``null_reasons``/``ci`` beside."""
    if isinstance(node, list):
        return [render_result(value, (*path, index), intervals) for index, value in enumerate(node)]
    if not isinstance(node, Mapping):
        return _plain(node)
    out: dict[str, Any] = {}
    reasons: dict[str, str] = {}
    cis: dict[str, Any] = {}
    for key, value in node.items():
        if isinstance(value, Quantity):
            out[key] = _number(value, (*path, key), key, reasons, cis, intervals)
        elif isinstance(value, MetricValues):
            out[key] = {
                name: _number(q, (*path, key, name), name, reasons, cis, intervals)
                for name, q in value.items()
            }
        else:
            out[key] = render_result(value, (*path, key), intervals)
    if reasons:
        out["null_reasons"] = reasons
    if cis:
        out["ci"] = cis
    return out


def _number(
    value: Quantity,
    path: Path,
    name: str,
    reasons: dict[str, str],
    cis: dict[str, Any],
    intervals: Mapping[Path, dict[str, Any]],
) -> float | None:
    point = value.point()
    if point is None:
        reasons[name] = value.reason or "undefined"
    if path in intervals:
        cis[name] = intervals[path]
    return point


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
