"""What the charts read from a report's JSON: views, group rows, intervals, labels and titles.

Charts never recompute a statistic; these helpers only look values up, and turn what is missing or
unusable (``null``, a group below ``min_group_size``) into a stated reason.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from governance.fairness.charts.text import fmt
from governance.fairness.engine.report import FairnessReport
from governance.fairness.engine.views import INTERSECTION

ReportLike = FairnessReport | Mapping[str, Any]
Measure = Literal["ratio", "difference"]

METRIC_TITLES: Final = {
    "base_rate": "Base rate",
    "selection_rate": "Selection rate",
    "true_positive_rate": "True positive rate",
    "false_positive_rate": "False positive rate",
    "false_negative_rate": "False negative rate",
    "true_negative_rate": "True negative rate",
    "positive_predictive_value": "Precision (PPV)",
    "negative_predictive_value": "Negative predictive value",
    "false_discovery_rate": "False discovery rate",
    "false_omission_rate": "False omission rate",
    "accuracy": "Accuracy",
    "error_rate": "Error rate",
}
RULE_PATHS: Final = {
    "ratio": "the ratio lowest / highest over all compared groups",
    "difference": "the difference highest - lowest over all compared groups",
    "reference.min_ratio": "the lowest ratio of a group to the reference group",
    "reference.max_ratio": "the highest ratio of a group to the reference group",
    "reference.max_abs_difference": "the largest |group - reference group|",
    "to_overall.ratio": "the lowest group / overall ratio (folded to at most 1)",
    "to_overall.difference": "the largest |group - overall|",
}


@dataclass(frozen=True)
class GroupRow:
    """One group's line on a metric chart, with the reason when it has no value to draw."""

    label: str
    n: int | None
    value: float | None
    reason: str | None
    interval: tuple[float, float] | None
    is_reference: bool


def report_data(report: ReportLike) -> Mapping[str, Any]:
    return report.to_dict() if isinstance(report, FairnessReport) else report


def view_block(data: Mapping[str, Any], view: str) -> Mapping[str, Any]:
    """The view's JSON; an unknown name is a caller bug, so it raises with the names that exist."""
    attributes = data.get("attributes") or {}
    block = data.get("intersection") if view == INTERSECTION else attributes.get(view)
    if not isinstance(block, Mapping):
        known = [INTERSECTION, *attributes]
        raise ValueError(f"view {view!r} is not in the report; views are {known}")
    return block


def reference_group(block: Mapping[str, Any], metric: str) -> Mapping[str, Any] | None:
    reference = (block.get("disparities", {}).get(metric) or {}).get("reference") or {}
    group = reference.get("group")
    return group if isinstance(group, Mapping) else None


def group_row(
    group: Mapping[str, Any], metric: str, min_size: int, reference: Mapping[str, Any] | None
) -> GroupRow:
    labels = group.get("group") or {}
    n = group.get("n")
    n_rows = int(n) if isinstance(n, int | float) and not isinstance(n, bool) else None
    value = as_number((group.get("metrics") or {}).get(metric))
    reason = (group.get("null_reasons") or {}).get(metric)
    if n_rows is not None and n_rows < min_size:
        value, reason = None, f"group has {n_rows} row(s), below min_group_size={min_size}"
    elif value is None and not reason:
        reason = "no value in the report"
    interval = (
        read_interval((group.get("ci") or {}).get(metric), simultaneous=False) if value is not None else None
    )
    return GroupRow(
        group_label(labels), n_rows, value, reason, interval, reference is not None and labels == reference
    )


def read_interval(ci: Any, simultaneous: bool) -> tuple[float, float] | None:
    if not isinstance(ci, Mapping):
        return None
    source = ci.get("bonferroni") if simultaneous else ci
    if not isinstance(source, Mapping):
        return None
    low, high = as_number(source.get("lower")), as_number(source.get("upper"))
    return None if low is None or high is None else (low, high)


def interval_text(data: Mapping[str, Any], simultaneous: bool) -> str:
    """How the intervals were made, from the report's own ``bootstrap`` section."""
    settings = data.get("bootstrap") or {}
    if not settings:
        return "confidence interval given in the report (no bootstrap settings recorded)"
    replicates, seed = settings.get("replicates"), settings.get("seed")
    if simultaneous:
        level = as_number(settings.get("bonferroni_confidence")) or 0.0
        text = (
            f"simultaneous (Bonferroni, {settings.get('comparisons')} comparisons) bootstrap percentile "
            f"interval at {level:.4%}"
        )
    else:
        level = as_number(settings.get("confidence")) or 0.95
        text = f"{level:.0%} bootstrap percentile interval, not adjusted for multiple comparisons"
    return f"{text} ({replicates} replicates, seed {seed})"


def as_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def group_label(group: Mapping[str, Any]) -> str:
    """``sex=F, race=B``; the engine's missing-value group (label ``null``) reads ``(missing)``."""
    return ", ".join(f"{column}={'(missing)' if value is None else value}" for column, value in group.items())


def view_title_of(block: Mapping[str, Any], view: str) -> str:
    columns = block.get("columns") or [view]
    return " \N{MULTIPLICATION SIGN} ".join(str(column) for column in columns)


def metric_title_of(metric: str) -> str:
    return METRIC_TITLES.get(metric, metric.replace("_", " ").capitalize())


def metric_definition(data: Mapping[str, Any], metric: str) -> str:
    text = (data.get("definitions") or {}).get(metric)
    return f"{metric}: {text}" if text else metric


def row_tooltip(row: GroupRow, metric: str) -> str:
    text = f"{row.label} (n={row.n}): {metric} = "
    text += f"n/a ({row.reason})" if row.value is None else fmt(row.value)
    if row.interval is not None:
        text += f", interval [{fmt(row.interval[0])}, {fmt(row.interval[1])}]"
    return text + (" [reference group]" if row.is_reference else "")
