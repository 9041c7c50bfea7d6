"""Shapes of the approvals API (DESIGN.md contract table: submit, decide, withdraw, lists)."""

from __future__ import annotations

from rest_framework import serializers

from governance.accounts.roles import ROLES
from governance.approvals.choices import Environment
from governance.approvals.models import ApprovalDecision, ApprovalRequest

REVIEWER_ROLES = [r.value for r, spec in ROLES.items() if spec.is_reviewer]


class SubmitSerializer(serializers.Serializer):  # type: ignore[type-arg]
    environment = serializers.ChoiceField(choices=Environment.choices)
    comment = serializers.CharField(max_length=5000)


class DecisionInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    comment = serializers.CharField(max_length=5000)
    role = serializers.ChoiceField(
        choices=REVIEWER_ROLES,
        required=False,
        help_text="Role to decide in (default: the first unfilled one).",
    )


class WithdrawSerializer(serializers.Serializer):  # type: ignore[type-arg]
    comment = serializers.CharField(max_length=5000)


class ApprovalDecisionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = ApprovalDecision
        fields = [
            "id",
            "reviewer",
            "reviewer_label",
            "role",
            "decision",
            "comment",
            "policy_version",
            "evidence_sha256",
            "attestation",
            "created_at",
        ]
        read_only_fields = fields


class ApprovalRequestSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    model = serializers.CharField(source="model_version.model.name", read_only=True)
    version = serializers.CharField(source="model_version.version", read_only=True)
    policy_version = serializers.IntegerField(source="policy.version", read_only=True)
    required_roles = serializers.DictField(child=serializers.IntegerField(), read_only=True)
    evidence = serializers.DictField(read_only=True)
    decisions = ApprovalDecisionSerializer(many=True, read_only=True)

    class Meta:
        model = ApprovalRequest
        fields = [
            "id",
            "model_version",
            "model",
            "version",
            "environment",
            "status",
            "submitted_by",
            "submitted_by_label",
            "comment",
            "policy",
            "policy_version",
            "required_roles",
            "evidence",
            "evidence_sha256",
            "decisions",
            "created_at",
            "decided_at",
            "expires_at",
        ]
        read_only_fields = fields
