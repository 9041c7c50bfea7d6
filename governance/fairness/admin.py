"""Admin pages: fairness checks with their progress, and the bias report page reviewers read."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.safestring import mark_safe

from governance.core.admin_mixins import TeamScopedAdmin
from governance.fairness.charts import report_charts
from governance.fairness.engine import PolicyRule
from governance.fairness.models import BiasReport, FairnessCheck
from governance.fairness.selectors import check_progress, with_progress

ROW_METRICS = (
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
    "positive_predictive_value",
    "accuracy",
)


class ReadOnlyAdmin(TeamScopedAdmin):
    """Checks and reports are written by workers only."""

    team_path = "model_version__model__team_id"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(FairnessCheck)
class FairnessCheckAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "status", "progress", "input_name", "created_at", "finished_at"]
    list_filter = ["status", "input_format"]
    search_fields = ["model_version__model__name", "input_name", "input_sha256"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[FairnessCheck]:
        return with_progress(super().get_queryset(request))

    @admin.display(description="progress")
    def progress(self, check: FairnessCheck) -> str:
        p = check_progress(check)
        total = f"{p['rows_total']:,}" if p["rows_total"] else "?"
        return f"{p['rows_done']:,} / {total} rows, {p['chunks_done']}/{p['chunks_total']} chunks"


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
            extra_context["views"] = self._views(report)
            extra_context["policy_outcomes"] = report.policy_result.get("outcomes", [])
            extra_context["row_metrics"] = ROW_METRICS
        return super().change_view(request, object_id, form_url, extra_context)

    def _views(self, report: BiasReport) -> list[dict[str, Any]]:
        rules = [PolicyRule.from_dict(rule) for rule in report.policy]
        names = ["intersection", *report.report.get("attributes", {})]
        views = []
        for name in names:
            data = report.report
            block = data["intersection"] if name == "intersection" else data["attributes"][name]
            charts = report_charts(report.report, name, policy=rules)
            views.append(
                {
                    "name": name,
                    "columns": block["columns"],
                    "groups": [
                        {
                            "label": ", ".join(f"{k}={v}" for k, v in g["group"].items()),
                            "n": g["n"],
                            "values": [g.get("metrics", {}).get(m) for m in ROW_METRICS],
                            "reasons": g.get("null_reasons", {}),
                        }
                        for g in block["groups"]
                    ],
                    "charts": [mark_safe(svg) for svg in charts.values()],  # noqa: S308 - built and escaped by charts.py
                }
            )
        return views
