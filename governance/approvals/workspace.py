"""The reviewer's workspace, read side: the dashboard and the review panel of a model version.

Built without templates so that the admin (and tests) read one object, and so that what the page
offers is computed by the same rules the services enforce: ``decision_options`` asks
``four_eyes_refusal`` and the role quorum, it does not restate them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Max, QuerySet
from django.urls import reverse
from django.utils import timezone

from audit.models import Attestation, Checkpoint, LogVerificationRun
from audit.pure.evidence.model_artifact import MODEL_SIGNING_PREDICATE_TYPE
from governance.accounts.principal import Principal
from governance.accounts.roles import Scope
from governance.approvals.choices import Decision, RequestStatus
from governance.approvals.evidence import evidence_facts, evidence_sha256, evidence_snapshot, policy_rules
from governance.approvals.models import ApprovalPolicy, ApprovalRequest
from governance.approvals.policy import Requirement, effective_roles, evidence_checklist, open_roles
from governance.approvals.selectors import approval_pending_for, approval_request_list
from governance.approvals.services import (
    SUBMITTABLE,
    approval_policy_for,
    decidable_roles,
    four_eyes_refusal,
)
from governance.core.exceptions import ApplicationError
from governance.fairness.models import BiasReport
from governance.inventory import lifecycle
from governance.inventory.models import ModelVersion, ModelVersionDataset
from governance.inventory.selectors import model_card_latest

STALE_REASON = "the evidence changed since submission, so the request is stale; the team must re-submit."
REVIEW_SLA_DAYS = 10
"""A submitted request is due for a decision this many days after submission (the queue's due date)."""


@dataclass(frozen=True)
class QueueItem:
    """A request waiting for the reader's decision, with its due date."""

    request: ApprovalRequest
    due_at: dt.datetime
    overdue: bool
    open_roles: list[str]


@dataclass(frozen=True)
class Dashboard:
    """The admin landing page of a reviewer (and of anyone: each part is scoped to what they may see)."""

    queue: list[QueueItem]
    recently_decided: list[ApprovalRequest]
    expiring: list[ApprovalRequest]
    failing_reports: list[BiasReport]
    checkpoint: Checkpoint | None
    verification: LogVerificationRun | None
    due_soon_days: int
    can_decide: bool


def _due_soon_days() -> int:
    return int(getattr(settings, "APPROVALS_DUE_SOON_DAYS", 30))


def approval_expiring(*, principal: Principal, now: dt.datetime | None = None) -> list[ApprovalRequest]:
    """Approvals in force that lapse within the due-soon window, soonest first."""
    now = now or timezone.now()
    return list(
        approval_request_list(principal=principal)
        .filter(status=RequestStatus.APPROVED, expires_at__gt=now)
        .filter(expires_at__lte=now + dt.timedelta(days=_due_soon_days()))
        .order_by("expires_at")
    )


def failing_bias_reports(*, principal: Principal, limit: int = 10) -> list[BiasReport]:
    """The latest report of each live version, where that report fails its policy."""
    live = BiasReport.objects.filter(model_version__in=_live_versions(principal))
    latest = live.values("model_version_id").annotate(last=Max("pk")).values("last")
    return list(
        BiasReport.objects.filter(pk__in=latest, passed=False)
        .select_related("model_version__model")
        .order_by("-created_at")[:limit]
    )


def _live_versions(principal: Principal) -> QuerySet[ModelVersion]:
    return ModelVersion.objects.visible_to(principal).exclude(status=lifecycle.RETIRED)


def reviewer_dashboard(*, principal: Principal, now: dt.datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    queue = []
    mine = decidable_roles(principal)
    for request in approval_pending_for(principal=principal):
        approvals = Counter(d.role for d in request.decisions.all() if d.decision == Decision.APPROVE)
        due = request.created_at + dt.timedelta(days=REVIEW_SLA_DAYS)
        roles = [r for r in open_roles(request.required_roles, approvals) if r in mine]
        queue.append(QueueItem(request, due, due < now, roles))
    recent = list(
        approval_request_list(principal=principal)
        .filter(decided_at__isnull=False)
        .exclude(status=RequestStatus.WITHDRAWN)
        .order_by("-decided_at")[:10]
    )
    return Dashboard(
        queue=queue,
        recently_decided=recent,
        expiring=approval_expiring(principal=principal, now=now),
        failing_reports=failing_bias_reports(principal=principal),
        checkpoint=Checkpoint.objects.order_by("-size").first(),
        verification=LogVerificationRun.objects.order_by("-verified_at").first(),
        due_soon_days=_due_soon_days(),
        can_decide=principal.kind == "user" and principal.has_scope(Scope.APPROVALS_DECIDE),
    )


@dataclass(frozen=True)
class DecisionOptions:
    """What the reader may do with a request now: decisions and roles, or why nothing."""

    decisions: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    reason: str = ""


def decision_options(*, principal: Principal, request: ApprovalRequest | None) -> DecisionOptions:
    """The actions the decision service would accept from ``principal`` on ``request``, or why none."""
    if request is None:
        return DecisionOptions(reason="This version has no approval request to decide.")
    if request.status == RequestStatus.STALE:
        return DecisionOptions(reason=STALE_REASON)
    if request.status != RequestStatus.OPEN:
        return DecisionOptions(reason=f"The request is {request.get_status_display().lower()}.")
    refusal = four_eyes_refusal(actor=principal, request=request)
    if refusal:  # first: the submitter must read the rule, even without a reviewer role
        return DecisionOptions(reason=refusal)
    if not principal.has_scope(Scope.APPROVALS_DECIDE):
        return DecisionOptions(reason="You are not a reviewer: deciding approvals needs a reviewer role.")
    decisions = list(request.decisions.all())
    if any(d.reviewer == principal.ident for d in decisions):
        return DecisionOptions(reason="You already decided on this request (one person, one role).")
    eligible = decidable_roles(principal)
    approvals = Counter(d.role for d in decisions if d.decision == Decision.APPROVE)
    unfilled = [r for r in open_roles(request.required_roles, approvals) if r in eligible]
    if unfilled:
        return DecisionOptions(
            decisions=[Decision.APPROVE, Decision.REQUEST_CHANGES, Decision.REJECT], roles=unfilled
        )
    mine = [r for r in request.required_roles if r in eligible]
    if mine:
        return DecisionOptions(reason="Every role you hold on this request is already filled.")
    return DecisionOptions(
        reason="You hold none of the roles this request needs: " + ", ".join(request.required_roles) + "."
    )


@dataclass(frozen=True)
class ChecklistLine:
    """One requirement as the page shows it: met or not, and where the evidence is."""

    requirement: Requirement
    detail: str = ""
    url: str = ""


@dataclass(frozen=True)
class RoleSeat:
    """A required role on the current request: its quorum and who approved in it so far."""

    role: str
    quorum: int
    approvers: list[str]

    @property
    def filled(self) -> bool:
        return len(self.approvers) >= self.quorum


@dataclass(frozen=True)
class VersionReview:
    """Everything the review panel of a model version shows."""

    model_version: ModelVersion
    policy: ApprovalPolicy | None
    policy_error: str
    checklist: list[ChecklistLine]
    required_roles: dict[str, int]
    seats: list[RoleSeat]
    current: ApprovalRequest | None
    history: list[ApprovalRequest]
    options: DecisionOptions
    latest_bias_report: BiasReport | None
    dataset_links: list[ModelVersionDataset]
    can_submit: bool
    submit_reason: str
    can_withdraw: bool


def _evidence_lines(
    mv: ModelVersion, items: list[Requirement], report: BiasReport | None
) -> list[ChecklistLine]:
    """Add what is on record (and the admin link to it) to each requirement."""
    card = model_card_latest(model_version=mv)
    attestation = (
        Attestation.objects.filter(
            subject_type="inventory.modelversion",
            subject_id=str(mv.pk),
            predicate_type=MODEL_SIGNING_PREDICATE_TYPE,
        )
        .order_by("-pk")
        .first()
    )
    lines = []
    for item in items:
        detail, url = "", ""
        if item.key == "model_card" and card:
            detail, url = (
                f"revision {card.revision}",
                reverse("admin:inventory_modelcard_change", args=[card.pk]),
            )
        elif item.key == "artifact_digest" and mv.artifact_digest:
            detail = mv.artifact_digest
        elif item.key == "artifact_attestation" and attestation:
            detail = (
                f"signed by key {attestation.key_id[:12]}… on {attestation.created_at:%Y-%m-%d %H:%M} UTC"
            )
            url = reverse("admin:audit_attestation_change", args=[attestation.pk])
        elif item.key == "bias_report" and report:
            verdict = "passed" if report.passed else "failed"
            detail = f"latest: report #{report.pk}, {verdict}, {report.created_at:%Y-%m-%d}"
            url = reverse("admin:fairness_biasreport_change", args=[report.pk])
        lines.append(ChecklistLine(item, detail, url))
    return lines


def version_review(*, principal: Principal, model_version: ModelVersion) -> VersionReview:
    """The review panel of one version, as ``principal`` may see and act on it."""
    mv = model_version
    latest_report = BiasReport.objects.filter(model_version=mv).order_by("-pk").first()
    history = list(
        approval_request_list(principal=principal).filter(model_version=mv).order_by("-created_at", "-id")
    )
    current = history[0] if history else None
    policy: ApprovalPolicy | None = None
    policy_error = ""
    checklist: list[ChecklistLine] = []
    required: dict[str, int] = {}
    try:
        policy = (
            current.policy if current and current.status == RequestStatus.OPEN else approval_policy_for(mv)
        )
    except ApplicationError as exc:
        policy_error = exc.message
    options = decision_options(principal=principal, request=current)
    if policy is not None:
        snapshot = evidence_snapshot(model_version=mv, policy=policy)
        open_request = current is not None and current.status == RequestStatus.OPEN
        if open_request and current and evidence_sha256(snapshot) != current.evidence_sha256:
            # Not yet marked (the watcher runs after commit): the service would refuse anyway.
            options = DecisionOptions(reason=STALE_REASON)
        facts = evidence_facts(snapshot)
        rules = policy_rules(policy)
        checklist = _evidence_lines(mv, evidence_checklist(rules, facts), latest_report)
        required = effective_roles(rules, facts)
    if current is not None and current.status == RequestStatus.OPEN:
        required = dict(current.required_roles)
    has_open = current is not None and current.status == RequestStatus.OPEN
    submittable = mv.status in SUBMITTABLE or (mv.status == lifecycle.SUBMITTED and not has_open)
    can_write = principal.has_scope(Scope.APPROVALS_SUBMIT) and principal.can_write_team(mv.model.team_id)
    missing = [line for line in checklist if not line.requirement.met]
    if not can_write:
        submit_reason = "Only members of the owning team with the submitter role can submit."
    elif not submittable:
        submit_reason = f"The version is {mv.get_status_display().lower()}."
    elif missing:
        submit_reason = "Evidence is missing (see the checklist)."
    else:
        submit_reason = ""
    approvers: dict[str, list[str]] = {}
    if current is not None:
        for d in current.decisions.all():
            if d.decision == Decision.APPROVE:
                approvers.setdefault(d.role, []).append(d.reviewer_label or d.reviewer)
    seats = [RoleSeat(role, n, approvers.get(role, [])) for role, n in required.items()]
    return VersionReview(
        model_version=mv,
        policy=policy,
        policy_error=policy_error,
        checklist=checklist,
        required_roles=required,
        seats=seats,
        current=current,
        history=history,
        options=options,
        latest_bias_report=latest_report,
        dataset_links=list(
            ModelVersionDataset.objects.filter(model_version=mv).select_related("dataset_version__dataset")
        ),
        can_submit=can_write and submittable and not missing and policy is not None,
        submit_reason=submit_reason,
        can_withdraw=can_write
        and current is not None
        and current.status in (RequestStatus.OPEN, RequestStatus.STALE),
    )
