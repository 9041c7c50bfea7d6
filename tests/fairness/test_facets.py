"""Facet metrics against AIF360 (installed as a test oracle) and a row-level SageMaker Clarify reference."""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from governance.fairness.engine import AnalysisOptions, analyze, build_count_table
from tests.fairness.helpers import Dataset, close, make_dataset


def _aif360() -> tuple[Any, Any]:
    """AIF360 is an optional oracle (``pip install aif360``); only the tests that need it skip without it."""
    logging.getLogger().setLevel(logging.ERROR)  # aif360 logs its missing optional extras at import
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pytest.importorskip("aif360.datasets"), pytest.importorskip("aif360.metrics")


def _aif_metric(
    data: Dataset, privileged: dict[str, Any], unprivileged: dict[str, Any], weighted: bool
) -> Any:
    """AIF360 ClassificationMetric with integer-coded protected attributes (AIF360 needs numbers)."""
    aif360_datasets, aif360_metrics = _aif360()
    codes = {name: pd.factorize(values, sort=True) for name, values in data.features.items()}
    frame = pd.DataFrame({name: code for name, (code, _) in codes.items()})
    frame["label"] = data.y_true
    if weighted:
        frame["weight"] = data.weights
    dataset = aif360_datasets.BinaryLabelDataset(
        df=frame,
        label_names=["label"],
        protected_attribute_names=list(data.features),
        instance_weights_name="weight" if weighted else None,
        favorable_label=1,
        unfavorable_label=0,
    )
    classified = dataset.copy(deepcopy=True)
    classified.labels = data.y_pred.reshape(-1, 1).astype(float)

    def encode(group: dict[str, Any]) -> list[dict[str, int]]:
        return [{name: int(list(codes[name][1]).index(value)) for name, value in group.items()}]

    return aif360_metrics.ClassificationMetric(
        dataset, classified, unprivileged_groups=encode(unprivileged), privileged_groups=encode(privileged)
    )


@pytest.mark.parametrize(
    ("seed", "groups", "weighted"), [(1, (3,), False), (2, (2, 3), True), (3, (4,), True)]
)
def test_versus_reference_matches_aif360(seed, groups, weighted):
    data = make_dataset(seed, 3000, groups, weighted)
    table = build_count_table(
        y_true=data.y_true, y_pred=data.y_pred, sensitive_features=data.features, sample_weight=data.weights
    )
    view = analyze(table).to_dict()["intersection"]
    facets = view["facets"]["versus_reference"]
    privileged = facets["reference"]
    for entry in facets["entries"]:
        metric = _aif_metric(data, privileged, entry["group"], weighted)
        values = entry["metrics"]
        assert close(values["statistical_parity_difference"], metric.statistical_parity_difference())
        assert close(values["disparate_impact"], metric.disparate_impact())
        assert close(values["equal_opportunity_difference"], metric.equal_opportunity_difference())
        assert close(values["average_odds_difference"], metric.average_odds_difference())
        assert close(values["average_abs_odds_difference"], metric.average_abs_odds_difference())
    if not weighted:  # AIF360's inequality indices ignore instance weights
        metric = _aif_metric(data, privileged, facets["entries"][0]["group"], weighted=False)
        assert close(view["fairness_metrics"]["theil_index"], metric.theil_index())
        assert close(view["overall"]["metrics"]["theil_index"], metric.theil_index())
        assert close(
            view["fairness_metrics"]["between_group_theil_index"], metric.between_all_groups_theil_index()
        )


def _theil(b: np.ndarray, w: np.ndarray) -> float:
    """Row-level weighted Theil index, the textbook formula with 0 ln 0 = 0."""
    mean = np.sum(w * b) / np.sum(w)
    ratio = b / mean
    terms = np.where(ratio > 0, ratio * np.log(np.where(ratio > 0, ratio, 1)), 0.0)
    return float(np.sum(w * terms) / np.sum(w))


@pytest.mark.parametrize("weighted", [False, True])
def test_theil_index_per_group_and_between_groups_match_row_level(weighted):
    data = make_dataset(4, 5000, (2, 3), weighted)
    weights = np.ones(5000) if data.weights is None else data.weights
    table = build_count_table(
        y_true=data.y_true, y_pred=data.y_pred, sensitive_features=data.features, sample_weight=data.weights
    )
    view = analyze(table).to_dict()["intersection"]
    benefit = (data.y_pred - data.y_true + 1).astype(float)
    keys = list(data.frame.itertuples(index=False, name=None))
    group_mean = np.zeros(5000)
    for group in view["groups"]:
        mask = np.array([key == tuple(group["group"].values()) for key in keys])
        assert close(group["metrics"]["theil_index"], _theil(benefit[mask], weights[mask]))
        group_mean[mask] = np.sum(weights[mask] * benefit[mask]) / np.sum(weights[mask])
    assert close(view["fairness_metrics"]["theil_index"], _theil(benefit, weights))
    assert close(view["fairness_metrics"]["between_group_theil_index"], _theil(group_mean, weights))


