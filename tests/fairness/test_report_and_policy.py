"""Report shape, reference groups, and policy evaluation (four-fifths rule, fail-closed nulls)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from governance.fairness.engine import (
    FOUR_FIFTHS_RULE,
    AnalysisOptions,
    BootstrapConfig,
    CountTable,
    FairnessInputError,
    PolicyRule,
    analyze,
    build_count_table,
    evaluate_policy,
)
from tests.fairness.helpers import make_dataset


def _hiring(rate_f: float, rate_m: float, n: int = 1000) -> CountTable:
    """A hiring model selecting women at ``rate_f`` and men at ``rate_m`` (exact counts)."""
    sex = np.r_[np.full(n, "F"), np.full(n, "M")]
    y_pred = np.r_[np.arange(n) < rate_f * n, np.arange(n) < rate_m * n].astype(int)
    y_true = np.r_[np.arange(n) % 2, np.arange(n) % 2]
    return build_count_table(y_true=y_true, y_pred=y_pred, sensitive_features={"sex": sex})


def test_report_shape_is_plain_json_and_documented():
    data = make_dataset(1, 3000, (2, 3), weighted=True)
    table = build_count_table(
        y_true=data.y_true,
        y_pred=data.y_pred,
        sensitive_features=data.features,
        sample_weight=data.weights,
        score=data.score,
        strata=("region", np.arange(3000) % 2),
    )
    report = analyze(
        table, AnalysisOptions(min_group_size=5, bootstrap=BootstrapConfig(replicates=100, seed=0))
    )
    data_out = json.loads(report.to_json())
    assert data_out == report.to_dict()
    assert set(data_out) >= {
        "schema",
        "intersection",
        "attributes",
        "bootstrap",
        "definitions",
        "n",
        "weighted",
    }
    assert list(data_out["attributes"]) == ["attr0", "attr1"]
    view = data_out["intersection"]
    assert set(view) == {"columns", "groups", "overall", "disparities", "fairness_metrics", "facets"}
    group = view["groups"][0]
    assert set(group) >= {"group", "n", "weight", "metrics", "error_bounds"}
    assert set(group["group"]) == {"attr0", "attr1"}  # the strata column is conditioned on, not a group
    definitions = data_out["definitions"]
    named = [
        n
        for n in view["fairness_metrics"]
        if n not in ("null_reasons", "ci") and not n.endswith("_to_overall")
    ]
    for name in [*group["metrics"], *view["facets"]["versus_rest"][0]["metrics"], *named]:
        assert name in definitions, name
    assert "CDDL" in view["facets"]["versus_rest"][0]["metrics"]
    assert report.view("attr0") == data_out["attributes"]["attr0"]


def test_reference_modes():
    data = make_dataset(2, 4000, (3, 2), weighted=False)
    table = build_count_table(y_true=data.y_true, y_pred=data.y_pred, sensitive_features=data.features)
    named = analyze(table, AnalysisOptions(reference={"attr0": "g0_2", "attr1": "g1_0"})).to_dict()
    block = named["intersection"]["disparities"]["selection_rate"]["reference"]
    assert block["group"] == {"attr0": "g0_2", "attr1": "g1_0"}
    by_group = {
        tuple(g["group"].values()): g["metrics"]["selection_rate"] for g in named["intersection"]["groups"]
    }
    reference_rate = by_group[("g0_2", "g1_0")]
    for entry in block["per_group"]:
        key = tuple(entry["group"].values())
        assert entry["difference"] == by_group[key] - reference_rate
    ratios = [by_group[k] / reference_rate for k in by_group if k != ("g0_2", "g1_0")]
    assert block["min_ratio"] == min(ratios) and block["max_ratio"] == max(ratios)
    # The attribute view attr1 is not named by a partial reference: it says so instead of guessing.
    partial = analyze(table, AnalysisOptions(reference={"attr0": "g0_1"})).to_dict()
    assert partial["attributes"]["attr0"]["disparities"]["selection_rate"]["reference"]["group"] == {
        "attr0": "g0_1"
    }
    missing = partial["intersection"]["disparities"]["selection_rate"]["reference"]
    assert missing["group"] is None and "names no value for attr1" in missing["null_reasons"]["min_ratio"]
    favourable = analyze(table, AnalysisOptions(reference="most_favourable")).to_dict()["intersection"]
    best_selection = max(favourable["groups"], key=lambda g: g["metrics"]["selection_rate"])["group"]
    best_fpr = min(favourable["groups"], key=lambda g: g["metrics"]["false_positive_rate"])["group"]
    assert favourable["disparities"]["selection_rate"]["reference"]["group"] == best_selection
    assert favourable["disparities"]["selection_rate"]["reference"]["max_ratio"] <= 1.0
    assert favourable["disparities"]["false_positive_rate"]["reference"]["group"] == best_fpr
    largest = analyze(table).to_dict()["intersection"]
    biggest = max(largest["groups"], key=lambda g: g["n"])["group"]
    assert largest["facets"]["versus_reference"]["reference"] == biggest
    with pytest.raises(FairnessInputError, match="unknown column"):
        analyze(table, AnalysisOptions(reference={"gender": "F"}))
    absent = analyze(table, AnalysisOptions(reference={"attr0": "nope", "attr1": "g1_0"})).to_dict()
    assert "does not occur" in absent["intersection"]["facets"]["versus_reference"]["note"]


def test_four_fifths_rule_passes_and_fails_with_reasons():
    passing = evaluate_policy(analyze(_hiring(0.45, 0.50)))
    assert passing.passed
    assert passing.outcomes[0].value == pytest.approx(0.9)
    assert "within [0.8, 1.25]" in passing.outcomes[0].reason
    assert {o.view for o in passing.outcomes} == {"intersection", "sex"}
    failing = evaluate_policy(analyze(_hiring(0.30, 0.50)))
    assert not failing.passed
    assert failing.outcomes[0].value == pytest.approx(0.6)
    assert "below the lower bound 0.8" in failing.outcomes[0].reason
    assert failing.to_dict()["passed"] is False
    json.dumps(failing.to_dict())


def test_null_metric_fails_closed_with_its_reason():
    table = build_count_table(y_true=[0, 1, 0, 1], y_pred=[0, 1, 1, 1], sensitive_features={"sex": ["F"] * 4})
    evaluation = evaluate_policy(analyze(table))
    assert not evaluation.passed
    assert "fails closed" in evaluation.outcomes[0].reason
    assert "at least two groups" in evaluation.outcomes[0].reason
    tpr_rule = PolicyRule("eo", "fairness_metrics.equal_opportunity_difference", upper=0.1)
    no_positives = build_count_table(
        y_true=[0, 0, 1, 1], y_pred=[0, 1, 1, 0], sensitive_features={"sex": ["F", "F", "M", "M"]}
    )
    outcome = evaluate_policy(analyze(no_positives), [tpr_rule]).outcomes[0]
    assert not outcome.passed and "no positive labels" in outcome.reason


def test_rules_from_stored_json_intervals_views_and_typos():
    rule = PolicyRule.from_dict(
        {
            "name": "dp",
            "metric": "fairness_metrics.demographic_parity_difference",
            "upper": 0.1,
            "views": ["sex"],
        }
    )
    assert PolicyRule.from_dict(rule.to_dict()) == rule
    report = analyze(_hiring(0.45, 0.50), AnalysisOptions(bootstrap=BootstrapConfig(seed=4)))
    assert evaluate_policy(report, [rule]).passed
    strict = PolicyRule(
        "dp_ci", "fairness_metrics.demographic_parity_difference", upper=0.06, use_interval=True
    )
    outcome = evaluate_policy(report, [strict]).outcomes[0]
    assert not outcome.passed and "interval" in outcome.reason  # point 0.05 passes, the upper bound does not
    no_ci = evaluate_policy(analyze(_hiring(0.45, 0.50)), [strict]).outcomes[0]
    assert not no_ci.passed and "confidence interval" in no_ci.reason
    typo = evaluate_policy(
        report, [PolicyRule("typo", "disparities.selection_rte.ratio", lower=0.8)]
    ).outcomes[0]
    assert not typo.passed and "not in the report" in typo.reason
    other_view = evaluate_policy(
        report, [PolicyRule("x", "disparities.selection_rate.ratio", 0.8, views=("race",))]
    )
    assert not other_view.passed and other_view.outcomes[0].reason == "view not in the report"
    with pytest.raises(FairnessInputError):
        PolicyRule("empty", "disparities.selection_rate.ratio")
    with pytest.raises(FairnessInputError):
        PolicyRule.from_dict({"name": "x", "metric": "y", "lower": 0.1, "treshold": 2})
    assert FOUR_FIFTHS_RULE.lower == 0.8 and FOUR_FIFTHS_RULE.upper == 1.25
