"""Every per-group value and every fairlearn-named disparity equals fairlearn's to 1e-12.

Where fairlearn reports a value for an undefined metric (scikit-learn's 0 for a group without positive
labels, say), the engine must report ``None`` with a reason instead; those groups are checked separately and
the disparities are then compared with fairlearn run on the groups that do have a value.
"""

from __future__ import annotations

import functools
import warnings

import fairlearn.metrics as flm
import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm

from governance.fairness.engine import AnalysisOptions, analyze, build_count_table
from tests.fairness.helpers import Dataset, close, make_dataset


def _base_rate(y_true, y_pred, sample_weight=None):
    return flm.selection_rate(y_true, y_true, sample_weight=sample_weight)


FAIRLEARN_METRICS = {
    "base_rate": _base_rate,
    "selection_rate": flm.selection_rate,
    "true_positive_rate": flm.true_positive_rate,
    "false_positive_rate": flm.false_positive_rate,
    "false_negative_rate": flm.false_negative_rate,
    "true_negative_rate": flm.true_negative_rate,
    "positive_predictive_value": functools.partial(skm.precision_score, zero_division=np.nan),
    "negative_predictive_value": functools.partial(skm.precision_score, pos_label=0, zero_division=np.nan),
    "accuracy": skm.accuracy_score,
    "error_rate": skm.zero_one_loss,
}
# Denominator of each metric as a boolean row mask: where it is empty fairlearn/scikit-learn invent a value.
DENOMINATORS = {
    "true_positive_rate": lambda d: d.y_true == 1,
    "false_negative_rate": lambda d: d.y_true == 1,
    "false_positive_rate": lambda d: d.y_true == 0,
    "true_negative_rate": lambda d: d.y_true == 0,
    "positive_predictive_value": lambda d: d.y_pred == 1,
    "negative_predictive_value": lambda d: d.y_pred == 0,
}
CASES = [
    # seed, rows, groups per sensitive feature, weighted
    (0, 50, (2,), False),
    (1, 200, (3,), True),
    (2, 1000, (6,), False),
    (3, 5000, (4, 3), False),
    (4, 8000, (5, 2), True),
    (5, 3000, (2, 6), True),
    (6, 20000, (3,), False),
    (7, 400, (4, 4), False),
]