def _clarify(y: np.ndarray, p: np.ndarray, facet: np.ndarray) -> dict[str, float | None]:
    """SageMaker Clarify's facet metrics written out on boolean row masks (d = facet, a = the rest)."""
    y, p = y.astype(bool), p.astype(bool)

    def count(mask: np.ndarray) -> int:
        return int(np.sum(mask))

    def ratio(num: float, den: float) -> float | None:
        return None if den == 0 else num / den

    def sub(left: float | None, right: float | None) -> float | None:
        return None if left is None or right is None else left - right

    side = {"d": facet, "a": ~facet}
    n = {k: count(m) for k, m in side.items()}
    n1 = {k: count(m & y) for k, m in side.items()}
    n0 = {k: count(m & ~y) for k, m in side.items()}
    n1_hat = {k: count(m & p) for k, m in side.items()}
    n0_hat = {k: count(m & ~p) for k, m in side.items()}
    tp = {k: count(m & y & p) for k, m in side.items()}
    tn = {k: count(m & ~y & ~p) for k, m in side.items()}
    fp = {k: count(m & ~y & p) for k, m in side.items()}
    fn = {k: count(m & y & ~p) for k, m in side.items()}
    return {
        "CI": (n["a"] - n["d"]) / (n["a"] + n["d"]),
        "DPL": n1["a"] / n["a"] - n1["d"] / n["d"],
        "DPPL": n1_hat["a"] / n["a"] - n1_hat["d"] / n["d"],
        "DI": ratio(n1_hat["d"] / n["d"], n1_hat["a"] / n["a"]),
        "DCA": sub(ratio(n1["a"], n1_hat["a"]), ratio(n1["d"], n1_hat["d"])),
        "DCR": sub(ratio(n0["d"], n0_hat["d"]), ratio(n0["a"], n0_hat["a"])),
        "DAR": sub(ratio(tp["a"], n1_hat["a"]), ratio(tp["d"], n1_hat["d"])),
        "DRR": sub(ratio(tn["d"], n0_hat["d"]), ratio(tn["a"], n0_hat["a"])),
        "RD": sub(ratio(tp["a"], tp["a"] + fn["a"]), ratio(tp["d"], tp["d"] + fn["d"])),
        "SD": sub(ratio(tn["d"], tn["d"] + fp["d"]), ratio(tn["a"], tn["a"] + fp["a"])),
        "AD": (tp["a"] + tn["a"]) / n["a"] - (tp["d"] + tn["d"]) / n["d"],
        "TE": sub(ratio(fn["d"], fp["d"]), ratio(fn["a"], fp["a"])),
    }


def _cdd(label: np.ndarray, facet: np.ndarray, strata: np.ndarray) -> float | None:
    """Clarify's CDD with the undefined strata made explicit instead of counted as 0."""
    total = 0.0
    for stratum in np.unique(strata):
        in_stratum = strata == stratum
        accepted, rejected = np.sum(label & in_stratum), np.sum(~label & in_stratum)
        if accepted == 0 or rejected == 0:
            return None
        disparity = (
            np.sum(~label & facet & in_stratum) / rejected - np.sum(label & facet & in_stratum) / accepted
        )
        total += np.sum(in_stratum) * disparity
    return total / len(label)


def test_versus_rest_matches_clarify_definitions():
    data = make_dataset(6, 2500, (3, 2), weighted=False)
    rng = np.random.default_rng(6)
    strata = rng.integers(0, 4, 2500)
    # A tiny group: its precision-based metrics become undefined and must say so.
    y_pred = data.y_pred.copy()
    tiny = np.flatnonzero(data.features["attr0"] == "g0_0")
    y_pred[tiny] = 0
    table = build_count_table(
        y_true=data.y_true, y_pred=y_pred, sensitive_features=data.features, strata=("region", strata)
    )
    report = analyze(table).to_dict()
    for view_name, view in [("intersection", report["intersection"]), *report["attributes"].items()]:
        columns = view["columns"]
        keys = list(data.frame[columns].itertuples(index=False, name=None))
        for entry in view["facets"]["versus_rest"]:
            facet = np.array([key == tuple(entry["group"].values()) for key in keys])
            expected = _clarify(data.y_true, y_pred, facet)
            expected["CDDL"] = _cdd(data.y_true.astype(bool), facet, strata)
            expected["CDDPL"] = _cdd(y_pred.astype(bool), facet, strata)
            for code, value in expected.items():
                got = entry["metrics"][code]
                if value is None:
                    assert got is None, (view_name, entry["group"], code)
                    assert entry["null_reasons"][code], code
                else:
                    assert close(got, value), (view_name, entry["group"], code, got, value)
    undefined = next(
        e for e in report["attributes"]["attr0"]["facets"]["versus_rest"] if e["group"] == {"attr0": "g0_0"}
    )
    assert undefined["metrics"]["DAR"] is None
    assert (
        undefined["null_reasons"]["DAR"]
        == "zero denominator: facet has no positive predictions (TP + FP = 0)"
    )


def test_facets_respect_min_group_size_and_named_reference():
    data = make_dataset(7, 2000, (3,), weighted=False)
    table = build_count_table(y_true=data.y_true, y_pred=data.y_pred, sensitive_features=data.features)
    sizes = {g["group"]["attr0"]: g["n"] for g in analyze(table).to_dict()["intersection"]["groups"]}
    smallest = min(sizes, key=lambda label: sizes[label])
    options = AnalysisOptions(min_group_size=sizes[smallest] + 1, reference={"attr0": "g0_1"})
    view = analyze(table, options).to_dict()["intersection"]
    assert view["facets"]["versus_reference"]["reference"] == {"attr0": "g0_1"}
    for entry in view["facets"]["versus_rest"]:
        if entry["group"]["attr0"] == smallest:
            assert all(value is None for value in entry["metrics"].values())
            assert "below min_group_size" in entry["null_reasons"]["DPL"]
        else:
            assert entry["metrics"]["DPL"] is not None
