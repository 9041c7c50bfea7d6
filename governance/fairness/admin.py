"""Admin pages: fairness checks with their progress, and the bias report page reviewers read."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html

from governance.core.admin_mixins import TeamScopedAdmin
from governance.fairness.models import BiasReport, FairnessCheck
from governance.fairness.presenter import bias_report_presentation
from governance.fairness.selectors import check_progress, check_report, requester_label, with_progress


class ReadOnlyAdmin(TeamScopedAdmin):
    """Checks and reports are written by workers only."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(FairnessCheck)
class FairnessCheckAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "status", "progress", "input_name", "created_at", "finished_at"]
    list_filter = ["status", "input_format"]
    search_fields = ["model_version__model__name", "input_name", "input_sha256"]
    # What a reviewer needs: the file as uploaded (name, size, digest), progress and who asked. Where the
    # file sits on the server and how it was split into chunks are the workers' business.
    fields = [
        "model_version",
        "status",
        "progress",
        "input_file",
        "input_format",
        "requester",
        "config_json",
        "failure",
        "bias_report",
        "created_at",
        "started_at",
        "finished_at",
    ]
    readonly_fields = ["progress", "input_file", "requester", "config_json", "failure", "bias_report"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[FairnessCheck]:
        return with_progress(super().get_queryset(request))

    @admin.display(description="progress")
    def progress(self, check: FairnessCheck) -> str:
        p = check_progress(check)
        total = f"{p['rows_total']:,}" if p["rows_total"] else "?"
        text = f"{p['rows_done']:,} / {total} rows, {p['chunks_done']}/{p['chunks_total']} chunks"
        return text if p["fraction"] is None else f"{text} ({p['fraction']:.0%})"

    @admin.display(description="predictions file")
    def input_file(self, check: FairnessCheck) -> str:
        size = "size unknown" if check.input_bytes is None else filesizeformat(check.input_bytes)
        digest = f"sha256:{check.input_sha256}" if check.input_sha256 else "sha256 not computed yet"
        return format_html("{} ({})<br><code>{}</code>", check.input_name or "(unnamed)", size, digest)

    @admin.display(description="requested by")
    def requester(self, check: FairnessCheck) -> str:
        return requester_label(check.requested_by)

    @admin.display(description="config")
    def config_json(self, check: FairnessCheck) -> str:
        return format_html("<pre>{}</pre>", json.dumps(check.config, indent=2, sort_keys=True))

    @admin.display(description="error")
    def failure(self, check: FairnessCheck) -> str:
        if not check.error:
            return "-"
        return f"{check.error_field}: {check.error}" if check.error_field else check.error

    @admin.display(description="bias report")
    def bias_report(self, check: FairnessCheck) -> str:
        report = check_report(check)
        if report is None:
            return "-"
        url = reverse("admin:fairness_biasreport_change", args=[report.pk])
        return format_html('<a href="{}">{}</a>', url, "PASS" if report.passed else "FAIL")


@admin.register(BiasReport)
class BiasReportAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "passed", "rows", "input_sha256", "created_at"]
    list_filter = ["passed"]
    search_fields = ["model_version__model__name", "input_sha256"]
    list_select_related = ["model_version", "model_version__model"]
    change_form_template = "admin/fairness/biasreport/change_form.html"
    exclude = ["counts", "report", "config", "policy", "policy_result"]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        report = self.get_queryset(request).filter(pk=object_id).first()
        extra_context = dict(extra_context or {})
        if report is not None:
            extra_context["presentation"] = bias_report_presentation(report)
        return super().change_view(request, object_id, form_url, extra_context)
