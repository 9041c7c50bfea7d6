"""Per-group AUC and KS from score histograms, within their documented binning error bounds."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy.stats import ks_2samp
from sklearn.metrics import roc_auc_score

from governance.fairness.engine import FairnessInputError, analyze, build_count_table
from tests.fairness.helpers import make_dataset

EPS = 1e-12


@pytest.mark.parametrize(
    ("seed", "bins", "weighted"), [(0, 1000, False), (1, 100, False), (2, 10, True), (3, 1000, True)]
)
def test_auc_and_ks_within_binning_bounds(seed, bins, weighted):
    data = make_dataset(seed, 6000, (3,), weighted)
    # Rounded scores create exact ties, which roc_auc_score counts as 1/2, like the binned estimate.
    score = np.round(data.score, 3)
    table = build_count_table(
        y_true=data.y_true,
        y_pred=data.y_pred,
        sensitive_features=data.features,
        sample_weight=data.weights,
        score=score,
        score_bins=bins,
    )
    view = analyze(table).to_dict()["intersection"]
    groups = data.features["attr0"]
    for group in view["groups"] + [dict(view["overall"], group=None)]:
        mask = np.ones(len(score), bool) if group["group"] is None else groups == group["group"]["attr0"]
        weights = None if data.weights is None else data.weights[mask]
        exact_auc = roc_auc_score(data.y_true[mask], score[mask], sample_weight=weights)
        auc, auc_bound = group["metrics"]["roc_auc"], group["error_bounds"]["roc_auc"]
        assert abs(auc - exact_auc) <= auc_bound + EPS
        if bins == 1000:
            assert auc_bound < 2e-3
        if not weighted:
            positives, negatives = score[mask & (data.y_true == 1)], score[mask & (data.y_true == 0)]
            exact_ks = ks_2samp(positives, negatives).statistic
            ks, ks_bound = group["metrics"]["ks_statistic"], group["error_bounds"]["ks_statistic"]
            assert ks - EPS <= exact_ks <= ks + ks_bound + EPS


def test_auc_is_exact_when_every_distinct_score_has_its_own_bin():
    rng = np.random.default_rng(4)
    score = rng.integers(0, 20, 3000) / 20  # 20 distinct values, each alone in a bin of 20
    y_true = (rng.random(3000) < score).astype(int)
    table = build_count_table(
        y_true=y_true,
        y_pred=(score > 0.5).astype(int),
        sensitive_features={"g": np.zeros(3000, int)},
        score=score,
        score_bins=20,
    )
    overall = analyze(table).to_dict()["intersection"]["overall"]
    assert abs(overall["metrics"]["roc_auc"] - roc_auc_score(y_true, score)) < EPS
    assert (
        abs(overall["metrics"]["ks_statistic"] - ks_2samp(score[y_true == 1], score[y_true == 0]).statistic)
        < EPS
    )


def test_auc_of_a_single_class_group_is_null_with_reason_and_disparities_skip_it():
    score = np.array([0.1, 0.9, 0.4, 0.8, 0.3, 0.7, 0.2])
    y_true = np.array([0, 1, 0, 1, 1, 1, 1])
    group = np.array(["a", "a", "a", "a", "b", "b", "b"])
    table = build_count_table(
        y_true=y_true, y_pred=(score > 0.5).astype(int), sensitive_features={"g": group}, score=score
    )
    view = analyze(table).to_dict()["intersection"]
    b = view["groups"][1]
    assert (
        b["metrics"]["roc_auc"] is None
        and b["null_reasons"]["roc_auc"] == "undefined: group has no negative labels"
    )
    assert b["error_bounds"]["roc_auc"] is None
    assert view["groups"][0]["metrics"]["roc_auc"] == 1.0
    auc = view["disparities"]["roc_auc"]
    assert auc["difference"] is None and auc["excluded_groups"][0]["group"] == {"g": "b"}
    assert "ci" not in auc  # no bootstrap for histogram metrics


def test_score_histograms_refuse_unbounded_memory():
    rng = np.random.default_rng(5)
    n = 100_000
    features = {"a": rng.integers(0, 300, n), "b": rng.integers(0, 300, n)}  # ~60k intersections
    arguments: dict[str, Any] = {
        "y_true": rng.integers(0, 2, n),
        "y_pred": rng.integers(0, 2, n),
        "sensitive_features": features,
    }
    with pytest.raises(FairnessInputError, match="use fewer bins"):
        build_count_table(**arguments, score=rng.random(n))
    table = build_count_table(**arguments, score=rng.random(n), score_bins=100)
    assert table.score_hist is not None and table.score_hist.shape == (len(table.keys), 2, 100)
