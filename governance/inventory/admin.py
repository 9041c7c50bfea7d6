"""Admin for the inventory. Every save goes through the services, so the admin obeys the same rules
(team ownership, frozen versions, audit events) as the API."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from governance.core.admin_mixins import ServiceFormMixin, TeamScopedAdmin, admin_principal
from governance.core.exceptions import ApplicationError
from governance.inventory import lifecycle, services
from governance.inventory.cards import card_export
from governance.inventory.models import (
    Dataset,
    DatasetVersion,
    ModelCard,
    ModelVersion,
    ModelVersionDataset,
    RegisteredModel,
)
from governance.inventory.selectors import model_card_latest, model_version_list


def _pretty_json(value: Any) -> str:
    return format_html("<pre style='white-space:pre-wrap;margin:0'>{}</pre>", json.dumps(value, indent=2))


@admin.register(RegisteredModel)
class RegisteredModelAdmin(ServiceFormMixin, TeamScopedAdmin):
    list_display = ["name", "team", "risk_tier", "domain", "updated_at"]
    list_filter = ["risk_tier", "team", "domain"]
    search_fields = ["name", "intended_use", "domain"]
    readonly_fields = ["created_by", "created_at", "updated_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [*self.readonly_fields, "name", "team"] if obj else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: RegisteredModel, form: Any, change: bool) -> None:
        principal = admin_principal(request)
        data = {
            f: form.cleaned_data[f] for f in form.changed_data if f in services.REGISTERED_MODEL_UPDATABLE
        }
        if change:
            services.registered_model_update(actor=principal, model=obj, **data)
        else:
            fields = ("team", "name", "risk_tier", "intended_use", "domain", "description", "tags")
            created = services.registered_model_create(
                actor=principal, **{f: form.cleaned_data[f] for f in fields}
            )
            obj.pk = created.pk


class DatasetLinkInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ModelVersionDataset
    extra = 0
    can_delete = False
    fields = ["dataset_version", "usage", "privacy"]
    readonly_fields = ["dataset_version", "usage", "privacy"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="privacy")
    def privacy(self, link: ModelVersionDataset) -> str:
        dv = link.dataset_version
        flags = []
        if dv.contains_personal_data:
            flags.append(f"personal data ({dv.lawful_basis or 'no basis'})")
        if dv.special_categories:
            flags.append("Art. 9: " + ", ".join(dv.special_categories))
        if dv.contains_phi:
            flags.append("HIPAA PHI")
        return "; ".join(flags) or "no personal data"


class ModelCardInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ModelCard
    extra = 0
    can_delete = False
    fields = ("revision", "created_by", "created_at")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ModelVersion)
class ModelVersionAdmin(ServiceFormMixin, TeamScopedAdmin):
    """The reviewer's main page: what the artifact is, its card, its data and its status."""

    list_display = ["__str__", "status", "artifact_digest_short", "framework", "created_at"]
    list_filter = ["status", "model__risk_tier", "model__team", "framework"]
    search_fields = ["model__name", "version", "artifact_digest", "training_run_ref"]
    list_select_related = ["model", "model__team"]
    inlines = [DatasetLinkInline, ModelCardInline]
    readonly_fields = ["status", "created_by", "created_at", "updated_at", "risk_tier", "latest_card"]
    fieldsets = [
        (None, {"fields": ["model", "version", "status", "risk_tier", "description"]}),
        (
            "Artifact",
            {"fields": ["artifact_uri", "artifact_digest", "framework", "training_run_ref", "metrics"]},
        ),
        ("Model card (latest revision)", {"fields": ["latest_card"]}),
        ("Record", {"fields": ["created_by", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return model_version_list(principal=admin_principal(request))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and not lifecycle.is_editable(obj.status):
            return [*self.readonly_fields, "model", "version", *services.MODEL_VERSION_UPDATABLE]
        if obj is not None:
            return [*self.readonly_fields, "model", "version"]
        return self.readonly_fields

    @admin.display(description="digest")
    def artifact_digest_short(self, mv: ModelVersion) -> str:
        return mv.artifact_digest[:19] + "…" if mv.artifact_digest else "—"

    @admin.display(description="risk tier")
    def risk_tier(self, mv: ModelVersion) -> str:
        return mv.model.get_risk_tier_display() if mv.pk else "—"

    @admin.display(description="card")
    def latest_card(self, mv: ModelVersion) -> str:
        card = model_card_latest(model_version=mv) if mv.pk else None
        if card is None:
            return "No model card yet."
        rows = [
            ("Revision", str(card.revision)),
            ("Overview", card.model_details.get("overview", "—")),
            (
                "Intended uses",
                "; ".join(u.get("description", "") for u in card.considerations.get("use_cases", [])),
            ),
            (
                "Limitations",
                "; ".join(x.get("description", "") for x in card.considerations.get("limitations", [])),
            ),
            (
                "Ethical considerations",
                "; ".join(r.get("name", "") for r in card.considerations.get("ethical_considerations", [])),
            ),
            (
                "Metrics",
                ", ".join(
                    f"{m.get('type')}={m.get('value')}"
                    for m in card.quantitative_analysis.get("performance_metrics", [])
                ),
            ),
            ("Caveats", card.caveats or "—"),
        ]
        table = format_html_join("", "<tr><th style='width:12em'>{}</th><td>{}</td></tr>", rows)
        url = reverse("admin:inventory_modelcard_change", args=[card.pk])
        return format_html("<table>{}</table><a href='{}'>Full card</a>", table, url)

    def save_model(self, request: HttpRequest, obj: ModelVersion, form: Any, change: bool) -> None:
        principal = admin_principal(request)
        if change:
            data = {
                f: form.cleaned_data[f] for f in form.changed_data if f in services.MODEL_VERSION_UPDATABLE
            }
            services.model_version_update(actor=principal, model_version=obj, **data)
        else:
            fields = ("model", "version", "description", *services.MODEL_VERSION_UPDATABLE)
            created = services.model_version_create(
                actor=principal, **{f: form.cleaned_data[f] for f in fields}
            )
            obj.pk = created.pk

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Inlines are read-only; links are made through the service or the API."""


class ModelCardImportForm(forms.Form):
    model_version = forms.ModelChoiceField(queryset=ModelVersion.objects.none())
    format = forms.ChoiceField(
        choices=[("mct", "Model Card Toolkit JSON"), ("huggingface", "Hugging Face README.md")]
    )
    file = forms.FileField(help_text="model_card.json or README.md")


@admin.register(ModelCard)
class ModelCardAdmin(TeamScopedAdmin):
    """Card revisions are immutable: view, export, or import a new revision."""

    list_display = ["__str__", "revision", "created_by", "created_at"]
    list_filter = ["model_version__model__team"]
    search_fields = ["model_version__model__name", "model_version__version"]
    list_select_related = ["model_version", "model_version__model"]
    actions = ["export_mct", "export_huggingface"]
    change_list_template = "admin/inventory/modelcard/change_list.html"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [f.name for f in ModelCard._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _export(self, request: HttpRequest, queryset: QuerySet[ModelCard], fmt: str) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one card to export.", messages.WARNING)
            return None
        card = queryset.select_related("model_version__model").get()
        body, media_type = card_export(card, fmt)
        name = f"{card.model_version.model.name}-{card.model_version.version}"
        if isinstance(body, str):
            response = HttpResponse(body, content_type=media_type)
            response["Content-Disposition"] = f'attachment; filename="{name}-README.md"'
        else:
            response = HttpResponse(json.dumps(body, indent=2), content_type=media_type)
            response["Content-Disposition"] = f'attachment; filename="{name}-model_card.json"'
        return response

    @admin.action(description="Export as Model Card Toolkit JSON", permissions=["view"])
    def export_mct(self, request: HttpRequest, queryset: QuerySet[ModelCard]) -> HttpResponse | None:
        return self._export(request, queryset, "mct")

    @admin.action(description="Export as Hugging Face README.md", permissions=["view"])
    def export_huggingface(self, request: HttpRequest, queryset: QuerySet[ModelCard]) -> HttpResponse | None:
        return self._export(request, queryset, "huggingface")

    def get_urls(self) -> list[Any]:
        extra = [
            path("import/", self.admin_site.admin_view(self.import_view), name="inventory_modelcard_import")
        ]
        return extra + super().get_urls()

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Import a card file as a new revision (through the same service as the API)."""
        principal = admin_principal(request)
        form = ModelCardImportForm(request.POST or None, request.FILES or None)
        form.fields["model_version"].queryset = model_version_list(principal=principal).filter(  # type: ignore[attr-defined]
            status=lifecycle.DRAFT
        )
        if request.method == "POST" and form.is_valid():
            raw = form.cleaned_data["file"].read(services.CARD_IMPORT_MAX_BYTES + 1)
            try:
                if len(raw) > services.CARD_IMPORT_MAX_BYTES:
                    raise ValidationError({"file": "The file is larger than 1 MiB."})
                text = raw.decode("utf-8")
                content = json.loads(text) if form.cleaned_data["format"] == "mct" else text
                card = services.model_card_import(
                    actor=principal,
                    model_version=form.cleaned_data["model_version"],
                    fmt=form.cleaned_data["format"],
                    content=content,
                )
            except (ValueError, ValidationError, ApplicationError) as exc:
                detail = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                self.message_user(request, f"Import failed: {detail}", messages.ERROR)
            else:
                self.message_user(request, f"Imported {card}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:inventory_modelcard_change", args=[card.pk]))
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": "Import model card",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/inventory/modelcard/import.html", context)


@admin.register(Dataset)
class DatasetAdmin(ServiceFormMixin, TeamScopedAdmin):
    list_display = ["name", "team", "created_at"]
    list_filter = ["team"]
    search_fields = ["name", "description"]
    readonly_fields = ["created_by", "created_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [*self.readonly_fields, "name", "team", "description"] if obj else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: Dataset, form: Any, change: bool) -> None:
        if not change:
            created = services.dataset_create(
                actor=admin_principal(request),
                **{f: form.cleaned_data[f] for f in ("team", "name", "description")},
            )
            obj.pk = created.pk


@admin.register(DatasetVersion)
class DatasetVersionAdmin(ServiceFormMixin, TeamScopedAdmin):
    list_display = [
        "__str__",
        "row_count",
        "contains_personal_data",
        "contains_phi",
        "lawful_basis",
        "created_at",
    ]
    list_filter = ["contains_personal_data", "contains_phi", "lawful_basis", "dataset__team"]
    search_fields = ["dataset__name", "version", "digest", "dpia_reference"]
    list_select_related = ["dataset", "dataset__team"]
    readonly_fields = ["created_by", "created_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [*self.readonly_fields, "dataset", "version", "uri", "digest"] if obj else self.readonly_fields

    def change_view(self, request: HttpRequest, object_id: str, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "GET":
            shown = self.get_queryset(request).filter(pk=object_id)
            services.dataset_version_phi_reads_record(
                actor=admin_principal(request), dataset_versions=shown, channel="admin"
            )
        return super().change_view(request, object_id, *args, **kwargs)

    def save_model(self, request: HttpRequest, obj: DatasetVersion, form: Any, change: bool) -> None:
        principal = admin_principal(request)
        if change:
            data = {
                f: form.cleaned_data[f] for f in form.changed_data if f in services.DATASET_VERSION_UPDATABLE
            }
            services.dataset_version_update(actor=principal, dataset_version=obj, **data)
        else:
            fields = ("version", "uri", "digest", *services.DATASET_VERSION_UPDATABLE)
            created = services.dataset_version_create(
                actor=principal,
                dataset=form.cleaned_data["dataset"],
                **{f: form.cleaned_data[f] for f in fields},
            )
            obj.pk = created.pk
