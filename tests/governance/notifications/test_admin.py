"""The admin: webhooks written through the services, the secret shown once, a read-only delivery log
with filters, and "Deliver again" for failed deliveries."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from governance.jobs.models import JobDispatch
from governance.notifications.models import Webhook, WebhookDelivery
from tests.governance.notifications.conftest import emit

pytestmark = pytest.mark.django_db
ADD = "/admin/notifications/webhook/add/"


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def test_creating_in_the_admin_shows_the_secret_once_and_never_again(admin_client, team_a):
    response = admin_client.post(
        ADD,
        {
            "team": team_a.pk,
            "name": "slack",
            "url": "https://hooks.example.org/governance",
            "events": ["approval.submitted", "approval.decided"],
            "active": "on",
        },
        follow=True,
    )
    assert response.status_code == 200
    webhook = Webhook.objects.get()
    assert webhook.events == ["approval.submitted", "approval.decided"] and webhook.created_by.startswith(
        "user:"
    )
    (shown,) = [m for m in messages_of(response) if "secret" in m]
    assert shown.endswith(webhook.secret)
    assert AuditEvent.objects.filter(action="webhook.create", target_id=str(webhook.pk)).exists()
    for page in (
        f"/admin/notifications/webhook/{webhook.pk}/change/",
        "/admin/notifications/webhook/",
        "/admin/notifications/webhook/?active__exact=1",
    ):
        content = admin_client.get(page).content.decode()
        assert webhook.name in content and webhook.secret not in content


def test_the_admin_refuses_plain_http_as_a_form_error(admin_client, team_a, settings):
    settings.WEBHOOK_ALLOW_HTTP = False
    response = admin_client.post(
        ADD,
        {"team": team_a.pk, "name": "x", "url": "http://hooks.example.org/", "events": ["approval.stale"]},
    )
    assert response.status_code == 200 and "must use https" in response.content.decode()
    assert not Webhook.objects.exists()


def test_changing_and_deactivating_go_through_the_services(admin_client, make_webhook, team_a):
    webhook, secret = make_webhook(team_a, "https://hooks.example.org/a", name="ci")
    page = f"/admin/notifications/webhook/{webhook.pk}/change/"
    response = admin_client.post(
        page, {"name": "ci", "url": "https://hooks.example.org/b", "events": ["approval.expired"]}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    webhook.refresh_from_db()
    assert webhook.url == "https://hooks.example.org/b" and webhook.events == ["approval.expired"]
    assert not webhook.active and webhook.secret == secret
    actions = list(AuditEvent.objects.filter(target_id=str(webhook.pk)).values_list("action", flat=True))
    assert actions[-2:] == ["webhook.update", "webhook.deactivate"]


def test_rotating_in_the_admin_shows_the_new_secret_once(admin_client, make_webhook, team_a):
    webhook, secret = make_webhook(team_a, "https://hooks.example.org/a")
    response = admin_client.post(
        "/admin/notifications/webhook/",
        {"action": "rotate_secret", "_selected_action": [webhook.pk]},
        follow=True,
    )
    webhook.refresh_from_db()
    assert webhook.secret != secret
    assert any(m.endswith(webhook.secret) for m in messages_of(response))


def test_the_delivery_log_is_read_only_filterable_and_delivers_again(
    admin_client, receiver, make_webhook, team_a, settings
):
    from governance.notifications.delivery import webhook_delivery_attempt

    settings.WEBHOOK_MAX_ATTEMPTS = 1
    webhook, _ = make_webhook(team_a, receiver.url)
    from tests.governance.notifications.conftest import Reply

    receiver.answer(Reply(500, b"nope"))
    failed, pending = emit(team_a)[0], emit(team_a)[0]
    webhook_delivery_attempt(delivery_pk=failed.pk, attempt=1)

    log = "/admin/notifications/webhookdelivery/"
    for query in (
        "",
        "?status__exact=failed",
        "?event__exact=approval.submitted",
        f"?webhook__id__exact={webhook.pk}",
    ):
        assert admin_client.get(log + query).status_code == 200
    listing = admin_client.get(log + "?status__exact=failed").content.decode()
    assert str(failed.delivery_id) in listing and str(pending.delivery_id) not in listing
    detail = admin_client.get(f"{log}{failed.pk}/change/").content.decode()
    assert "Answered 500." in detail and "nope" in detail and "approval_request_id" in detail
    assert admin_client.get(f"{log}add/").status_code == 403
    assert admin_client.post(f"{log}{failed.pk}/delete/").status_code == 403
    assert "Save" not in detail  # view only

    response = admin_client.post(
        log, {"action": "deliver_again", "_selected_action": [failed.pk, pending.pk]}, follow=True
    )
    assert any("Queued 1 delivery(ies) again. Skipped 1" in m for m in messages_of(response))
    failed.refresh_from_db()
    assert failed.status == "pending"
    assert JobDispatch.objects.filter(key=f"notifications.webhook_deliver:[{failed.pk},2]").exists()
    assert WebhookDelivery.objects.filter(status="failed").count() == 0
