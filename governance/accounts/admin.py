"""Admin for teams, memberships and API keys."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from governance.accounts.models import ApiKey, Membership, Team
from governance.accounts.roles import Scope
from governance.accounts.services import api_key_revoke
from governance.core.admin_mixins import TeamScopedAdmin, admin_principal


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(TeamScopedAdmin):
    list_display = ["slug", "name", "created_at"]
    search_fields = ["slug", "name"]
    inlines = [MembershipInline]


@admin.register(ApiKey)
class ApiKeyAdmin(TeamScopedAdmin):
    """Keys are created with ``manage.py create_api_key`` (the secret is printed once); here they are
    inspected and revoked."""

    list_display = ["name", "team", "prefix", "scopes", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["team", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    readonly_fields = [f.name for f in ApiKey._meta.fields]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return admin_principal(request).has_scope(Scope.KEYS_ADMIN)

    @admin.action(description="Revoke selected API keys", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        principal = admin_principal(request)
        for key in queryset:
            api_key_revoke(actor=principal, api_key=key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).", messages.SUCCESS)
