"""Approval policies (versioned), requests bound to a hashed evidence snapshot, and decisions."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from governance.approvals.choices import Decision, Environment, RequestStatus
from governance.core.visibility import TeamScopedQuerySet
from governance.inventory.choices import RiskTier
from governance.inventory.models import ModelVersion, RegisteredModel


class ApprovalPolicy(models.Model):
    """One version of the rules for approving a risk tier (or one model): roles, evidence, validity.

    Rows are never edited: a revision is a new row with ``version + 1`` and the old row loses
    ``is_current``, so every decision can name the exact rules it was taken under.
    """

    # Tier-wide policies belong to no team; a model override is visible with its model's team.
    TEAM_PATH = "model__team_id"  # one visibility rule: governance.core.visibility
    risk_tier = models.CharField(max_length=20, choices=RiskTier.choices)
    model = models.ForeignKey(
        RegisteredModel, null=True, blank=True, on_delete=models.PROTECT, related_name="approval_policies"
    )
    version = models.PositiveIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    required_roles = models.JSONField(help_text='Role -> quorum, e.g. {"model_risk_reviewer": 1}.')
    required_roles_when_phi = models.JSONField(
        default=dict, blank=True, help_text="Extra roles when a dataset holds PHI (HIPAA)."
    )
    require_complete_model_card = models.BooleanField(default=True)
    require_signed_artifact = models.BooleanField(default=True)
    require_passing_bias_report = models.BooleanField(default=False)
    bias_report_max_age_days = models.PositiveIntegerField(null=True, blank=True)
    require_dpia_for_personal_data = models.BooleanField(default=True)
    require_named_owner = models.BooleanField(default=True)
    approvable = models.BooleanField(
        default=True, help_text="False for the prohibited tier (EU AI Act Art. 5)."
    )
    validity_days = models.PositiveIntegerField(default=365)
    created_by = models.CharField(max_length=100, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["risk_tier", "model_id", "-version"]
        verbose_name_plural = "approval policies"
        constraints = [
            models.UniqueConstraint(
                fields=["risk_tier", "version"],
                condition=models.Q(model__isnull=True),
                name="approvalpolicy_tier_version_unique",
            ),
            models.UniqueConstraint(
                fields=["model", "version"],
                condition=models.Q(model__isnull=False),
                name="approvalpolicy_model_version_unique",
            ),
            models.UniqueConstraint(
                fields=["risk_tier"],
                condition=models.Q(model__isnull=True, is_current=True),
                name="approvalpolicy_one_current_per_tier",
            ),
            models.UniqueConstraint(
                fields=["model"],
                condition=models.Q(model__isnull=False, is_current=True),
                name="approvalpolicy_one_current_per_model",
            ),
        ]

    def __str__(self) -> str:
        scope = f"model {self.model_id}" if self.model_id else f"tier {self.risk_tier}"
        return f"approval policy for {scope} v{self.version}"


class ApprovalRequest(models.Model):
    """A version submitted for an environment, bound to the sha256 of the evidence under review."""

    TEAM_PATH = "model_version__model__team_id"  # one visibility rule: governance.core.visibility
    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="approval_requests"
    )
    environment = models.CharField(max_length=20, choices=Environment.choices)
    submitted_by = models.CharField(max_length=100)
    submitted_by_label = models.CharField(max_length=150, blank=True)
    comment = models.TextField()
    policy = models.ForeignKey(ApprovalPolicy, on_delete=models.PROTECT, related_name="requests")
    required_roles = models.JSONField(help_text="Roles and quorum in force for this request.")
    evidence = models.JSONField(help_text="Snapshot of what is reviewed.")
    evidence_sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=20, choices=RequestStatus.choices, default=RequestStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open review per version at a time.
            models.UniqueConstraint(
                fields=["model_version"],
                condition=models.Q(status="open"),
                name="approvalrequest_one_open_per_version",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"approval request #{self.pk} of {self.model_version_id} for {self.environment} ({self.status})"
        )


class ApprovalDecision(models.Model):
    """One reviewer's signed decision on a request, bound to the evidence hash it saw."""

    TEAM_PATH = "request__model_version__model__team_id"  # one visibility rule
    request = models.ForeignKey(ApprovalRequest, on_delete=models.PROTECT, related_name="decisions")
    reviewer = models.CharField(max_length=100)
    reviewer_label = models.CharField(max_length=150, blank=True)
    # Copied from the request so the database itself can refuse reviewer == submitter.
    submitter = models.CharField(max_length=100)
    role = models.CharField(max_length=40)
    # Approvals of a role fill seats 1..quorum: the database refuses a double count of one seat.
    seat = models.PositiveSmallIntegerField(default=1)
    decision = models.CharField(max_length=20, choices=Decision.choices)
    comment = models.TextField()
    policy_version = models.PositiveIntegerField()
    evidence_sha256 = models.CharField(max_length=64)
    attestation = models.ForeignKey("audit.Attestation", null=True, blank=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "reviewer"], name="approvaldecision_one_per_reviewer"),
            models.UniqueConstraint(
                fields=["request", "role", "seat"],
                condition=models.Q(decision="approve"),
                name="approvaldecision_one_approval_per_role_seat",
            ),
            models.CheckConstraint(
                condition=~models.Q(reviewer=models.F("submitter")),
                name="approvaldecision_reviewer_not_submitter",
            ),
            models.CheckConstraint(condition=~models.Q(comment=""), name="approvaldecision_comment_required"),
        ]

    def __str__(self) -> str:
        return f"{self.decision} by {self.reviewer} as {self.role} on request #{self.request_id}"
