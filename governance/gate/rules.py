"""The deploy gate's verdict as pure data: facts in, every failing reason out.

No Django imports: the services gather the facts (one constant set of queries), this module decides.
Fail closed: each check that cannot be shown to pass is a reason, and every reason is reported, not
the first. The check names double as the in-toto test-result predicate's test names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from governance.approvals.policy import BiasReportFact

ENVIRONMENT_RANK = {"dev": 0, "staging": 1, "prod": 2}
"""An approval for an environment covers it and every lower one (prod approval covers staging)."""

DEPLOYABLE_STATUSES = frozenset({"approved", "deployed"})

CHECKS = (
    "version_status",
    "risk_tier",
    "approval",
    "artifact_digest",
    "artifact_attestation",
    "bias_report",
    "evidence",
)


@dataclass(frozen=True)
class ApprovalFact:
    """The version's most recent approval that covers the environment (approved, expired or stale)."""

    request_id: int
    status: str  # approved | expired | stale
    environment: str
    expires_at: dt.datetime | None
    approved_digest: str
    evidence_current: bool  # the evidence hash recomputed now equals the approved one
    policy_version: int


@dataclass(frozen=True)
class AttestationFact:
    """The artifact's signed attestation, verified against the service's JWKS."""

    present: bool
    verified: bool = False
    key_id: str = ""
    key_status: str = ""  # active | retired | revoked | unknown
    # What the signature identifies the artifact by: the signed subject (a directory's manifest
    # digest) and, for a one-file model, that file's own sha256 (what a version records for a file).
    artifact_digests: tuple[str, ...] = ()
    error: str = ""


@dataclass(frozen=True)
class GateFacts:
    """Everything the verdict depends on, read at one instant."""

    model: str
    version: str
    environment: str
    requested_digest: str
    recorded_digest: str
    version_status: str
    risk_tier: str
    approvable: bool
    policy_name: str
    approval: ApprovalFact | None
    attestation: AttestationFact
    bias_required: bool
    bias_max_age_days: int | None
    bias_reports: Sequence[BiasReportFact]  # newest last
    missing_evidence: Sequence[str] = field(default_factory=tuple)  # other policy items, "key: text"
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


@dataclass(frozen=True)
class Reason:
    """One failed check: a stable code, a sentence, the rule it comes from, expected and actual."""

    check: str
    code: str
    message: str
    policy: str | None = None
    expected: Any = None
    actual: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "policy": self.policy,
            "expected": self.expected,
            "actual": self.actual,
        }


def _digest(value: str) -> str:
    value = value.strip().lower()
    return value if value.startswith("sha256:") else f"sha256:{value}" if value else ""


def _approval_reasons(f: GateFacts) -> list[Reason]:
    a, policy = f.approval, f.policy_name
    if a is None:
        return [
            Reason(
                "approval",
                "no_approval",
                f"{f.model} {f.version} has no approval covering {f.environment}.",
                policy,
                f"an approval for {f.environment}",
                None,
            )
        ]
    reasons = []
    if a.status == "expired" or (a.expires_at is not None and a.expires_at <= f.now):
        reasons.append(
            Reason(
                "approval",
                "approval_expired",
                f"Approval #{a.request_id} expired"
                + (f" on {a.expires_at:%Y-%m-%d}" if a.expires_at else "")
                + "; the version must be re-submitted.",
                policy,
                "an approval in force",
                a.expires_at.isoformat() if a.expires_at else a.status,
            )
        )
    if a.status == "stale" or not a.evidence_current:
        reasons.append(
            Reason(
                "approval",
                "approval_stale",
                f"The evidence approved under request #{a.request_id} has changed; it needs a new review.",
                policy,
                "the evidence as approved",
                "changed",
            )
        )
    return reasons


