"""ROC AUC and the Kolmogorov-Smirnov statistic from per-class score histograms.

Scores are binned into B equal-width bins over [0, 1] (bin = floor(score * B), score 1.0 in the last bin).
Binning is monotone, so two rows in different bins are ordered exactly as their scores; only pairs inside the
same bin lose their order. Both statistics therefore come with an exact, data-dependent error bound:

* AUC (Mann-Whitney, ties count 1/2 as in ``sklearn.metrics.roc_auc_score``): binned AUC counts every
  same-bin positive/negative pair as a tie (1/2), whereas the exact AUC counts it as 0, 1/2 or 1, so
  ``|AUC_binned - AUC_exact| <= 0.5 * sum_b P_b N_b / (P N)``.
* KS (``scipy.stats.ks_2samp``'s statistic, sup |F_pos - F_neg| of the empirical CDFs): evaluating the CDF
  difference at the bin boundaries gives values the exact CDFs actually take, so ``KS_binned <= KS_exact``;
  inside bin b each CDF moves by at most its bin mass, so
  ``KS_exact <= max_b max(|F_pos(r_b) - F_neg(l_b)|, |F_pos(l_b) - F_neg(r_b)|)``; the bound reported is
  that maximum minus ``KS_binned``.

With weights, P_b and N_b are weight sums, matching scikit-learn's weighted AUC.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from governance.fairness.engine.metrics import safe_divide

FloatArray = npt.NDArray[np.float64]


def binned_auc(hist: FloatArray) -> tuple[FloatArray, FloatArray]:
    """AUC and its binning error bound for histograms ``[..., 2, B]`` (axis -2: negatives, positives)."""
    negatives, positives = hist[..., 0, :], hist[..., 1, :]
    negatives_below = np.cumsum(negatives, axis=-1) - negatives
    wins = (positives * (negatives_below + 0.5 * negatives)).sum(axis=-1)
    pairs = positives.sum(axis=-1) * negatives.sum(axis=-1)
    tied = (positives * negatives).sum(axis=-1)
    return safe_divide(wins, pairs), safe_divide(0.5 * tied, pairs)


def binned_ks(hist: FloatArray) -> tuple[FloatArray, FloatArray]:
    """KS statistic (a lower bound of the exact one) and the width of the interval holding the exact value."""
    negatives, positives = hist[..., 0, :], hist[..., 1, :]
    negative_cdf = safe_divide(np.cumsum(negatives, axis=-1), negatives.sum(axis=-1, keepdims=True))
    positive_cdf = safe_divide(np.cumsum(positives, axis=-1), positives.sum(axis=-1, keepdims=True))
    zeros = np.zeros((*negative_cdf.shape[:-1], 1))
    negative_left = np.concatenate([zeros, negative_cdf[..., :-1]], axis=-1)
    positive_left = np.concatenate([zeros, positive_cdf[..., :-1]], axis=-1)
    at_edges = np.abs(positive_cdf - negative_cdf).max(axis=-1)
    upper = np.maximum(np.abs(positive_cdf - negative_left), np.abs(positive_left - negative_cdf)).max(
        axis=-1
    )
    return at_edges, upper - at_edges


def ranking_reason(hist: FloatArray) -> str:
    """Why AUC/KS are undefined for one group's ``[2, B]`` histogram."""
    if float(hist[1].sum()) == 0.0:
        return "undefined: group has no positive labels"
    return "undefined: group has no negative labels"
