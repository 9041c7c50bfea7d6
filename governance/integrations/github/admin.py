"""Admin for GitHub installations (written through the services) and the read-only protection rule log.

The webhook secret and the private key are write-only: typed (or pasted) when the installation is added
or when they are rotated on GitHub, and never shown again by any form or page.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from governance.core.admin_mixins import ServiceFormMixin, TeamScopedAdmin, admin_principal
from governance.integrations.github import services
from governance.integrations.github.models import GitHubInstallation, ProtectionRuleRequest


def _may_configure(request: HttpRequest) -> bool:
    return admin_principal(request).has_scope(services.CONFIGURE_SCOPE)


class GitHubInstallationForm(forms.ModelForm):  # type: ignore[type-arg]
    api_base_url = forms.URLField(
        max_length=300,
        assume_scheme="https",
        initial="https://api.github.com",
        help_text="GitHub's REST API root: https://api.github.com, or https://HOSTNAME/api/v3 for GitHub "
        "Enterprise Server. Callbacks are only ever sent to this origin.",
    )
    secret = forms.CharField(
        label="Webhook secret",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="The GitHub App's webhook secret. Write-only: leave blank to keep the current one.",
    )
    private_key_pem = forms.CharField(
        label="Private key",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off", "spellcheck": "false"}),
        help_text="The App's private key (.pem). Write-only: stored encrypted, never shown again; leave "
        "blank to keep the current one.",
    )

    class Meta:
        model = GitHubInstallation
        fields = ["team", "installation_id", "app_id", "account", "api_base_url", "environment_map", "active"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk is None:
            for name in ("secret", "private_key_pem"):
                if not data.get(name):
                    self.add_error(name, "Required when adding an installation.")
        return data


@admin.register(GitHubInstallation)
class GitHubInstallationAdmin(ServiceFormMixin, TeamScopedAdmin):
    """Installations: created, changed and given new credentials through the services (audited)."""

    form = GitHubInstallationForm
    list_display = ["installation_id", "account", "team", "app_id", "api_base_url", "active", "requests"]
    list_filter = ["team", "active"]
    search_fields = ["account", "installation_id"]
    readonly_fields = ["created_by", "created_at", "updated_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return self.readonly_fields
        return [*self.readonly_fields, "team", "installation_id", "app_id"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) or _may_configure(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) or _may_configure(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _may_configure(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_configure(request)

    @admin.display(description="requests")
    def requests(self, installation: GitHubInstallation) -> str:
        from django.urls import reverse

        url = reverse("admin:github_integration_protectionrulerequest_changelist")
        return format_html("<a href='{}?installation__id__exact={}'>log</a>", url, installation.pk)

    def save_model(self, request: HttpRequest, obj: GitHubInstallation, form: Any, change: bool) -> None:
        principal = admin_principal(request)
        data = form.cleaned_data
        if not change:
            created = services.github_installation_create(
                actor=principal,
                team=data["team"],
                installation_id=data["installation_id"],
                app_id=data["app_id"],
                webhook_secret=data["secret"],
                private_key_pem=data["private_key_pem"],
                environment_map=data["environment_map"],
                api_base_url=data["api_base_url"],
                account=data.get("account") or "",
            )
            obj.pk = created.pk
            return
        fresh = GitHubInstallation.objects.get(pk=obj.pk)
        changes = {f: data[f] for f in form.changed_data if f in services.INSTALLATION_UPDATABLE}
        if changes:
            services.github_installation_update(actor=principal, installation=fresh, **changes)
        if data.get("secret") or data.get("private_key_pem"):
            services.github_installation_credentials_replace(
                actor=principal,
                installation=fresh,
                webhook_secret=data.get("secret") or "",
                private_key_pem=data.get("private_key_pem") or "",
            )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Nothing related is edited here."""


@admin.register(ProtectionRuleRequest)
class ProtectionRuleRequestAdmin(TeamScopedAdmin):
    """What GitHub asked, the verdict with every reason, and how answering went. Nobody edits it."""

    list_display = [
        "created_at",
        "repository",
        "run_id",
        "github_environment",
        "environment",
        "verdict",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
    ]
    list_filter = ["verdict", "status", "environment", "installation__team", "installation"]
    list_select_related = ["installation"]
    search_fields = ["repository", "delivery_id", "sha"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "installation",
        "delivery_id",
        "repository",
        "run_id",
        "github_environment",
        "environment",
        "sha",
        "event",
        "deployment_id",
        "sender",
        "callback_url",
        "source",
        "subjects_pretty",
        "decision_ids",
        "verdict",
        "reasons_pretty",
        "comment",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "response_excerpt",
        "created_at",
        "answered_at",
    ]
    exclude = ["subjects", "reasons", "repository_id"]

    @admin.display(description="subjects")
    def subjects_pretty(self, obj: ProtectionRuleRequest) -> str:
        return format_html(
            "<pre style='white-space:pre-wrap;margin:0'>{}</pre>", json.dumps(obj.subjects, indent=2)
        )

    @admin.display(description="reasons")
    def reasons_pretty(self, obj: ProtectionRuleRequest) -> str:
        return format_html(
            "<pre style='white-space:pre-wrap;margin:0'>{}</pre>", json.dumps(obj.reasons, indent=2)
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) or _may_configure(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) or _may_configure(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
