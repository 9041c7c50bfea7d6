"""Facet metrics: one group ("facet" d) against a comparator a, as SageMaker Clarify and AIF360 define them.

Clarify compares the facet d with the rest of the population a; AIF360 compares an unprivileged group with a
privileged one (here: the reference group). Both are computed from the same cells, so the formulas below are
exact on counts. Notation: n = rows (weight), n1/n0 = observed positive/negative labels, n̂1/n̂0 = predicted
positive/negative, q = n1/n, q̂ = n̂1/n. Clarify substitutes 0 or "infinity" when a denominator is zero; here
the value is ``None`` with the reason.

Also here: the Theil index (AIF360's generalized entropy index with alpha = 1) on the benefit
b = ŷ - y + 1 ∈ {0, 1, 2}, which is a function of the cell counts, and Clarify's conditional demographic
disparity (needs a strata column).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from governance.fairness.engine.counts import FN, FP, TN, TP
from governance.fairness.engine.metrics import ALL_CELLS, RATE_METRICS_BY_NAME, RateMetric, safe_divide

FloatArray = npt.NDArray[np.float64]
Rates = Mapping[str, FloatArray]

_RATES: Final[dict[str, RateMetric]] = {
    "q": RATE_METRICS_BY_NAME["base_rate"],
    "q_hat": RATE_METRICS_BY_NAME["selection_rate"],
    "tpr": RATE_METRICS_BY_NAME["true_positive_rate"],
    "tnr": RATE_METRICS_BY_NAME["true_negative_rate"],
    "fpr": RATE_METRICS_BY_NAME["false_positive_rate"],
    "ppv": RATE_METRICS_BY_NAME["positive_predictive_value"],
    "npv": RATE_METRICS_BY_NAME["negative_predictive_value"],
    "acc": RATE_METRICS_BY_NAME["accuracy"],
    "c": RateMetric("c", (FN, TP), (FP, TP), "no positive predictions (n̂1 = 0)", True, "n1 / n̂1"),
    "r": RateMetric("r", (TN, FP), (TN, FN), "no negative predictions (n̂0 = 0)", True, "n0 / n̂0"),
    "tau": RateMetric("tau", (FN,), (FP,), "no false positives (FP = 0)", True, "FN / FP"),
}


@dataclass(frozen=True)
class FacetMetric:
    """A facet metric: ``formula(d_rates, a_rates)`` using the rates named in ``terms``."""

    code: str
    definition: str
    terms: tuple[str, ...]
    formula: Callable[[Rates, Rates], FloatArray]
    zero_quotient_reason: str | None = None


def _half(value: FloatArray) -> FloatArray:
    return np.asarray(0.5 * value, dtype=np.float64)


FACET_METRICS: Final[tuple[FacetMetric, ...]] = (
    FacetMetric(
        "DPL", "Clarify difference in proportions of labels: q_a - q_d", ("q",), lambda d, a: a["q"] - d["q"]
    ),
    FacetMetric(
        "DPPL",
        "Clarify difference in positive proportions in predicted labels: q̂_a - q̂_d",
        ("q_hat",),
        lambda d, a: a["q_hat"] - d["q_hat"],
    ),
    FacetMetric(
        "DI",
        "Clarify disparate impact: q̂_d / q̂_a",
        ("q_hat",),
        lambda d, a: safe_divide(d["q_hat"], a["q_hat"]),
        "comparator has no positive predictions (q̂_a = 0)",
    ),
    FacetMetric(
        "DCA",
        "Clarify difference in conditional acceptance: c_a - c_d, c = n1 / n̂1",
        ("c",),
        lambda d, a: a["c"] - d["c"],
    ),
    FacetMetric(
        "DCR",
        "Clarify difference in conditional rejection: r_d - r_a, r = n0 / n̂0",
        ("r",),
        lambda d, a: d["r"] - a["r"],
    ),
    FacetMetric(
        "DAR",
        "Clarify difference in acceptance rates: TP_a / n̂1_a - TP_d / n̂1_d (precision)",
        ("ppv",),
        lambda d, a: a["ppv"] - d["ppv"],
    ),
    FacetMetric(
        "DRR",
        "Clarify difference in rejection rates: TN_d / n̂0_d - TN_a / n̂0_a",
        ("npv",),
        lambda d, a: d["npv"] - a["npv"],
    ),
    FacetMetric("RD", "Clarify recall difference: TPR_a - TPR_d", ("tpr",), lambda d, a: a["tpr"] - d["tpr"]),
    FacetMetric(
        "SD", "Clarify specificity difference: TNR_d - TNR_a", ("tnr",), lambda d, a: d["tnr"] - a["tnr"]
    ),
    FacetMetric(
        "AD", "Clarify accuracy difference: ACC_a - ACC_d", ("acc",), lambda d, a: a["acc"] - d["acc"]
    ),
    FacetMetric(
        "TE",
        "Clarify treatment equality: FN_d / FP_d - FN_a / FP_a",
        ("tau",),
        lambda d, a: d["tau"] - a["tau"],
    ),
    FacetMetric(
        "statistical_parity_difference",
        "AIF360: selection rate of d minus that of a",
        ("q_hat",),
        lambda d, a: d["q_hat"] - a["q_hat"],
    ),
    FacetMetric(
        "disparate_impact",
        "AIF360: selection rate of d divided by that of a",
        ("q_hat",),
        lambda d, a: safe_divide(d["q_hat"], a["q_hat"]),
        "comparator has no positive predictions (selection rate 0)",
    ),
    FacetMetric(
        "equal_opportunity_difference",
        "AIF360: TPR_d - TPR_a (signed; fairlearn's is max - min)",
        ("tpr",),
        lambda d, a: d["tpr"] - a["tpr"],
    ),
    FacetMetric(
        "average_odds_difference",
        "AIF360: ((FPR_d - FPR_a) + (TPR_d - TPR_a)) / 2",
        ("fpr", "tpr"),
        lambda d, a: _half((d["fpr"] - a["fpr"]) + (d["tpr"] - a["tpr"])),
    ),
    FacetMetric(
        "average_abs_odds_difference",
        "AIF360: (|FPR_d - FPR_a| + |TPR_d - TPR_a|) / 2",
        ("fpr", "tpr"),
        lambda d, a: _half(np.abs(d["fpr"] - a["fpr"]) + np.abs(d["tpr"] - a["tpr"])),
    ),
)
CLASS_IMBALANCE_DEFINITION: Final = "Clarify class imbalance: (n_a - n_d) / (n_a + n_d)"


def facet_values(facet: FloatArray, comparator: FloatArray) -> dict[str, FloatArray]:
    """Every facet metric (and ``CI``) for cells ``[..., 4]`` of facets and their comparators."""
    d_rates = {name: rate.values(facet) for name, rate in _RATES.items()}
    a_rates = {name: rate.values(comparator) for name, rate in _RATES.items()}
    n_d = facet.sum(axis=-1)
    n_a = comparator.sum(axis=-1)
    values = {"CI": safe_divide(n_a - n_d, n_a + n_d)}
    for metric in FACET_METRICS:
        values[metric.code] = np.asarray(metric.formula(d_rates, a_rates), dtype=np.float64)
    return values


def facet_reason(code: str, facet: FloatArray, comparator: FloatArray) -> str:
    """Why facet metric ``code`` is undefined for one facet's ``[4]`` cells and its comparator's."""
    if code == "CI":
        return "facet and comparator are both empty"
    metric = next(m for m in FACET_METRICS if m.code == code)
    for term in metric.terms:
        rate = _RATES[term]
        for side, cells in (("facet", facet), ("comparator", comparator)):
            if float(rate.denominator_values(cells)) == 0.0:
                what = rate.empty_reason.removeprefix("zero denominator: group has ")
                return f"zero denominator: {side} has {what}"
    return metric.zero_quotient_reason or "undefined"


def theil_index(cells: FloatArray) -> FloatArray:
    """Theil index (generalized entropy, alpha = 1) of b = ŷ - y + 1 over the rows of each cell set.

    b is 0 for FN, 1 for TN and TP, 2 for FP; with mean benefit mu = (n_1 + 2 n_2) / n the index is
    (1/n) * sum_i (b_i / mu) ln(b_i / mu) = (n_1 (1/mu) ln(1/mu) + n_2 (2/mu) ln(2/mu)) / n (0 ln 0 = 0).
    Undefined (NaN) when n = 0 or mu = 0 (every row a false negative).
    """
    total = _sum(cells, ALL_CELLS)
    ones = cells[..., TN] + cells[..., TP]
    twos = cells[..., FP]
    mean_benefit = safe_divide(ones + 2 * twos, total)
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse = 1 / mean_benefit
        double = 2 / mean_benefit
        value = (ones * inverse * np.log(inverse) + twos * double * np.log(double)) / total
    return np.where(mean_benefit > 0, value, np.nan)


def between_group_theil_index(cells: FloatArray) -> FloatArray:
    """AIF360's between-all-groups Theil index: the Theil index after replacing each b_i by its group mean.

    ``cells`` is ``[..., G, 4]``; equals (1/n) sum_g n_g (mu_g / mu) ln(mu_g / mu), groups with mu_g = 0 (or
    no rows) contributing 0.
    """
    group_total = _sum(cells, ALL_CELLS)
    group_benefit = cells[..., TN] + cells[..., TP] + 2 * cells[..., FP]
    total = group_total.sum(axis=-1)
    mean_benefit = safe_divide(group_benefit.sum(axis=-1), total)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = safe_divide(group_benefit, group_total) / mean_benefit[..., None]
        terms = np.where(share > 0, group_total * share * np.log(share), 0.0)
        value = terms.sum(axis=-1) / total
    return np.where(mean_benefit > 0, value, np.nan)


def conditional_demographic_disparity(strata_cells: FloatArray, predicted: bool) -> FloatArray:
    """Clarify's CDDL (labels) or CDDPL (``predicted``) of every group against the rest, ``[..., G]``.

    ``strata_cells`` is ``[..., G, S, 4]``. In stratum i, DD_i = n_d0_i / n0_i - n_d1_i / n1_i (the facet's
    share of the stratum's rejections minus its share of acceptances); CDD = sum_i n_i DD_i / n. NaN when a
    stratum has no acceptances or no rejections (Clarify would count that stratum's term as 0).
    """
    accepted = (FP, TP) if predicted else (FN, TP)
    rejected = (TN, FN) if predicted else (TN, FP)
    group_accepted = _sum(strata_cells, accepted)
    group_rejected = _sum(strata_cells, rejected)
    stratum_size = _sum(strata_cells, ALL_CELLS).sum(axis=-2)
    stratum_accepted = group_accepted.sum(axis=-2, keepdims=True)
    stratum_rejected = group_rejected.sum(axis=-2, keepdims=True)
    disparity = safe_divide(group_rejected, stratum_rejected) - safe_divide(group_accepted, stratum_accepted)
    weighted = (disparity * stratum_size[..., None, :]).sum(axis=-1)
    return safe_divide(weighted, np.broadcast_to(stratum_size.sum(axis=-1)[..., None], weighted.shape))


def cdd_reason(strata_cells: FloatArray, predicted: bool, strata_labels: Sequence[object]) -> str:
    """Which strata make CDD undefined (``strata_cells`` is ``[G, S, 4]`` of the point estimate)."""
    accepted = _sum(strata_cells, (FP, TP) if predicted else (FN, TP)).sum(axis=0)
    rejected = _sum(strata_cells, (TN, FN) if predicted else (TN, FP)).sum(axis=0)
    kind = "predicted" if predicted else "observed"
    empty = [repr(strata_labels[i]) for i in np.flatnonzero((accepted == 0) | (rejected == 0))[:5]]
    return f"strata without both {kind} acceptances and rejections: {', '.join(empty)}"


def _sum(cells: FloatArray, indices: tuple[int, ...]) -> FloatArray:
    total = cells[..., indices[0]]
    for index in indices[1:]:
        total = total + cells[..., index]
    return np.asarray(total, dtype=np.float64)
