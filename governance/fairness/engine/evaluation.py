"""Evaluation of one classification view, vectorised over bootstrap replicates.

:func:`plan_view` fixes, on the point estimate, everything that must not change between replicates (which
groups are compared, which is the reference); :func:`evaluate_view` then computes all statistics for ``[R]``
stacked cell tables. With ``explain=True`` (the point estimate, R = 1) it also describes groups and explains
every undefined value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from governance.fairness.engine.disparities import (
    Comparison,
    disparity_block,
    fairlearn_fairness_metrics,
    plan_comparison,
)
from governance.fairness.engine.facets import (
    between_group_theil_index,
    cdd_reason,
    conditional_demographic_disparity,
    facet_reason,
    facet_values,
    theil_index,
)
from governance.fairness.engine.metrics import RATE_METRICS, rate_metric_reason
from governance.fairness.engine.quantity import MetricValues, Quantity, quantity, undefined
from governance.fairness.engine.ranking import binned_auc, binned_ks, ranking_reason
from governance.fairness.engine.views import ReferenceSpec, View, resolve_reference

FloatArray = npt.NDArray[np.float64]
SCORE_METRICS = ("roc_auc", "ks_statistic")
_THEIL_UNDEFINED = "undefined: mean benefit is 0 (every row is a false negative) or no rows"


def _says(reason: str) -> Callable[[], str]:
    """A reason callback that returns a fixed text."""
    return lambda: reason


@dataclass(frozen=True)
class _ScoreMetrics:
    """Point-estimate AUC/KS of a view: per-group values and bounds, overall ones, ``[1, G]`` arrays."""

    per_group: list[MetricValues]
    per_group_bounds: list[dict[str, float | None]]
    overall: MetricValues
    overall_bounds: dict[str, float | None]
    values: dict[str, FloatArray]


@dataclass(frozen=True)
class ViewPlan:
    """Decisions taken on the point estimate and reused for every replicate."""

    min_group_size: int
    exclusions: tuple[str | None, ...]
    comparisons: dict[str, Comparison]
    facet_reference: int | None
    facet_reference_note: str | None


def _exclusion(rows: int, min_group_size: int, what: str = "group") -> str | None:
    if rows >= min_group_size:
        return None
    return f"{what} has {rows} row(s), below min_group_size={min_group_size}"


def plan_view(view: View, cells: FloatArray, min_group_size: int, reference: ReferenceSpec) -> ViewPlan:
    """Plan the comparisons of ``view`` from its point-estimate cells ``[G, 4]``."""
    labels = view.labels
    exclusions = tuple(_exclusion(int(n), min_group_size) for n in view.rows)
    target, note = resolve_reference(view, reference, min_group_size)
    comparisons: dict[str, Comparison] = {}
    for metric in RATE_METRICS:
        values = metric.values(cells)
        reasons = [rate_metric_reason(metric, cells[g]) for g in range(len(view.keys))]
        comparisons[metric.name] = plan_comparison(
            values, exclusions, reasons, target, note, metric.higher_is_favourable, labels
        )
    if view.score_hist is not None:
        for name, (values, _) in zip(
            SCORE_METRICS, (binned_auc(view.score_hist), binned_ks(view.score_hist)), strict=True
        ):
            reasons = [
                ranking_reason(view.score_hist[g]) if np.isnan(values[g]) else None
                for g in range(len(view.keys))
            ]
            comparisons[name] = plan_comparison(values, exclusions, reasons, target, note, True, labels)
    if target == "most_favourable":
        facet_reference, facet_note = (
            comparisons["selection_rate"].reference,
            comparisons["selection_rate"].reference_note,
        )
    elif target is not None and exclusions[target] is not None:
        facet_reference, facet_note = (
            None,
            f"reference group {labels[target]} is excluded: {exclusions[target]}",
        )
    else:
        facet_reference, facet_note = target, note
    return ViewPlan(min_group_size, exclusions, comparisons, facet_reference, facet_note)


def evaluate_view(
    view: View,
    cells: FloatArray,
    overall_cells: FloatArray,
    strata_cells: FloatArray | None,
    plan: ViewPlan,
    *,
    explain: bool,
) -> dict[str, Any]:
    """Every statistic of the view for ``cells`` ``[R, G, 4]`` and ``overall_cells`` ``[R, 4]``."""
    labels = view.labels
    total_rows = int(view.rows.sum())
    overall_exclusion = _exclusion(total_rows, plan.min_group_size, "the data")
    group_values = {metric.name: metric.values(cells) for metric in RATE_METRICS}
    overall_metrics = MetricValues()
    for metric in RATE_METRICS:
        values = metric.values(overall_cells)
        if overall_exclusion:
            overall_metrics[metric.name] = undefined(values.shape[0], overall_exclusion, with_ci=False)
        else:
            overall_metrics[metric.name] = quantity(
                values, _says(metric.empty_reason), explain=explain, with_ci=False
            )
    overall_metrics["theil_index"] = quantity(
        theil_index(overall_cells), lambda: _THEIL_UNDEFINED, explain=explain, with_ci=False
    )
    result: dict[str, Any] = {"columns": list(view.columns)}
    scores = _score_metrics(view, plan) if explain and view.score_hist is not None else None
    if explain:
        result["groups"] = _describe_groups(view, cells[0], plan, scores)
        result["overall"] = {"n": total_rows, "metrics": overall_metrics}
        if view.weights is not None:
            result["overall"]["weight"] = float(overall_cells[0].sum())
        if scores is not None:
            overall_metrics.update(scores.overall)
            result["overall"]["error_bounds"] = scores.overall_bounds
    disparities = {
        metric.name: disparity_block(
            group_values[metric.name],
            overall_metrics[metric.name],
            plan.comparisons[metric.name],
            labels,
            explain=explain,
        )
        for metric in RATE_METRICS
    }
    if scores is not None:
        for name in SCORE_METRICS:
            disparities[name] = disparity_block(
                scores.values[name],
                scores.overall[name],
                plan.comparisons[name],
                labels,
                explain=True,
                with_ci=False,
            )
    result["disparities"] = disparities
    named: dict[str, Quantity] = dict(fairlearn_fairness_metrics(disparities, explain=explain))
    named["theil_index"] = quantity(theil_index(overall_cells), lambda: _THEIL_UNDEFINED, explain=explain)
    named["between_group_theil_index"] = quantity(
        between_group_theil_index(cells), lambda: _THEIL_UNDEFINED, explain=explain
    )
    result["fairness_metrics"] = named
    result["facets"] = _facets(view, cells, overall_cells, strata_cells, plan, explain=explain)
    return result


def _describe_groups(
    view: View, cells: FloatArray, plan: ViewPlan, scores: _ScoreMetrics | None
) -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = []
    theil = theil_index(cells)
    for g, label in enumerate(view.labels):
        metrics = MetricValues()
        exclusion = plan.exclusions[g]
        for metric in RATE_METRICS:
            if exclusion:
                metrics[metric.name] = undefined(1, exclusion, with_ci=False)
            else:
                value = metric.values(cells[g])[None]
                metrics[metric.name] = Quantity(value, rate_metric_reason(metric, cells[g]), with_ci=False)
        if exclusion:
            metrics["theil_index"] = undefined(1, exclusion, with_ci=False)
        else:
            metrics["theil_index"] = quantity(
                theil[g : g + 1], _says(_THEIL_UNDEFINED), explain=True, with_ci=False
            )
        entry: dict[str, Any] = {"group": label, "n": int(view.rows[g]), "metrics": metrics}
        if view.weights is not None:
            entry["weight"] = float(view.weights[g])
        if scores is not None:
            metrics.update(scores.per_group[g])
            entry["error_bounds"] = scores.per_group_bounds[g]
        groups.append(entry)
    return groups


def _score_metrics(view: View, plan: ViewPlan) -> _ScoreMetrics:
    """Per-group and overall AUC/KS with binning error bounds (no bootstrap: histograms are too large)."""
    assert view.score_hist is not None
    hist = view.score_hist
    total = hist.sum(axis=0)
    per_group = dict(zip(SCORE_METRICS, (binned_auc(hist), binned_ks(hist)), strict=True))
    overall = dict(zip(SCORE_METRICS, (binned_auc(total), binned_ks(total)), strict=True))
    group_metrics: list[MetricValues] = []
    group_bounds: list[dict[str, float | None]] = []
    for g in range(len(view.keys)):
        metrics, bounds = MetricValues(), {}
        for name, (values, bound) in per_group.items():
            exclusion = plan.exclusions[g]
            reason = exclusion or (ranking_reason(hist[g]) if np.isnan(values[g]) else None)
            metrics[name] = Quantity(np.array([np.nan if exclusion else values[g]]), reason, with_ci=False)
            bounds[name] = None if reason else float(bound[g])
        group_metrics.append(metrics)
        group_bounds.append(bounds)
    overall_metrics = MetricValues()
    overall_bounds: dict[str, float | None] = {}
    for name, (value, bound) in overall.items():
        overall_metrics[name] = quantity(
            np.array([value]), _says(ranking_reason(total)), explain=True, with_ci=False
        )
        overall_bounds[name] = None if np.isnan(value) else float(bound)
    arrays = {name: pair[0][None] for name, pair in per_group.items()}
    return _ScoreMetrics(group_metrics, group_bounds, overall_metrics, overall_bounds, arrays)


def _facets(
    view: View,
    cells: FloatArray,
    overall_cells: FloatArray,
    strata_cells: FloatArray | None,
    plan: ViewPlan,
    *,
    explain: bool,
) -> dict[str, Any]:
    rest = overall_cells[:, None, :] - cells
    versus_rest = facet_values(cells, rest)
    if strata_cells is not None:
        versus_rest["CDDL"] = conditional_demographic_disparity(strata_cells, predicted=False)
        versus_rest["CDDPL"] = conditional_demographic_disparity(strata_cells, predicted=True)
    total_rows = int(view.rows.sum())
    entries = []
    for g, label in enumerate(view.labels):
        comparator_exclusion = _exclusion(
            total_rows - int(view.rows[g]), plan.min_group_size, "comparator (rest of the data)"
        )
        blocked = plan.exclusions[g] or comparator_exclusion
        entries.append(
            {
                "group": label,
                "metrics": _facet_metrics(versus_rest, g, cells, rest, strata_cells, view, blocked, explain),
            }
        )
    result: dict[str, Any] = {"versus_rest": entries}
    reference = plan.facet_reference
    if reference is None:
        result["versus_reference"] = {"reference": None, "note": plan.facet_reference_note, "entries": []}
        return result
    base = np.broadcast_to(cells[:, reference : reference + 1, :], cells.shape)
    versus_reference = facet_values(cells, base)
    result["versus_reference"] = {
        "reference": view.labels[reference],
        "entries": [
            {
                "group": label,
                "metrics": _facet_metrics(
                    versus_reference, g, cells, base, None, view, plan.exclusions[g], explain
                ),
            }
            for g, label in enumerate(view.labels)
            if g != reference
        ],
    }
    return result


def _facet_metrics(
    values: dict[str, FloatArray],
    g: int,
    facet: FloatArray,
    comparator: FloatArray,
    strata_cells: FloatArray | None,
    view: View,
    blocked: str | None,
    explain: bool,
) -> MetricValues:
    metrics = MetricValues()
    for code, array in values.items():
        column = array[:, g]
        if blocked:
            metrics[code] = undefined(column.shape[0], blocked)
            continue

        def why(code: str = code) -> str:
            if code in ("CDDL", "CDDPL") and strata_cells is not None:
                return cdd_reason(strata_cells[0], code == "CDDPL", view.strata_labels)
            return facet_reason(code, facet[0, g], comparator[0, g])

        metrics[code] = quantity(column, why, explain=explain)
    return metrics
