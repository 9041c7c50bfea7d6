"""Approval writes: submit, decide (the one four-eyes enforcement point), withdraw, mark stale.

Every path (API, admin, management commands, tasks) calls these functions; status changes of the
version go through ``model_version_transition`` only.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.attestations import attestation_create
from audit.pure.evidence.intoto import APPROVAL_DECISION_PREDICATE
from audit.services import audit_append, model_snapshot
from governance.accounts.principal import Principal
from governance.accounts.roles import ROLES, Role, Scope
from governance.approvals import events
from governance.approvals.choices import Decision, RequestStatus
from governance.approvals.evidence import evidence_facts, evidence_sha256, evidence_snapshot, policy_rules
from governance.approvals.expiry import approval_request_revalidate
from governance.approvals.models import ApprovalDecision, ApprovalPolicy, ApprovalRequest
from governance.approvals.notify import approval_notify
from governance.approvals.policy import effective_roles, missing_evidence, open_roles, quorum_reached
from governance.core.exceptions import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from governance.core.visibility import authorize_team_write
from governance.inventory import lifecycle
from governance.inventory.models import ModelVersion
from governance.inventory.transitions import model_version_transition

FOUR_EYES = "four_eyes_violation"
SUBMITTABLE = frozenset({lifecycle.DRAFT, lifecycle.EXPIRED})
POLICY_FIELDS = [
    "required_roles",
    "required_roles_when_phi",
    "require_complete_model_card",
    "require_signed_artifact",
    "require_passing_bias_report",
    "bias_report_max_age_days",
    "require_dpia_for_personal_data",
    "require_named_owner",
    "approvable",
    "validity_days",
]


def approval_policy_for(model_version: ModelVersion) -> ApprovalPolicy:
    """The current policy for a version: the model's override, else its risk tier's."""
    model = model_version.model
    policy = (
        ApprovalPolicy.objects.filter(model=model, is_current=True).first()
        or ApprovalPolicy.objects.filter(
            model__isnull=True, risk_tier=model.risk_tier, is_current=True
        ).first()
    )
    if policy is None:
        raise ConflictError(f"No approval policy covers risk tier {model.risk_tier}.", code="no_policy")
    return policy


@transaction.atomic
def approval_policy_revise(*, actor: Principal, policy: ApprovalPolicy, **changes: Any) -> ApprovalPolicy:
    """Edit a policy by creating its next version; the old row stays as decisions cited it."""
    if not actor.has_scope(Scope.TEAMS_ADMIN):
        raise PermissionDeniedError("Only administrators can edit approval policies.")
    unknown = set(changes) - set(POLICY_FIELDS)
    if unknown:
        raise ApplicationError(
            f"Unknown policy fields: {', '.join(sorted(unknown))}.", field=sorted(unknown)[0]
        )
    current = ApprovalPolicy.objects.select_for_update().get(pk=policy.pk)
    if not current.is_current:
        raise ConflictError("Only the current version of a policy can be revised.", code="stale_policy")
    _validate_roles(changes.get("required_roles", current.required_roles), "required_roles")
    _validate_roles(
        changes.get("required_roles_when_phi", current.required_roles_when_phi), "required_roles_when_phi"
    )
    current.is_current = False
    current.save(update_fields=["is_current"])
    fields = {name: getattr(current, name) for name in POLICY_FIELDS} | changes
    revised = ApprovalPolicy(
        risk_tier=current.risk_tier,
        model=current.model,
        version=current.version + 1,
        created_by=actor.ident,
        **fields,
    )
    revised.full_clean()
    revised.save()
    audit_append(
        actor=actor,
        action=events.APPROVAL_POLICY_REVISE,
        target=revised,
        payload={"previous_id": current.pk, "after": model_snapshot(revised)},
    )
    return revised


def _validate_roles(roles: Any, field: str) -> None:
    reviewer_roles = {r.value for r, spec in ROLES.items() if spec.is_reviewer}
    if not isinstance(roles, dict) or not all(
        k in reviewer_roles and isinstance(v, int) and v >= 0 for k, v in roles.items()
    ):
        raise ApplicationError(
            f"{field} maps reviewer roles ({', '.join(sorted(reviewer_roles))}) to a quorum.", field=field
        )


def _raise_if_missing(missing: list[str]) -> None:
    """One ``evidence_missing`` error listing each missing item (an ``errors`` entry per item)."""
    if missing:
        items = [(key, text.strip()) for key, _, text in (item.partition(":") for item in missing)]
        raise ApplicationError(
            "Evidence missing: " + "; ".join(missing) + ".",
            field=", ".join(key for key, _ in items),
            code="evidence_missing",
            items=items,
        )


@transaction.atomic
def approval_request_submit(
    *, actor: Principal, model_version: ModelVersion, environment: str, comment: str
) -> ApprovalRequest:
    """Snapshot and hash the evidence, check it against the policy, open a request, mark submitted."""
    authorize_team_write(
        actor, team_id=model_version.model.team_id, scope=Scope.APPROVALS_SUBMIT, action="submit versions"
    )
    if not comment.strip():
        raise ApplicationError("A submission needs a comment.", field="comment", code="comment_required")
    mv = ModelVersion.objects.select_for_update().select_related("model").get(pk=model_version.pk)
    reopening = (
        mv.status == lifecycle.SUBMITTED
        and not ApprovalRequest.objects.filter(model_version=mv, status=RequestStatus.OPEN).exists()
    )
    if mv.status not in SUBMITTABLE and not reopening:
        raise ConflictError(
            f"Version {mv} is {mv.status}; only drafts (or expired versions) can be submitted.",
            field="status",
            code="invalid_transition",
        )
    policy = approval_policy_for(mv)
    snapshot = evidence_snapshot(model_version=mv, policy=policy)
    facts = evidence_facts(snapshot)
    _raise_if_missing(missing_evidence(policy_rules(policy), facts))
    request = ApprovalRequest(
        model_version=mv,
        environment=environment,
        submitted_by=actor.ident,
        submitted_by_label=actor.label,
        comment=comment,
        policy=policy,
        required_roles=effective_roles(policy_rules(policy), facts),
        evidence=snapshot,
        evidence_sha256=evidence_sha256(snapshot),
    )
    request.full_clean()
    request.save()
    audit_append(
        actor=actor,
        action=events.APPROVAL_REQUEST_SUBMIT,
        target=request,
        payload={
            "model_version_id": mv.pk,
            "environment": environment,
            "comment": comment,
            "policy_version": policy.version,
            "evidence_sha256": request.evidence_sha256,
        },
    )
    if not reopening:
        model_version_transition(
            actor=actor,
            model_version=mv,
            to=lifecycle.SUBMITTED,
            reason=f"Submitted for {environment} approval",
            evidence={"approval_request_id": request.pk},
        )
    approval_notify(request, "approval.submitted")
    model_version.refresh_from_db()
    return request


def decidable_roles(actor: Principal) -> set[str]:
    """Reviewer roles the actor may sit in; administrators may sit in any (four-eyes still binds)."""
    if Role.ADMIN in actor.roles:
        return {r.value for r, spec in ROLES.items() if spec.is_reviewer}
    return {r.value for r in actor.roles if ROLES[r].is_reviewer}


def four_eyes_refusal(*, actor: Principal, request: ApprovalRequest) -> str | None:
    """Why ``actor`` may not decide ``request`` at all (None: they may). The one four-eyes rule."""
    mv = request.model_version
    if actor.kind != "user":
        return "Approval decisions need an accountable person; API keys and services cannot decide."
    if actor.ident == request.submitted_by:
        return "The submitter of a request cannot decide it (four-eyes)."
    if actor.ident == mv.model.created_by:
        return "The model's owner cannot decide its approval (four-eyes)."
    if actor.ident == mv.created_by:
        return "The producer of the artifact cannot decide its approval (four-eyes)."
    return None


def approval_decide(
    *, actor: Principal, request: ApprovalRequest, decision: str, comment: str, role: str | None = None
) -> ApprovalDecision:
    """Record one reviewer's decision under four-eyes; close the request when it is settled.

    Staleness is checked (and committed) first, so a refused decision still leaves the request
    marked stale for everyone.
    """
    approval_request_revalidate(request, actor=actor)
    return _decide(actor=actor, request=request, decision=decision, comment=comment, role=role)


@transaction.atomic
def _decide(
    *, actor: Principal, request: ApprovalRequest, decision: str, comment: str, role: str | None
) -> ApprovalDecision:
    if decision not in Decision.values:
        raise ApplicationError(f"Unknown decision {decision!r}.", field="decision")
    if actor.kind == "api_key":
        raise PermissionDeniedError("API keys can submit but never decide approvals.", code=FOUR_EYES)
    if not comment.strip():
        raise ApplicationError("A decision needs a comment.", field="comment", code="comment_required")
    locked = (
        ApprovalRequest.objects.select_for_update()
        .select_related("policy", "model_version__model")
        .get(pk=request.pk)
    )
    mv = locked.model_version
    if not actor.can_read_team(mv.model.team_id):
        raise NotFoundError("No such approval request.")
    if locked.status == RequestStatus.STALE:
        raise ConflictError(
            "The evidence under review changed; this request is stale. Re-submit the version.",
            field="evidence_sha256",
            code="stale_request",
        )
    if locked.status != RequestStatus.OPEN:
        raise ConflictError(
            f"This request is {locked.status}; only open requests take decisions.",
            field="status",
            code="invalid_transition",
        )
    refusal = four_eyes_refusal(actor=actor, request=locked)
    if refusal:
        raise PermissionDeniedError(refusal, code=FOUR_EYES)
    if not actor.has_scope(Scope.APPROVALS_DECIDE):  # after four-eyes: the submitter learns the rule
        raise PermissionDeniedError(f"Deciding approvals needs the {Scope.APPROVALS_DECIDE.value} scope.")
    prior = list(locked.decisions.all())
    if any(d.reviewer == actor.ident for d in prior):
        raise PermissionDeniedError(
            "You already decided on this request; one person cannot fill two roles (four-eyes).",
            field="role",
            code=FOUR_EYES,
        )
    eligible = decidable_roles(actor)
    required: dict[str, int] = dict(locked.required_roles)
    approvals = Counter(d.role for d in prior if d.decision == Decision.APPROVE)
    seat = 1
    if decision == Decision.APPROVE:
        chosen = _approval_role(role=role, eligible=eligible, required=required, approvals=approvals)
        seat = approvals[chosen] + 1
        snapshot = evidence_snapshot(model_version=mv, policy=locked.policy)
        _raise_if_missing(missing_evidence(policy_rules(locked.policy), evidence_facts(snapshot)))
    else:
        if role and role not in eligible:
            raise PermissionDeniedError(f"You do not hold the {role} role.", field="role")
        chosen = (
            role or next((r for r in required if r in eligible), None) or next(iter(sorted(eligible)), "")
        )
        if not chosen:
            raise PermissionDeniedError("Only reviewers can decide approvals.", field="role")
    row = ApprovalDecision(
        request=locked,
        reviewer=actor.ident,
        reviewer_label=actor.label,
        submitter=locked.submitted_by,
        role=chosen,
        seat=seat,
        decision=decision,
        comment=comment,
        policy_version=locked.policy.version,
        evidence_sha256=locked.evidence_sha256,
    )
    row.full_clean()
    row.save()
    event = audit_append(
        actor=actor,
        action=events.APPROVAL_DECISION_RECORD,
        target=row,
        payload={
            "request_id": locked.pk,
            "decision": decision,
            "role": chosen,
            "comment": comment,
            "policy_version": locked.policy.version,
            "evidence_sha256": locked.evidence_sha256,
        },
    )
    row.attestation = attestation_create(
        target=row,
        subject_name=f"approval-request/{locked.pk}/evidence",
        subject_digest=locked.evidence_sha256,
        predicate_type=APPROVAL_DECISION_PREDICATE,
        predicate={
            "request_id": locked.pk,
            "model": mv.model.name,
            "model_version": mv.version,
            "model_version_id": mv.pk,
            "artifact_digest": mv.artifact_digest,
            "environment": locked.environment,
            "decision": decision,
            "role": chosen,
            "reviewer": actor.ident,
            "comment": comment,
            "policy_id": locked.policy_id,
            "policy_version": locked.policy.version,
            "evidence_sha256": locked.evidence_sha256,
            "decided_at": row.created_at.isoformat(),
        },
        audit_event=event,
    )
    row.save(update_fields=["attestation"])
    approvals[chosen] += decision == Decision.APPROVE
    _close_if_settled(actor=actor, request=locked, decision=decision, approvals=approvals, ids=[*prior, row])
    approval_notify(locked, "approval.decided", decision=row)
    request.status, request.decided_at, request.expires_at = (
        locked.status,
        locked.decided_at,
        locked.expires_at,
    )
    return row


def _approval_role(
    *, role: str | None, eligible: set[str], required: dict[str, int], approvals: Counter[str]
) -> str:
    if role is not None:
        if role not in required:
            raise ApplicationError(f"The policy does not ask for the {role} role.", field="role")
        if role not in eligible:
            raise PermissionDeniedError(f"You do not hold the {role} role.", field="role")
        if approvals[role] >= required[role]:
            raise ConflictError(
                f"The {role} role is already filled.", field="role", code="role_already_filled"
            )
        return role
    candidates = [r for r in required if r in eligible]
    if not candidates:
        raise PermissionDeniedError(
            "You hold none of the roles this request needs: " + ", ".join(required) + ".", field="role"
        )
    unfilled = [r for r in open_roles(required, approvals) if r in eligible]
    if not unfilled:
        raise ConflictError(
            "Every role you hold on this request is already filled.", field="role", code="role_already_filled"
        )
    return unfilled[0]


def _close_if_settled(
    *,
    actor: Principal,
    request: ApprovalRequest,
    decision: str,
    approvals: Counter[str],
    ids: list[ApprovalDecision],
) -> None:
    mv = request.model_version
    now = timezone.now()
    if decision == Decision.APPROVE:
        if not quorum_reached(request.required_roles, approvals):
            return
        request.status, target = RequestStatus.APPROVED, lifecycle.APPROVED
        request.expires_at = now + dt.timedelta(days=request.policy.validity_days)
    elif decision == Decision.REJECT:
        request.status, target = RequestStatus.REJECTED, lifecycle.REJECTED
    else:
        request.status, target = RequestStatus.CHANGES_REQUESTED, lifecycle.DRAFT
    request.decided_at = now
    request.save(update_fields=["status", "decided_at", "expires_at"])
    payload: dict[str, Any] = {"status": request.status, "decision_ids": [d.pk for d in ids]}
    if request.expires_at:
        payload["expires_at"] = request.expires_at
    audit_append(actor=actor, action=events.APPROVAL_REQUEST_CLOSE, target=request, payload=payload)
    model_version_transition(
        actor=actor,
        model_version=mv,
        to=target,
        reason=f"Approval request #{request.pk}: {request.get_status_display().lower()}",
        evidence={"approval_request_id": request.pk, "evidence_sha256": request.evidence_sha256},
    )


@transaction.atomic
def approval_withdraw(*, actor: Principal, request: ApprovalRequest, comment: str) -> ApprovalRequest:
    """The submitting team takes an open (or stale) request back; the version returns to draft."""
    locked = (
        ApprovalRequest.objects.select_for_update().select_related("model_version__model").get(pk=request.pk)
    )
    mv = locked.model_version
    authorize_team_write(
        actor, team_id=mv.model.team_id, scope=Scope.APPROVALS_SUBMIT, action="withdraw approval requests"
    )
    if not comment.strip():
        raise ApplicationError("A withdrawal needs a comment.", field="comment", code="comment_required")
    if locked.status not in (RequestStatus.OPEN, RequestStatus.STALE):
        raise ConflictError(
            f"This request is {locked.status}; only open requests can be withdrawn.",
            field="status",
            code="invalid_transition",
        )
    locked.status = RequestStatus.WITHDRAWN
    locked.decided_at = timezone.now()
    locked.save(update_fields=["status", "decided_at"])
    audit_append(
        actor=actor, action=events.APPROVAL_REQUEST_WITHDRAW, target=locked, payload={"comment": comment}
    )
    if mv.status == lifecycle.SUBMITTED:
        model_version_transition(
            actor=actor,
            model_version=mv,
            to=lifecycle.DRAFT,
            reason=f"Approval request #{locked.pk} withdrawn",
            evidence={"approval_request_id": locked.pk},
        )
    request.status, request.decided_at = locked.status, locked.decided_at
    return locked


def approval_policy_seed_defaults() -> list[ApprovalPolicy]:
    """Create version 1 of each tier's default policy where the tier has none (idempotent)."""
    from governance.approvals.constants import DEFAULT_POLICIES

    created = []
    for tier, fields in DEFAULT_POLICIES.items():
        if not ApprovalPolicy.objects.filter(risk_tier=tier, model__isnull=True).exists():
            created.append(
                ApprovalPolicy.objects.create(risk_tier=tier, version=1, created_by="system:seed", **fields)
            )
    return created
