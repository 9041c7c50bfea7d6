"""Admin for team webhooks (writes through the services) and the read-only delivery log.

A webhook's secret is shown once, in the message after creation or rotation; no form or page shows
it again.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from governance.core.admin_mixins import ServiceFormMixin, TeamScopedAdmin, admin_principal
from governance.core.exceptions import ApplicationError
from governance.notifications import services
from governance.notifications.choices import WebhookEvent
from governance.notifications.models import Webhook, WebhookDelivery


def _may_configure(request: HttpRequest) -> bool:
    return admin_principal(request).has_scope(services.CONFIGURE_SCOPE)


def _secret_message(request: HttpRequest, webhook: Webhook, secret: str, verb: str) -> None:
    messages.warning(
        request,
        f"Webhook “{webhook.name}” {verb}. Its signing secret, shown only this once "
        f"(copy it to the receiver now): {secret}",
    )


class WebhookForm(forms.ModelForm):  # type: ignore[type-arg]
    url = forms.URLField(max_length=2000, assume_scheme="https", help_text="https://... (the receiver).")
    events = forms.MultipleChoiceField(choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Webhook
        fields = ["team", "name", "url", "events", "active"]


@admin.register(Webhook)
class WebhookAdmin(ServiceFormMixin, TeamScopedAdmin):
    """Team webhooks: created, changed, rotated and deactivated through the services (audited)."""

    form = WebhookForm
    list_display = ["name", "team", "destination", "events", "active", "deliveries", "created_at"]
    list_filter = ["team", "active"]
    search_fields = ["name", "url"]
    readonly_fields = ["created_by", "created_at", "updated_at"]
    actions = ["rotate_secret", "deactivate"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [*self.readonly_fields, "team"] if obj else self.readonly_fields

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) or _may_configure(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) or _may_configure(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _may_configure(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_configure(request)

    @admin.display(description="receiver")
    def destination(self, webhook: Webhook) -> str:
        return webhook.url.split("?", 1)[0][:80]

    @admin.display(description="deliveries")
    def deliveries(self, webhook: Webhook) -> str:
        url = reverse("admin:notifications_webhookdelivery_changelist") + f"?webhook__id__exact={webhook.pk}"
        return format_html("<a href='{}'>log</a>", url)

    def save_model(self, request: HttpRequest, obj: Webhook, form: Any, change: bool) -> None:
        principal = admin_principal(request)
        data = form.cleaned_data
        if not change:
            issued = services.webhook_create(
                actor=principal,
                team=data["team"],
                name=data["name"],
                url=data["url"],
                events=list(data["events"]),
                active=data["active"],
            )
            obj.pk = issued.webhook.pk
            _secret_message(request, issued.webhook, issued.secret, "created")
            return
        changes = {f: data[f] for f in form.changed_data if f in services.WEBHOOK_UPDATABLE}
        if "events" in changes:
            changes["events"] = list(changes["events"])
        deactivate = changes.get("active") is False
        if deactivate:
            del changes["active"]
        if changes:
            services.webhook_update(actor=principal, webhook=obj, **changes)
        if deactivate:
            services.webhook_deactivate(actor=principal, webhook=obj)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Nothing related is edited here."""

    @admin.action(description="Rotate the signing secret (shown once)", permissions=["change"])
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[Webhook]) -> None:
        for webhook in queryset:
            issued = services.webhook_secret_rotate(actor=admin_principal(request), webhook=webhook)
            _secret_message(request, issued.webhook, issued.secret, "has a new secret")

    @admin.action(description="Deactivate (stop sending)", permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Webhook]) -> None:
        for webhook in queryset:
            services.webhook_deactivate(actor=admin_principal(request), webhook=webhook)
        self.message_user(request, f"Deactivated {queryset.count()} webhook(s).", messages.SUCCESS)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(TeamScopedAdmin):
    """The delivery log: what was sent to whom, each attempt's outcome, retries. Nobody edits it."""

    list_display = [
        "delivery_id",
        "webhook",
        "event",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "created_at",
        "delivered_at",
    ]
    list_filter = ["status", "event", "webhook__team", "webhook"]
    list_select_related = ["webhook"]
    search_fields = ["delivery_id"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "delivery_id",
        "webhook",
        "event",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "response_excerpt",
        "created_at",
        "delivered_at",
        "payload_pretty",
    ]
    exclude = ["body"]
    actions = ["deliver_again"]

    @admin.display(description="payload")
    def payload_pretty(self, delivery: WebhookDelivery) -> str:
        return format_html(
            "<pre style='white-space:pre-wrap;margin:0'>{}</pre>", json.dumps(delivery.payload, indent=2)
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) or _may_configure(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) or _may_configure(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_redeliver_permission(self, request: HttpRequest) -> bool:
        return _may_configure(request)

    @admin.action(description="Deliver again (failed deliveries)", permissions=["redeliver"])
    def deliver_again(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        selected = list(queryset)
        try:
            queued = services.webhook_delivery_redeliver(actor=admin_principal(request), deliveries=selected)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        skipped = len(selected) - len(queued)
        text = f"Queued {len(queued)} delivery(ies) again."
        if skipped:
            text += f" Skipped {skipped}: only failed deliveries of active webhooks are sent again."
        self.message_user(request, text, messages.SUCCESS if queued else messages.WARNING)
