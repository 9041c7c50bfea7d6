"""Audit actions of approvals: policies, requests, decisions, staleness."""

from audit.vocabulary import declare

APPROVAL_POLICY_REVISE = declare(
    "approval_policy.revise",
    "A new version of an approval policy was created (policies are never edited in place).",
    required=("previous_id", "after"),
)
APPROVAL_REQUEST_SUBMIT = declare(
    "approval_request.submit",
    "A model version was submitted for approval, with a hashed snapshot of its evidence.",
    required=("model_version_id", "environment", "comment", "policy_version", "evidence_sha256"),
)
APPROVAL_DECISION_RECORD = declare(
    "approval_decision.record",
    "A reviewer approved, requested changes or rejected (four-eyes checked, signed).",
    required=("request_id", "decision", "role", "comment", "policy_version", "evidence_sha256"),
)
APPROVAL_REQUEST_CLOSE = declare(
    "approval_request.close",
    "An approval request was closed by its decisions (approved, rejected, changes requested).",
    required=("status", "decision_ids"),
    optional=("expires_at",),
)
APPROVAL_REQUEST_WITHDRAW = declare(
    "approval_request.withdraw", "The submitter withdrew an open approval request.", required=("comment",)
)
APPROVAL_REQUEST_STALE = declare(
    "approval_request.stale",
    "The evidence under review changed; the request and its decisions no longer count.",
    required=("previous_sha256", "current_sha256"),
    optional=("was",),
)
APPROVAL_REQUEST_EXPIRE = declare(
    "approval_request.expire",
    "An approval lapsed at the end of its policy's validity; the version must be re-submitted.",
    required=("expires_at", "model_version_id"),
)
APPROVAL_POLICY_OVERRIDE = declare(
    "approval_policy.override",
    "An administrator gave one model an approval policy of its own, in place of its risk tier's, and why.",
    required=("tier_policy_id", "reason", "after"),
)
