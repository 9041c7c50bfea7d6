"""Bootstrap intervals from the count table: deterministic, fast, and covering the estimate."""

from __future__ import annotations

import time

import numpy as np
import pytest

from governance.fairness.engine import (
    AnalysisOptions,
    BootstrapConfig,
    CountTable,
    FairnessInputError,
    analyze,
    build_count_table,
)
from governance.fairness.engine.bootstrap import resample_cells
from tests.fairness.helpers import make_dataset


def _table(
    seed: int = 0, n: int = 200_000, groups: tuple[int, ...] = (4, 3), weighted: bool = False
) -> CountTable:
    data = make_dataset(seed, n, groups, weighted)
    return build_count_table(
        y_true=data.y_true, y_pred=data.y_pred, sensitive_features=data.features, sample_weight=data.weights
    )


def test_1000_replicates_are_deterministic_with_a_seed_and_fast():
    table = _table()
    options = AnalysisOptions(bootstrap=BootstrapConfig(replicates=1000, seed=42))
    started = time.perf_counter()
    first = analyze(table, options).to_json()
    elapsed = time.perf_counter() - started
    print(f"\nanalyze with 1000 bootstrap replicates, 12 groups x 3 views: {elapsed * 1000:.0f} ms")
    assert analyze(table, options).to_json() == first
    other_seed = analyze(table, AnalysisOptions(bootstrap=BootstrapConfig(seed=43))).to_json()
    assert other_seed != first


def test_intervals_contain_the_estimate_for_large_n():
    report = analyze(_table(), AnalysisOptions(bootstrap=BootstrapConfig(seed=1))).to_dict()
    view = report["intersection"]
    checked = 0
    for name, block in view["disparities"].items():
        for stat in ("difference", "ratio"):
            interval = block["ci"][stat]
            assert interval["valid_replicates"] == 1000
            assert interval["lower"] <= block[stat] <= interval["upper"], (name, stat)
            assert (
                interval["bonferroni"]["lower"]
                <= interval["lower"]
                <= interval["upper"]
                <= interval["bonferroni"]["upper"]
            )
            checked += 1
    named = view["fairness_metrics"]
    for name in ("demographic_parity_ratio", "equalized_odds_difference", "theil_index"):
        assert named["ci"][name]["lower"] <= named[name] <= named["ci"][name]["upper"]
    for entry in view["facets"]["versus_rest"]:
        assert entry["ci"]["DPPL"]["lower"] <= entry["metrics"]["DPPL"] <= entry["ci"]["DPPL"]["upper"]
    summary = report["bootstrap"]
    assert summary["seed"] == 1 and summary["replicates"] == 1000 and summary["comparisons"] > checked
    assert summary["bonferroni_confidence"] == pytest.approx(1 - 0.05 / summary["comparisons"])


def test_interval_width_shrinks_with_sample_size():
    def width(n: int) -> float:
        report = analyze(
            _table(n=n, groups=(3,)), AnalysisOptions(bootstrap=BootstrapConfig(seed=3))
        ).to_dict()
        interval = report["intersection"]["disparities"]["selection_rate"]["ci"]["difference"]
        return float(interval["upper"] - interval["lower"])

    assert width(400_000) < width(4_000) / 4


def test_resampling_keeps_stratum_sizes_and_weights_scale():
    table = _table(n=5000, weighted=True)
    config = BootstrapConfig(replicates=200, seed=5).validated()
    draws = resample_cells(table, config)
    assert draws.shape == (200, len(table.keys), 4)
    weight_sums = table.weight_sums
    assert weight_sums is not None
    # Weighted replicate cells are resampled row counts x the cell's mean weight, and stratified draws keep
    # every key's row count.
    mean_weight = np.where(table.rows > 0, weight_sums / np.maximum(table.rows, 1), 0.0)
    counts = np.divide(draws, mean_weight, out=np.zeros_like(draws), where=mean_weight > 0)
    np.testing.assert_allclose(counts, np.round(counts), atol=1e-6)
    np.testing.assert_array_equal(
        np.round(counts).sum(axis=2), np.broadcast_to(table.rows.sum(axis=1), (200, len(table.keys)))
    )
    np.testing.assert_allclose(draws.mean(axis=0), weight_sums, rtol=0.1, atol=5.0)
    unstratified = resample_cells(table, BootstrapConfig(replicates=200, seed=5, stratified=False))
    assert unstratified.shape == draws.shape
    unweighted = _table(n=5000)
    counts = resample_cells(unweighted, config)
    np.testing.assert_array_equal(
        counts.sum(axis=2), np.broadcast_to(unweighted.rows.sum(axis=1), (200, len(unweighted.keys)))
    )
    total = resample_cells(unweighted, BootstrapConfig(replicates=200, seed=5, stratified=False))
    assert np.all(total.sum(axis=(1, 2)) == unweighted.n_rows)


def test_replicates_where_a_statistic_is_undefined_are_counted_not_hidden():
    # One group with a single positive label: resamples often have none, so its TPR is undefined there.
    y_true = np.r_[np.ones(1), np.zeros(99), np.ones(50), np.zeros(50)].astype(int)
    y_pred = np.r_[np.ones(1), np.zeros(99), np.ones(60), np.zeros(40)].astype(int)
    group = np.r_[np.full(100, "a"), np.full(100, "b")]
    table = build_count_table(y_true=y_true, y_pred=y_pred, sensitive_features={"g": group})
    report = analyze(table, AnalysisOptions(bootstrap=BootstrapConfig(seed=9))).to_dict()
    interval = report["intersection"]["disparities"]["true_positive_rate"]["ci"]["difference"]
    assert 0 < interval["valid_replicates"] < 1000


def test_weighted_and_unstratified_bootstrap_run_and_serialise():
    options = AnalysisOptions(
        bootstrap=BootstrapConfig(replicates=300, seed=2, stratified=False, confidence=0.9)
    )
    report = analyze(_table(n=20_000, weighted=True), options)
    data = report.to_dict()
    assert data["bootstrap"]["weighting"] and data["bootstrap"]["stratified"] is False
    assert "bonferroni_note" in data["bootstrap"]
    report.to_json()


@pytest.mark.parametrize(
    ("config", "field"),
    [(BootstrapConfig(replicates=1), "replicates"), (BootstrapConfig(confidence=1.0), "confidence")],
)
def test_invalid_bootstrap_settings(config, field):
    with pytest.raises(FairnessInputError) as raised:
        analyze(_table(n=100, groups=(2,)), AnalysisOptions(bootstrap=config))
    assert field in raised.value.field


def test_unseeded_runs_report_the_seed_they_used():
    table = _table(n=2000, groups=(2,))
    first = analyze(table, AnalysisOptions(bootstrap=BootstrapConfig(replicates=50))).to_dict()
    seed = first["bootstrap"]["seed"]
    assert isinstance(seed, int)
    again = analyze(table, AnalysisOptions(bootstrap=BootstrapConfig(replicates=50, seed=seed))).to_dict()
    assert again["intersection"] == first["intersection"]
