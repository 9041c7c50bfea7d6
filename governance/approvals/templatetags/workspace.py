"""Template tags of the reviewer's workspace: the dashboard on the admin index, and readable values."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html

from governance.approvals.workspace import reviewer_dashboard
from governance.core.admin_mixins import admin_principal

register = template.Library()


@register.inclusion_tag("admin/approvals/dashboard.html", takes_context=True)
def reviewer_workspace(context: dict[str, Any]) -> dict[str, Any]:
    """The dashboard of the logged-in user (every part scoped to what they may see)."""
    request = context["request"]
    return {"dash": reviewer_dashboard(principal=admin_principal(request)), "request": request}


@register.simple_tag
def rounded(value: Any, digits: int = 3) -> str:
    """A number rounded for reading, the exact value in ``<data value>`` and on hover."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return format_html("{}", value)
    shown = f"{value:,.{digits}f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}"
    return format_html('<data value="{}" title="exact: {}">{}</data>', repr(value), repr(value), shown)


@register.filter
def role_label(role: str) -> str:
    """``model_risk_reviewer`` -> ``Model risk reviewer`` (the role's own label when it has one)."""
    from governance.accounts.roles import ROLES, Role

    try:
        return ROLES[Role(role)].label
    except ValueError:
        return role.replace("_", " ").capitalize()
