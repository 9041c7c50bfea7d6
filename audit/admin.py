"""The audit log in the admin: read-only, for auditors and administrators."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from audit.models import Attestation, AuditEvent, Checkpoint, LogVerificationRun
from audit.vocabulary import registry


class ActionFilter(admin.SimpleListFilter):
    """Filter by any declared action, recorded yet or not (the vocabulary, not the table's values)."""

    title = "action"
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(a.name, a.name) for a in registry]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["seq", "created_at", "actor_label", "action", "target_type", "target_id", "request_id"]
    list_filter = [ActionFilter, "target_type"]
    search_fields = ["actor", "actor_label", "action", "target_id", "request_id"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields if f.name != "canonical"] + ["canonical_text"]
    exclude = ["canonical"]

    @admin.display(description="canonical JSON (hashed as the Merkle leaf)")
    def canonical_text(self, event: AuditEvent) -> str:
        return bytes(event.canonical).decode("utf-8")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Evidence records: viewed, never added, changed or deleted in the admin."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Attestation)
class AttestationAdmin(ReadOnlyAdmin):
    """Signed DSSE/in-toto bundles; ``govctl verify bundle`` checks one offline against the JWKS."""

    list_display = ["id", "predicate_type", "subject_type", "subject_id", "key_short", "created_at"]
    list_filter = ["predicate_type", "subject_type"]
    search_fields = ["subject_id", "subject_digest", "key_id"]
    exclude = ["bundle"]
    readonly_fields = ["bundle_pretty"]

    @admin.display(description="key")
    def key_short(self, attestation: Attestation) -> str:
        return format_html("<code title='{}'>{}…</code>", attestation.key_id, attestation.key_id[:12])

    @admin.display(description="bundle (save as JSON for govctl verify bundle)")
    def bundle_pretty(self, attestation: Attestation) -> str:
        return format_html("<pre class='gov-json'>{}</pre>", json.dumps(attestation.bundle, indent=2))


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyAdmin):
    list_display = ["size", "root_hash", "key_id", "created_at"]


@admin.register(LogVerificationRun)
class LogVerificationRunAdmin(ReadOnlyAdmin):
    list_display = [
        "verified_at",
        "ok",
        "size",
        "verified_size",
        "checkpoints_checked",
        "problem_count",
        "seconds",
    ]
    list_filter = ["ok"]
