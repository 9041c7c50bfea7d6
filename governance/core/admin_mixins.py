"""Admin plumbing shared by every ModelAdmin: team scoping and writes through services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from governance.accounts.models import Team
from governance.accounts.principal import Principal, principal_for_user
from governance.core.exceptions import ApplicationError
from governance.core.visibility import is_team_scoped


def admin_principal(request: HttpRequest) -> Principal:
    cached = getattr(request, "_governance_principal", None)
    if cached is None:
        cached = principal_for_user(request.user)  # type: ignore[arg-type]
        request._governance_principal = cached  # type: ignore[attr-defined]
    return cached


class VisibleRelatedFilter(admin.RelatedFieldListFilter):
    """A list filter on a relation that offers only the related rows the user may see (a plain
    ``RelatedFieldListFilter`` lists every team's name)."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        related = field.related_model
        qs = related._default_manager.all()
        if is_team_scoped(related):
            qs = qs.visible_to(admin_principal(request))
        return [(str(obj.pk), str(obj)) for obj in qs]


class TeamScopedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Shows only the rows, filter choices and dropdown choices of teams the user may read.

    The rule is the model's own (``TEAM_PATH``, ``objects.visible_to``): the admin applies it, it does
    not restate it. Dropdowns of teams in forms offer only the teams the user may write to.
    """

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).visible_to(admin_principal(request))  # type: ignore[attr-defined,no-any-return]

    def get_list_filter(self, request: HttpRequest) -> Any:
        return [_scoped_filter(self.model, spec) for spec in super().get_list_filter(request)]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        related = db_field.related_model
        if is_team_scoped(related) and "queryset" not in kwargs:
            principal = admin_principal(request)
            qs = related._default_manager.all()
            kwargs["queryset"] = qs.writable_by(principal) if related is Team else qs.visible_to(principal)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A system of record retires records; it never deletes them.
        return False


class RecordAdmin(TeamScopedAdmin):
    """A record the services write (requests, decisions, gate verdicts, deployments): listed and
    viewed, never added or changed in the admin, so its pages offer no Save and no Change link."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _scoped_filter(model: Any, spec: Any) -> Any:
    """A related list filter on a team-scoped model becomes a ``VisibleRelatedFilter``."""
    if not isinstance(spec, str):
        return spec
    try:
        field = get_fields_from_path(model, spec)[-1]
    except (FieldDoesNotExist, NotRelationField):
        return spec
    if field.is_relation and is_team_scoped(field.related_model):
        return (spec, VisibleRelatedFilter)
    return spec


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
