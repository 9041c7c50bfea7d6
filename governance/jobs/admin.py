"""The outbox in the admin, read-only, with job health per type above the list."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse

from governance.jobs.models import JobDispatch
from governance.jobs.selectors import job_health


@admin.register(JobDispatch)
class JobDispatchAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Operators see what is pending, running under a lease, or was given up; nobody edits it by hand."""

    change_list_template = "admin/jobs/jobdispatch/change_list.html"
    list_display = ["key", "job_type", "job_id", "state", "sends", "attempts", "created_at", "finished_at"]
    list_filter = ["job_type", "task"]
    search_fields = ["key"]
    readonly_fields = [f.name for f in JobDispatch._meta.fields]

    @admin.display(description="state")
    def state(self, obj: JobDispatch) -> str:
        return obj.state

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        response = super().changelist_view(request, extra_context)
        if isinstance(response, TemplateResponse) and response.context_data is not None:
            response.context_data["job_health"] = job_health()
        return response
