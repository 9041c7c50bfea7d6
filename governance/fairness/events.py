"""Audit actions of fairness checks and bias reports."""

from audit.vocabulary import declare

FAIRNESS_CHECK_CREATE = declare(
    "fairness_check.create",
    "A fairness check over a predictions file was requested.",
    required=("model_version_id", "config", "input", "input_sha256"),
)
FAIRNESS_CHECK_FAIL = declare(
    "fairness_check.fail", "A fairness check could not be completed.", required=("error", "field")
)
BIAS_REPORT_CREATE = declare(
    "bias_report.create",
    "A signed bias report was recorded.",
    required=("fairness_check_id", "model_version_id", "passed", "rows", "input_sha256", "policy_result"),
)