def _metric_frame(data: Dataset, mask: np.ndarray | None = None) -> flm.MetricFrame:
    keep = np.ones(len(data.y_true), dtype=bool) if mask is None else mask
    features = data.fairlearn_features()
    features = features[keep].reset_index(drop=True)
    params = {} if data.weights is None else {"sample_weight": data.weights[keep]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return flm.MetricFrame(
            metrics={**FAIRLEARN_METRICS, "count": flm.count},
            y_true=data.y_true[keep],
            y_pred=data.y_pred[keep],
            sensitive_features=features,
            sample_params=dict.fromkeys(FAIRLEARN_METRICS, params) if params else None,
        )


def _key(index_value: object) -> tuple[object, ...]:
    return index_value if isinstance(index_value, tuple) else (index_value,)


@pytest.fixture(
    scope="module", params=CASES, ids=lambda case: f"seed{case[0]}-n{case[1]}-g{case[2]}-w{case[3]}"
)
def case(request):
    seed, n, groups, weighted = request.param
    data = make_dataset(seed, n, groups, weighted)
    table = build_count_table(
        y_true=data.y_true, y_pred=data.y_pred, sensitive_features=data.features, sample_weight=data.weights
    )
    return data, analyze(table).to_dict(), _metric_frame(data)


def test_per_group_metrics_match_fairlearn(case):
    data, report, frame = case
    by_group = frame.by_group
    ours = {tuple(g["group"].values()): g for g in report["intersection"]["groups"]}
    present = [index for index in by_group.index if not pd.isna(by_group.loc[index, "count"])]
    assert sorted(ours) == sorted(_key(index) for index in present), "absent intersections must be absent"
    rows_in = _group_masks(data)
    for index in present:
        group = ours[_key(index)]
        assert group["n"] == by_group.loc[index, "count"]
        for name in FAIRLEARN_METRICS:
            value = group["metrics"][name]
            empty = name in DENOMINATORS and not np.any(DENOMINATORS[name](data)[rows_in[_key(index)]])
            if empty:
                assert value is None, (index, name)
                assert group["null_reasons"][name].startswith("zero denominator")
            else:
                assert close(value, by_group.loc[index, name]), (
                    index,
                    name,
                    value,
                    by_group.loc[index, name],
                )
    for name in FAIRLEARN_METRICS:
        assert close(report["intersection"]["overall"]["metrics"][name], frame.overall[name]), name


def _group_masks(data: Dataset) -> dict[tuple[object, ...], np.ndarray]:
    masks: dict[tuple[object, ...], np.ndarray] = {}
    for key, rows in data.frame.groupby(list(data.features)).indices.items():
        mask = np.zeros(len(data.y_true), dtype=bool)
        mask[rows] = True
        masks[_key(key)] = mask
    return masks


def test_disparities_match_fairlearn(case):
    data, report, frame = case
    view = report["intersection"]
    for name in FAIRLEARN_METRICS:
        block = view["disparities"][name]
        if block["excluded_groups"]:
            # fairlearn would compare an invented value; compare with fairlearn on the groups that have one.
            excluded = {tuple(e["group"].values()) for e in block["excluded_groups"]}
            keep = np.array([key not in excluded for key in data.frame.itertuples(index=False, name=None)])
            subset = _metric_frame(data, keep)
            if block["groups_compared"] >= 2:
                assert close(block["difference"], subset.difference()[name]), name
                assert close(block["ratio"], subset.ratio()[name]), name
            else:
                assert (
                    block["difference"] is None
                    and "at least two groups" in block["null_reasons"]["difference"]
                )
            continue
        assert close(block["difference"], frame.difference(method="between_groups")[name]), name
        assert close(block["to_overall"]["difference"], frame.difference(method="to_overall")[name]), name
        expected_ratio = frame.ratio(method="between_groups")[name]
        if np.isnan(expected_ratio):
            assert block["ratio"] is None
        else:
            assert close(block["ratio"], expected_ratio), name
            assert close(block["to_overall"]["ratio"], frame.ratio(method="to_overall")[name]), name


def test_named_fairness_metrics_match_fairlearn(case):
    data, report, _ = case
    view = report["intersection"]
    named = view["fairness_metrics"]
    kwargs = {"sensitive_features": data.fairlearn_features(), "sample_weight": data.weights}
    excluded = {
        name
        for name in ("selection_rate", "true_positive_rate", "false_positive_rate")
        if view["disparities"][name]["excluded_groups"]
    }
    checks = {
        "demographic_parity": (
            {"selection_rate"},
            flm.demographic_parity_difference,
            flm.demographic_parity_ratio,
        )
    }
    checks["equal_opportunity"] = (
        {"true_positive_rate"},
        flm.equal_opportunity_difference,
        flm.equal_opportunity_ratio,
    )
    checks["equalized_odds"] = (
        {"true_positive_rate", "false_positive_rate"},
        flm.equalized_odds_difference,
        flm.equalized_odds_ratio,
    )
    compared = 0
    for prefix, (needs, difference, ratio) in checks.items():
        if needs & excluded:
            # Compared on fewer groups than fairlearn would; undefined as soon as a component is undefined.
            if any(view["disparities"][metric]["difference"] is None for metric in needs):
                assert named[f"{prefix}_difference"] is None
                assert named["null_reasons"][f"{prefix}_difference"]
            continue
        for method, suffix in (("between_groups", ""), ("to_overall", "_to_overall")):
            aggs = [("worst_case", "")] + ([("mean", "_mean")] if prefix == "equalized_odds" else [])
            for agg, agg_suffix in aggs:
                extra = {"agg": agg} if prefix == "equalized_odds" else {}
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    expected_difference = difference(
                        data.y_true, data.y_pred, method=method, **kwargs, **extra
                    )
                    expected_ratio = ratio(data.y_true, data.y_pred, method=method, **kwargs, **extra)
                assert close(named[f"{prefix}_difference{agg_suffix}{suffix}"], expected_difference), prefix
                if np.isnan(expected_ratio):
                    assert named[f"{prefix}_ratio{agg_suffix}{suffix}"] is None
                else:
                    assert close(named[f"{prefix}_ratio{agg_suffix}{suffix}"], expected_ratio), prefix
                compared += 1
    assert compared or excluded


@pytest.mark.parametrize("column_index", [0, 1])
def test_single_attribute_views_match_fairlearn(column_index):
    data = make_dataset(11, 6000, (3, 4), weighted=True)
    name = f"attr{column_index}"
    table = build_count_table(
        y_true=data.y_true, y_pred=data.y_pred, sensitive_features=data.features, sample_weight=data.weights
    )
    view = analyze(table).to_dict()["attributes"][name]
    single = Dataset(data.y_true, data.y_pred, {name: data.features[name]}, data.weights, data.score)
    frame = _metric_frame(single)
    for group in view["groups"]:
        label = group["group"][name]
        for metric in FAIRLEARN_METRICS:
            assert close(group["metrics"][metric], frame.by_group.loc[label, metric]), (label, metric)
    for metric in FAIRLEARN_METRICS:
        assert close(view["disparities"][metric]["difference"], frame.difference()[metric])
        assert close(view["disparities"][metric]["ratio"], frame.ratio()[metric])
        assert close(
            view["disparities"][metric]["to_overall"]["ratio"], frame.ratio(method="to_overall")[metric]
        )


def test_fairlearn_invents_a_zero_the_engine_reports_null():
    """A group without positive labels: fairlearn says TPR = 0 and a TPR gap of 1; we say: not measurable."""
    y_true = np.array([1, 1, 0, 1, 0, 0, 0, 0])
    y_pred = np.array([1, 1, 0, 1, 1, 0, 0, 1])
    sex = np.array(["F", "F", "F", "F", "M", "M", "M", "M"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = flm.MetricFrame(
            metrics=flm.true_positive_rate, y_true=y_true, y_pred=y_pred, sensitive_features=sex
        )
    assert frame.by_group["M"] == 0.0 and frame.difference() == 1.0  # fairlearn's invented numbers
    report = analyze(
        build_count_table(y_true=y_true, y_pred=y_pred, sensitive_features={"sex": sex})
    ).to_dict()
    male = report["intersection"]["groups"][1]
    assert male["metrics"]["true_positive_rate"] is None
    assert "no positive labels" in male["null_reasons"]["true_positive_rate"]
    block = report["intersection"]["disparities"]["true_positive_rate"]
    assert block["difference"] is None and block["ratio"] is None
    assert block["excluded_groups"] == [
        {"group": {"sex": "M"}, "reason": male["null_reasons"]["true_positive_rate"]}
    ]
    assert report["intersection"]["fairness_metrics"]["equal_opportunity_difference"] is None
    assert report["intersection"]["fairness_metrics"]["equalized_odds_difference"] is None
    assert report["intersection"]["disparities"]["selection_rate"]["difference"] == 0.25


def test_min_group_size_excludes_small_groups_from_comparisons():
    data = make_dataset(21, 3000, (4, 3), weighted=False)
    table = build_count_table(y_true=data.y_true, y_pred=data.y_pred, sensitive_features=data.features)
    sizes = {tuple(g["group"].values()): g["n"] for g in analyze(table).to_dict()["intersection"]["groups"]}
    threshold = sorted(sizes.values())[3]
    view = analyze(table, AnalysisOptions(min_group_size=threshold)).to_dict()["intersection"]
    small = {key for key, n in sizes.items() if n < threshold}
    assert small
    for group in view["groups"]:
        key = tuple(group["group"].values())
        if key in small:
            assert all(value is None for value in group["metrics"].values())
            assert "below min_group_size" in group["null_reasons"]["selection_rate"]
    excluded = {tuple(e["group"].values()) for e in view["disparities"]["selection_rate"]["excluded_groups"]}
    assert excluded == small
    keep = np.array([key not in small for key in data.frame.itertuples(index=False, name=None)])
    frame = _metric_frame(data, keep)
    assert close(view["disparities"]["selection_rate"]["difference"], frame.difference()["selection_rate"])
