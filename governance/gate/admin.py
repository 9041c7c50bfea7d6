"""Gate decisions and deployments in the admin: read-only records, and "what was in an environment at D"."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from governance.approvals.choices import Environment
from governance.core.admin_mixins import RecordAdmin, admin_principal
from governance.gate.models import Deployment, GateDecision
from governance.gate.selectors import deployed_versions


@admin.register(GateDecision)
class GateDecisionAdmin(RecordAdmin):
    list_display = ["evaluated_at", "version", "environment", "verdict", "reason_codes", "requested_by_label"]
    list_filter = ["decision", "environment", "model_version__model__team"]
    search_fields = ["model_version__model__name", "model_version__version", "artifact_digest", "id"]
    list_select_related = ["model_version__model"]
    exclude = ["reasons", "attestation"]
    readonly_fields = ["reasons_table", "bundle"]

    @admin.display(description="model version", ordering="model_version")
    def version(self, decision: GateDecision) -> str:
        mv = decision.model_version
        url = reverse("admin:inventory_modelversion_change", args=[mv.pk])
        return format_html("<a href='{}'>{} {}</a>", url, mv.model.name, mv.version)

    @admin.display(description="verdict", ordering="decision")
    def verdict(self, decision: GateDecision) -> str:
        css = "gov-ok" if decision.decision == "pass" else "gov-bad"
        return format_html("<span class='gov-badge {}'>{}</span>", css, decision.decision.upper())

    @admin.display(description="reasons")
    def reason_codes(self, decision: GateDecision) -> str:
        return ", ".join(r["code"] for r in decision.reasons) or "—"

    @admin.display(description="reasons (every failed check)")
    def reasons_table(self, decision: GateDecision) -> str:
        if not decision.reasons:
            return "None: every check passed."
        rows = format_html_join(
            "",
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (r["code"], r["message"], json.dumps(r["expected"]), json.dumps(r["actual"]))
                for r in decision.reasons
            ),
        )
        head = mark_safe("<tr><th>code</th><th>why</th><th>expected</th><th>actual</th></tr>")
        return format_html("<table>{}{}</table>", head, rows)

    @admin.display(description="signed attestation (in-toto test-result; govctl verify bundle)")
    def bundle(self, decision: GateDecision) -> str:
        if decision.attestation is None:
            return "—"
        return format_html(
            "<pre class='gov-json'>{}</pre>", json.dumps(decision.attestation.bundle, indent=2)
        )


class InstantForm(forms.Form):
    environment = forms.ChoiceField(choices=Environment.choices, initial=Environment.PROD)
    at = forms.DateTimeField(
        required=False,
        help_text="UTC, e.g. 2026-05-01 00:00. Empty: now.",
        widget=forms.DateTimeInput(attrs={"placeholder": "YYYY-MM-DD HH:MM"}),
    )


@admin.register(Deployment)
class DeploymentAdmin(RecordAdmin):
    list_display = ["recorded_at", "version", "environment", "status", "decision_link", "recorded_by_label"]
    list_filter = ["environment", "status", "model_version__model__team"]
    search_fields = ["model_version__model__name", "model_version__version", "artifact_digest"]
    list_select_related = ["model_version__model"]
    change_list_template = "admin/gate/deployment/change_list.html"

    @admin.display(description="model version", ordering="model_version")
    def version(self, deployment: Deployment) -> str:
        mv = deployment.model_version
        return f"{mv.model.name} {mv.version}"

    @admin.display(description="gate decision")
    def decision_link(self, deployment: Deployment) -> str:
        url = reverse("admin:gate_gatedecision_change", args=[deployment.decision_id])
        return format_html("<a href='{}'>{}…</a>", url, str(deployment.decision_id)[:8])

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view(self.at_view)
        return [path("at/", view, name="gate_deployment_at"), *super().get_urls()]

    def at_view(self, request: HttpRequest) -> HttpResponse:
        """Which versions were in an environment at an instant, under which decision and approval."""
        form = InstantForm(request.GET or None)
        environment, instant = Environment.PROD, timezone.now()
        if form.is_valid():
            environment = form.cleaned_data["environment"]
            instant = form.cleaned_data["at"] or instant
            if timezone.is_naive(instant):
                instant = timezone.make_aware(instant, dt.UTC)
        rows = deployed_versions(environment=environment, at=instant, principal=admin_principal(request))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"In {Environment(environment).label.lower()} at {instant:%Y-%m-%d %H:%M} UTC",
            "form": form,
            "rows": rows,
        }
        return TemplateResponse(request, "admin/gate/deployment/at.html", context)
