"""Exact, streaming-friendly fairness engine (pure Python + numpy; no Django).

Pipeline: rows -> :func:`build_count_table` (one ``np.bincount`` pass per chunk) -> :meth:`CountTable.merge`
across chunks/workers -> :func:`analyze` -> :class:`FairnessReport` (plain JSON) -> :func:`evaluate_policy`.
Regression models use :func:`build_regression_table` / :func:`analyze_regression` instead.

Every number is a closed-form function of per-group counts, so it equals fairlearn's to float64 rounding
(the oracle tests check 1e-12), except where fairlearn invents a value: a zero denominator (e.g. the true
positive rate of a group without positive labels) is ``null`` with a reason here, never 0 or infinity.

Report shape (``FairnessReport.to_dict()``)::

    {
      "schema": "fairness-report/1", "task": "binary_classification",
      "sensitive_columns": ["sex", "race"], "strata_column": null, "n": 12345, "weighted": false,
      "min_group_size": 30, "reference": "largest", "score_bins": 1000,
      "intersection": VIEW,                      # groups = tuples of all sensitive columns
      "attributes": {"sex": VIEW, "race": VIEW}, # one view per column (marginal sums)
      "bootstrap": null | {"method": "percentile", "replicates": 1000, "confidence": 0.95, "seed": 7,
                           "stratified": true, "comparisons": m, "bonferroni_confidence": 1 - 0.05 / m},
      "definitions": {metric_name: one-line formula}
    }

    VIEW = {
      "columns": ["sex", "race"],
      "groups": [{"group": {"sex": "F", "race": "A"}, "n": 812, "weight": 790.5 (weighted only),
                  "metrics": {"selection_rate": 0.41, "true_positive_rate": null, ...},
                  "null_reasons": {"true_positive_rate": "zero denominator: group has no positive ..."},
                  "error_bounds": {"roc_auc": 1e-4, "ks_statistic": 2e-3} (with scores only)}],
      "overall": {"n": ..., "metrics": {...}, "null_reasons": {...}},
      "disparities": {metric_name: {
          "difference": max - min, "ratio": min / max, "min_group": {...}, "max_group": {...},
          "groups_compared": k, "excluded_groups": [{"group": {...}, "reason": "..."}],
          "to_overall": {"difference": ..., "ratio": ...},
          "reference": {"group": {...}, "max_abs_difference": ..., "min_ratio": ..., "max_ratio": ...,
                        "per_group": [{"group": {...}, "difference": g - ref, "ratio": g / ref}]},
          "null_reasons": {...}, "ci": {"difference": {"lower", "upper", "valid_replicates",
                                                       "bonferroni": {"lower", "upper"}}, ...}}},
      "fairness_metrics": {"demographic_parity_difference": ..., "equalized_odds_ratio": ...,
                           "..._to_overall": ..., "theil_index": ..., "between_group_theil_index": ...,
                           "null_reasons": {...}, "ci": {...}},
      "facets": {"versus_rest": [{"group": {...}, "metrics": {"CI", "DPL", "DPPL", "DI", "DCA", "DCR", "DAR",
                                   "DRR", "RD", "SD", "AD", "TE", "CDDL", "CDDPL" (with strata),
                                   "statistical_parity_difference", "disparate_impact",
                                   "equal_opportunity_difference", "average_odds_difference",
                                   "average_abs_odds_difference"}, "null_reasons": {...}, "ci": {...}}],
                 "versus_reference": {"reference": {...}, "entries": [...same...]}}
    }

Any value may be ``null``; its reason is then in the sibling ``null_reasons``. A group label ``null`` is
the explicit missing-value group (``on_missing="group"``). Groups below ``min_group_size`` report only ``n``
and are listed under ``excluded_groups`` of every disparity. Absent intersections are absent, not zero rows.
"""

from governance.fairness.engine.bootstrap import BootstrapConfig
from governance.fairness.engine.columns import MISSING, GroupKey, Label, PrefactorizedColumn
from governance.fairness.engine.counts import CountTable, build_count_table, merge_tables
from governance.fairness.engine.errors import FairnessInputError
from governance.fairness.engine.metrics import RATE_METRICS, RateMetric
from governance.fairness.engine.policy import (
    DEFAULT_POLICY,
    FOUR_FIFTHS_RULE,
    PolicyEvaluation,
    PolicyRule,
    RuleOutcome,
    evaluate_policy,
)
from governance.fairness.engine.regression import (
    REGRESSION_METRICS,
    RegressionTable,
    analyze_regression,
    build_regression_table,
)
from governance.fairness.engine.report import AnalysisOptions, FairnessReport, analyze, definitions
from governance.fairness.engine.views import ReferenceSpec

__all__ = [
    "DEFAULT_POLICY",
    "FOUR_FIFTHS_RULE",
    "MISSING",
    "RATE_METRICS",
    "REGRESSION_METRICS",
    "AnalysisOptions",
    "BootstrapConfig",
    "CountTable",
    "FairnessInputError",
    "FairnessReport",
    "GroupKey",
    "Label",
    "PolicyEvaluation",
    "PolicyRule",
    "PrefactorizedColumn",
    "RateMetric",
    "ReferenceSpec",
    "RegressionTable",
    "RuleOutcome",
    "analyze",
    "analyze_regression",
    "build_count_table",
    "build_regression_table",
    "definitions",
    "evaluate_policy",
    "merge_tables",
]
