"""Admin plumbing shared by every ModelAdmin: team scoping and writes through services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from governance.accounts.principal import Principal, principal_for_user
from governance.core.exceptions import ApplicationError


def admin_principal(request: HttpRequest) -> Principal:
    cached = getattr(request, "_governance_principal", None)
    if cached is None:
        cached = principal_for_user(request.user)  # type: ignore[arg-type]
        request._governance_principal = cached  # type: ignore[attr-defined]
    return cached


class TeamScopedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Shows only the rows of teams the user may read; ``team_path`` is the lookup to the team id."""

    team_path = "team_id"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        principal = admin_principal(request)
        if principal.read_all_teams:
            return qs
        return qs.filter(**{f"{self.team_path}__in": principal.team_ids})

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A system of record retires records; it never deletes them.
        return False


class ServiceFormMixin:
    """Turn service errors raised from ``save_model`` into form errors instead of a 500 page."""

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().changeform_view(request, *args, **kwargs)  # type: ignore[misc]
        except (ValidationError, ApplicationError) as exc:
            text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else exc.message
            self.message_user(request, text, level=messages.ERROR)  # type: ignore[attr-defined]
            from django.http import HttpResponseRedirect

            return HttpResponseRedirect(request.get_full_path())
