"""Approvals in the admin: the review panel on each model version, the records, and the policies.

Every button posts to a view that calls the same service as the API (``approval_decide`` and the
rest), so four-eyes, staleness and quorum are enforced once; the page only offers what
``workspace.decision_options`` says the service would accept, and says why when it offers nothing.
Requests and decisions are records: viewable, never editable. Policies are edited by creating their
next version, by administrators only.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from governance.accounts.roles import Scope
from governance.approvals.choices import Decision, Environment
from governance.approvals.models import ApprovalDecision, ApprovalPolicy, ApprovalRequest
from governance.approvals.policies import approval_policy_create_override
from governance.approvals.services import (
    POLICY_FIELDS,
    approval_decide,
    approval_policy_revise,
    approval_request_submit,
    approval_withdraw,
)
from governance.approvals.workspace import version_review
from governance.core.admin_mixins import RecordAdmin, ServiceFormMixin, TeamScopedAdmin, admin_principal
from governance.core.exceptions import ApplicationError
from governance.inventory.admin import ModelVersionAdmin
from governance.inventory.models import ModelVersion
from governance.inventory.selectors import model_version_list


def _pretty_json(value: Any) -> str:
    return format_html("<pre class='gov-json'>{}</pre>", json.dumps(value, indent=2, sort_keys=True))


class ReviewForm(forms.Form):
    """A decision, a submission or a withdrawal: what is done, and the mandatory comment."""

    comment = forms.CharField(widget=forms.Textarea, max_length=5000)
    decision = forms.ChoiceField(choices=Decision.choices, required=False)
    role = forms.CharField(required=False, max_length=40)
    environment = forms.ChoiceField(choices=Environment.choices, required=False)


admin.site.unregister(ModelVersion)


@admin.register(ModelVersion)
class ModelVersionReviewAdmin(ModelVersionAdmin):
    """The inventory's version page plus the review panel (checklist, bias, history, decisions)."""

    change_form_template = "admin/approvals/modelversion/change_form.html"

    def get_urls(self) -> list[Any]:
        review = [
            path(
                "<path:object_id>/review/<str:action>/",
                self.admin_site.admin_view(self.review_action),
                name="inventory_modelversion_review",
            )
        ]
        return review + super().get_urls()

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        mv = model_version_list(principal=admin_principal(request)).filter(pk=object_id).first()
        extra = dict(extra_context or {})
        if mv is not None:
            extra["review"] = version_review(principal=admin_principal(request), model_version=mv)
            extra["review_form"] = ReviewForm()
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def review_action(self, request: HttpRequest, object_id: str, action: str) -> HttpResponse:
        """POST submit / decide / withdraw through the approval services; errors become messages."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        principal = admin_principal(request)
        mv = get_object_or_404(model_version_list(principal=principal), pk=object_id)
        back = HttpResponseRedirect(reverse("admin:inventory_modelversion_change", args=[mv.pk]))
        form = ReviewForm(request.POST)
        if not form.is_valid():
            errors = "; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in form.errors.items())
            self.message_user(request, f"Nothing recorded. {errors}", messages.ERROR)
            return back
        data = form.cleaned_data
        review = version_review(principal=principal, model_version=mv)
        try:
            if action == "submit":
                approval = approval_request_submit(
                    actor=principal,
                    model_version=mv,
                    environment=data["environment"] or Environment.PROD,
                    comment=data["comment"],
                )
                done = f"Submitted for {approval.get_environment_display().lower()} approval."
            elif action in ("decide", "withdraw") and review.current is None:
                raise ApplicationError("This version has no approval request.", code="not_found")
            elif action == "decide" and review.current is not None:
                row = approval_decide(
                    actor=principal,
                    request=review.current,
                    decision=data["decision"],
                    comment=data["comment"],
                    role=data["role"] or None,
                )
                done = f"Recorded: {row.get_decision_display().lower()} as {row.role.replace('_', ' ')}."
            elif action == "withdraw" and review.current is not None:
                approval_withdraw(actor=principal, request=review.current, comment=data["comment"])
                done = "Request withdrawn; the version is a draft again."
            else:
                raise PermissionDenied
        except ApplicationError as exc:
            self.message_user(request, f"Not recorded ({exc.code}): {exc.message}", messages.ERROR)
            return back
        self.message_user(request, done, messages.SUCCESS)
        return back


class DecisionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ApprovalDecision
    extra = 0
    can_delete = False
    fields = ("created_at", "reviewer_label", "role", "decision", "comment", "policy_version", "attestation")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(RecordAdmin):
    list_display = [
        "id",
        "version_link",
        "environment",
        "status",
        "submitted_by_label",
        "created_at",
        "expires_at",
    ]
    list_filter = ["status", "environment", "model_version__model__team"]
    search_fields = ["model_version__model__name", "model_version__version", "submitted_by", "comment"]
    list_select_related = ["model_version__model"]
    inlines = [DecisionInline]
    exclude = ["evidence"]
    readonly_fields = ["evidence_pretty"]

    @admin.display(description="model version", ordering="model_version")
    def version_link(self, request: ApprovalRequest) -> str:
        mv = request.model_version
        url = reverse("admin:inventory_modelversion_change", args=[mv.pk])
        return format_html("<a href='{}'>{} {}</a>", url, mv.model.name, mv.version)

    @admin.display(description="evidence reviewed (hashed: evidence sha256)")
    def evidence_pretty(self, request: ApprovalRequest) -> str:
        return _pretty_json(request.evidence)


@admin.register(ApprovalDecision)
class ApprovalDecisionAdmin(RecordAdmin):
    list_display = ["id", "request", "decision", "role", "reviewer_label", "created_at"]
    list_filter = ["decision", "role"]
    search_fields = ["reviewer", "reviewer_label", "comment"]
    list_select_related = ["request__model_version__model"]


class PolicyForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = ApprovalPolicy
        fields = ["risk_tier", "model", *POLICY_FIELDS]


class OverrideForm(forms.ModelForm):  # type: ignore[type-arg]
    """A model's own policy: the model, why its tier's rules do not fit, and the rules."""

    reason = forms.CharField(
        widget=forms.Textarea, max_length=2000, help_text="Why this model needs rules of its own (audited)."
    )

    class Meta:
        model = ApprovalPolicy
        fields = ["model", *POLICY_FIELDS]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["model"].required = True


@admin.register(ApprovalPolicy)
class ApprovalPolicyAdmin(ServiceFormMixin, TeamScopedAdmin):
    """Policies are versioned: saving the current version creates the next one (admins only)."""

    form = PolicyForm
    list_display = ["__str__", "risk_tier", "model", "version", "is_current", "roles", "validity_days"]
    list_filter = ["risk_tier", "is_current"]
    readonly_fields = ["version", "is_current", "created_by", "created_at"]

    @admin.display(description="required roles")
    def roles(self, policy: ApprovalPolicy) -> str:
        return ", ".join(f"{r.replace('_', ' ')}: {n}" for r, n in policy.required_roles.items())

    def _is_admin(self, request: HttpRequest) -> bool:
        return admin_principal(request).has_scope(Scope.TEAMS_ADMIN)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Adding is giving one model rules of its own; tier policies are seeded and revised.
        return self._is_admin(request) and super().has_add_permission(request)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = OverrideForm
        return super().get_form(request, obj, change=change, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not obj.is_current:
            return False  # older versions are the record of what decisions were taken under
        return self._is_admin(request) and super().has_view_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [*self.readonly_fields, "risk_tier", "model"] if obj else self.readonly_fields

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return [(None, {"fields": ["model", "reason", *POLICY_FIELDS]})]
        return super().get_fieldsets(request, obj)

    def save_model(self, request: HttpRequest, obj: ApprovalPolicy, form: Any, change: bool) -> None:
        if not change:
            fields = {f: form.cleaned_data[f] for f in POLICY_FIELDS}
            created = approval_policy_create_override(
                actor=admin_principal(request),
                model=form.cleaned_data["model"],
                reason=form.cleaned_data["reason"],
                **fields,
            )
            obj.pk = created.pk
            return
        changes = {f: form.cleaned_data[f] for f in form.changed_data if f in POLICY_FIELDS}
        current = ApprovalPolicy.objects.get(pk=obj.pk)
        revised = approval_policy_revise(actor=admin_principal(request), policy=current, **changes)
        obj.pk = revised.pk
        self.message_user(request, f"Saved as version {revised.version}; version {current.version} is kept.")

    def response_change(self, request: HttpRequest, obj: ApprovalPolicy) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:approvals_approvalpolicy_change", args=[obj.pk]))
