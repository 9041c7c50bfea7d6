"""Gate decisions (each signed and audited) and deployments (what actually went where, when)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from governance.approvals.choices import Environment
from governance.approvals.models import ApprovalRequest
from governance.core.visibility import TeamScopedQuerySet
from governance.gate.choices import DeploymentStatus, Verdict
from governance.inventory.models import ModelVersion


class GateDecision(models.Model):
    """One verdict of the deploy gate: the question, the answer with every reason, and who asked.

    Immutable once written; ``request_sha256`` with ``idempotency_key`` makes a retried call return the
    same decision instead of a new one.
    """

    TEAM_PATH = "model_version__model__team_id"  # one visibility rule: governance.core.visibility
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="gate_decisions")
    environment = models.CharField(max_length=20, choices=Environment.choices)
    artifact_digest = models.CharField(max_length=80)
    decision = models.CharField(max_length=10, choices=Verdict.choices)
    reasons = models.JSONField(default=list)
    passed_checks = models.JSONField(default=list)
    approval = models.ForeignKey(
        ApprovalRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="gate_decisions"
    )
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    ci = models.JSONField(default=dict, blank=True)
    requested_by = models.CharField(max_length=100)
    requested_by_label = models.CharField(max_length=150, blank=True)
    # NULL, not "": the unique constraint must not treat key-less calls as one key.
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    request_sha256 = models.CharField(max_length=64)
    evaluated_at = models.DateTimeField(default=timezone.now)
    audit_entry_id = models.UUIDField(null=True, blank=True)
    attestation = models.ForeignKey("audit.Attestation", null=True, blank=True, on_delete=models.PROTECT)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-evaluated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["requested_by", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="gatedecision_idempotency_unique",
            )
        ]
        indexes = [models.Index(fields=["model_version", "environment", "-evaluated_at"], name="gate_mv_env")]

    def __str__(self) -> str:
        return f"gate {self.decision} for {self.model_version_id} → {self.environment} ({self.pk})"


class Deployment(models.Model):
    """An event: a version went into (or out of) an environment at ``recorded_at``. Never edited.

    "What was in prod at D" is, per version, the latest event at or before D being ``deployed``.
    """

    TEAM_PATH = "model_version__model__team_id"  # one visibility rule: governance.core.visibility
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="deployments")
    environment = models.CharField(max_length=20, choices=Environment.choices)
    artifact_digest = models.CharField(max_length=80)
    status = models.CharField(max_length=20, choices=DeploymentStatus.choices)
    decision = models.ForeignKey(GateDecision, on_delete=models.PROTECT, related_name="deployments")
    replaced_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced",
        help_text="For an undeploy recorded because another version of the model replaced this one.",
    )
    recorded_by = models.CharField(max_length=100)
    recorded_by_label = models.CharField(max_length=150, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["environment", "recorded_at"], name="deployment_env_time")]

    def __str__(self) -> str:
        when = f"{self.recorded_at:%Y-%m-%d %H:%M}"
        return f"{self.model_version_id} {self.status} in {self.environment} at {when}"
