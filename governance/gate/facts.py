"""Reading what the gate decides on: a constant number of queries, whatever the version's history.

Each helper reads one kind of record (latest approval, artifact attestation, bias reports) with one
query; the verdict itself is ``rules.evaluate`` (pure).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from audit.models import Attestation
from audit.pure.evidence.bundle_verify import VerifiedAttestation, verify_bundle
from audit.pure.evidence.errors import VerificationError
from audit.pure.evidence.model_artifact import MODEL_SIGNING_PREDICATE_TYPE
from audit.signing import jwks
from governance.approvals.choices import RequestStatus
from governance.approvals.evidence import evidence_facts, evidence_sha256, evidence_snapshot, policy_rules
from governance.approvals.models import ApprovalPolicy, ApprovalRequest
from governance.approvals.policy import evidence_checklist
from governance.gate.rules import ENVIRONMENT_RANK, ApprovalFact, AttestationFact, GateFacts
from governance.inventory.models import ModelVersion

# Approvals the gate considers: approved, lapsed, or approved-then-stale (stale with an expiry date).
_DECIDED = (RequestStatus.APPROVED, RequestStatus.EXPIRED, RequestStatus.STALE)
# Items of the policy checklist the gate reports under their own codes.
_OWN_CODES = {"approvable", "artifact_digest", "artifact_attestation", "bias_report"}


def latest_approval(mv: ModelVersion, environment: str) -> ApprovalRequest | None:
    """The most recent approval given to ``mv`` for ``environment`` or a higher one."""
    covering = [
        env for env, rank in ENVIRONMENT_RANK.items() if rank >= ENVIRONMENT_RANK.get(environment, 99)
    ]
    return (
        ApprovalRequest.objects.filter(
            model_version=mv, environment__in=covering, status__in=_DECIDED, expires_at__isnull=False
        )
        .select_related("policy")
        .order_by("-decided_at", "-id")
        .first()
    )


def _attestation_fact(mv: ModelVersion, keys: dict[str, Any]) -> AttestationFact:
    attestation = (
        Attestation.objects.filter(
            subject_type="inventory.modelversion",
            subject_id=str(mv.pk),
            predicate_type=MODEL_SIGNING_PREDICATE_TYPE,
        )
        .order_by("-pk")
        .first()
    )
    if attestation is None:
        return AttestationFact(present=False)
    known = {k["kid"]: k.get("status", "active") for k in keys["keys"]}
    status = known.get(attestation.key_id, "unknown")
    try:
        verified = verify_bundle(attestation.bundle, keys)
    except VerificationError as exc:
        return AttestationFact(present=True, key_id=attestation.key_id, key_status=status, error=str(exc))
    return AttestationFact(
        present=True,
        verified=True,
        key_id=verified.key_id,
        key_status=verified.key_status,
        artifact_digests=_signed_digests(verified),
    )


def _signed_digests(verified: VerifiedAttestation) -> tuple[str, ...]:
    """The digests the verified statement binds: its subjects', and a one-file manifest's file."""
    digests = [s.digest["sha256"] for s in verified.subjects if "sha256" in s.digest]
    manifest = verified.model_manifest
    if manifest is not None and len(manifest.resources) == 1:
        digests.append(manifest.resources[0].digest)
    return tuple(digests)


def gate_facts(
    *, mv: ModelVersion, environment: str, digest: str, policy: ApprovalPolicy, now: dt.datetime
) -> tuple[GateFacts, ApprovalRequest | None]:
    """The facts about ``mv`` for a deploy of ``digest`` to ``environment``, and the approval used."""
    approval = latest_approval(mv, environment)
    snapshot = evidence_snapshot(model_version=mv, policy=policy)
    facts = evidence_facts(snapshot)
    rules = policy_rules(policy)
    approval_fact = None
    if approval is not None:
        # The snapshot names its policy and nothing else of it: the approved request's own policy
        # is swapped in rather than every record read again.
        current = {**snapshot, "policy": {"id": approval.policy.pk, "version": approval.policy.version}}
        approval_fact = ApprovalFact(
            request_id=approval.pk,
            status=approval.status,
            environment=approval.environment,
            expires_at=approval.expires_at,
            approved_digest=str(approval.evidence.get("artifact_digest", "")),
            evidence_current=evidence_sha256(current) == approval.evidence_sha256,
            policy_version=approval.policy.version,
        )
    unmet = [r for r in evidence_checklist(rules, facts) if not r.met and r.key not in _OWN_CODES]
    return (
        GateFacts(
            model=mv.model.name,
            version=mv.version,
            environment=environment,
            requested_digest=digest,
            recorded_digest=mv.artifact_digest or "",
            version_status=mv.status,
            risk_tier=mv.model.risk_tier,
            approvable=policy.approvable,
            policy_name=f"{policy}",
            approval=approval_fact,
            attestation=_attestation_fact(mv, jwks()),
            bias_required=policy.require_passing_bias_report,
            bias_max_age_days=policy.bias_report_max_age_days,
            bias_reports=sorted(facts.bias_reports, key=lambda r: r.report_id),
            missing_evidence=[r.missing_text for r in unmet],
            now=now,
        ),
        approval,
    )
