"""Gate writes: evaluate a deploy (stored, audited, signed) and record deployments.

``gate_check`` answers every question with a verdict (never an HTTP error for a failing artifact):
unknown model or version and malformed input are the caller's errors; everything about the evidence
is a ``fail`` reason. A retried call with the same ``Idempotency-Key`` and body gets the stored
decision back; the same key with another body is refused.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from audit.attestations import attestation_create
from audit.pure.canonical import canonical_bytes
from audit.pure.evidence.intoto import TEST_RESULT_PREDICATE
from audit.services import audit_append
from governance.accounts.principal import Principal
from governance.accounts.roles import Scope
from governance.approvals.services import approval_policy_for
from governance.core.exceptions import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from governance.gate import events
from governance.gate.choices import DeploymentStatus, Verdict
from governance.gate.facts import gate_facts
from governance.gate.models import Deployment, GateDecision
from governance.gate.rules import approval_covers, evaluate
from governance.inventory import lifecycle
from governance.inventory.models import ModelVersion
from governance.inventory.transitions import model_version_transition


def _require_gate_scope(actor: Principal) -> None:
    if not actor.has_scope(Scope.GATE_CHECK):
        raise PermissionDeniedError(f"This needs the {Scope.GATE_CHECK.value} scope.")


def model_version_for(*, actor: Principal, model: str, version: str) -> ModelVersion:
    """The version by names, if ``actor`` may see its team (else 404: no cross-team existence leak)."""
    mv = (
        ModelVersion.objects.visible_to(actor)
        .select_related("model")
        .filter(model__name=model, version=version)
        .first()
    )
    if mv is None:
        raise NotFoundError(f"No model {model!r} version {version!r} visible to you.", field="version")
    return mv


def request_sha256(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(body)).hexdigest()


def _replay(actor: Principal, key: str, body_sha256: str) -> GateDecision | None:
    previous = GateDecision.objects.filter(requested_by=actor.ident, idempotency_key=key).first()
    if previous is None:
        return None
    if previous.request_sha256 != body_sha256:
        raise ApplicationError(
            "This Idempotency-Key was used with a different request; use a new key for a new question.",
            field="Idempotency-Key",
            code="idempotency_key_reused",
        )
    return previous


def gate_check(
    *,
    actor: Principal,
    model: str,
    version: str,
    environment: str,
    artifact_digest: str,
    ci: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> GateDecision:
    """Evaluate whether ``artifact_digest`` of ``model`` ``version`` may go to ``environment``."""
    _require_gate_scope(actor)
    ci = dict(ci or {})
    body_sha256 = request_sha256(
        {
            "model": model,
            "version": version,
            "environment": environment,
            "artifact_digest": artifact_digest,
            "ci": ci,
        }
    )
    if idempotency_key and (previous := _replay(actor, idempotency_key, body_sha256)):
        return previous
    mv = model_version_for(actor=actor, model=model, version=version)
    try:
        with transaction.atomic():
            return _decide(actor, mv, environment, artifact_digest, ci, idempotency_key, body_sha256)
    except IntegrityError:
        # A concurrent call with the same key won the race: answer what it decided.
        if idempotency_key and (previous := _replay(actor, idempotency_key, body_sha256)):
            return previous
        raise


def _decide(
    actor: Principal,
    mv: ModelVersion,
    environment: str,
    digest: str,
    ci: dict[str, Any],
    idempotency_key: str | None,
    body_sha256: str,
) -> GateDecision:
    now = timezone.now()
    policy = approval_policy_for(mv)
    facts, approval = gate_facts(mv=mv, environment=environment, digest=digest, policy=policy, now=now)
    reasons, passed = evaluate(facts)
    decision = GateDecision(
        model_version=mv,
        environment=environment,
        artifact_digest=digest,
        decision=Verdict.FAIL if reasons else Verdict.PASS,
        reasons=[r.to_dict() for r in reasons],
        passed_checks=passed,
        approval=approval,
        policy_version=policy.version,
        ci=ci,
        requested_by=actor.ident,
        requested_by_label=actor.label,
        idempotency_key=idempotency_key or None,
        request_sha256=body_sha256,
        evaluated_at=now,
    )
    # One INSERT, last: the audit entry and the attestation only need the decision's id (a UUID
    # chosen here), so the row is written once, complete, instead of inserted and then updated.
    event = audit_append(
        actor=actor,
        action=events.GATE_DECISION,
        target=decision,
        payload={
            "decision_id": str(decision.pk),
            "model_version_id": mv.pk,
            "environment": environment,
            "artifact_digest": digest,
            "decision": decision.decision,
            "reason_codes": [r.code for r in reasons],
            "ci": ci,
            "approval_id": approval.pk if approval else None,
            "policy_version": policy.version,
        },
    )
    decision.audit_entry_id = event.entry_id
    decision.attestation = attestation_create(
        target=decision,
        subject_name=f"{mv.model.name}@{mv.version}",
        subject_digest=_hex(digest) or "0" * 64,
        predicate_type=TEST_RESULT_PREDICATE,
        predicate={
            # in-toto test-result v0.1: result, configuration, url, passed/warned/failed tests.
            "result": "PASSED" if not reasons else "FAILED",
            "configuration": [
                {
                    "name": f"approval-policy/{policy.pk}/v{policy.version}",
                    "uri": f"urn:modelops-governance:approval-policy:{policy.pk}:{policy.version}",
                }
            ],
            "url": reverse("gate-decision-detail", args=[decision.pk]),
            "passedTests": passed,
            "warnedTests": [],
            "failedTests": sorted({r.check for r in reasons}),
            # Ours: the question and every reason, so a verifier sees what was decided and why.
            "decision_id": str(decision.pk),
            "model": mv.model.name,
            "version": mv.version,
            "environment": environment,
            "artifact_digest": digest,
            "approval_id": approval.pk if approval else None,
            "reasons": decision.reasons,
            "evaluated_at": now.isoformat(),
        },
        audit_event=event,
    )
    decision.save(force_insert=True)
    return decision


def _hex(digest: str) -> str:
    value = digest.strip().lower().removeprefix("sha256:")
    return value if len(value) == 64 and all(c in "0123456789abcdef" for c in value) else ""


@transaction.atomic
def deployment_record(
    *,
    actor: Principal,
    model: str,
    version: str,
    environment: str,
    artifact_digest: str,
    decision_id: Any,
    status: str = DeploymentStatus.DEPLOYED,
) -> Deployment:
    """Record a rollout (or removal). A deploy needs a passing decision for the same digest and
    environment; deploying one version of a model replaces its other versions in that environment."""
    _require_gate_scope(actor)
    mv = model_version_for(actor=actor, model=model, version=version)
    decision = GateDecision.objects.filter(pk=decision_id, model_version=mv).first()
    if decision is None:
        raise NotFoundError(f"No gate decision {decision_id} for {model} {version}.", field="decision_id")
    if status == DeploymentStatus.DEPLOYED:
        problems = []
        if decision.decision != Verdict.PASS:
            problems.append("the decision is a fail")
        if _hex(decision.artifact_digest) != _hex(artifact_digest):
            problems.append("it was for another artifact digest")
        if not approval_covers(decision.environment, environment):
            problems.append(f"it was for {decision.environment}, not {environment}")
        if problems:
            raise ConflictError(
                f"Gate decision {decision.pk} does not allow this deployment: " + "; ".join(problems) + ".",
                field="decision_id",
                code="no_passing_decision",
            )
    locked = ModelVersion.objects.select_for_update().get(pk=mv.pk)
    deployment = Deployment.objects.create(
        model_version=locked,
        environment=environment,
        artifact_digest=artifact_digest,
        status=status,
        decision=decision,
        recorded_by=actor.ident,
        recorded_by_label=actor.label,
    )
    replaced = []
    if status == DeploymentStatus.DEPLOYED:
        replaced = _undeploy_siblings(actor, deployment)
        if locked.status == lifecycle.APPROVED:
            model_version_transition(
                actor=actor,
                model_version=locked,
                to=lifecycle.DEPLOYED,
                reason=f"First deployment to {environment}",
                evidence={"deployment_id": deployment.pk, "decision_id": str(decision.pk)},
            )
    _audit(actor, deployment, replaced=[d.pk for d in replaced])
    return deployment


def _undeploy_siblings(actor: Principal, deployment: Deployment) -> list[Deployment]:
    """Other versions of the model live in the environment now go out at the same instant."""
    from governance.gate.selectors import deployed_versions

    mv = deployment.model_version
    live = deployed_versions(environment=deployment.environment, model_id=mv.model_id)
    out = []
    for current in live:
        if current.model_version_id == mv.pk:
            continue
        undeploy = Deployment.objects.create(
            model_version_id=current.model_version_id,
            environment=deployment.environment,
            artifact_digest=current.artifact_digest,
            status=DeploymentStatus.UNDEPLOYED,
            decision=current.decision,
            replaced_by=deployment,
            recorded_by=actor.ident,
            recorded_by_label=actor.label,
            recorded_at=deployment.recorded_at,
        )
        _audit(actor, undeploy)
        out.append(undeploy)
    return out


def _audit(actor: Principal, deployment: Deployment, replaced: list[int] | None = None) -> None:
    payload: dict[str, Any] = {
        "deployment_id": deployment.pk,
        "model_version_id": deployment.model_version_id,
        "environment": deployment.environment,
        "artifact_digest": deployment.artifact_digest,
        "status": deployment.status,
        "decision_id": str(deployment.decision_id),
    }
    if replaced:
        payload["replaced"] = replaced
    audit_append(actor=actor, action=events.DEPLOYMENT_RECORD, target=deployment, payload=payload)
