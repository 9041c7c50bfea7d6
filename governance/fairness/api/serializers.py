"""Shapes of the fairness API (DESIGN.md: POST multipart file + config, GET status/progress/report)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from governance.fairness.models import BiasReport, FairnessCheck
from governance.fairness.selectors import check_progress, check_report


class FairnessCheckCreateSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Multipart: ``file`` (CSV or Parquet) and ``config`` (JSON text); or JSON with ``source_uri``."""

    config = serializers.JSONField(help_text="model_version, y_true, y_pred, sensitive_features, ...")
    file = serializers.FileField(required=False)
    source_uri = serializers.CharField(required=False, help_text="file:// path readable by the workers")
    format = serializers.ChoiceField(choices=["csv", "parquet"], required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("file")) == bool(attrs.get("source_uri")):
            raise serializers.ValidationError({"file": "Send either a file or a source_uri."})
        if not isinstance(attrs["config"], dict):
            raise serializers.ValidationError({"config": "Expected a JSON object."})
        return attrs


class BiasReportSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    groups = serializers.SerializerMethodField(help_text="Intersectional groups with metrics.")
    disparities = serializers.SerializerMethodField()
    attestation_bundle = serializers.SerializerMethodField()

    class Meta:
        model = BiasReport
        fields = [
            "id",
            "passed",
            "rows",
            "input_sha256",
            "groups",
            "disparities",
            "policy",
            "policy_result",
            "report",
            "attestation_bundle",
            "created_at",
        ]
        read_only_fields = fields

    def get_groups(self, obj: BiasReport) -> Any:
        return obj.report["intersection"]["groups"]

    def get_disparities(self, obj: BiasReport) -> Any:
        return obj.report["intersection"]["disparities"]

    def get_attestation_bundle(self, obj: BiasReport) -> Any:
        return obj.attestation.bundle if obj.attestation else None


class FairnessCheckSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    progress = serializers.SerializerMethodField()
    report = serializers.SerializerMethodField()
    passed = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField()

    class Meta:
        model = FairnessCheck
        fields = [
            "id",
            "model_version",
            "status",
            "progress",
            "config",
            "input_name",
            "input_format",
            "input_sha256",
            "error",
            "passed",
            "report",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_progress(self, obj: FairnessCheck) -> Any:
        return check_progress(obj)

    def get_report(self, obj: FairnessCheck) -> Any:
        report = check_report(obj)
        return BiasReportSerializer(report).data if report else None

    def get_passed(self, obj: FairnessCheck) -> bool | None:
        report = check_report(obj)
        return report.passed if report else None

    def get_error(self, obj: FairnessCheck) -> Any:
        return {"field": obj.error_field, "message": obj.error} if obj.error else None
