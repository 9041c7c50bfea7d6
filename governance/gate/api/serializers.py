"""Shapes of the gate API (DESIGN.md contract table: gate checks, decisions, deployments)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from governance.approvals.choices import Environment
from governance.gate.choices import DeploymentStatus
from governance.gate.models import Deployment, GateDecision

DIGEST = r"^sha256:[0-9a-f]{64}$"


class CiSerializer(serializers.Serializer):  # type: ignore[type-arg]
    provider = serializers.CharField(max_length=40, required=False, allow_blank=True)
    repository = serializers.CharField(max_length=300, required=False, allow_blank=True)
    commit = serializers.CharField(max_length=100, required=False, allow_blank=True)
    run_url = serializers.URLField(max_length=1000, required=False, allow_blank=True)
    actor = serializers.CharField(max_length=150, required=False, allow_blank=True)


class GateCheckSerializer(serializers.Serializer):  # type: ignore[type-arg]
    model = serializers.CharField(max_length=100)
    version = serializers.CharField(max_length=100)
    environment = serializers.ChoiceField(choices=Environment.choices)
    artifact_digest = serializers.RegexField(
        DIGEST, max_length=71, help_text="sha256:<64 lowercase hex> of the artifact about to be deployed."
    )
    ci = CiSerializer(required=False)


class ReasonSerializer(serializers.Serializer):  # type: ignore[type-arg]
    code = serializers.CharField()
    message = serializers.CharField()
    policy = serializers.CharField(allow_null=True)
    expected = serializers.JSONField(allow_null=True)
    actual = serializers.JSONField(allow_null=True)


class GateDecisionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    decision_id = serializers.UUIDField(source="pk", read_only=True)
    model = serializers.CharField(source="model_version.model.name", read_only=True)
    version = serializers.CharField(source="model_version.version", read_only=True)
    reasons = ReasonSerializer(many=True, read_only=True)
    approval_id = serializers.IntegerField(
        source="approval.pk", allow_null=True, read_only=True, default=None
    )
    attestation_url = serializers.SerializerMethodField()
    audit_entry = serializers.UUIDField(source="audit_entry_id", read_only=True)

    class Meta:
        model = GateDecision
        fields = [
            "decision",
            "reasons",
            "decision_id",
            "evaluated_at",
            "policy_version",
            "approval_id",
            "attestation_url",
            "audit_entry",
            "model",
            "version",
            "environment",
            "artifact_digest",
            "passed_checks",
            "ci",
            "requested_by",
        ]
        read_only_fields = fields

    def get_attestation_url(self, obj: GateDecision) -> str:
        path = f"/api/v1/gate/decisions/{obj.pk}"
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class GateDecisionDetailSerializer(GateDecisionSerializer):
    bundle = serializers.SerializerMethodField(help_text="The signed DSSE bundle (govctl verify bundle).")

    class Meta(GateDecisionSerializer.Meta):
        fields = [*GateDecisionSerializer.Meta.fields, "bundle"]
        read_only_fields = fields

    def get_bundle(self, obj: GateDecision) -> dict[str, Any] | None:
        return obj.attestation.bundle if obj.attestation else None


class DeploymentCreateSerializer(serializers.Serializer):  # type: ignore[type-arg]
    model = serializers.CharField(max_length=100)
    version = serializers.CharField(max_length=100)
    environment = serializers.ChoiceField(choices=Environment.choices)
    artifact_digest = serializers.RegexField(DIGEST, max_length=71)
    decision_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=DeploymentStatus.choices, default=DeploymentStatus.DEPLOYED)


class DeploymentSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    model = serializers.CharField(source="model_version.model.name", read_only=True)
    version = serializers.CharField(source="model_version.version", read_only=True)
    decision_id = serializers.UUIDField(read_only=True)
    approval_id = serializers.IntegerField(source="decision.approval_id", allow_null=True, read_only=True)
    replaced_by = serializers.IntegerField(source="replaced_by_id", allow_null=True, read_only=True)

    class Meta:
        model = Deployment
        fields = [
            "id",
            "model",
            "version",
            "model_version",
            "environment",
            "artifact_digest",
            "status",
            "decision_id",
            "approval_id",
            "replaced_by",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class DeploymentQuerySerializer(serializers.Serializer):  # type: ignore[type-arg]
    environment = serializers.ChoiceField(choices=Environment.choices, required=False)
    at = serializers.DateTimeField(required=False, help_text="The instant asked about (default: now).")
    model = serializers.CharField(max_length=100, required=False)