def _artifact_reasons(f: GateFacts) -> list[Reason]:
    reasons = []
    requested, recorded = _digest(f.requested_digest), _digest(f.recorded_digest)
    approved = _digest(f.approval.approved_digest) if f.approval else ""
    if not recorded:
        reasons.append(
            Reason(
                "artifact_digest",
                "artifact_digest_missing",
                "No artifact digest is recorded.",
                None,
                "sha256:…",
                None,
            )
        )
    elif requested != recorded or (approved and requested != approved):
        reasons.append(
            Reason(
                "artifact_digest",
                "digest_mismatch",
                "The artifact to deploy is not the one recorded and approved.",
                None,
                approved or recorded,
                requested,
            )
        )
    att = f.attestation
    if not att.present:
        reasons.append(
            Reason(
                "artifact_attestation",
                "attestation_missing",
                "The artifact has no signed attestation.",
                None,
                "a signed attestation",
                None,
            )
        )
    elif att.key_status == "revoked":
        reasons.append(
            Reason(
                "artifact_attestation",
                "attestation_key_revoked",
                f"The artifact attestation was signed by revoked key {att.key_id[:16]}…: not trusted.",
                None,
                "a signature by a trusted key",
                att.key_id,
            )
        )
    elif not att.verified:
        code = "attestation_key_unknown" if att.key_status == "unknown" else "attestation_invalid"
        reasons.append(
            Reason(
                "artifact_attestation",
                code,
                f"The artifact attestation does not verify: {att.error}",
                None,
                "a valid signature",
                att.error,
            )
        )
    elif recorded and recorded not in {_digest(d) for d in att.artifact_digests}:
        reasons.append(
            Reason(
                "artifact_attestation",
                "attestation_digest_mismatch",
                "The signed attestation is about a different artifact.",
                None,
                recorded,
                [_digest(d) for d in att.artifact_digests],
            )
        )
    return reasons


def _bias_reasons(f: GateFacts) -> list[Reason]:
    if not f.bias_required:
        return []
    window = f.bias_max_age_days
    rule = f"{f.policy_name}: passing bias report" + (f" ≤ {window} days old" if window is not None else "")
    if not f.bias_reports:
        return [
            Reason(
                "bias_report",
                "bias_report_missing",
                "No bias report exists for this version.",
                rule,
                "a passing report",
                None,
            )
        ]
    latest = f.bias_reports[-1]
    if not latest.passed:
        return [
            Reason(
                "bias_report",
                "bias_report_failed",
                f"The latest bias report (#{latest.report_id}) fails its fairness policy.",
                rule,
                "pass",
                "fail",
            )
        ]
    if window is not None and latest.age_days > window:
        return [
            Reason(
                "bias_report",
                "bias_report_outdated",
                f"The latest bias report (#{latest.report_id}) is {latest.age_days:.0f} days old.",
                rule,
                f"≤ {window} days",
                f"{latest.age_days:.1f} days",
            )
        ]
    return []


def evaluate(f: GateFacts) -> tuple[list[Reason], list[str]]:
    """Every failing reason, and the names of the checks that passed."""
    reasons: list[Reason] = []
    if f.version_status == "retired":
        reasons.append(
            Reason(
                "version_status",
                "version_retired",
                f"{f.model} {f.version} is retired.",
                None,
                "approved",
                "retired",
            )
        )
    elif f.version_status not in DEPLOYABLE_STATUSES:
        reasons.append(
            Reason(
                "version_status",
                "version_not_approved",
                f"{f.model} {f.version} is {f.version_status}, not approved.",
                None,
                "approved or deployed",
                f.version_status,
            )
        )
    if not f.approvable:
        reasons.append(
            Reason(
                "risk_tier",
                "prohibited_tier",
                "The model is in the prohibited risk tier (EU AI Act Art. 5): it can never be deployed.",
                f.policy_name,
                "an approvable tier",
                f.risk_tier,
            )
        )
    reasons += _approval_reasons(f)
    reasons += _artifact_reasons(f)
    reasons += _bias_reasons(f)
    for item in f.missing_evidence:
        text = item.partition(": ")[2]
        reasons.append(
            Reason("evidence", "evidence_missing", f"Missing evidence: {text}.", f.policy_name, text, None)
        )
    failed = {r.check for r in reasons}
    return reasons, [c for c in CHECKS if c not in failed]


def approval_covers(approved_for: str, environment: str) -> bool:
    return ENVIRONMENT_RANK.get(approved_for, -1) >= ENVIRONMENT_RANK.get(environment, 99)
