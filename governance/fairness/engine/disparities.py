"""Disparities of a per-group metric: between groups, to the overall value, and to a reference group.

The arithmetic mirrors fairlearn's ``MetricFrame.difference``/``ratio`` exactly (``between_groups``: max - min
and min / max; ``to_overall``: max |group - overall| and the minimum of group/overall folded below 1 as
``1 / r`` when ``r > 1``), so the numbers agree with fairlearn's bit for bit on the same per-group values.

Differences from fairlearn, all in the direction of honesty: groups whose metric is undefined (zero
denominator) or that are below ``min_group_size`` are *excluded and listed* rather than silently compared
as 0; a disparity needs at least two compared groups; a ratio whose denominator is 0 is ``None`` with a
reason rather than NaN or infinity. Per-group comparisons with the reference group (``per_group``) are
descriptive and carry no interval; the summaries and the facet metrics do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from governance.fairness.engine.metrics import safe_divide
from governance.fairness.engine.quantity import Quantity, quantity, undefined

FloatArray = npt.NDArray[np.float64]
GroupLabel = Mapping[str, Any]


@dataclass(frozen=True)
class Comparison:
    """The groups one metric's disparities compare, fixed on the point estimate.

    Bootstrap replicates compare the same groups against the same reference, so an interval describes the
    sampling variability of the reported statistic rather than of a differently defined one.
    """

    included: npt.NDArray[np.intp]
    excluded: tuple[tuple[int, str], ...]
    reference: int | None
    reference_note: str | None


def plan_comparison(
    point_values: FloatArray,
    exclusions: Sequence[str | None],
    value_reasons: Sequence[str | None],
    reference: int | Literal["most_favourable"] | None,
    reference_note: str | None,
    higher_is_favourable: bool,
    labels: Sequence[GroupLabel],
) -> Comparison:
    """Decide which groups are compared and which one is the reference, from point-estimate values."""
    included: list[int] = []
    excluded: list[tuple[int, str]] = []
    for group, (exclusion, reason) in enumerate(zip(exclusions, value_reasons, strict=True)):
        why = exclusion or reason
        if why is None:
            included.append(group)
        else:
            excluded.append((group, why))
    chosen: int | None = None
    note = reference_note
    if reference == "most_favourable":
        if included:
            candidates = point_values[included]
            best = int(np.argmax(candidates) if higher_is_favourable else np.argmin(candidates))
            chosen, note = included[best], None
        else:
            note = "no group has a defined value"
    elif reference is not None:
        if reference in included:
            chosen, note = reference, None
        else:
            why = dict(excluded).get(reference, "not compared")
            note = f"reference group {dict(labels[reference])} is excluded: {why}"
    return Comparison(np.asarray(included, dtype=np.intp), tuple(excluded), chosen, note)


def disparity_block(
    values: FloatArray,
    overall: Quantity,
    comparison: Comparison,
    labels: Sequence[GroupLabel],
    *,
    explain: bool,
    with_ci: bool = True,
) -> dict[str, Any]:
    """All disparities of one metric; ``values`` is ``[R, G]``, ``overall.values`` is ``[R]``."""
    replicates = values.shape[0]
    compared = values[:, comparison.included]
    count = compared.shape[1]
    point = compared[0] if explain and replicates else np.empty(0)
    block: dict[str, Any] = {
        "groups_compared": count,
        "excluded_groups": [{"group": dict(labels[g]), "reason": why} for g, why in comparison.excluded],
    }
    if count >= 2:
        high, low = compared.max(axis=1), compared.min(axis=1)
        ratio = np.where(low >= 0, safe_divide(low, high), np.nan)
        block["difference"] = quantity(high - low, lambda: "undefined", explain=explain, with_ci=with_ci)
        block["ratio"] = quantity(ratio, lambda: _ratio_reason(point), explain=explain, with_ci=with_ci)
        if explain:
            block["min_group"] = dict(labels[comparison.included[int(np.argmin(point))]])
            block["max_group"] = dict(labels[comparison.included[int(np.argmax(point))]])
    else:
        why = f"needs at least two groups with a defined value, found {count}" + _excluded_summary(
            comparison, labels
        )
        block["difference"] = undefined(replicates, why, with_ci=with_ci)
        block["ratio"] = undefined(replicates, why, with_ci=with_ci)
    block["to_overall"] = _to_overall(compared, overall, explain=explain, with_ci=with_ci)
    block["reference"] = _to_reference(values, comparison, labels, explain=explain, with_ci=with_ci)
    return block


def _excluded_summary(comparison: Comparison, labels: Sequence[GroupLabel]) -> str:
    """The first few excluded groups and why, so a null disparity explains itself."""
    if not comparison.excluded:
        return ""
    shown = "; ".join(f"{dict(labels[g])}: {why}" for g, why in comparison.excluded[:3])
    more = len(comparison.excluded) - 3
    return f" (excluded {shown}{f'; and {more} more' if more > 0 else ''})"


def _ratio_reason(point: FloatArray) -> str:
    if point.size and float(point.min()) < 0:
        return "ratio is not meaningful when a group value is negative"
    return "ratio undefined: the largest compared group value is 0"


def _to_overall(compared: FloatArray, overall: Quantity, *, explain: bool, with_ci: bool) -> dict[str, Any]:
    replicates, count = compared.shape
    if count == 0:
        why = "no group has a defined value"
        return {
            "difference": undefined(replicates, why, with_ci=with_ci),
            "ratio": undefined(replicates, why, with_ci=with_ci),
        }
    reference = overall.values[:, None]
    difference = np.abs(compared - reference).max(axis=1)
    ratios = safe_divide(compared, np.broadcast_to(reference, compared.shape))
    with np.errstate(divide="ignore"):
        folded = np.where(ratios > 1, 1 / ratios, ratios)
    negative = (compared < 0).any(axis=1) | (overall.values < 0)
    ratio = np.where(negative, np.nan, folded.min(axis=1))

    def why_difference() -> str:
        return f"overall value undefined: {overall.reason}"

    def why_ratio() -> str:
        if overall.point() is None:
            return why_difference()
        if bool(negative[0]):
            return "ratio is not meaningful when a value is negative"
        return "ratio undefined: the overall value is 0"

    return {
        "difference": quantity(difference, why_difference, explain=explain, with_ci=with_ci),
        "ratio": quantity(ratio, why_ratio, explain=explain, with_ci=with_ci),
    }


def _to_reference(
    values: FloatArray, comparison: Comparison, labels: Sequence[GroupLabel], *, explain: bool, with_ci: bool
) -> dict[str, Any]:
    replicates = values.shape[0]
    reference = comparison.reference
    if reference is None:
        why = f"no reference group: {comparison.reference_note}"
        return {
            "group": None,
            "max_abs_difference": undefined(replicates, why, with_ci=with_ci),
            "min_ratio": undefined(replicates, why, with_ci=with_ci),
            "max_ratio": undefined(replicates, why, with_ci=with_ci),
            "per_group": [],
        }
    others = comparison.included[comparison.included != reference]
    base = values[:, reference][:, None]
    differences = values[:, others] - base
    ratios = np.where(
        (values[:, others] >= 0) & (base >= 0),
        safe_divide(values[:, others], np.broadcast_to(base, differences.shape)),
        np.nan,
    )
    block: dict[str, Any] = {"group": dict(labels[reference])}
    if others.size == 0:
        why = "no other group with a defined value to compare with the reference"
        for name in ("max_abs_difference", "min_ratio", "max_ratio"):
            block[name] = undefined(replicates, why, with_ci=with_ci)
        block["per_group"] = []
        return block

    def why_ratio() -> str:
        if float(values[0, reference]) < 0:
            return "ratio is not meaningful when a value is negative"
        return "ratio undefined: the reference group's value is 0"

    block["max_abs_difference"] = quantity(
        np.abs(differences).max(axis=1), lambda: "undefined", explain=explain, with_ci=with_ci
    )
    block["min_ratio"] = quantity(ratios.min(axis=1), why_ratio, explain=explain, with_ci=with_ci)
    block["max_ratio"] = quantity(ratios.max(axis=1), why_ratio, explain=explain, with_ci=with_ci)
    block["per_group"] = [
        {
            "group": dict(labels[g]),
            "difference": quantity(differences[:, i], lambda: "undefined", explain=explain, with_ci=False),
            "ratio": quantity(ratios[:, i], why_ratio, explain=explain, with_ci=False),
        }
        for i, g in enumerate(others)
    ]
    return block


def fairlearn_fairness_metrics(
    blocks: Mapping[str, Mapping[str, Any]], *, explain: bool
) -> dict[str, Quantity]:
    """fairlearn's named fairness metrics from the disparity blocks of the underlying rates.

    demographic parity <- selection_rate; equal opportunity <- true_positive_rate; equalized odds combines
    true and false positive rates: worst case (``max`` of differences, ``min`` of ratios, fairlearn's default)
    and ``agg="mean"`` (mean of the two). ``*_to_overall`` variants use fairlearn's ``method="to_overall"``.
    """
    named: dict[str, Quantity] = {}
    selection, tpr, fpr = (
        blocks["selection_rate"],
        blocks["true_positive_rate"],
        blocks["false_positive_rate"],
    )
    for suffix, path in (("", ()), ("_to_overall", ("to_overall",))):
        sel, tp, fp = (_descend(block, path) for block in (selection, tpr, fpr))
        named[f"demographic_parity_difference{suffix}"] = sel["difference"]
        named[f"demographic_parity_ratio{suffix}"] = sel["ratio"]
        named[f"equal_opportunity_difference{suffix}"] = tp["difference"]
        named[f"equal_opportunity_ratio{suffix}"] = tp["ratio"]
        named[f"equalized_odds_difference{suffix}"] = _combine(
            tp["difference"], fp["difference"], np.maximum, explain
        )
        named[f"equalized_odds_ratio{suffix}"] = _combine(tp["ratio"], fp["ratio"], np.minimum, explain)
        named[f"equalized_odds_difference_mean{suffix}"] = _combine(
            tp["difference"], fp["difference"], _mean, explain
        )
        named[f"equalized_odds_ratio_mean{suffix}"] = _combine(tp["ratio"], fp["ratio"], _mean, explain)
    return named


def _descend(block: Mapping[str, Any], path: tuple[str, ...]) -> Mapping[str, Any]:
    for key in path:
        block = block[key]
    return block


def _mean(left: FloatArray, right: FloatArray) -> FloatArray:
    return np.asarray((left + right) / 2, dtype=np.float64)


def _combine(tpr: Quantity, fpr: Quantity, how: Any, explain: bool) -> Quantity:
    def why() -> str:
        if tpr.point() is None:
            return f"true_positive_rate: {tpr.reason}"
        return f"false_positive_rate: {fpr.reason}"

    return quantity(how(tpr.values, fpr.values), why, explain=explain, with_ci=tpr.with_ci)
