"""Audit actions of the gate: every verdict, every recorded deployment."""

from audit.vocabulary import declare

GATE_DECISION = declare(
    "gate.decision",
    "The deploy gate evaluated an artifact for an environment (pass or fail, with every reason).",
    required=(
        "decision_id",
        "model_version_id",
        "environment",
        "artifact_digest",
        "decision",
        "reason_codes",
    ),
    optional=("ci", "approval_id", "policy_version"),
)
DEPLOYMENT_RECORD = declare(
    "deployment.record",
    "A pipeline recorded that a version was deployed to (or removed from) an environment.",
    required=("deployment_id", "model_version_id", "environment", "artifact_digest", "status", "decision_id"),
    optional=("replaced",),
)
