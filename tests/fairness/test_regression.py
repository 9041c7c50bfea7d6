"""Regression mode against fairlearn's MetricFrame with scikit-learn's error metrics."""

from __future__ import annotations

import json

import fairlearn.metrics as flm
import numpy as np
import pytest
import sklearn.metrics as skm

from governance.fairness.engine import (
    AnalysisOptions,
    FairnessInputError,
    analyze_regression,
    build_regression_table,
)
from tests.fairness.helpers import close


def _mean_target(y_true, y_pred, sample_weight=None):
    return flm.mean_prediction(y_pred, y_true, sample_weight=sample_weight)


METRICS = {
    "mean_absolute_error": skm.mean_absolute_error,
    "mean_squared_error": skm.mean_squared_error,
    "mean_prediction": flm.mean_prediction,
    "mean_target": _mean_target,
}


def _data(
    seed: int, n: int, groups: tuple[int, ...], weighted: bool
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], np.ndarray | None]:
    rng = np.random.default_rng(seed)
    features = {f"attr{i}": rng.choice([f"v{j}" for j in range(k)], size=n) for i, k in enumerate(groups)}
    offset = sum(np.char.str_len(values.astype(str)) * (i + 1) for i, values in enumerate(features.values()))
    y_true = rng.normal(3.0, 1.0, n) + 0.1 * offset
    y_pred = y_true + rng.normal(0.2, 0.5 + 0.1 * (offset % 3), n)
    weights = rng.uniform(0.5, 2.0, n) if weighted else None
    return y_true, y_pred, features, weights


@pytest.mark.parametrize(
    ("seed", "n", "groups", "weighted"),
    [(0, 300, (3,), False), (1, 5000, (2, 4), True), (2, 20000, (5,), True)],
)
def test_regression_matches_fairlearn(seed, n, groups, weighted):
    y_true, y_pred, features, weights = _data(seed, n, groups, weighted)
    table = build_regression_table(
        y_true=y_true, y_pred=y_pred, sensitive_features=features, sample_weight=weights
    )
    report = analyze_regression(table).to_dict()
    json.dumps(report, allow_nan=False)
    params = None if weights is None else {name: {"sample_weight": weights} for name in METRICS}
    sensitive = features[next(iter(features))] if len(features) == 1 else features
    frame = flm.MetricFrame(
        metrics=METRICS, y_true=y_true, y_pred=y_pred, sensitive_features=sensitive, sample_params=params
    )
    view = report["intersection"]
    for group in view["groups"]:
        key = tuple(group["group"].values())
        expected = frame.by_group.loc[key if len(key) > 1 else key[0]]
        for name in METRICS:
            assert close(group["metrics"][name], expected[name]), (key, name)
    for name in METRICS:
        assert close(view["overall"]["metrics"][name], frame.overall[name])
        block = view["disparities"][name]
        assert close(block["difference"], frame.difference()[name])
        assert close(block["ratio"], frame.ratio()[name])
        assert close(block["to_overall"]["difference"], frame.difference(method="to_overall")[name])
        assert close(block["to_overall"]["ratio"], frame.ratio(method="to_overall")[name])
    group_max = flm.mean_absolute_error_group_max(
        y_true, y_pred, sensitive_features=sensitive, sample_weight=weights
    )
    assert close(view["fairness_metrics"]["mean_absolute_error_group_max"], group_max)


def test_chunks_merge_and_negative_values_have_no_ratio():
    y_true, y_pred, features, weights = _data(3, 4000, (3,), True)
    assert weights is not None
    y_pred = y_pred - 6.0  # mean predictions of some groups become negative
    whole = build_regression_table(
        y_true=y_true, y_pred=y_pred, sensitive_features=features, sample_weight=weights
    )
    parts = [
        build_regression_table(
            y_true=y_true[s],
            y_pred=y_pred[s],
            sensitive_features={k: v[s] for k, v in features.items()},
            sample_weight=weights[s],
        )
        for s in (slice(0, 1000), slice(1000, 4000))
    ]
    merged = parts[0].merge(parts[1])
    assert merged.keys == whole.keys
    np.testing.assert_array_equal(merged.rows, whole.rows)
    np.testing.assert_allclose(merged.sums, whole.sums, rtol=1e-12)
    view = analyze_regression(merged, AnalysisOptions(reference="most_favourable")).to_dict()["intersection"]
    block = view["disparities"]["mean_prediction"]
    assert block["difference"] is not None
    assert block["ratio"] is None and "negative" in block["null_reasons"]["ratio"]
    mae = view["disparities"]["mean_absolute_error"]["reference"]
    lowest = min(view["groups"], key=lambda g: g["metrics"]["mean_absolute_error"])
    assert mae["group"] == lowest["group"]  # lower error is the favourable direction


def test_regression_input_errors():
    with pytest.raises(FairnessInputError) as raised:
        build_regression_table(y_true=[1.0, np.nan], y_pred=[1.0, 2.0], sensitive_features={"g": ["a", "b"]})
    assert raised.value.field == "y_true"
    with pytest.raises(FairnessInputError, match="bootstrap"):
        from governance.fairness.engine import BootstrapConfig

        table = build_regression_table(
            y_true=[1.0, 2.0], y_pred=[1.0, 2.0], sensitive_features={"g": ["a", "b"]}
        )
        analyze_regression(table, AnalysisOptions(bootstrap=BootstrapConfig()))
