"""The audit log in the admin: read-only, for auditors and administrators."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from audit.models import AuditEvent
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
