"""Shapes of the fairness API (DESIGN.md: POST multipart file + config, GET status/progress/report)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from governance.fairness.models import BiasReport, FairnessCheck
from governance.fairness.selectors import check_progress, check_report, check_rule_counts


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


class ProgressSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Rows and chunks counted so far (finished chunks plus in-flight progress)."""

    rows_done = serializers.IntegerField()
    rows_total = serializers.IntegerField(allow_null=True, help_text="Estimated for CSV until planned.")
    chunks_done = serializers.IntegerField()
    chunks_total = serializers.IntegerField()
    fraction = serializers.FloatField(allow_null=True)


class CheckErrorSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Why a check failed, naming the setting or column at fault."""

    field = serializers.CharField()
    message = serializers.CharField()


class RuleCountsSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """How many policy outcomes (rule x view) the report was judged on, and how many failed."""

    evaluated = serializers.IntegerField()
    failed = serializers.IntegerField()


class _CheckStateMixin(serializers.Serializer):  # type: ignore[type-arg]
    """Status fields shared by the list summary and the full check."""

    progress = serializers.SerializerMethodField()
    passed = serializers.SerializerMethodField(help_text="Null until the report is built.")
    error = serializers.SerializerMethodField()

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, obj: FairnessCheck) -> Any:
        return check_progress(obj)

    def get_passed(self, obj: FairnessCheck) -> bool | None:
        report = check_report(obj)
        return report.passed if report else None

    @extend_schema_field(CheckErrorSerializer(allow_null=True))
    def get_error(self, obj: FairnessCheck) -> Any:
        return {"field": obj.error_field, "message": obj.error} if obj.error else None


class FairnessCheckSummarySerializer(_CheckStateMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    """A check in a list: state, verdict and counts, without the report (~300 KB); ``url`` has it."""

    url = serializers.SerializerMethodField(help_text="This check with its full report.")
    report_id = serializers.SerializerMethodField()
    rows = serializers.SerializerMethodField(help_text="Rows the report was computed on.")
    rules = serializers.SerializerMethodField()

    class Meta:
        model = FairnessCheck
        fields = [
            "id",
            "url",
            "model_version",
            "status",
            "progress",
            "passed",
            "rows",
            "rules",
            "report_id",
            "error",
            "input_name",
            "input_format",
            "input_sha256",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, obj: FairnessCheck) -> str:
        return reverse("fairness-check-detail", args=[obj.pk], request=self.context.get("request"))

    def get_report_id(self, obj: FairnessCheck) -> int | None:
        report = check_report(obj)
        return report.pk if report else None

    def get_rows(self, obj: FairnessCheck) -> int | None:
        report = check_report(obj)
        return report.rows if report else None

    @extend_schema_field(RuleCountsSerializer(allow_null=True))
    def get_rules(self, obj: FairnessCheck) -> Any:
        report = check_report(obj)
        return check_rule_counts(report) if report else None


class FairnessCheckSerializer(_CheckStateMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    """One check in full: its config and, once built, the signed report."""

    report = serializers.SerializerMethodField()

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

    @extend_schema_field(BiasReportSerializer(allow_null=True))
    def get_report(self, obj: FairnessCheck) -> Any:
        report = check_report(obj)
        return BiasReportSerializer(report).data if report else None
